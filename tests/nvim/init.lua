vim.api.nvim_create_autocmd("FileType", { pattern = "yaml", callback = function(args)
  local root = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ":p:h:h")
  if vim.fn.filereadable(root .. "/story/story.yaml") == 0 then return end
  _G.chronicle = _G.chronicle or vim.lsp.start_client({ name = "chronicle", cmd = { "chronicle", "lsp" }, root_dir = root })
  vim.lsp.buf_attach_client(args.buf, _G.chronicle)
end })
