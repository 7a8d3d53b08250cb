"""Where the story lives when nobody says: the checkout's, else the installed copy."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def default_story_root() -> Path:
    env = os.environ.get("CHRONICLE_STORY")
    if env:
        return Path(env)
    checkout = _PACKAGE.parent
    if (checkout / "story" / "story.yaml").is_file():
        return checkout
    # `pip install .` copies the story into the package (see setup.py).
    return _PACKAGE / "builtin_story"
