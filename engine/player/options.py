"""The player's options on `chronicle play` (added to its parser by commands/play.py).

Kept free of heavy imports: every `chronicle` command builds the parser.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path


def add_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("the game")
    g.add_argument(
        "--continue",
        dest="resume",
        action="store_true",
        help="carry on from the latest autosave, skipping the title screen",
    )
    g.add_argument("--load", metavar="NAME", help="start from the save called NAME")
    g.add_argument(
        "--save-dir",
        metavar="DIR",
        type=Path,
        help="keep saves in DIR (default: $XDG_DATA_HOME/chronicle/saves, else "
        "~/.local/share/chronicle/saves); each story gets its own folder inside",
    )
    g.add_argument("--transcript", metavar="FILE", type=Path, help="also write the session to FILE as plain text")
    g.add_argument(
        "--plain",
        action="store_true",
        help="plain line-by-line play even in a terminal (as when input comes from a pipe)",
    )
    g.add_argument("--debug", action="store_true", help="add the commands flags and goto NODE")
    g.add_argument(
        "--watch",
        action="store_true",
        help="reload the story whenever a file of it is saved, and show the current scene again",
    )


@dataclass(frozen=True)
class Options:
    resume: bool = False
    load: str | None = None
    save_dir: Path | None = None
    transcript: Path | None = None
    plain: bool = False
    debug: bool = False
    watch: bool = False
    trial: bool = False  # started at a chosen chapter, node or flag values: an author trying a scene
    story: Path | None = None

    @classmethod
    def from_args(cls, args) -> Options:
        g = lambda name, default=None: getattr(args, name, default)  # noqa: E731
        return cls(
            resume=bool(g("resume")),
            load=g("load"),
            save_dir=g("save_dir"),
            transcript=g("transcript"),
            plain=bool(g("plain")),
            debug=bool(g("debug")),
            watch=bool(g("watch")),
            trial=bool(g("chapter") or g("at") or g("set")),
            story=g("story"),
        )
