"""`chronicle lsp`: the language server for story files, on stdin and stdout (engine.lsp)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "lsp",
        help="the language server for editors (diagnostics, completion, hover, rename...), on stdio",
        description="Serve the Language Server Protocol on stdin/stdout for an editor: the compiler's "
        "diagnostics as you type, `check`'s findings after a pause or on save, completion of the story's "
        "own node ids, flags and fact ids, hover, go to definition, references, rename, symbols, code "
        "actions, and 'try from here' / 'why' lenses. The editor starts it; see README for Neovim, "
        "VS Code and Helix.",
    )
    p.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default, and the only way)")
    p.add_argument(
        "--check-after",
        type=float,
        default=None,
        metavar="S",
        help="run the whole check after S seconds without a change (default 1.5; it always runs on save)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from ..lsp.server import main

    return main(pause=args.check_after)
