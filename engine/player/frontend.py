"""What the game needs from a UI, and the plain-text sinks (line mode, transcripts).

The game (`engine.player.game`) talks to a `Frontend`: `show()` a renderer (a
function from a width to lines, so a page can be drawn again at a new width
after a resize), `ask()` a question, `new_page()` where a scene begins. The
terminal UI (`app.TerminalFrontend`) and plain line mode (`LineFrontend`)
implement it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from ..textsafe import clean
from .render import Line, plain, text_width

# width -> lines. `...`: a renderer is called with the width alone, but the game freezes the values a
# page shows as default arguments (`lambda w, p=p: ...`), which a precise type would refuse.
Renderer = Callable[..., list]
PLAIN_WIDTH = 78
MAX_LINE = 4096  # characters of one typed line that line mode reads; no answer needs more


class OutputGone(Exception):
    """The game's output cannot be written (stdout closed, a full disk): nobody can read
    the game any more, so it ends, with a word on stderr if that still works."""


class Watched:
    """What ask() returns when --watch saw a story file change."""

    def __repr__(self) -> str:
        return "WATCHED"


WATCHED = Watched()


@dataclass
class Ask:
    message: str = "> "
    complete: Callable[[str, bool], list[tuple[str, str]]] | None = (
        None  # (text typed, Tab pressed) -> [(replacement, display)]
    )
    toolbar: Callable[[int], list] | None = None  # columns -> fragments
    default: str = ""
    watch: Callable[[], bool] | None = None  # returns True when the story files changed
    history: bool = True  # keep the answer in the input history (not for yes/no questions)


@dataclass
class Frontend:
    interactive: bool = False
    plain: bool = True
    transcript: Transcript | None = None
    page: list = field(default_factory=list)

    def columns(self) -> int:
        return PLAIN_WIDTH + 2

    def width(self, wide: bool = False) -> int:
        """The measure to render at: the reading column, or (wide) what the terminal offers."""
        return text_width(self.columns())

    def show(
        self, render: Renderer, plain_render: Renderer | None = None, *, wide: bool = False, closable: bool = False
    ) -> None:
        """Show lines; `plain_render`, when given, is the plain-text form (line mode, transcripts).
        `wide`: a table that may use the whole width (the saves). `closable`: a screen to read
        (journal, help), which q or Escape at a "more" pause closes; a scene is never cut short."""
        shown = plain_render if (self.plain and plain_render) else render
        self.page.append((shown, wide))
        self.write(shown(self.width(wide)), closable=closable)
        if self.transcript:
            self.transcript.lines((plain_render or render)(PLAIN_WIDTH))

    def echo(self, text: str) -> None:
        """What the player typed, when it was not a choice (a choice echoes as '→ text')."""

    def leaving(self) -> None:
        """The game is ending: what is left to say is said without pauses."""

    def new_page(self, clear: bool = False) -> None:
        """A new scene begins (and with clear=True, a new screen: a title or a chapter card)."""
        self.page = []

    def write(self, lines: list[Line], closable: bool = False) -> None:
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

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None, transcript: Transcript | None = None):
        super().__init__(interactive=False, plain=True, transcript=transcript)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        try:
            tty = self.stdin.isatty()
        except (AttributeError, ValueError):
            tty = False
        # A person at a terminal in plain mode (--plain, TERM=dumb: a screen reader, a braille
        # display) gets the title screen and its menus; a pipe or a script plays straight on.
        self.interactive = tty
        self.echo_input = not tty

    def write(self, lines: list[Line], closable: bool = False) -> None:
        self._out(plain(lines) + "\n")

    def _out(self, text: str) -> None:
        try:
            self.stdout.write(text)
            self.stdout.flush()
        except BrokenPipeError:
            raise
        except (OSError, AttributeError, ValueError) as exc:  # closed (None), full, or gone
            raise OutputGone(getattr(exc, "strerror", None) or "the output is closed") from None

    def ask(self, q: Ask):
        if q.watch and q.watch():
            return WATCHED
        self._out(q.message)
        try:
            line = self.stdin.readline(MAX_LINE)
            if len(line) == MAX_LINE and not line.endswith("\n"):
                while (rest := self.stdin.readline(MAX_LINE)) and not rest.endswith("\n"):
                    pass  # a line no choice or command could be: read past it, keep the start
        except (OSError, AttributeError, ValueError):  # stdin closed or unreadable: the end of input
            line = ""
        except KeyboardInterrupt:
            self._out("\n")  # the terminal echoed ^C after the prompt: what follows starts its own line
            raise
        if not line:
            self._out("\n")
            raise EOFError
        # What is echoed is what is parsed: `ESC[31m1` and `1<NUL>` are the `1` the reader sees.
        line = clean(line.rstrip("\r\n"))
        if self.echo_input:
            self._out(line + "\n")
        if self.transcript:
            self.transcript.typed(q.message, line)
        return line
