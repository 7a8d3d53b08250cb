"""Playing a compiled story: states, available choices, choosing, chapter changes.

`State` is a small immutable value: where you are, the flag values (a tuple in
the chapter's slot layout), which `seen()`-named nodes you have visited (a bit
mask), and the path of choices taken since the start. It hashes, saves and
undoes without touching the story.

A path is a tuple of ints: a choice's index in its node's list of choices, or
CONTINUE (-1) for "go on from this ending into the next chapter".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import calls
from . import luck as lk
from .diagnostics import did_you_mean
from .model import Chapter, Choice, Effect, Fact, Node, Story

CONTINUE = -1


class PlayError(Exception):
    """A move the story does not allow (an unavailable choice, a bad start)."""


class Moves:
    """A path of moves that shares its beginning with the path it grew from.

    Taking a move makes a new Moves that points back at the old one, so the
    states of a long replay hold their paths in memory linear in its length
    (a tuple per state, each a copy of the one before plus a move, is
    quadratic: a 100,000-move save needed gigabytes). It behaves as the tuple
    of its moves: equal to it, hashed like it, indexed, sliced and iterated
    like it."""

    __slots__ = ("_prev", "_last", "_len", "_hash")

    def __init__(self, prev: Moves | None = None, last: int = 0):
        self._prev: Moves | None = prev
        self._last = last
        self._len: int = 0 if prev is None else prev._len + 1
        self._hash: int | None = None

    @classmethod
    def of(cls, moves: Iterable[int]) -> Moves:
        if isinstance(moves, Moves):
            return moves
        out = _NO_MOVES
        for m in moves:
            out = Moves(out, m)
        return out

    def add(self, move: int) -> Moves:
        return Moves(self, move)

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __iter__(self):
        out, node = [], self
        while node._len:
            out.append(node._last)
            node = node._prev  # type: ignore[assignment]  # a Moves of length > 0 has a previous one
        return reversed(out)

    def __getitem__(self, i):
        if i == -1 and type(i) is int and self._len:
            return self._last
        return tuple(self)[i]

    def __add__(self, more) -> Moves:
        out = self
        for m in more:
            out = Moves(out, m)
        return out

    def __eq__(self, other) -> bool:
        if isinstance(other, Moves):
            a, b = self, other
            if a._len != b._len:
                return False
            while a is not b:  # paths grown from one replay share their beginnings: stop there
                if a._last != b._last:
                    return False
                a, b = a._prev, b._prev  # type: ignore[assignment]  # equal lengths > 0: both have one
            return True
        if isinstance(other, tuple):
            return len(other) == self._len and tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self))  # the tuple's hash, so a Moves and its tuple are one dict key
        return self._hash

    def __repr__(self) -> str:
        return repr(tuple(self))


_NO_MOVES = Moves()


@dataclass(frozen=True)
class State:
    chapter: str
    node: str
    values: tuple
    seen: int = 0
    path: Moves = field(default=_NO_MOVES, compare=True)  # equal to the tuple of its moves
    # Paragraphs shown before the node's own text on arrival: the chosen choice's `say:` and the
    # text of the `next:` nodes play went through without a click. Not part of the state's identity.
    lead: tuple = field(default=(), compare=False)
    passed: tuple = field(default=(), compare=False)  # the `next:` nodes play went through to get here
    # The call stack: where each unfinished `call:` returns to, innermost last.
    stack: tuple = ()
    # How many of the lead's paragraphs are the chosen choice's `say:`: they belong to the moment
    # of choosing, so a transcript prints them before a change of place or date.
    said: int = field(default=0, compare=False)
    # For a state made by `start`: the flag values play entered its node with, before that node's
    # count and `do:`. A save records these as where it started (loading enters the node again).
    entry: tuple | None = field(default=None, compare=False)
    # Play came back here from a call that resumes (`calls: resume`): the node was not entered
    # again, so its own text is not shown again (only the lead: what the call showed).
    resumed: bool = field(default=False, compare=False)
    # The seeded generator (engine.luck): the seed at the start, one step on at every move. What
    # a shuffle shows and what `random()` draws follow from it, so undoing, replaying and loading
    # a save (which keeps the first state's luck) give the same words and values.
    luck: int = field(default=0, compare=False)

    def at(self) -> tuple[str, str]:
        return self.chapter, self.node


# ---- starting ----------------------------------------------------------------------


def chapter_values(story: Story, chapter: Chapter, carried: Iterable[Any] | None = None) -> tuple:
    """Flag values at a chapter's start: story-wide ones carried over, local ones at default."""
    story_part = tuple(carried) if carried is not None else story.story_defaults
    return story_part + tuple(f.default for f in chapter.layout[len(story.flags) :])


def start(
    story: Story,
    chapter: str | None = None,
    at: str | None = None,
    flags: Mapping[str, Any] | None = None,
    seed: int = 0,
    draws: list | None = None,
) -> State:
    """The state at a chapter's start (or at any node, for trying a scene). `seed` starts the
    generator (engine.luck); `draws` fixes what the start's `random()` effects draw (see Draws)."""
    if not story.chapters:
        raise PlayError("the story has no chapters")
    ch = story.chapters[0] if chapter is None else _chapter(story, chapter)
    node = ch.start if at is None else at
    if node not in ch.nodes:
        raise PlayError(f"chapter '{ch.id}' has no node '{node}'" + _did_you_mean(node, ch.nodes))
    values = list(chapter_values(story, ch))
    for name, value in (flags or {}).items():
        f = ch.flag(name)
        if f is None:
            raise PlayError(
                f"there is no flag '{name}' in chapter '{ch.id}'" + _did_you_mean(name, [x.name for x in ch.layout])
            )
        if isinstance(value, str) and f.type != "enum":
            try:
                value = f.parse_value(value)
            except ValueError as exc:
                raise PlayError(str(exc)) from None
        if not f.accepts(value):
            raise PlayError(f"{value!r} is not a valid value for {name} ({f.describe()})")
        values[f.slot] = value
    luck = seed & lk.MASK
    first = _arrive(ch, node, tuple(values), 0, _NO_MOVES, [], (), Draws(luck, draws), luck)
    return replace(first, entry=tuple(values))


def _chapter(story: Story, chapter_id: str) -> Chapter:
    try:
        return story.chapter(chapter_id)
    except KeyError:
        raise PlayError(
            f"there is no chapter '{chapter_id}' (chapters: {', '.join(c.id for c in story.chapters)})"
        ) from None


def _did_you_mean(name, known) -> str:
    hint = did_you_mean(name, known)
    return f"; {hint}" if hint else ""


def _seen_bit(ch: Chapter, node: str, seen: int) -> int:
    return seen | ch.seen_bits.get(node, 0)


# ---- moving ------------------------------------------------------------------------------


def node_of(story: Story, state: State) -> Node:
    return story.chapter(state.chapter).nodes[state.node]


def available(story: Story, state: State) -> list[Choice]:
    """The choices the player can take in this state, in the order the author wrote them, each
    with its text as the reader sees it here (inline parts resolved). A greyed-out choice
    (`enabled:` false) is listed (`listed`) but not available; a fallback is neither."""
    node = node_of(story, state)
    v, s = state.values, state.seen
    return [
        c if c.label is None else choice_here(c, v, s, state.luck)  # (most choices have no inline parts: no call)
        for c in node.choices
        if (c.test is None or c.test(v, s)) and not c.fallback
    ]


def listed(story: Story, state: State) -> list[Choice]:
    """The choices shown in this state (numbered 1, 2... in this order): the available ones and
    the greyed-out ones (`open_here` tells them apart); never a fallback."""
    node = node_of(story, state)
    v, s = state.values, state.seen
    return [
        c if c.label is None else choice_here(c, v, s, state.luck)
        for c in node.choices
        if (c.shows is None or c.shows(v, s)) and not c.fallback
    ]


def greyed(story: Story, state: State) -> frozenset:
    """The indices of the choices listed here but greyed out (`enabled:` false)."""
    return frozenset(c.index for c in listed(story, state) if not open_here(c, state))


def open_here(choice: Choice, state: State) -> bool:
    """The choice can be taken in this state (not greyed out)."""
    return choice.test is None or choice.test(state.values, state.seen)


def choice_here(choice: Choice, values: tuple, seen: int, luck: int = 0) -> Choice:
    """The choice with its text resolved for these values: itself when its text has no inline parts."""
    if choice.label is None or choice.label.render is None:
        return choice
    return replace(choice, text=_SPACE.sub(" ", choice.label.render(values, seen, luck)).strip())


def choice_text(story: Story, state: State, choice: Choice) -> str:
    """A choice's text as it read in `state` (the state it was offered in)."""
    return choice_here(choice, state.values, state.seen, state.luck).text


class AtLowest(list):
    """Fixed draws that take every draw at its lowest value: how the canonical path draws (the
    brute force and `play --canon` alike), so it is one path whatever the seed."""


class Draws:
    """What one move draws (`flag = random(lo, hi)`), in order: while `fixed` (a list play's
    moves share, taken from the front) has values, each (flag name or None, value), those; then
    the generator's, from the luck the move is made with."""

    def __init__(self, luck: int, fixed: list | None = None):
        self.luck, self.k = luck, 0
        self.fixed: list = fixed if fixed is not None else []
        self.made: list[tuple[str, int]] = []  # (flag, value) of every draw, in order

    def take(self, eff: Effect, lo: int, hi: int) -> int:
        name = eff.expr.target
        if isinstance(self.fixed, AtLowest):
            value = lo
        elif self.fixed:
            want, value = self.fixed.pop(0)
            if want is not None and want != name:
                raise PlayError(f"the next draw here is {name} (random({lo}, {hi})), not {want}")
            if not lo <= value <= hi:
                raise PlayError(f"{name}={value} cannot be drawn here: random({lo}, {hi})")
        else:
            value = lk.draw(self.luck, self.k, lo, hi)
        self.k += 1
        self.made.append((name, value))
        return value


def unused_draws(fixed: list) -> str | None:
    """What to say when a replay fixed draws play never made (None when it used them all)."""
    if not fixed:
        return None
    extra = ", ".join(f"{n}={v}" if n else str(v) for n, v in fixed)
    return f"the replay fixes draws play never made: {extra}"


def apply_effects(choice: Choice, values: tuple, seen: int, draws: Draws | None = None) -> tuple:
    """Apply a choice's effects (and its count) in order; ints are kept inside their bounds."""
    return _apply(choice.all_effects, values, seen, draws)


def _apply(effects: tuple, values: tuple, seen: int, draws: Draws | None = None) -> tuple:
    if not effects:
        return values
    vals = list(values)
    for eff in effects:
        r = eff.draws_from
        if r is None:
            vals[eff.slot] = eff.bounded(vals, seen)
        else:
            got = (draws or Draws(0)).take(eff, *r)
            vals[eff.slot] = got if eff.min is None or eff.max is None else min(max(got, eff.min), eff.max)
    return tuple(vals)


def choose(story: Story, state: State, choice: Choice | int, draws: list | None = None) -> State:
    """Take a choice (a Choice, or its index in the node's list). `draws` fixes what the move's
    `random()` effects draw (see Draws); the rest come from the state's luck."""
    node = node_of(story, state)
    if isinstance(choice, int):
        if not 0 <= choice < len(node.choices):
            raise PlayError(f"node '{node.id}' has no choice {choice + 1}")
        choice = node.choices[choice]
    if choice.fallback:
        raise PlayError(f"node '{node.id}' has no choice {choice.index + 1} to pick: its fallback is taken by itself")
    if choice.test is not None and not choice.test(state.values, state.seen):
        if choice.greyable and (choice.shows is None or choice.shows(state.values, state.seen)):
            raise PlayError(f"'{choice.text}' is greyed out: it cannot be taken yet (it needs {choice.enabled_src})")
        raise PlayError(f"'{choice.text}' is not available here (it needs {choice.condition_src})")
    ch = story.chapter(state.chapter)
    drawn = Draws(state.luck, draws)
    luck = lk.following(state.luck)
    values, lead, stack = _take(choice, state.values, state.seen, [], state.stack, drawn, luck)
    path = Moves.of(state.path).add(choice.index)
    return _arrive(ch, choice.target, values, state.seen, path, lead, stack, drawn, luck)


def _take(
    choice: Choice, values: tuple, seen: int, lead: list, stack: tuple, draws: Draws | None = None, luck: int = 0
) -> tuple[tuple, list, tuple]:
    """What taking a choice does before its destination is entered: its effects (drawing from
    `draws`), its `say:` (added to `lead`), a call's place to come back to pushed on the stack."""
    values = apply_effects(choice, values, seen, draws)
    if choice.say is not None:
        lead.extend(paragraphs(_render(choice.say, choice.say.text, choice.say.render, values, seen, luck)))
    if choice.returns_to is not None:  # a call: remember where to come back to
        stack = stack + (calls.place_of(choice),)
    return values, lead, stack


def fallback_of(node: Node, values: tuple, seen: int) -> Choice | None:
    """The node's fallback when play takes it here: nothing else can be taken and its `if:` holds."""
    for c in node.choices:
        if c.fallback:
            return c if c.test is None or c.test(values, seen) else None
    return None


def _arrive(
    ch: Chapter,
    nid: str,
    values: tuple,
    seen: int,
    path: Moves,
    lead: list,
    stack: tuple = (),
    draws: Draws | None = None,
    luck: int = 0,
) -> State:
    """Enter a node (its count and `do:` applied, its seen bit set), and go on through `next:`
    nodes (a conditional one by its first branch that holds; a branch or node that calls pushes
    where play carries on), and returning nodes, whose text joins the page: play stops only where
    the player has something to do. A returning node with nothing to return to stops play (`check`
    reports it); coming back to a place that resumes stops at that node without entering it
    again. What `lead` holds on the way in is the chosen choice's `say:` (State.said counts it)."""
    said = len(lead)
    node = ch.nodes[nid]
    values = _apply(node.enter, values, seen, draws)
    seen = _seen_bit(ch, nid, seen)
    passed = []
    resumed = False
    steps = 0
    looped: set = set()  # (fallbacks that lead round to where they were taken, no change between)
    while True:
        fallback = None
        if node.next is not None:
            after = node.next
        elif node.branches:
            way = next(b for b in node.branches if b.test is None or b.test(values, seen))
            after = way.target
            if way.returns_to is not None:
                stack = stack + (calls.place_of(way),)
        elif node.returns and stack:
            after, stack = stack[-1], stack[:-1]
        elif (fallback := fallback_of(node, values, seen)) is not None and (
            here := (node.id, _capped(ch, values), seen, stack)
        ) not in looped:
            looped.add(here)
            after = fallback.target
        else:
            break
        steps += 1
        if steps > _FLOW_STEPS:  # (the compiler and verify refuse rings of such nodes: a damaged story)
            raise PlayError(f"play went on from node '{nid}' without a click {_FLOW_STEPS:,} times")
        lead.extend(_resolve(node.text, values, seen, luck))
        if fallback is not None:  # taken by itself: its effects, its `say:`, a call's way back
            values, lead, stack = _take(fallback, values, seen, lead, stack, draws, luck)
        passed.append(node.id)
        if calls.resumed(after):  # back where a choice called from: its choices again, not its text
            node = ch.nodes[calls.node_at(after)]
            resumed = True
            break
        node = ch.nodes[after]
        values = _apply(node.enter, values, seen, draws)
        seen = _seen_bit(ch, after, seen)
    return State(
        ch.id, node.id, values, seen, path, tuple(lead), tuple(passed), stack, said=said, resumed=resumed, luck=luck
    )


_FLOW_STEPS = 1_000_000


def _capped(ch: Chapter, values: tuple) -> tuple:
    """The values with each visit count held at the bound `check` saturates it at
    (Chapter.counters): two states that differ only past those bounds are one state to `check`,
    so fallbacks leading round between them are a loop (play stops, `check` reports a trap)."""
    if not ch.counters:
        return values
    vals = list(values)
    for f in ch.layout:
        if f.scope == "visits":
            vals[f.slot] = min(vals[f.slot], ch.counters[f.name])
    return tuple(vals)


def chain(ch: Chapter, nid: str) -> list[str]:
    """The nodes play enters when it goes to `nid`: nid and the `next:` nodes after it (a
    returning node or a conditional `next:` ends the chain: where it goes depends on the call
    stack, or the values)."""
    out = [nid]
    while (after := ch.nodes[out[-1]].next) is not None and len(out) <= len(ch.nodes):
        out.append(after)
    return out


def is_ending(story: Story, state: State) -> bool:
    return node_of(story, state).ending is not None


def is_final(story: Story, state: State) -> bool:
    """At an ending of the last chapter: the story is over."""
    return is_ending(story, state) and story.next_chapter(state.chapter) is None


def advance(story: Story, state: State, draws: list | None = None) -> State:
    """From an ending into the next chapter, story-wide flags carried over."""
    if not is_ending(story, state):
        raise PlayError("only an ending leads into the next chapter")
    nxt = story.next_chapter(state.chapter)
    if nxt is None:
        raise PlayError("this is the last chapter's ending; the story is over")
    carried = state.values[: len(story.flags)]
    drawn = Draws(state.luck, draws)
    path = Moves.of(state.path).add(CONTINUE)
    luck = lk.following(state.luck)
    return _arrive(nxt, nxt.start, chapter_values(story, nxt, carried), 0, path, [], (), drawn, luck)


def step(story: Story, state: State, move: int, draws: list | None = None) -> State:
    """One path element: a choice index, or CONTINUE."""
    if move == CONTINUE:
        return advance(story, state, draws)
    return choose(story, state, move, draws)


def replay(story: Story, first: State, path: Iterable[int], draws: list | None = None) -> list[State]:
    """All states from `first` along `path`; PlayError names the step that fails. `draws`: the
    values fixed for the draws on the way (see Draws)."""
    states = [first]
    for i, move in enumerate(path, 1):
        try:
            states.append(step(story, states[-1], move, draws))
        except PlayError as exc:
            raise PlayError(f"step {i}: {exc}") from None
    return states


def replay_numbers(story: Story, first: State, numbers: Iterable[int], draws: list | None = None) -> list[State]:
    """Replay choices given as the numbers a player sees (1 = first available), with `draws`
    fixing the draws on the way (see Draws).

    At an ending, the next number continues into the next chapter first.
    """
    states = [first]
    for i, number in enumerate(numbers, 1):
        state = states[-1]
        if is_ending(story, state) and not is_final(story, state):
            state = advance(story, state, draws)
            states.append(state)
        offered = listed(story, state)
        if not 1 <= number <= len(offered):
            where = f"{state.chapter}:{state.node}"
            raise PlayError(f"step {i}: at {where} there are {len(offered)} choices available, not {number}")
        try:
            states.append(choose(story, state, offered[number - 1], draws))
        except PlayError as exc:
            raise PlayError(f"step {i}: {exc}") from None
    return states


def number_of(story: Story, state: State, choice: Choice) -> int:
    """The number (1-based) a player sees for `choice` in `state`."""
    return [c.index for c in listed(story, state)].index(choice.index) + 1


# ---- reading -------------------------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"\s+")


def paragraphs(text: str) -> list[str]:
    """Split prose into paragraphs at blank lines; join the lines inside each."""
    return [p for p in (_SPACE.sub(" ", chunk).strip() for chunk in _BLANK_LINE.split(text)) if p]


def node_text(story: Story, state: State) -> list[str]:
    """What arriving here shows, as paragraphs: the lead (a choice's `say:`, the `next:` nodes
    passed through), then the node's prose with conditional and inline parts resolved."""
    if state.resumed:  # back from a call that resumes here: its text was shown when play came in
        return list(state.lead)
    return list(state.lead) + _resolve(node_of(story, state).text, state.values, state.seen, state.luck)


def text_of(node: Node, values: tuple, seen: int, luck: int = 0) -> list[str]:
    """A node's own prose for these values, as paragraphs (conditional and inline parts resolved)."""
    return _resolve(node.text, values, seen, luck)


def epilogue_text(story: Story, state: State) -> list[str]:
    """The epilogue as paragraphs, its conditional parts resolved with the story-wide flags of
    `state` (the last chapter's ending). [] when the story has no epilogue."""
    return _resolve(story.epilogue_parts, state.values[: len(story.flags)], 0, state.luck)


def _render(part, text: str, render, values: tuple, seen: int, luck: int = 0) -> str:
    return render(values, seen, luck) if render is not None else text


def _resolve(parts, values: tuple, seen: int, luck: int = 0) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part.test is None or part.test(values, seen):
            out.extend(paragraphs(_render(part, part.text, part.render, values, seen, luck)))
        elif part.else_text:
            out.extend(paragraphs(_render(part, part.else_text, part.else_render, values, seen, luck)))
    return out


def flag_values(story: Story, state: State) -> dict[str, Any]:
    ch = story.chapter(state.chapter)
    return {f.name: state.values[f.slot] for f in ch.declared}


def seen_nodes(story: Story, state: State) -> list[str]:
    ch = story.chapter(state.chapter)
    return [n for n, bit in ch.seen_bits.items() if state.seen & bit]


def records(story: Story, states: Iterable[State]) -> list[tuple[Fact, State]]:
    """The documented events recorded along a run of states, each with where it happened."""
    out = []
    for s in states:
        if s.resumed:  # back from a call that resumes there: the node did not happen again
            continue
        for fid in node_of(story, s).records:
            out.append((story.facts[fid], s))
    return out


def told_broken(fact: Fact) -> str:
    """A fact a branch broke, as a reader is told it: what happened in its place (`instead`),
    or plainly that it did not happen - never its statement alone, which reads as if it had."""
    return fact.instead or f"In your history, this did not happen: {fact.statement}"


def history_changed(story: Story, states: Iterable[State]) -> list[tuple[Fact, State]]:
    """The facts the endings reached along a run of states broke (their `diverges`), in the
    order they were broken, each once, with the ending state that broke it."""
    out, seen = [], set()
    for s in states:
        ending = node_of(story, s).ending
        if ending is None:
            continue
        for fid in ending.diverges:
            if fid not in seen:
                seen.add(fid)
                out.append((story.facts[fid], s))
    return out


def scene(story: Story, states: list[State]) -> tuple[str | None, str | None]:
    """(date, place) to show for the last state: the nearest known, walking back."""
    date = place = None
    for s in reversed(states):
        node = node_of(story, s)
        date = date or (node.shown_date.human() if node.shown_date else None)
        place = place or node.shown_place
        if date and place:
            break
        if s.node == story.chapter(s.chapter).start and s.path and s.path[-1] == CONTINUE:
            break  # do not carry a scene over from the previous chapter
    return date, place
