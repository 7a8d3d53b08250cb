"""Where a story's files are: its folder when nobody says (the checkout's, else the installed
copy), the paths of its manifest, history and chapters inside it, and a path as shown."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

STORY_FILE = Path("story") / "story.yaml"
HISTORY_FILE = Path("story") / "history.yaml"
CHAPTER_DIR = Path("chapters")


def default_story_root() -> Path:
    env = os.environ.get("CHRONICLE_STORY")
    if env:
        return Path(env)
    checkout = _PACKAGE.parent
    if (checkout / STORY_FILE).is_file():
        return checkout
    # `pip install .` copies the story into the package (see setup.py).
    return _PACKAGE / "builtin_story"


def chapter_file(root: Path, chapter_id: str) -> Path:
    """Where the chapter `chapter_id` of the story in `root` is written."""
    return root / CHAPTER_DIR / f"{chapter_id}.yaml"


def display_path(path: Path) -> str:
    """A path as a person would want to read it: relative to here when inside."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)
