"""The `chronicle` command: parses arguments, calls the library, prints.

Each subcommand lives in engine/commands/<name>.py with `register(subparsers)`
(which sets `func` to a function taking the parsed args and returning an exit
code). Exit codes: 0 fine, 1 problems found, 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys

from . import files
from .commands import check, export, graph, lsp, new, play, proof, schema, stats, variants, why
from .diagnostics import ChronicleError
from .textsafe import CleanStream

# Subcommand modules, in the order `chronicle --help` lists them (plain imports, so the
# architecture test sees them).
COMMANDS = [play, check, graph, new, why, variants, proof, stats, schema, export, lsp]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with a short usage line, as argparse does, but never a traceback
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chronicle", description="Play, check and author branching stories in the terminal.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command is None:
            args = parser.parse_args(["play"] + (argv if argv is not None else sys.argv[1:]))
        else:
            parser.print_help()
            return 2
    # Authoring commands quote the story (choice text, ids, titles, file names) in what they
    # print: every byte they write goes through the same sanitiser as the player's text.
    saved = sys.stdout, sys.stderr
    if args.command != "play":
        sys.stdout = CleanStream(sys.stdout) if sys.stdout is not None else None
        sys.stderr = CleanStream(sys.stderr) if sys.stderr is not None else None
    try:
        return _run(args)
    finally:
        sys.stdout, sys.stderr = saved


def _run(args) -> int:
    try:
        code = args.func(args)
        if sys.stdout is not None:  # (None when the command was started with stdout closed)
            sys.stdout.flush()  # here, so that a full disk is reported, not met at exit
        return code
    except ChronicleError as exc:
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        return 1
    except files.FileError as exc:  # a file the command reads or writes, refused or failed: one sentence
        print(f"chronicle: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        _drop_stdout()
        return 0
    except OSError as exc:
        if not _is_stdout_error(exc):
            raise
        _drop_stdout()
        try:
            print(f"chronicle: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        except OSError:
            pass
        return 1


def _is_stdout_error(exc: OSError) -> bool:
    """Is this the kind of error writing the output meets (a full disk, /dev/full, a closed or
    broken descriptor)? Commands that write files catch their own errors and say which file."""
    import errno

    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF, errno.EPIPE)


def _drop_stdout() -> None:
    """Output that cannot be written is dropped, so Python's flush at exit does not fail again."""
    try:
        files.quiet_output(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
