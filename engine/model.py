"""The compiled story: frozen, names resolved, expressions parsed and compiled.

One `Story` serves the player, the checker and the exporters. Every piece keeps
the plain expression tree (`engine.expr`) beside its compiled closure, so the
story stays plain data that could be written out for another runtime.

Flag values live in a tuple laid out by slot: the story-wide flags first (the
same slots in every chapter), then the chapter's own. `seen` is a bit mask over
the nodes some `seen("...")` names (only those can matter).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

from .dates import DateSpan
from .diagnostics import Pos
from .expr import Effect as EffectExpr
from .expr import Expr, FlagType, Lit, Random

ENDING_KINDS = ("canon", "personal", "divergent")
# Kinds an ending may take in a story without history (no history.yaml, or no facts).
PLAIN_ENDING_KINDS = ("good", "bad", "neutral")
DEFAULT_MAX_CALL_DEPTH = 8  # story.yaml's `max_call_depth` when it says none
# The index of an implicit move: a `next:` node's (or a branch's), a returning node's (the explorer
# steps through it; play never stops there).
AUTO = -2
# A place on the call stack that comes back to a node's choices without entering it again (a call
# made from a choice without `goto`, in a story with `calls: resume`) is the node id and this mark.
RESUME = "^"


@dataclass(frozen=True)
class Flag:
    name: str
    type: str  # bool | int | enum
    default: Any
    doc: str
    scope: str  # "story" | "chapter"
    slot: int
    min: int | None = None
    max: int | None = None
    values: tuple = ()
    pos: Pos | None = None
    show: Show | None = None  # shown to the reader (the dossier); None: never shown

    @property
    def flag_type(self) -> FlagType:
        return FlagType(self.type, self.values)

    def accepts(self, value: Any) -> bool:
        if self.type == "bool":
            return isinstance(value, bool)
        if self.type == "int":
            return (
                isinstance(value, int)
                and not isinstance(value, bool)
                and (self.min is None or value >= self.min)
                and (self.max is None or value <= self.max)
            )
        return isinstance(value, str) and value in self.values

    def parse_value(self, text: str) -> Any:
        """A value typed on a command line (`--set nerve=3`); ValueError if it does not fit."""
        t = text.strip()
        if self.type == "bool":
            if t.lower() in ("true", "1", "yes"):
                return True
            if t.lower() in ("false", "0", "no"):
                return False
            raise ValueError(f"{self.name} is true or false, not '{text}'")
        if self.type == "int":
            try:
                v = int(t)
            except ValueError:
                raise ValueError(f"{self.name} is a whole number, not '{text}'") from None
            if not self.accepts(v):
                raise ValueError(f"{self.name} must lie between {self.min} and {self.max}, not {v}")
            return v
        if t not in self.values:
            raise ValueError(f"{self.name} is one of {', '.join(self.values)}, not '{text}'")
        return t

    def shown(self, value: Any) -> str:
        """The value as the reader sees it: the author's word for it, else a plain one."""
        key = "true" if value is True else "false" if value is False else str(value)
        if self.show is not None and key in self.show.words:
            return self.show.words[key]
        if self.type == "bool":
            return "yes" if value else "no"
        return key.replace("_", " ")

    def describe(self) -> str:
        if self.type == "int":
            lo = "" if self.min is None else str(self.min)
            hi = "" if self.max is None else str(self.max)
            return f"int {lo}..{hi}" if (lo or hi) else "int"
        if self.type == "enum":
            return "enum " + "|".join(self.values)
        return "bool"


@dataclass(frozen=True)
class Show:
    """`show:` on a flag: how the reader's dossier presents it."""

    label: str
    as_: str  # "bar" (int flags with min and max) | "word"
    words: Mapping[str, str] = field(default_factory=dict)  # value as text ("true", "calm", "3") -> word


@dataclass(frozen=True)
class Source:
    paragraph: int
    quote: str


@dataclass(frozen=True)
class Fact:
    """A documented fact (history.yaml `facts`, with a source quote), or a story fact
    (`story_facts`: continuity the fiction itself establishes; `source` is None)."""

    id: str
    date: DateSpan
    statement: str
    source: Source | None
    holds: Expr | None = None
    holds_src: str | None = None
    holds_fn: Callable | None = field(default=None, compare=False, repr=False)
    note: str | None = None
    readings: tuple = ()
    pos: Pos | None = None
    instead: str | None = None  # what happens in its place where it is broken
    story: bool = False  # a story fact, shown apart from documented history
    # Phrases (engine.mentions patterns) that claim the fact happened / did not happen: `check`
    # holds every shown text they match to the history of its path, marked or not.
    mentions: tuple = ()
    mentions_not: tuple = ()

    def holds_in(self, values: tuple) -> bool:
        """True where the fact is so (a fact with no `holds` can never be broken)."""
        return self.holds_fn is None or bool(self.holds_fn(values, 0))


def clamp(x: Any, lo: int | None, hi: int | None) -> Any:
    """An int flag's bounds: a value below `lo` becomes `lo`, above `hi` becomes `hi` (None: no
    bound). The one statement of that rule: play, exploration, random play and the checks all
    keep bounds through `Effect.clamped`, which calls this."""
    if lo is not None and x < lo:
        return lo
    if hi is not None and x > hi:
        return hi
    return x


@dataclass(frozen=True)
class Effect:
    """`flag = value`, `flag += value` or `flag -= value`. `fn(values, seen)` is the compiled
    value, unbounded; `min`/`max` are the int flag's bounds (set for every int effect by the
    compiler), kept by `clamped`/`bounded`."""

    expr: EffectExpr
    src: str
    slot: int
    fn: Callable = field(compare=False, repr=False)
    min: int | None = None
    max: int | None = None
    pos: Pos | None = None

    def clamped(self, overflow: Callable[[tuple[Effect, Any]], object] | None = None) -> Callable:
        """The value function with the flag's bounds kept: `step(values, seen)` gives the value to
        store. `overflow`, when given, is called with (this effect, the value before clamping)
        each time a value leaves the bounds, so the checker can report it where play only clamps.
        An effect without bounds gets `fn` itself: nothing is added to its call."""
        fn, lo, hi = self.fn, self.min, self.max
        if lo is None and hi is None:
            return fn
        low = lo if lo is not None else -math.inf
        high = hi if hi is not None else math.inf

        def step(vals, seen):
            x = fn(vals, seen)
            if low <= x <= high:
                return x
            if overflow is not None:
                overflow((self, x))
            return clamp(x, lo, hi)

        return step

    @cached_property
    def draws_from(self) -> tuple[int, int] | None:
        """(lo, hi) for `flag = random(lo, hi)`, a value drawn at play (engine.runtime.Draws), not
        computed; None for every other effect."""
        v = self.expr.value
        return (v.lo, v.hi) if isinstance(v, Random) else None

    def fixed(self, value: int) -> Effect:
        """This draw as the effect `flag = value`: how the checkers follow each value it can draw."""
        return replace(self, expr=EffectExpr(self.expr.target, "=", Lit(value)), fn=lambda vals, seen: value)

    @cached_property
    def bounded(self) -> Callable:
        """`clamped()`, built once per effect: what play applies. (A cached property writes the
        instance's own dictionary, which a frozen dataclass allows; it is no field, so it is
        neither compared nor exported.)"""
        return self.clamped()


@dataclass(frozen=True)
class Choice:
    """A choice. `key` names it in saves: its `id:` when the author gave one, else its
    destination (`@target`; a call that comes back elsewhere, `@called>back`), with `#2`, `#3`...
    for the second and later siblings that go the same way. A key survives inserting other
    choices, reordering siblings and rewording the text."""

    index: int  # position in the node's list of choices
    text: str
    target: str
    condition: Expr | None = None
    condition_src: str | None = None
    test: Callable | None = field(default=None, compare=False, repr=False)
    effects: tuple = ()
    canon: bool = False
    pos: Pos | None = None
    asserts: tuple = ()  # fact ids the choice's text states as true
    denies: tuple = ()  # fact ids it states as broken on this branch
    # The author's name for it, a slug unique in its node: saves use it as the key, and
    # `visits("node.id")` counts how often it was taken.
    id: str | None = None
    key: str = ""  # its name in saves (see the class note)
    say: TextPart | None = None  # printed after the choice is taken, before the destination's text
    count: Effect | None = None  # `visits("node.id") += 1`, when something reads that count
    allow: tuple = ()  # warning codes silenced here (and `mention`: its words claim nothing)
    # A subroutine call (`call: NODE`): `target` is the called node, and this is where play comes
    # back to when the call returns (the choice's `goto`, else the node that offered it).
    returns_to: str | None = None
    # With `returns_to`: coming back resumes at the node that offered the call, without entering it
    # again (its text is not shown again, its count and `do:` not applied): `calls: resume`.
    resumes: bool = False
    # The choice's text as a TextPart when it holds inline parts ({cond: a | b}, {x}); None when
    # `text` is shown as written. runtime.available() gives choices with their text resolved.
    label: TextPart | None = None
    text_pos: Pos | None = None  # where `text` is written (mentions found in it are reported there)
    # `enabled:`: shown (when `if:` holds) but greyed out, and refused, while this is false.
    enabled: Expr | None = None
    enabled_src: str | None = None
    # `fallback: true`: never shown; play takes it by itself when no other choice can be taken
    # (and its own `if:` holds). A node has at most one.
    fallback: bool = False
    # Filled by `link` from the trees above (see `guards`): `guard`, when the choice can be taken
    # (its `if:` and `enabled:`; a fallback's also needs every sibling's guard false), and `test`
    # is its closure; `shows` is the closure of `if:` alone, when the choice is listed.
    guard: Expr | None = field(default=None, compare=False, repr=False)
    shows: Callable | None = field(default=None, compare=False, repr=False)

    @property
    def needs(self) -> str | None:
        """What taking it needs, as written (None: nothing): its `if:` and its `enabled:`."""
        parts = [
            f"({x})" if self.condition_src and self.enabled_src else x
            for x in (self.condition_src, self.enabled_src)
            if x
        ]
        if self.fallback:
            parts.append("no other choice can be taken")
        return " and ".join(parts) or None

    @property
    def greyable(self) -> bool:
        """It can be listed without being takeable: play shows it greyed out."""
        return self.enabled is not None

    @property
    def all_effects(self) -> tuple:
        """What taking the choice does to the values: its effects, then its count."""
        return self.effects + (self.count,) if self.count is not None else self.effects


@dataclass(frozen=True)
class TextPart:
    text: str
    condition: Expr | None = None
    condition_src: str | None = None
    test: Callable | None = field(default=None, compare=False, repr=False)
    else_text: str | None = None
    pos: Pos | None = None
    # Inline parts ({cond: a | b}, {expr}, {&a|b}): the parsed segments (engine.inline) and their
    # compiled closures (values, seen) -> str; None for plain text, which is shown as written.
    inline: tuple | None = None
    render: Callable | None = field(default=None, compare=False, repr=False)
    else_inline: tuple | None = None
    else_render: Callable | None = field(default=None, compare=False, repr=False)
    # Facts `text` states as true / as broken on this branch, and the same for `else_text`
    # (written `else: {text, asserts, denies}`); `check` proves them against every state shown.
    asserts: tuple = ()
    denies: tuple = ()
    else_asserts: tuple = ()
    else_denies: tuple = ()
    else_pos: Pos | None = None
    # Where `text` and `else_text` themselves are written (a match of a mention is located from there).
    text_pos: Pos | None = None
    else_text_pos: Pos | None = None
    allow: tuple = ()  # `mention`: these words claim no fact on purpose (a hypothetical, a rumour)


@dataclass(frozen=True)
class Ending:
    kind: str | None  # canon | personal | divergent; or, in a story without history, None | good | bad | neutral
    title: str
    diverges: tuple = ()
    pos: Pos | None = None
    hint: str | None = None  # shown in the list of endings while this one is not found
    title_pos: Pos | None = None


@dataclass(frozen=True)
class Node:
    id: str
    chapter: str
    text: tuple[TextPart, ...]
    choices: tuple[Choice, ...] = ()
    ending: Ending | None = None
    date: DateSpan | None = None
    place: str | None = None
    records: tuple = ()
    refs: tuple = ()
    pos: Pos | None = None
    # The date and place shown for this node: its own, or the one every way in agrees on.
    shown_date: DateSpan | None = None
    shown_place: str | None = None
    enter: tuple = ()  # Effects applied on entering: the visit count (when read), then `do:`
    next: str | None = None  # play continues into this node without a click
    allow: tuple = ()  # warning codes silenced here
    # `return: true`: after its text, play goes back to where the innermost call returns to,
    # without a click. `return_to` is every place a call that can reach this node returns to
    # (worked out by the compiler, for the analyses that look at the graph without a stack).
    returns: bool = False
    return_to: tuple = ()
    # A conditional `next:` (or a `call:` from flow): play moves on without a click by the first
    # branch whose condition holds (the last has none). Each is a Choice with index AUTO and no
    # text: `target` the node it goes to; for a call, the called node, and `returns_to` where play
    # carries on when the call returns. `next` is None then.
    branches: tuple = ()

    @property
    def is_ending(self) -> bool:
        return self.ending is not None

    @property
    def flows(self) -> bool:
        """Play moves on from here by itself (a `next:`, branches or a return): it never stops here."""
        return self.next is not None or bool(self.branches) or self.returns


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    period: tuple[DateSpan, DateSpan] | None  # None in a story without documented history
    covers: tuple[str, ...]
    flags: tuple[Flag, ...]  # this chapter's own declarations
    layout: tuple[Flag, ...]  # every flag by slot: story-wide first, then this chapter's
    start: str
    nodes: Mapping[str, Node]
    seen_bits: Mapping[str, int]  # node id -> bit, for nodes some seen() names
    file: str
    pos: Pos | None = None
    # Visit counts kept in play: name -> the bound `check` saturates the count at (one more than the
    # largest number it is compared with; 0 when only text reads it). Their Flags (scope "visits",
    # named visits("node") or visits("node.choice-id")) close the layout.
    counters: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def declared(self) -> tuple:
        """The flags an author declared (story-wide and this chapter's), without visit counts."""
        return tuple(f for f in self.layout if f.scope != "visits")

    @property
    def period_span(self) -> DateSpan:
        assert self.period is not None, "asked only of a chapter with documented history"
        a, b = self.period
        return DateSpan(a.first, b.last, f"{a.text}/{b.text}")

    def flag(self, name: str) -> Flag | None:
        for f in self.layout:
            if f.name == name:
                return f
        return None

    @property
    def slots(self) -> Mapping[str, int]:
        return {f.name: f.slot for f in self.layout}


@dataclass(frozen=True)
class Story:
    title: str
    root: str  # the story folder
    chapters: tuple[Chapter, ...]  # in play order
    flags: tuple[Flag, ...]  # story-wide declarations (slots 0..n-1)
    facts: Mapping[str, Fact]
    content_hash: str
    byline: str | None = None
    intro: str | None = None
    epilogue: str | None = None  # the epilogue as written, when it is one fixed string
    # The epilogue as text parts (a plain string is one unconditional part); conditions read
    # the story-wide flags as the last chapter's ending left them. Use runtime.epilogue_text.
    epilogue_parts: tuple = ()
    warnings: tuple = ()  # non-fatal diagnostics found while compiling
    style: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({})
    )  # budgets: max_corridor, max_flavour_share
    style_pos: Pos | None = None
    max_call_depth: int = (
        DEFAULT_MAX_CALL_DEPTH  # the deepest call stack play may build; `check` proves it is never passed
    )
    intro_pos: Pos | None = None
    # The story's files as read (display path -> text), to point at a mention's very word; not
    # part of what the story means, so never exported (like `root`).
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    def chapter(self, chapter_id: str) -> Chapter:
        for c in self.chapters:
            if c.id == chapter_id:
                return c
        raise KeyError(chapter_id)

    def has_chapter(self, chapter_id: str) -> bool:
        return any(c.id == chapter_id for c in self.chapters)

    def next_chapter(self, chapter_id: str) -> Chapter | None:
        ids = [c.id for c in self.chapters]
        i = ids.index(chapter_id)
        return self.chapters[i + 1] if i + 1 < len(ids) else None

    @property
    def story_defaults(self) -> tuple:
        return tuple(f.default for f in self.flags)


def guards(choices: tuple) -> list[Expr | None]:
    """Per choice of a node, the condition under which play can take it (None: always): its
    `if:` and its `enabled:`; a fallback's also needs every other choice's to be false (it is
    taken only when nothing else can be). `link` compiles these into `Choice.test`; the checkers
    read `Choice.guard`. runtime.js's `guards` is the same function."""
    from .expr import BoolOp, Lit, Not

    def both(a: Expr | None, b: Expr | None) -> Expr | None:
        if a is None or b is None:
            return b if a is None else a
        return BoolOp("and", (a, b))

    own = [both(c.condition, c.enabled) if not c.fallback else None for c in choices]
    out: list[Expr | None] = []
    for c, g in zip(choices, own):
        if not c.fallback:
            out.append(g)
            continue
        others = [x for x, o in zip(own, choices) if not o.fallback]
        conds = [x for x in others if x is not None]
        if len(conds) < len(others):
            none: Expr = Lit(False)  # a sibling can always be taken: the fallback never can
        elif not conds:
            none = Lit(True)
        else:
            none = Not(conds[0] if len(conds) == 1 else BoolOp("or", tuple(conds)))
        out.append(none if c.condition is None else BoolOp("and", (c.condition, none)))
    return out


def successors(node: Node) -> list[str]:
    """The nodes play can go to from `node`: its choices' targets (a call's is the called node),
    its `next:` (every branch's target), or, for a returning node, every place a call reaching it
    returns to."""
    if node.next is not None:
        return [node.next]
    if node.branches:
        return list(dict.fromkeys(b.target for b in node.branches))
    if node.returns:
        return list(node.return_to)
    return [c.target for c in node.choices]


def frozen_map(d: dict) -> Mapping:
    return MappingProxyType(dict(d))
