-- Headless Neovim with its built-in LSP client on a real chapter file (tests/test_lsp_neovim.py).
-- Opens $CHAPTER (tests/nvim/init.lua starts `chronicle lsp`), breaks the first `goto: $TARGET`, waits for the
-- diagnostic, asks for completion after the broken goto and for the definition of a sound one,
-- and writes what Neovim itself received to $OUT as JSON. Always quits, whatever happens.
local out = { steps = {} }
local function note(step) table.insert(out.steps, step) end

local function plain(d)
  local lsp = (d.user_data or {}).lsp or {}
  return {
    lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
    message = d.message, severity = d.severity, source = d.source,
    code = d.code or lsp.code,
  }
end

local ok, err = pcall(function()
  local target = vim.env.TARGET
  -- the client is started by tests/nvim/init.lua, the README's configuration, on opening the file
  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.CHAPTER))
  local buf = vim.api.nvim_get_current_buf()
  local client_id = _G.chronicle
  note("started")
  local ready = vim.wait(60000, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized == true
  end, 50)
  out.initialized = ready
  note("initialized")

  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local broken_line, sound_line
  for i, l in ipairs(lines) do
    if not broken_line and l:find("goto: " .. target .. "$") then
      broken_line = i
    elseif broken_line and not sound_line and l:find("goto: " .. target .. "$") then
      sound_line = i
    end
  end
  local new = lines[broken_line]:gsub("goto: " .. target .. "$", "goto: " .. target:sub(1, -2))
  vim.api.nvim_buf_set_lines(buf, broken_line - 1, broken_line, false, { new })
  out.broken = { line = broken_line - 1, text = new }
  note("edited")

  local got = vim.wait(60000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if plain(d).code == "unknown-node" then return true end
    end
    return false
  end, 50)
  out.diagnostics = vim.tbl_map(plain, vim.diagnostic.get(buf))
  out.diagnostic_arrived = got
  note("diagnostics")

  local uri = vim.uri_from_bufnr(buf)
  local comp = vim.lsp.buf_request_sync(buf, "textDocument/completion", {
    textDocument = { uri = uri },
    position = { line = broken_line - 1, character = #new },
  }, 30000)
  out.completion = {}
  for _, r in pairs(comp or {}) do
    local items = (r.result or {}).items or r.result or {}
    for _, item in ipairs(items) do table.insert(out.completion, item.label) end
  end
  note("completion")

  local col = lines[sound_line]:find("goto: ", 1, true) + #"goto: "
  local def = vim.lsp.buf_request_sync(buf, "textDocument/definition", {
    textDocument = { uri = uri },
    position = { line = sound_line - 1, character = col },
  }, 30000)
  out.definition = {}
  for _, r in pairs(def or {}) do
    local res = r.result
    if res and res.uri then res = { res } end
    for _, l in ipairs(res or {}) do
      table.insert(out.definition, { uri = l.uri, line = l.range.start.line, character = l.range.start.character })
    end
  end
  note("definition")
  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end)
out.ok = ok
out.error = err and tostring(err) or nil
vim.fn.writefile({ vim.fn.json_encode(out) }, vim.env.OUT)
vim.cmd("qa!")
