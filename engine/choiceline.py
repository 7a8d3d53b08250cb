"""A choice written on one line, and how it becomes the long form with exact positions.

    - Knock. -> porch
    - Knock again. -> porch canon if knocks < 3 do knocks += 1, loud = true
    - Check the map. -> map ->               (call: map, back here)
    - Check the map, then set out. -> map -> road    (call: map, back to road)

Grammar (words are separated by white space; nothing here is case-folded):

    LINE    = TEXT "->" WAY ["canon"] ["if" CONDITION] ["do" EFFECT {"," EFFECT}]
    WAY     = NODE                      goto NODE
            | NODE "->"                 call NODE, come back to the node that offered it
            | NODE "->" NODE            call the first, come back to the second

TEXT ends at the first `->` written as a word of its own, so the words `if`, `do` and
`canon` in the text are prose; after the node they are keywords, in that order. A
CONDITION runs to the word `do` (outside quotes), the EFFECTS to the end, split at commas
outside quotes and brackets. What the line cannot say (a text holding ` -> `, `say:`, `id:`,
`asserts:`, a flag named `do` in the condition) is said by the long form, which stays.

`parse` reads one line (a `ChoiceLineError` has the index of what is wrong); `expand` turns
every one-line choice of a loaded chapter into the mapping the long form would have given,
with the position of each part (the text, the node, the condition, each effect, the word
`canon`) inside the YAML scalar, in whatever style it is written (plain, quoted, folded), so
a diagnostic about the condition of a one-line choice points at that condition's column.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .diagnostics import Diagnostic, Pos, report
from .yamlload import Document

__all__ = ["ChoiceLineError", "Line", "Part", "expand", "parse", "source_offsets"]

NODE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID = 64  # as the schema's `id`
KEYWORDS = ("canon", "if", "do")
FORM = "TEXT -> NODE, then `canon`, `if CONDITION`, `do EFFECTS` in that order"
_ARROW = re.compile(r"(?<!\S)->(?!\S)")
# a word: a run of characters that are not white space, where a quoted string counts as one
# character however many spaces it holds (so `"in a rage"` is one word)
_WORD = re.compile(r"""(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s"'])+""")


@dataclass(frozen=True)
class Part:
    """A piece of the line: what is written, and the index in the line where it starts."""

    src: str
    at: int


@dataclass(frozen=True)
class Line:
    text: Part
    arrow: int  # index of the `->` that ends the text
    goto: Part | None = None  # where play goes (with `call`, where it comes back to)
    call: Part | None = None
    canon: Part | None = None
    cond: Part | None = None
    if_at: int | None = None  # index of the word `if`
    effects: tuple[Part, ...] = ()
    do_at: int | None = None  # index of the word `do`

    def mapping(self) -> dict[str, Any]:
        """The choice as the long form writes it."""
        out: dict[str, Any] = {"text": self.text.src}
        if self.call is not None:
            out["call"] = self.call.src
        if self.goto is not None:
            out["goto"] = self.goto.src
        if self.canon is not None:
            out["canon"] = True
        if self.cond is not None:
            out["if"] = self.cond.src
        if self.effects:
            out["do"] = [e.src for e in self.effects]
        return out

    def places(self) -> Iterator[tuple[tuple, int, int]]:
        """(path under the choice, index of the value, index of the keyword that introduces it)."""
        yield ("text",), self.text.at, self.text.at
        if self.call is not None:
            yield ("call",), self.call.at, self.arrow
        if self.goto is not None:
            yield ("goto",), self.goto.at, self.arrow
        if self.canon is not None:
            yield ("canon",), self.canon.at, self.canon.at
        if self.cond is not None:
            yield ("if",), self.cond.at, self.if_at if self.if_at is not None else self.cond.at
        for m, e in enumerate(self.effects):
            yield ("do", m), e.at, self.do_at if self.do_at is not None else e.at
        if self.effects and self.do_at is not None:
            yield ("do",), self.effects[0].at, self.do_at


class ChoiceLineError(Exception):
    """What is wrong with a one-line choice; `at` is the index in the line it is about."""

    def __init__(self, message: str, at: int, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.at = at
        self.hint = hint


def _words(s: str, start: int) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in _WORD.finditer(s, start)]


def _node(word: tuple[int, str] | None, after: int, what: str) -> Part:
    if word is None or word[1] in KEYWORDS:
        raise ChoiceLineError(
            f"`->` needs the id of the node {what}" + ("" if word is None else f", before `{word[1]}`"),
            after if word is None else word[0],
            f"write {FORM}"
            + ("" if word is None else "; a node whose id is `canon`, `if` or `do` needs the long form (`goto:`)"),
        )
    at, name = word
    if not NODE_ID.fullmatch(name) or len(name) > MAX_ID:
        raise ChoiceLineError(f"'{name}' is not a node id (lower-case letters and digits, words joined by '-')", at)
    return Part(name, at)


def parse(s: str) -> Line:
    """The one-line choice `s`, or ChoiceLineError."""
    m = _ARROW.search(s)
    if m is None:
        near = s.find("->")
        raise ChoiceLineError(
            "a choice written on one line needs ` -> NODE` after its text",
            max(near, 0),
            "put spaces around `->`" if near >= 0 else f"write {FORM}, or the long form with `text:` and `goto:`",
        )
    arrow = m.start()
    head = s[:arrow]
    text = head.strip()
    if not text:
        raise ChoiceLineError(
            "a choice needs text before `->`", arrow, "write what the player picks: `Knock. -> porch`"
        )
    text_part = Part(text, len(head) - len(head.lstrip()))
    words = _words(s, m.end())
    i = 0

    def word() -> tuple[int, str] | None:
        return words[i] if i < len(words) else None

    try:
        first = _node(word(), m.end(), "the choice leads to")
    except ChoiceLineError as exc:
        if _ARROW.search(s, m.end()) and exc.hint is None:
            exc.hint = "the text ends at the first ` -> `: a text that holds ` -> ` needs the long form (`text:`)"
        raise
    i += 1
    goto: Part | None = first
    call: Part | None = None
    w = word()
    if w is not None and w[1] == "->":  # a call: `-> map ->` or `-> map -> road`
        call, goto = first, None
        i += 1
        w = word()
        if w is not None and w[1] not in KEYWORDS:
            goto = _node(w, w[0], "play comes back to")
            i += 1
    canon = None
    w = word()
    if w is not None and w[1] == "canon":
        canon = Part("canon", w[0])
        i += 1
    cond = if_at = None
    w = word()
    if w is not None and w[1] == "if":
        if_at = w[0]
        i += 1
        j = i
        while j < len(words) and words[j][1] != "do":
            j += 1
        if j == i:
            raise ChoiceLineError("`if` needs a condition after it", if_at, "write `if CONDITION`, as in `if not lit`")
        end = words[j][0] if j < len(words) else len(s)
        src = s[words[i][0] : end].rstrip()
        if words[j - 1][1] == "canon":
            raise ChoiceLineError("`canon` goes right after the node, before `if`", words[j - 1][0], f"write {FORM}")
        cond = Part(src, words[i][0])
        i = j
    effects: list[Part] = []
    do_at = None
    w = word()
    if w is not None and w[1] == "do":
        do_at = w[0]
        i = len(words)
        effects = _effects(s, do_at)
        for e in effects:
            for at, x in _words(e.src, 0):
                if x == "if":
                    raise ChoiceLineError("the condition (`if`) comes before `do`", e.at + at, f"write {FORM}")
        last = effects[-1]
        before = last.src.split()[-2:-1]
        if before and last.src.split()[-1] == "canon" and not re.fullmatch(r".*[=<>!+\-*/%(]|not|and|or", before[0]):
            raise ChoiceLineError(
                "`canon` goes right after the node, before `if` and `do`", last.at + len(last.src) - 5, f"write {FORM}"
            )
    w = word()
    if w is not None:
        at, x = w
        if x in KEYWORDS:
            msg = f"`{x}` is out of place"
        elif x == "->":
            msg = "a choice goes one way: there is one `->` (two for a call: `-> map -> road`)"
        else:
            msg = f"'{x}' after the node is not part of a choice line"
        raise ChoiceLineError(msg, at, f"write {FORM}")
    return Line(text_part, arrow, goto, call, canon, cond, if_at, tuple(effects), do_at)


def _effects(s: str, do_at: int) -> list[Part]:
    """The effects after the word `do` (at `do_at`): split at commas outside quotes and brackets."""
    start = do_at + 2
    out: list[Part] = []
    depth, quote, begin = 0, "", start
    cuts = []
    k = start
    while k < len(s):
        ch = s[k]
        if quote:
            if ch == "\\":
                k += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth <= 0:
            cuts.append(k)
        k += 1
    for end in cuts + [len(s)]:
        piece = s[begin:end]
        src = piece.strip()
        if not src:
            raise ChoiceLineError(
                "`do` needs an effect after it" if not cuts else "an effect is missing between commas",
                do_at if not cuts else end if end < len(s) else begin - 1,
                "write `do flag = value`, several separated by commas: `do lit = true, courage += 1`",
            )
        out.append(Part(src, begin + len(piece) - len(piece.lstrip())))
        begin = end + 1
    return out


# ---- positions inside a YAML scalar -------------------------------------------------

_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_HEX = {"x": 2, "u": 4, "U": 8}


def _written(text: str, b: int) -> Iterator[tuple[str, int]]:
    """The characters of the scalar that starts at index `b` of `text`, each with the index it
    is written at (the first of an escape), as YAML reads them, white space aside."""
    style = text[b : b + 1]
    n = len(text)
    if style == '"':
        k = b + 1
        while k < n and text[k] != '"':
            if text[k] == "\\" and k + 1 < n:
                e = text[k + 1]
                if e in _HEX:
                    size = _HEX[e]
                    try:
                        yield chr(int(text[k + 2 : k + 2 + size], 16)), k
                    except ValueError:
                        return
                    k += 2 + size
                    continue
                if e in "\r\n":  # an escaped line break: the line goes on
                    k += 2
                    continue
                if e not in _ESCAPES:
                    return
                yield _ESCAPES[e], k
                k += 2
                continue
            yield text[k], k
            k += 1
    elif style == "'":
        k = b + 1
        while k < n:
            if text[k] == "'":
                if text[k + 1 : k + 2] != "'":
                    return
                yield "'", k
                k += 2
                continue
            yield text[k], k
            k += 1
    elif style in ("|", ">"):
        header_end = text.find("\n", b)
        if header_end < 0:
            return
        for k in range(header_end + 1, n):
            yield text[k], k
    else:
        for k in range(b, n):
            yield text[k], k


def source_offsets(text: str, start: int, value: str) -> list[int] | None:
    """For each index of `value` (a scalar YAML read from `text` at index `start`), the index in
    `text` where its character is written; white space in the value (which YAML folds) takes
    the index of the character after it. None when the two cannot be matched up (an alias, a
    tag in front of the value)."""
    out = [0] * len(value)
    pending: list[int] = []
    src = _written(text, start)
    for i, ch in enumerate(value):
        if ch.isspace():
            pending.append(i)
            continue
        found = next(((got, at) for got, at in src if not got.isspace()), None)
        if found is None or found[0] != ch:
            return None
        k = found[1]
        for p in pending:
            out[p] = k
        pending.clear()
        out[i] = k
    for p in pending:
        out[p] = out[pending[0] - 1] + 1 if pending[0] > 0 else start
    return out


class _Lines:
    """Index in a text <-> 1-based (line, column)."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def index(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col - 1

    def line_col(self, index: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, index) - 1
        return i + 1, index - self.starts[i] + 1


# ---- a chapter's one-line choices, expanded -------------------------------------------


def expand(doc: Document, text: str | None) -> list[Diagnostic]:
    """Every one-line choice of the chapter `doc` (its file's text `text`, for positions)
    replaced by its mapping, with a mark for each part; the problems found (`choice-line`)."""
    nodes = doc.data.get("nodes") if isinstance(doc.data, dict) else None
    if not isinstance(nodes, dict):
        return []
    problems: list[Diagnostic] = []
    lines: _Lines | None = None
    marks, key_marks = doc.marks, doc.key_marks
    assert isinstance(marks, dict) and isinstance(key_marks, dict), "expand runs on a document fresh from YAML"
    for nid, n in nodes.items():
        choices = n.get("choices") if isinstance(n, dict) else None
        if not isinstance(choices, list):
            continue
        for k, c in enumerate(choices):
            if not isinstance(c, str):
                continue
            cpath = ("nodes", nid, "choices", k)
            if lines is None:
                lines = _Lines(text or "")
            where = _locator(doc, cpath, text, lines, c)
            try:
                line = parse(c)
            except ChoiceLineError as exc:
                problems.append(
                    report("choice-line", f"choice {k + 1} of node '{nid}': {exc.message}", where(exc.at), exc.hint)
                )
                continue
            choices[k] = line.mapping()
            for sub, at, key_at in line.places():
                p, q = where(at), where(key_at)
                if p.line is not None and p.col is not None:
                    marks[cpath + sub] = (p.line, p.col)
                if q.line is not None and q.col is not None:
                    key_marks[cpath + sub] = (q.line, q.col)
    return problems


def _locator(doc: Document, cpath: tuple, text: str | None, lines: _Lines, value: str):
    """index in `value` -> Pos in the file (the scalar's start when it cannot be told)."""
    base = doc.pos(cpath)
    offsets = None
    if text is not None and base.line is not None and base.col is not None and base.line <= len(lines.starts):
        start = lines.index(base.line, base.col)
        if doc.marks.get(cpath) is not None and start < len(text):
            offsets = source_offsets(text, start, value)

    def where(at: int) -> Pos:
        if offsets is None or not offsets:
            return base
        line, col = lines.line_col(offsets[min(max(at, 0), len(offsets) - 1)])
        return Pos(doc.file, line, col)

    return where
