"""The `chronicle` command: parses arguments, calls the library, prints.

Each subcommand lives in engine/commands/<name>.py with `register(subparsers)`
(which sets `func` to a function taking the parsed args and returning an exit
code). Exit codes: 0 fine, 1 problems found, 2 bad usage.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .diagnostics import ChronicleError

# Subcommand modules, in the order `chronicle --help` lists them.
COMMANDS = ["play", "check", "graph", "new", "why", "stats", "schema", "export"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with a short usage line, as argparse does, but never a traceback
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chronicle", description="Play, check and author branching stories in the terminal.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"commands.{name}"):
                continue  # not built yet
            raise
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
    try:
        return args.func(args)
    except ChronicleError as exc:
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
