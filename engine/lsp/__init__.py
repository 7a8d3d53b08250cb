"""`chronicle lsp`: a language server for story files (stdio, on pygls and lsprotocol).

    index      every name in one file's text (node ids, flags, facts, chapter ids) with its exact
               range, read from the YAML as it stands in the editor, broken or not
    workspace  the story folder as the editor sees it: open buffers over the files on disk,
               compiled by the library (`engine.compile_story`, the compiler `check` uses) from a
               private copy, so the story's own files are never written
    features   completion, hover, definition, references, rename, symbols, code actions, lenses:
               plain functions over a workspace, one per request
    checkworker  `check_folder` in a child process the server can stop when the buffer changes
    server     the pygls wiring: when to compile, when to check, what to publish

The index is not a second compiler: it never decides whether a story is right, only where each
name is written, so that the editor can jump to it, complete it and rename it. Every diagnostic
comes from the library.
"""
