"""What the game needs from a UI, and the plain-text sinks (line mode, transcripts).

The game (`engine.player.game`) talks to a `Frontend`: `show()` a renderer (a
function from a width to lines, so a page can be drawn again at a new width
after a resize), `ask()` a question, `new_page()` where a scene begins. The
terminal UI (`app.TerminalFrontend`) and plain line mode (`LineFrontend`)
implement it.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable, TextIO

from ..textsafe import clean
from .render import Line, plain, text_width

Renderer = Callable[[int], list]  # width -> lines
PLAIN_WIDTH = 78


class Watched:
    """What ask() returns when --watch saw a story file change."""

    def __repr__(self) -> str:
        return "WATCHED"


WATCHED = Watched()


@dataclass
class Ask:
    message: str = "> "
    complete: Callable[[str], list] | None = None  # text typed -> [(replacement, display)]
    toolbar: Callable[[int], list] | None = None  # columns -> fragments
    default: str = ""
    watch: Callable[[], bool] | None = None  # returns True when the story files changed
    history: bool = True  # keep the answer in the input history (not for yes/no questions)


@dataclass
class Frontend:
    interactive: bool = False
    plain: bool = True
    transcript: "Transcript | None" = None
    page: list = field(default_factory=list)

    def columns(self) -> int:
        return PLAIN_WIDTH + 2

    def width(self) -> int:
        return text_width(self.columns())

    def show(self, render: Renderer, plain_render: Renderer | None = None) -> None:
        """Show lines; `plain_render`, when given, is the plain-text form (line mode, transcripts)."""
        shown = plain_render if (self.plain and plain_render) else render
        self.page.append(shown)
        self.write(shown(self.width()))
        if self.transcript:
            self.transcript.lines((plain_render or render)(PLAIN_WIDTH))

    def new_page(self, clear: bool = False) -> None:
        """A new scene begins (and with clear=True, a new screen: a title or a chapter card)."""
        self.page = []

    def write(self, lines: list[Line]) -> None:
        raise NotImplementedError

    def ask(self, q: Ask):
        """The line typed (without the newline), or WATCHED; EOFError at the end of input,
        KeyboardInterrupt on Ctrl-C."""
        raise NotImplementedError

    def close(self) -> None:
        if self.transcript:
            self.transcript.close()


class Transcript:
    """--transcript FILE: the session as plain text, written as it happens."""

    def __init__(self, f: TextIO):
        self.f = f

    def lines(self, lines: list[Line]) -> None:
        self.write(plain(lines) + "\n")

    def typed(self, prompt: str, text: str) -> None:
        self.write(f"{prompt}{clean(text)}\n")

    def write(self, text: str) -> None:
        try:
            self.f.write(text)
            self.f.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        try:
            self.f.close()
        except OSError:
            pass


class LineFrontend(Frontend):
    """Plain line mode: stdin is a pipe or a file (or --plain). No terminal control at all."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 transcript: Transcript | None = None):
        super().__init__(interactive=False, plain=True, transcript=transcript)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        try:
            self.echo = not self.stdin.isatty()
        except (AttributeError, ValueError):
            self.echo = True

    def write(self, lines: list[Line]) -> None:
        self.stdout.write(plain(lines) + "\n")
        self.stdout.flush()

    def ask(self, q: Ask):
        if q.watch and q.watch():
            return WATCHED
        self.stdout.write(q.message)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.stdout.write("\n")
            raise EOFError
        line = line.rstrip("\r\n")
        if self.echo:
            self.stdout.write(clean(line) + "\n")
        if self.transcript:
            self.transcript.typed(q.message, clean(line))
        return line
