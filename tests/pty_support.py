"""What the terminal tests share: the real `chronicle play` under a pseudo-terminal, read back
through a terminal emulator (`Term`, the `term` fixture, `new_game`), and the stories they play."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pexpect
import pyte
import pytest
from conftest import ROOT, TOUR, chapter, write_story

SLUG = "the-lighthouse-keeper"
WAIT = 8  # seconds: a guard against hangs, not a timing assertion


class _Screen(pyte.Screen):
    """A pyte screen that answers the terminal queries prompt_toolkit sends (cursor position)."""

    child = None

    def write_process_input(self, data):
        if self.child is not None:
            self.child.send(data)


class Term:
    def __init__(
        self, tmp: Path, *args: str, story: Path = TOUR, cols: int = 100, rows: int = 30, env: dict | None = None
    ):
        self.saves = tmp / "saves"
        self.screen = _Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        full_env = {
            **os.environ,
            "TERM": "xterm-256color",
            "XDG_DATA_HOME": str(tmp / "xdg"),
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        full_env.pop("CHRONICLE_STORY", None)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "engine", "play", "--story", str(story), "--save-dir", str(self.saves), *args],
            env=full_env,
            cwd=str(tmp),
            dimensions=(rows, cols),
            timeout=WAIT,
        )
        self.child.delaybeforesend = None  # pexpect sleeps 50 ms before every send by default
        self.child.delayafterclose = self.child.delayafterterminate = 0.02
        self.screen.child = self.child
        self.log = b""

    # ---- reading ------------------------------------------------------------------------------
    def pump(self, timeout: float = 0.05) -> bool:
        try:
            data = self.child.read_nonblocking(65536, timeout)
        except pexpect.TIMEOUT:
            return False
        except pexpect.EOF:
            return False
        self.log += data
        self.stream.feed(data)
        return True

    @property
    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    @property
    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    @property
    def flat(self) -> str:
        """The screen's words with line breaks and runs of spaces made single spaces."""
        return " ".join(self.text.split())

    def wait(self, what, timeout: float = WAIT) -> Term:
        """Until `what` (a string on screen, a regex, or a predicate on self) is true; then
        until the program has finished drawing."""
        test = (
            what
            if callable(what)
            else (lambda t: what.search(t.text))
            if isinstance(what, re.Pattern)
            else (lambda t: what in t.text)
        )
        deadline = time.monotonic() + timeout
        while True:
            if test(self) and self.ready():
                return self.settle()
            if not self.child.isalive() and not self.pump(0):
                if test(self):
                    return self
                raise AssertionError(f"the game ended while waiting for {what!r}; screen:\n{self.text}")
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout}s for {what!r}; screen:\n{self.text}")
            self.pump()

    def settle(self, quiet: float = 0.08) -> Term:
        """Read until the program has been quiet for a moment."""
        while self.pump(quiet):
            pass
        return self

    def ready(self) -> bool:
        """Waiting for input: the cursor is back on a prompt line (or the game has ended)."""
        if not self.child.isalive():
            return True
        line = self.screen.display[self.screen.cursor.y]
        if "\u2014 more:" in line:
            return True
        return ">" in line[: self.screen.cursor.x + 1] and bool(self.screen.display[-1].strip() or "> " in line)

    def prompt_line(self) -> str:
        """The last line on screen that starts with the prompt."""
        return next((line for line in reversed(self.lines) if line.startswith(">")), "")

    # ---- typing -------------------------------------------------------------------------------
    def type(self, text: str) -> Term:
        self.child.send(text)
        return self

    def enter(self, text: str = "") -> Term:
        self.child.send(text + "\r")
        return self

    def resize(self, rows: int, cols: int) -> None:
        self.screen.resize(rows, cols)
        self.child.setwinsize(rows, cols)

    def finish(self) -> int:
        deadline = time.monotonic() + WAIT
        while self.child.isalive() and time.monotonic() < deadline:
            self.pump()
        self.settle(0.05)
        self.child.close()
        assert b"Traceback" not in self.log, self.log.decode(errors="replace")
        return self.child.exitstatus

    # ---- the save folder ----------------------------------------------------------------------
    def save_file(self, name: str) -> Path:
        return self.saves / SLUG / f"{name}.json"

    def saved(self, name: str = "autosave") -> dict:
        return json.loads(self.save_file(name).read_text())

    def saved_real(self, name: str = "autosave") -> dict:
        """A save of the real story, Hammer and Crescent."""
        return json.loads((self.saves / "hammer-and-crescent" / f"{name}.json").read_text())


@pytest.fixture
def term(tmp_path):
    started = []

    def start(*args, **kw) -> Term:
        t = Term(tmp_path, *args, **kw)
        started.append(t)
        return t

    yield start
    for t in started:
        if t.child.isalive():
            t.child.terminate(force=True)


def new_game(term, *args, **kw) -> Term:
    t = term(*args, **kw).wait("New game")
    return t.enter().wait("Trim the wick.")


def tall_story(tmp_path: Path, paragraphs: int = 20) -> Path:
    """A one-chapter story whose first page is `paragraphs` short paragraphs: taller than a screen."""
    text = "\n\n".join(f"Paragraph {i}." for i in range(1, paragraphs + 1))
    return write_story(
        tmp_path / "tall",
        {
            "one": chapter(
                "one",
                {
                    "start": {
                        "date": "1900-01-02",
                        "place": "Here",
                        "text": text,
                        "choices": [{"text": "Go on.", "goto": "end", "canon": True}],
                    },
                    "end": {"text": "Done.", "ending": {"kind": "canon", "title": "The End"}},
                },
            )
        },
    )
