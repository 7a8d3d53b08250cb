"""Arguments and helpers every subcommand shares."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..compiler import load_story
from ..locate import default_story_root
from ..model import Story


def add_story_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--story", metavar="DIR", type=Path, default=None,
                   help="the story folder (holding story/story.yaml); default: the built-in story")


def story_root(args) -> Path:
    return args.story if getattr(args, "story", None) else default_story_root()


def open_story(args) -> Story:
    """Compile the story named by --story; ChronicleError propagates to cli.main (exit 1)."""
    return load_story(story_root(args))


def parse_sets(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            usage_error(f"--set takes flag=value, not '{item}'")
        out[name.strip()] = value.strip()
    return out


def usage_error(message: str) -> None:
    print(f"chronicle: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def fail(message: str, code: int = 1) -> int:
    print(f"chronicle: {message}", file=sys.stderr)
    return code
