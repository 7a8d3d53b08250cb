r"""Inline text: the `{...}` parts inside any story text.

    {EXPR: shown when true | shown when false}    the `| ...` part is optional
    {EXPR}                                        the value: 3, calm, true
    {a|b|c}                                       stopping: a, then b, then c, and c from then on
    {&a|b|c}                                      cycles, one step per visit of the node
    {!a|b|c}                                      once through, then nothing (ink's once-only)
    {~a|b|c}                                      shuffle: one option at random each time it is shown
    {{  }}  \|                                    literal braces, a literal bar

A part whose first `|` comes before any `:` is a stopping sequence (ink's `{a|b|c}`).

Inline parts nest once (a part inside a branch or an option, no deeper). Spaces
are kept as written, as in ink (`hall{again: again}` needs the space inside);
the paragraph joining in the runtime folds runs of spaces into one.

The parsed form is plain data (`Value`, `Branch`, `Seq` holding expression trees
and strings), so a compiled story stays writable for another runtime; `compile`
turns it into one closure `(values, seen) -> str` at load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import expr as ex
from .luck import pick

MAX_NESTING = 2  # a part, and one part inside it


class InlineError(Exception):
    """A problem in one inline part; `at` is the index of its `{` in the text."""

    def __init__(self, message: str, at: int, hint: str | None = None, code: str = "inline-syntax"):
        super().__init__(message)
        self.message, self.at, self.hint, self.code = message, at, hint, code


@dataclass(frozen=True)
class Value:
    src: str
    expr: Any  # expr tree
    at: int  # index of the `{` in the whole text


@dataclass(frozen=True)
class Branch:
    src: str
    cond: Any  # expr tree
    then: tuple  # segments
    other: tuple  # segments (empty when there is no `|`)
    at: int


SEQ_KINDS = ("", "&", "!", "~")  # stopping (written with no mark), cycle, once, shuffle


@dataclass(frozen=True)
class Seq:
    kind: str  # "" stopping | "&" cycle | "!" once | "~" shuffle
    options: tuple  # of segment tuples
    at: int
    count: Any = None  # the expression of the visit count it follows: visits("its node")


class Lit(str):
    """A run of literal text that remembers where it was written: `at`, the index of its first
    character in the text as written, and `esc`, the indices (in the run) of the characters
    written as two (`{{`, `}}`, a backslash and a bar). `raw(i)` is where character i of the run was written, so a word
    found in rendered text can be traced back to its line and column. A Lit equals the plain
    string; a story loaded from compiled JSON has plain strings, which know no position."""

    at: int
    esc: tuple

    def __new__(cls, text: str, at: int, esc: tuple = ()):
        self = super().__new__(cls, text)
        self.at, self.esc = at, esc
        return self

    def raw(self, i: int) -> int:
        return self.at + i + sum(1 for e in self.esc if e < i)


def has_inline(text: str) -> bool:
    return "{" in text or "}" in text


def parse(text: str, node: str | None = None) -> tuple:
    """The text as a tuple of segments (str, Value, Branch, Seq); InlineError on a mistake.
    Sequences follow the visit count of `node` (the node the text belongs to)."""
    count = ex.Visits(ex.visits_name(node)) if node is not None else ex.Lit(1)
    segs, i, stop = _text(text, 0, 0, "", count)
    assert stop is None
    return segs


def _text(s: str, i: int, depth: int, stops: str, count) -> tuple[tuple, int, str | None]:
    """Literal text and parts up to one of `stops` (returned, with the index after it) or the end."""
    out: list = []
    buf: list[str] = []
    esc: list[int] = []  # indices in buf of braces written doubled
    start = i
    n = len(s)
    while i < n:
        c = s[i]
        if not buf:
            start = i
        if c == "{" and s.startswith("{{", i):
            esc.append(len(buf))
            buf.append("{")
            i += 2
        elif c == "}" and s.startswith("}}", i) and "}" not in stops:
            esc.append(len(buf))
            buf.append("}")
            i += 2
        elif c == "\\" and s.startswith("\\|", i):
            esc.append(len(buf))
            buf.append("|")
            i += 2
        elif c in stops:
            if buf:
                out.append(Lit("".join(buf), start, tuple(esc)))
            return tuple(out), i + 1, c
        elif c == "{":
            if buf:
                out.append(Lit("".join(buf), start, tuple(esc)))
                buf, esc = [], []
            part, i = _part(s, i, depth + 1, count)
            out.append(part)
        elif c == "}":
            raise InlineError("a `}` closes no `{`", i, "write `}}` for a literal brace")
        else:
            buf.append(c)
            i += 1
    if buf:
        out.append(Lit("".join(buf), start, tuple(esc)))
    return tuple(out), i, None


def _part(s: str, at: int, depth: int, count):
    if depth > MAX_NESTING:
        raise InlineError(
            "inline parts nest only once: this `{` is inside a part inside a part",
            at,
            "move the innermost choice of words into its own part or its own paragraph",
        )
    i = at + 1
    if i < len(s) and (s[i] in "&!~" or _stopping(s, i)):
        kind = s[i] if s[i] in "&!~" else ""
        options = []
        i += len(kind)
        while True:
            segs, i, stop = _text(s, i, depth, "|}", count)
            if stop is None:
                raise InlineError(f"this `{{{kind}` sequence is never closed with `}}`", at)
            options.append(segs)
            if stop == "}":
                break
        return Seq(kind, tuple(options), at, None if kind == "~" else count), i
    # The expression runs to the first `:` or `}` outside quotes.
    j, quote = i, None
    while j < len(s):
        c = s[j]
        if quote:
            if c == "\\":
                j += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in ":}":
            break
        elif c in "|{\n":
            what = {"|": "a `|` before any `:`", "{": "a `{` inside the expression", "\n": "a line break"}[c]
            raise InlineError(
                f"this inline part has {what}; write {{CONDITION: text | other text}} or {{EXPRESSION}}",
                at,
                "for a literal brace write `{{`",
            )
        j += 1
    else:
        raise InlineError("this `{` is never closed with `}`", at, "for a literal brace write `{{`")
    src = s[i:j].strip()
    if not src:
        raise InlineError(
            "this inline part has no expression", at, "write {CONDITION: text | other text} or {{ for a brace"
        )
    try:
        tree = ex.parse_condition(src)
    except ex.ExprError as exc:
        raise InlineError(f"in `{{{src}...`: {exc.message}", at, exc.hint, exc.code) from None
    if s[j] == "}":
        return Value(src, tree, at), j + 1
    then, k, stop = _text(s, j + 1, depth, "|}", count)
    other: tuple = ()
    if stop == "|":
        other, k, stop = _text(s, k, depth, "|}", count)
        if stop == "|":
            raise InlineError(
                "a conditional part has two `|`: it shows one text when true and one when false",
                at,
                "for several variants use a sequence {&a|b|c}, or nest one condition inside another",
            )
    if stop is None:
        raise InlineError("this `{` is never closed with `}`", at, "for a literal brace write `{{`")
    return Branch(src, tree, then, other, at), k


def _stopping(s: str, i: int) -> bool:
    """Whether the part whose body starts at `i` is a stopping sequence: its first `|` comes
    before any `:`, `}` or `{` (quotes are not looked at: text has apostrophes)."""
    while i < len(s):
        c = s[i]
        if c == "\\" and s.startswith("\\|", i):
            i += 2
            continue
        if c in ":}{":
            return False
        if c == "|":
            return True
        i += 1
    return False


def is_stopping(body: str) -> bool:
    """Whether a part's body (the text inside its braces) is a stopping sequence `{a|b}`."""
    return _stopping(body, 0)


def walk(segs: tuple):
    """Every inline part in the segments, nested ones too."""
    for x in segs:
        if isinstance(x, str):
            continue
        yield x
        if isinstance(x, Branch):
            yield from walk(x.then)
            yield from walk(x.other)
        elif isinstance(x, Seq):
            for o in x.options:
                yield from walk(o)


_PUNCT = ",.;:!?)"


def stray_spaces(segs: tuple) -> list[tuple[Any, str, str]]:
    """Where a space written inside a part lands before a punctuation mark in what the reader
    sees (`five{late: , and Kamil}` shows "five , and Kamil"): (part, the branch or option as
    written, the text the reader sees around the mark). Spaces inside parts are kept as written
    (`hall{again: again}` needs its space), so only a space before punctuation is suspect."""
    out = []
    for i, part in enumerate(segs):
        if not isinstance(part, (Branch, Seq)):
            continue
        after = segs[i + 1] if i + 1 < len(segs) and isinstance(segs[i + 1], str) else ""
        options = (part.then, part.other) if isinstance(part, Branch) else part.options
        for option in options:
            first = option[0] if option and isinstance(option[0], str) else ""
            last = option[-1] if option and isinstance(option[-1], str) else ""
            lead = first[: len(first) - len(first.lstrip())]
            if lead and first[len(lead) : len(lead) + 1] in tuple(_PUNCT):
                out.append((part, first, first.lstrip()[:20]))
            elif last and last != last.rstrip() and after[:1] in tuple(_PUNCT) and after[:1]:
                out.append((part, last, (last.rstrip()[-12:] + " " + after[:8]).strip()))
    return out


def uses_sequences(segs: tuple) -> bool:
    """Whether a sequence that follows the node's visits is in the text (a shuffle follows none)."""
    return any(isinstance(p, Seq) and p.kind != "~" for p in walk(segs))


def show_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def compile(segs: tuple, closure: Callable) -> Callable[..., str]:
    """One closure `(values, seen, luck=0) -> str` for the segments; `closure(tree)` compiles an
    expression. `luck` (engine.luck) decides what a shuffle shows; a text without one ignores it."""
    parts = [_compile_one(x, closure) for x in segs]
    if len(parts) == 1:
        return parts[0]
    return lambda vals, seen, luck=0: "".join(p(vals, seen, luck) for p in parts)


def _compile_one(x, closure):
    if isinstance(x, str):
        return lambda vals, seen, luck=0, x=x: x
    if isinstance(x, Value):
        f = closure(x.expr)
        return lambda vals, seen, luck=0: show_value(f(vals, seen))
    if isinstance(x, Branch):
        test = closure(x.cond)
        then = compile(x.then, closure)
        other = compile(x.other, closure)
        return lambda vals, seen, luck=0: then(vals, seen, luck) if test(vals, seen) else other(vals, seen, luck)
    options = [compile(o, closure) for o in x.options]
    n = len(options)
    if x.kind == "~":
        salt = x.at
        return lambda vals, seen, luck=0: options[pick(luck, salt, n)](vals, seen, luck)
    count = closure(x.count)
    if x.kind == "&":
        return lambda vals, seen, luck=0: options[(max(count(vals, seen), 1) - 1) % n](vals, seen, luck)
    if x.kind == "":
        return lambda vals, seen, luck=0: options[min(max(count(vals, seen), 1), n) - 1](vals, seen, luck)

    def once(vals, seen, luck=0):
        k = count(vals, seen)
        return options[k - 1](vals, seen, luck) if 1 <= k <= n else ""

    return once


def compile_tree(segs: tuple, slots, seen_bits) -> Callable[..., str]:
    """compile() with expressions closed over slots and seen bits (how a loaded export rebuilds it)."""
    return compile(segs, lambda tree: ex.compile_expr(tree, slots, seen_bits))


def text_exprs(part) -> list:
    """The expression trees the inline parts of a TextPart (its text and else) read."""
    out = []
    for segs in (part.inline, part.else_inline):
        for p in walk(segs or ()):
            if isinstance(p, Branch):
                out.append(p.cond)
            elif isinstance(p, Value):
                out.append(p.expr)
    return out
