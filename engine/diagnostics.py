"""Diagnostics: every problem the engine finds, with where it is and what to do.

The loader, compiler and checker never stop at the first problem; they collect
`Diagnostic`s and hand them back together (the Yarn Spinner way). The only
exception type the engine raises for bad input is `ChronicleError`, which
carries the diagnostics that made going on impossible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .codes import CODES, ERROR, WARNING
from .textsafe import clean

__all__ = ["ERROR", "WARNING", "ChronicleError", "Diagnostic", "Pos", "report"]


@dataclass(frozen=True)
class Pos:
    """A place in a source file; line and col are 1-based, as editors count."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # ERROR or WARNING
    code: str  # a key of engine.codes.CODES
    message: str
    pos: Pos | None = None
    hint: str | None = None
    replay: str | None = None  # a command that replays the counterexample
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def render(self) -> str:
        where = f"{self.pos}: " if self.pos else ""
        lines = [f"{where}{self.severity}[{self.code}]: {self.message}"]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        if self.replay:
            lines.append(f"  replay: {self.replay}")
        return clean("\n".join(lines))  # messages quote the story: no escape reaches a terminal

    def to_json(self) -> dict:
        out = {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": self.pos.file if self.pos else None,
            "line": self.pos.line if self.pos else None,
            "col": self.pos.col if self.pos else None,
            "hint": self.hint,
            "replay": self.replay,
        }
        out.update(self.extra)
        return out

    def with_pos(self, pos: Pos) -> Diagnostic:
        return replace(self, pos=pos)


def report(code: str, message: str, pos: Pos | None = None, hint: str | None = None, **kw) -> Diagnostic:
    """The one way to make a diagnostic: its severity is the catalogue's (engine/codes.py), so a
    code cannot be raised as an error in one place and a warning in another."""
    return Diagnostic(CODES[code].severity, code, message, pos, hint, **kw)


class ChronicleError(Exception):
    """Bad input that stops the engine: carries one or more diagnostics."""

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


def did_you_mean(name: str, known) -> str | None:
    """'did you mean 'x'?' for the closest known name, or None: the hint for a misspelt id."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else None


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(d: Diagnostic):
    p = d.pos
    return (p.file if p else "", p.line if p else 0, p.col if p else 0, d.code)
