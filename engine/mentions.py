"""Mention patterns: the words that claim a fact (`mentions:` and `mentions_not:` in history.yaml).

A pattern is a phrase, matched case-insensitively on word boundaries, with any run of spaces
or a single line break between its words:

    went to Syria                 the three words, in that order
    went to Syria | fought in Syria
                                  either phrase (alternatives at the top)
    (went | travelled) to Syria   a group of alternatives inside a phrase
    the? volunteers               an optional word (or an optional group: `(did not)?`)
    the * launchers               `*` is any one word

A word is letters and digits, with `'`, `’` and `-` inside it (`al-Saffar`, `Baghdad's`); an
apostrophe matches either kind of apostrophe. Nothing else is allowed: a pattern is never a
regular expression from the file, it is turned into one here, every word escaped.

`locate` finds the line and column of a matched word in the file the text was written in,
from where the text's scalar starts: YAML keeps words as written in every style of scalar
(it folds only the spaces between them), so the word is the same-numbered occurrence of
itself in the file, counting from the scalar's start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .diagnostics import Pos

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
# How a word of text ends and begins: letters, digits and `_` on either side join the word.
_BEFORE = r"(?<!\w)"
_AFTER = r"(?!\w)"
_SEP = r"[^\S\n]*\n?[^\S\n]*"  # between two words: spaces, at most one line break
_ANY_WORD = r"[^\W_]+(?:['’-][^\W_]+)*"


class PatternError(Exception):
    """A mistake in a pattern; `at` is the index of the offending character."""

    def __init__(self, message: str, at: int, hint: str | None = None):
        super().__init__(message)
        self.message, self.at, self.hint = message, at, hint


@dataclass(frozen=True)
class Pattern:
    src: str
    regex: re.Pattern
    # Lower-case ASCII strings at least one of which every match holds (see `may_match`); None
    # when a match can do without any (a `*`, a word not in ASCII).
    anchors: frozenset | None = None


# What `may_match` compares: the text lower-cased, after the four letters that IGNORECASE matches
# to an ASCII letter but whose lower case is not that letter (tests/test_mentions.py checks that
# these are all, over every character).
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def fold(text: str) -> str:
    """The text as `may_match` reads it."""
    return text.translate(_FOLD).lower()


def may_match(anchors: frozenset | None, folded: str) -> bool:
    """False only when a pattern with these anchors cannot match the text `folded` came from
    (`fold(text)`): a cheap test that lets the regular expression be skipped."""
    return anchors is None or any(a in folded for a in anchors)


def _word_anchor(word: str) -> frozenset | None:
    """The longest run of the word between apostrophes (which match either kind), if in ASCII."""
    run = max(re.split("['’]", word), key=len).lower()
    return frozenset({run}) if run and run.isascii() else None


def union_anchors(groups) -> frozenset | None:
    """The anchors of a choice between alternatives: each one's (None if any has none)."""
    out: set = set()
    for a in groups:
        if a is None:
            return None
        out |= a
    return frozenset(out)


def _word_regex(word: str) -> str:
    return "".join("['’]" if c in "'’" else re.escape(c) for c in word)


def _tokens(src: str) -> list[tuple[str, str, int]]:
    """(kind, text, at): kind is word, star, open, close, bar, opt."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
        elif c in "()|?*":
            kind = {"(": "open", ")": "close", "|": "bar", "?": "opt", "*": "star"}[c]
            out.append((kind, c, i))
            i += 1
        else:
            m = _WORD.match(src, i)
            if m is None or m.end() == i:
                raise PatternError(
                    f"`{c}` is not part of a word, and a pattern is words, `|`, `( )`, `?` and `*` only",
                    i,
                    "write the words as they appear in the text; a pattern is never a regular expression",
                )
            out.append(("word", m.group(), i))
            i = m.end()
            if i < n and not (src[i].isspace() or src[i] in "()|?*"):
                raise PatternError(
                    f"`{src[i]}` is not part of a word, and a pattern is words, `|`, `( )`, `?` and `*` only",
                    i,
                    "write the words as they appear in the text; a pattern is never a regular expression",
                )
    return out


def parse(src: str) -> Pattern:
    """A pattern compiled to a regular expression; PatternError on a mistake."""
    toks = _tokens(src)
    if not toks:
        raise PatternError("the pattern is empty", 0, "write the words that claim the fact")
    pos = 0

    def alternatives(inside: bool) -> tuple[str, frozenset | None]:
        nonlocal pos
        alts = [sequence(inside)]
        while pos < len(toks) and toks[pos][0] == "bar":
            pos += 1
            alts.append(sequence(inside))
        anchors = union_anchors(a for _rx, a in alts)
        return (alts[0][0] if len(alts) == 1 else "(?:" + "|".join(rx for rx, _a in alts) + ")"), anchors

    def sequence(inside: bool) -> tuple[str, frozenset | None]:
        nonlocal pos
        items: list[tuple[str, bool]] = []  # (regex, optional)
        needed: list[frozenset | None] = []  # the anchors of each word or group that is not optional
        start = toks[pos][2] if pos < len(toks) else len(src)
        while pos < len(toks) and toks[pos][0] not in ("bar", "close"):
            kind, text, at = toks[pos]
            pos += 1
            if kind == "word":
                rx, anchors = _BEFORE + _word_regex(text) + _AFTER, _word_anchor(text)
            elif kind == "star":
                rx, anchors = _BEFORE + _ANY_WORD + _AFTER, None
            elif kind == "open":
                if inside:
                    raise PatternError("groups do not nest: this `(` is inside another", at)
                rx, anchors = alternatives(True)
                if pos >= len(toks) or toks[pos][0] != "close":
                    raise PatternError("this `(` is never closed with `)`", at)
                pos += 1
            else:  # a `?` with nothing before it
                raise PatternError("a `?` makes the word or group before it optional, and nothing is before it", at)
            optional = pos < len(toks) and toks[pos][0] == "opt"
            if optional:
                pos += 1
            items.append((rx, optional))
            if not optional:
                needed.append(anchors)
        if pos < len(toks) and toks[pos][0] == "close" and not inside:
            raise PatternError("this `)` closes no `(`", toks[pos][2])
        if not items:
            raise PatternError("an alternative is empty", start, "write words on both sides of `|`")
        if all(opt for _rx, opt in items):
            raise PatternError("every word here is optional, so it would match nothing at all", start)
        first = next(k for k, (_rx, opt) in enumerate(items) if not opt)
        out = "".join(f"(?:{rx}{_SEP})?" for rx, _opt in items[:first]) + items[first][0]
        for rx, opt in items[first + 1 :]:
            out += f"(?:{_SEP}{rx})?" if opt else _SEP + rx
        # every match holds each word that is not optional: the one with the longest anchor will do
        known = [a for a in needed if a is not None]
        return out, (max(known, key=lambda a: min(len(x) for x in a)) if known else None)

    body, anchors = alternatives(False)
    if pos < len(toks):
        raise PatternError("this `)` closes no `(`", toks[pos][2])
    return Pattern(src, re.compile(body, re.IGNORECASE), anchors)


@lru_cache(maxsize=4096)
def compiled(src: str) -> Pattern | None:
    """`parse`, cached; None for a pattern with a mistake (the compiler reports those)."""
    try:
        return parse(src)
    except PatternError:
        return None


def first_word(text: str) -> str:
    m = _WORD.search(text)
    return m.group() if m else text


def _word_at(word: str) -> re.Pattern:
    return re.compile(_BEFORE + _word_regex(word) + _AFTER, re.IGNORECASE)


def locate(source: str | None, base: Pos | None, value: str, offset: int) -> Pos | None:
    """The line and column, in `source` (the whole file), of the word that starts at `offset` of
    `value`, a text written as a YAML scalar that starts at `base`. `base` when it cannot be found."""
    if source is None or base is None or not base.line:
        return base
    word = first_word(value[offset:])
    rx = _word_at(word)
    k = sum(1 for _ in rx.finditer(value, 0, offset))
    lines = source.split("\n")
    if base.line > len(lines):
        return base
    start = sum(len(row) + 1 for row in lines[: base.line - 1]) + max((base.col or 1) - 1, 0)
    for m in rx.finditer(source, start):
        if k == 0:
            line = source.count("\n", 0, m.start()) + 1
            col = m.start() - (source.rfind("\n", 0, m.start()) + 1) + 1
            return Pos(base.file, line, col)
        k -= 1
    return base
