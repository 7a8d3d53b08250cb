"""Arguments and helpers every subcommand shares."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from ..compile import load_story
from ..link import is_compiled
from ..locate import default_story_root
from ..model import Story


def add_story_arg(p: argparse.ArgumentParser, *, nested: bool = False) -> None:
    """--story DIR|FILE.json. `nested`: on a subcommand of a command that takes --story itself
    (`export --story X json` and `export json --story X` both work): left unset there, so
    argparse does not overwrite the command's value with the subcommand's default."""
    p.add_argument(
        "--story",
        metavar="DIR",
        type=Path,
        default=argparse.SUPPRESS if nested else None,
        help="the story folder (holding story/story.yaml), or a compiled story "
        "(`chronicle export json`); default: the built-in story",
    )


def add_max_states_arg(p: argparse.ArgumentParser, why: str = "as `check` does") -> None:
    """--max-states N: the bound on exploration every exploring command shares."""
    from ..check.explore import DEFAULT_MAX_STATES

    p.add_argument(
        "--max-states",
        type=positive_int,
        default=DEFAULT_MAX_STATES,
        metavar="N",
        help=f"stop exploring after N states (default {DEFAULT_MAX_STATES:,}); {why}",
    )


def add_budget_args(p: argparse.ArgumentParser) -> None:
    """--max-memory MIB and --max-seconds S: the other two bounds on exploration."""
    from ..check.explore import DEFAULT_MAX_MEMORY_MIB, DEFAULT_MAX_SECONDS

    p.add_argument(
        "--max-memory",
        type=positive_int,
        default=DEFAULT_MAX_MEMORY_MIB,
        metavar="MIB",
        help="stop exploring a chapter when its exploration holds MIB mebibytes, by the explorer's own count "
        f"of its states and edges, so the same story stops at the same place in any process "
        f"(default {DEFAULT_MAX_MEMORY_MIB:,}; the process itself needs about 100 MiB more)",
    )
    p.add_argument(
        "--max-seconds",
        type=positive_int,
        default=int(DEFAULT_MAX_SECONDS),
        metavar="S",
        help=f"stop exploring after S seconds (default {int(DEFAULT_MAX_SECONDS)}); the report says when "
        "it fired, the one bound whose result can differ from run to run",
    )


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def story_root(args) -> Path:
    return args.story if getattr(args, "story", None) else default_story_root()


def open_story(args) -> Story:
    """Compile the story named by --story (or load it, when it is a compiled .json);
    ChronicleError propagates to cli.main (exit 1)."""
    root = story_root(args)
    if is_compiled(root):
        from ..link import CompiledFormatError, load

        try:
            return load(root)
        except CompiledFormatError as exc:
            raise SystemExit(fail(str(exc))) from None
    return load_story(root)


def parse_sets(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            usage_error(f"--set takes flag=value, not '{item}'")
        out[name.strip()] = value.strip()
    return out


def usage_error(message: str) -> NoReturn:
    print(f"chronicle: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def fail(message: str, code: int = 1) -> int:
    print(f"chronicle: {message}", file=sys.stderr)
    return code
