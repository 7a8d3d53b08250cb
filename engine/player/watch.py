"""--watch: notice when a story file is saved, and recompile.

Polls modification times (no new dependency): cheap enough for a story's
handful of files several times a second.
"""

from __future__ import annotations

import time
from pathlib import Path

from .. import files
from ..compile import compile_story
from ..diagnostics import has_errors, sort_key
from ..model import Story

SETTLE = 0.05  # an editor may write a file in pieces: wait until it stops changing


class Watcher:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.seen = self.signature()

    def signature(self) -> frozenset:
        out = set()
        for folder in (self.root / "story", self.root / "chapters"):
            try:
                entries = files.list_folder(folder)
            except OSError:
                continue
            for e in entries:
                if e.name.endswith((".yaml", ".yml")) and not e.name.startswith("."):
                    try:
                        st = e.stat()
                    except OSError:
                        continue
                    out.add((e.name, folder.name, st.st_mtime_ns, st.st_size))
        return frozenset(out)

    def changed(self) -> bool:
        now = self.signature()
        if now == self.seen:
            return False
        for _ in range(20):  # at most a second of settling
            time.sleep(SETTLE)
            again = self.signature()
            if again == now:
                break
            now = again
        self.seen = now
        return True


def recompile(root: Path) -> tuple[Story | None, list[str]]:
    """(the story, []) or (None, rendered errors with file:line:col)."""
    try:
        story, diags = compile_story(root)
    except Exception as exc:  # the compiler should report, not raise; never let it end the game
        return None, [f"{root}: error: the story could not be loaded ({type(exc).__name__}: {exc})"]
    if story is None or has_errors(diags):
        return None, [d.render() for d in sorted((d for d in diags if d.is_error), key=sort_key)]
    return story, []
