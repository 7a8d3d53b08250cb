"""Exploration of the real state space of each chapter.

Breadth-first from every state a chapter can start in (the story-wide flag
values any ending of the previous chapter hands on), applying conditions and
effects exactly as play does. Breadth-first order means the first time a state
is met, its parent chain is a shortest path to it: every finding carries that
path as a replay command.

A state (node index, flag values, seen bits, recorded-fact bits) is held as one
int, its flag values as the id of a tuple shared by every state with those
values (StateKeys), and its edges are written into flat arrays as they are
found. Exploration stops at the first of three bounds: states, the memory this
exploration holds by its own count (held_bytes: the same story stops at the
same state in any process) and time (the one bound that can differ from run to
run, and the report says when it fired). Two things keep the space small without losing
exactness:
  * live flags: a flag that no condition or effect can read again from a node
    on (and that is not story-wide, which endings hand on) is reset to its
    default on arrival there, so states that differ only in dead flags merge;
  * only facts some node `refs` are tracked as recorded-bits, and only nodes
    some `seen()` names are tracked as seen-bits.
"""

from __future__ import annotations

import sys
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from .. import calls
from .. import inline as il
from ..expr import names_in
from ..gcpause import paused_gc
from ..model import AUTO, Chapter, Choice, Effect, Story
from .continuity import reads as continuity_reads

DEFAULT_MAX_STATES = 2_000_000
# Besides the state bound, exploration of a chapter stops when it holds this much memory (by
# the explorer's own count, held_bytes), or after this long: states of a chapter with many flags
# are large, and a wide chapter can spend minutes on a bound of states. Both keep a default
# `check` under 1 GiB and about a minute on a small machine; --max-memory and --max-seconds
# change them.
DEFAULT_MAX_MEMORY_MIB = 768
DEFAULT_MAX_SECONDS = 60.0
_CHECK_EVERY_STATES = 4096  # new states between looks at memory and the clock
_CHECK_EVERY_EXPANDED = 1024  # expanded states between looks

BOUND_WORDS = {"states": "state bound", "memory": "memory bound", "time": "time bound"}
BOUND_OPTIONS = {"states": "--max-states", "memory": "--max-memory", "time": "--max-seconds"}


def bound_option(bound: str | None) -> str:
    """The option that raises `bound` ("states", "memory", "time"; None: the state bound)."""
    return BOUND_OPTIONS.get(bound or "states", "--max-states")


@dataclass
class Transition:
    choice: Choice
    test: Callable | None
    effects: tuple  # (slot, fn, effect): fn gives the value to store, bounds kept (see _step)
    target: int
    # A move that draws (`flag = random(lo, hi)`) is one transition per combination of the values
    # it can draw, in order: `draws` says which, (flag, value) per draw; `copy` is its place among
    # them (0 for the first, which alone counts when choices are numbered); `fixed` maps id() of
    # each drawing effect to the effect with that value (model.Effect.fixed).
    draws: tuple = ()
    copy: int = 0
    fixed: dict = field(default_factory=dict)

    def effect(self, e: Effect) -> Effect:
        """The effect as this transition applies it: a draw as its fixed value."""
        return self.fixed.get(id(e), e)


MAX_DRAW_COMBINATIONS = 4096  # values one move's draws can take together; check follows each


def draw_combinations(effects: Sequence[Effect]) -> list[tuple[tuple, dict]]:
    """Every combination of values the draws among `effects` can take, in order: (draws, fixed),
    draws as (flag, value) per draw, fixed as id(effect) -> its fixed Effect. [((), {})] when
    nothing is drawn."""
    out: list[tuple[tuple, dict]] = [((), {})]
    for e in effects:
        r = e.draws_from
        if r is None:
            continue
        out = [(d + ((e.expr.target, v),), {**f, id(e): e.fixed(v)}) for d, f in out for v in range(r[0], r[1] + 1)]
        if len(out) > MAX_DRAW_COMBINATIONS:
            raise ValueError(f"one move draws more than {MAX_DRAW_COMBINATIONS:,} combinations of values")
    return out


@dataclass
class ChapterGraph:
    """A chapter prepared for fast exploration: nodes by index, live flags per node."""

    chapter: Chapter
    ids: list[str]
    index: dict[str, int]
    transitions: list[list[Transition]]
    is_ending: list[bool]
    dead: list[tuple]  # per node: slots reset to default on arrival
    defaults: tuple
    seen_bit: list[int]
    record_bits: list[int]  # per node: bits of tracked facts it records
    tracked_facts: dict[str, int]  # fact id -> bit
    # (effect, value before clamping) for each value a transition's effects took past an int
    # flag's bounds: the effects' functions append here, the explorer reports and empties it.
    overflowed: list = field(default_factory=list)


def _step(e, caps, overflow=None) -> tuple:
    """One effect for the hot loop: (slot, fn, effect), fn keeping the int bounds as play does
    (`Effect.clamped`) and telling `overflow` when it has to. A visit count saturates at its
    cap, one more than the largest number it is compared with: the counts below the cap and
    "cap or more" decide every comparison exactly as the true count does, and the states stay finite."""
    cap = caps.get(e.slot)
    if cap is None:
        return (e.slot, e.clamped(overflow), e)
    slot = e.slot
    return (slot, lambda vals, seen: vals[slot] + 1 if vals[slot] < cap else cap, e)


def _told(e: Effect, overflowed: list) -> Callable:
    """What an effect's overflow is told as: the effect as written (a draw's fixed copies are
    one effect, reported once)."""
    if e.draws_from is None:
        return overflowed.append
    return lambda pair: overflowed.append((e, pair[1]))


def counter_caps(ch: Chapter) -> dict[int, int]:
    """Slot -> saturation bound of each visit count."""
    return {f.slot: ch.counters[f.name] for f in ch.layout if f.name in ch.counters}


def enter_start(ch: Chapter, values: tuple, seen: int = 0) -> list[tuple[tuple, tuple]]:
    """The values on entering the chapter's start node: its count and `do:`, as in play (ints
    clamped), one (values, draws) for each combination of values its draws can take."""
    node = ch.nodes[ch.start]
    if not node.enter:
        return [(values, ())]
    caps = counter_caps(ch)
    out = []
    for draws, fixed in draw_combinations(node.enter):
        vals = list(values)
        for e in node.enter:
            slot, fn, _e = _step(fixed.get(id(e), e), caps)
            vals[slot] = fn(vals, seen)
        out.append((tuple(vals), draws))
    return out


def prepare(
    story: Story,
    ch: Chapter,
    tracked_facts: Iterable[str] = (),
    *,
    text_reads: bool = False,
    story_live: int | None = None,
) -> ChapterGraph:
    """`text_reads`: conditional text counts as a read, so flags only text reads keep their real
    values (the choice analysis needs them; check does not). `story_live`: the story-wide slots
    live at an ending (default all: endings hand them on)."""
    ids = list(ch.nodes)
    index = {n: i for i, n in enumerate(ids)}
    slots = {f.name: f.slot for f in ch.layout}

    def mask(names) -> int:
        m = 0
        for n in names:
            m |= 1 << slots[n]
        return m

    transitions = []
    reads_at: list[int] = []  # per node: flags its conditions read (bit masks over slots)
    flow: list[list[tuple[int, int, int]]] = []  # per node: (target, kill, gen) per choice
    caps = counter_caps(ch)
    overflowed: list = []
    ss = calls.stack_slot(ch)
    backs = calls.ways_back(ch)
    for nid in ids:
        node = ch.nodes[nid]
        ts, reads, moves = [], 0, []
        if text_reads:
            for part in node.text:
                if part.condition is not None:
                    reads |= mask(names_in(part.condition))
                for tree in il.text_exprs(part):
                    reads |= mask(names_in(tree))
        # A `next:` node moves on by itself: one implicit, unconditional move (play never stops
        # there, so paths skip it). A returning node moves by itself too, back to the top of the
        # stack: one implicit move per place it can return to, each taken when that place is on
        # top. Moving applies the choice's effects and count (and a call's push), then the
        # destination's entry (its count, its `do:`).
        for c in calls.ways_on(node, backs.get(nid)):
            for said in (c.say, c.label) if text_reads else ():
                for tree in il.text_exprs(said) if said is not None else ():
                    reads |= mask(names_in(tree))
            # (a way back that resumes at the node that made the call does not enter it again)
            entered = () if c.resumes and node.returns else ch.nodes[c.target].enter
            all_effects = c.all_effects + entered
            for copy, (draws, fixed) in enumerate(draw_combinations(all_effects)):
                own = tuple(_step(fixed.get(id(e), e), caps, _told(e, overflowed)) for e in c.all_effects)
                entry = tuple(_step(fixed.get(id(e), e), caps, _told(e, overflowed)) for e in entered)
                test = c.test
                stack: tuple = ()
                if ss is not None and c.returns_to is not None:  # a call pushes between the two
                    stack = ((ss, calls.push(ss, calls.place_of(c), story.max_call_depth), None),)
                elif ss is not None and node.returns:  # the way back pops first, when its place is on top
                    test, own = calls.top_is(ss, c.key), ((ss, calls.pop(ss), None),) + own
                ts.append(Transition(c, test, own + stack + entry, index[c.target], draws, copy, fixed))
            if c.guard is not None:
                reads |= mask(names_in(c.guard))
            # live before the effects = (live at the target - kill) | gen, walking the effects backwards:
            # `x = e` kills x, `x += e` reads x, and every effect reads what its value reads
            kill = gen = 0
            for eff in reversed(all_effects):
                bit = 1 << eff.slot
                if eff.expr.op == "=":
                    kill |= bit
                    gen &= ~bit
                else:
                    gen |= bit
                gen |= mask(names_in(eff.expr.value))
            moves.append((index[c.target], kill, gen))
        # words that assert or deny facts are checked in every state here: keep what they read alive
        reads |= mask(continuity_reads(story, node) & slots.keys())
        transitions.append(ts)
        reads_at.append(reads)
        flow.append(moves)
    n_story = len(story.flags)
    story_mask = (1 << n_story) - 1 if story_live is None else story_live
    # Backward dataflow to a fixpoint, with a worklist over predecessors.
    base = [reads_at[i] | (story_mask if ch.nodes[nid].is_ending else 0) for i, nid in enumerate(ids)]
    live = list(base)
    preds: list[list[int]] = [[] for _ in ids]
    for i, moves in enumerate(flow):
        for target, _k, _g in moves:
            preds[target].append(i)
    work = list(range(len(ids) - 1, -1, -1))
    queued = [True] * len(ids)
    while work:
        i = work.pop()
        queued[i] = False
        new = base[i]
        for target, kill, gen in flow[i]:
            new |= (live[target] & ~kill) | gen
        if new != live[i]:
            live[i] = new
            for p in preds[i]:
                if not queued[p]:
                    queued[p] = True
                    work.append(p)
    every = range(len(ch.layout))
    dead = [tuple(s for s in every if not live[i] >> s & 1) for i in range(len(ids))]
    tracked = {fid: 1 << k for k, fid in enumerate(dict.fromkeys(tracked_facts))}
    record_bits = []
    for nid in ids:
        bits = 0
        for fid in ch.nodes[nid].records:
            bits |= tracked.get(fid, 0)
        record_bits.append(bits)
    defaults = tuple(f.default for f in ch.layout) + (((),) if ss is not None else ())
    return ChapterGraph(
        ch,
        ids,
        index,
        transitions,
        [ch.nodes[n].is_ending for n in ids],
        dead,
        defaults,
        [ch.seen_bits.get(n, 0) for n in ids],
        record_bits,
        tracked,
        overflowed,
    )


@dataclass
class Overflow:
    state: int  # the state the choice was taken from
    number: int | None  # the choice's number as offered there (None: a `next:` node's own move)
    effect: Effect
    value: int
    draws: tuple = ()  # what the move draws (the copy of it that overflows), (flag, value) each


class StateKeys(Sequence):
    """The explored states as (node index, flag values, seen bits, recorded bits), by state id.

    Each state is held as one int, (((values id << R | recorded) << S | seen) << N) | node, where
    the values id names one tuple of flag values in a table shared by every state holding them:
    a tuple per distinct valuation, not per state. This view unpacks a state when it is read."""

    __slots__ = ("packed", "table", "node_bits", "seen_bits", "rec_bits", "_by_node")

    def __init__(self, packed: list, table: list, node_bits: int, seen_bits: int, rec_bits: int):
        self.packed, self.table = packed, table
        self.node_bits, self.seen_bits, self.rec_bits = node_bits, seen_bits, rec_bits
        self._by_node: tuple | None = None  # (states counted, {node index: state ids})

    def __len__(self) -> int:
        return len(self.packed)

    def _unpack(self, key: int) -> tuple:
        nb, sb, rb = self.node_bits, self.seen_bits, self.rec_bits
        return (
            key & ((1 << nb) - 1),
            self.table[key >> (nb + sb + rb)],
            (key >> nb) & ((1 << sb) - 1),
            (key >> (nb + sb)) & ((1 << rb) - 1),
        )

    @overload
    def __getitem__(self, sid: int) -> tuple: ...
    @overload
    def __getitem__(self, sid: slice) -> list: ...
    def __getitem__(self, sid):
        if isinstance(sid, slice):
            return [self._unpack(k) for k in self.packed[sid]]
        return self._unpack(self.packed[sid])

    def __iter__(self) -> Iterator[tuple]:
        unpack = self._unpack
        for k in self.packed:
            yield unpack(k)

    def node(self, sid: int) -> int:
        return self.packed[sid] & ((1 << self.node_bits) - 1)

    def by_node(self) -> dict[int, array]:
        """Node index -> the ids of the states at it, in id (breadth-first) order; worked out
        once, from the node bits alone (see states.scan_node)."""
        if self._by_node is None or self._by_node[0] != len(self.packed):
            mask = (1 << self.node_bits) - 1
            out: dict[int, array] = {}
            for sid, key in enumerate(self.packed):
                ni = key & mask
                ids = out.get(ni)
                if ids is None:
                    ids = out[ni] = array("q")
                ids.append(sid)
            self._by_node = (len(self.packed), out)
        return self._by_node[1]

    def values(self, sid: int) -> tuple:
        return self.table[self.packed[sid] >> (self.node_bits + self.seen_bits + self.rec_bits)]


@dataclass
class Exploration:
    """Every reachable state of one chapter, with parent links for shortest paths."""

    graph: ChapterGraph
    starts: list[tuple]  # the full flag tuple of each start state, by start index
    # state id -> (node, values, seen, recorded), unpacked from one int per state
    keys: StateKeys = field(default_factory=lambda: StateKeys([], [], 1, 0, 0))
    parent: array = field(default_factory=lambda: array("q"))  # state id -> parent id, or -1 - start index
    via_choice: array = field(default_factory=lambda: array("i"))  # state id -> index of that choice in the node
    via_draws: dict = field(default_factory=dict)  # state id -> what the move to it drew, (flag, value) each
    succ_start: array = field(default_factory=lambda: array("q"))  # CSR of successor edges, written as found
    succ: array = field(default_factory=lambda: array("q"))
    complete: bool = True
    stopped_by: str | None = None  # "states" | "memory" | "time": the bound that stopped it
    first_at_node: dict = field(default_factory=dict)  # node index -> first (shortest) state id
    offered: dict = field(default_factory=dict)  # (node index, choice index) -> first state id where offered
    softlocks: dict = field(default_factory=dict)  # node index -> first state id with nothing offered
    overflows: dict = field(default_factory=dict)  # id(effect) -> Overflow (first)
    endings: dict = field(default_factory=dict)  # node index -> number of ending states
    ending_states: list = field(default_factory=list)
    edges: set = field(default_factory=set)  # (node index, node index) actually taken
    seconds: float = 0.0
    held_bytes: int = 0  # what the memory bound counted at the end (see held_bytes())
    exact: bool = True  # set by check: False when the starts were not every state play can bring here
    # set by check: the bound that left this chapter unproven (its own, or an earlier chapter's that
    # cut short the starts handed on here), or None
    cut_by: str | None = None

    @property
    def chapter(self) -> Chapter:
        return self.graph.chapter

    def handed_on(self, n_story: int) -> list[tuple]:
        """The story-wide flag values (the first `n_story` slots) the explored endings hand on:
        the states the next chapter starts in. Chaining chapters, in `check` and in the
        authoring tools alike, is exploring the next chapter from these."""
        return sorted({self.keys[s][1][:n_story] for s in self.ending_states}, key=repr)

    def path(self, sid: int) -> tuple[int, list[int], list[int]]:
        """(start index, choice numbers, choice indices) of the shortest path to state sid."""
        numbers, indices = [], []
        while self.parent[sid] >= 0:
            # play goes through `next:` nodes, returns and fallbacks by itself: no number for them
            number = self.number_of(self.parent[sid], self.via_choice[sid])
            if number is not None:
                indices.append(self.via_choice[sid])
                numbers.append(number)
            sid = self.parent[sid]
        return -1 - self.parent[sid], numbers[::-1], indices[::-1]

    def replay_items(self, sid: int) -> tuple[int, list]:
        """(start index, the replay to state sid): choice numbers, each followed by the draws its
        move made as (flag, value) (the start's draws first), in the order play draws them."""
        steps = []
        while self.parent[sid] >= 0:
            steps.append(sid)
            sid = self.parent[sid]
        items: list = list(self.via_draws.get(sid, ()))
        for s in reversed(steps):
            if self.via_choice[s] != AUTO:  # play goes through `next:` nodes (and fallbacks) by itself
                number = self.number_of(self.parent[s], self.via_choice[s])
                if number is not None:
                    items.append(number)
            items.extend(self.via_draws.get(s, ()))
        return -1 - self.parent[sid], items

    def number_of(self, sid: int, choice_index: int) -> int | None:
        """The number a player sees for choice `choice_index` in state sid: its place among the
        choices listed there (greyed-out ones too); None for a move play makes by itself (a
        `next:` node's, a return's, a fallback's).

        Conditions read only live flags, so the masked values give the same answer."""
        if choice_index == AUTO:
            return None
        ni, vals, seen, _rec = self.keys[sid]
        number = 0
        for t in self.graph.transitions[ni]:
            if t.copy:
                continue  # a move that draws: its copies are one choice
            c = t.choice
            if c.fallback:
                if c.index == choice_index:
                    return None
                continue
            if c.shows is None or c.shows(vals, seen):
                number += 1
                if c.index == choice_index:
                    return number
        raise ValueError("choice not available in that state")

    def node_of(self, sid: int) -> str:
        return self.graph.ids[self.keys[sid][0]]

    def values_of(self, sid: int) -> dict:
        vals = self.keys[sid][1]
        return {f.name: vals[f.slot] for f in self.chapter.layout}


def explore(
    story: Story,
    ch: Chapter,
    starts: Iterable[tuple],
    *,
    max_states: int = DEFAULT_MAX_STATES,
    tracked_facts: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
    text_reads: bool = False,
    story_live: int | None = None,
    max_memory_mib: float = DEFAULT_MAX_MEMORY_MIB,
    deadline: float | None = None,
) -> Exploration:
    """Explore every state of chapter `ch` reachable from the given story-wide start values.

    Stops at whichever bound comes first: `max_states`, this exploration holding
    `max_memory_mib` by its own count (held_bytes, never the process's size, so that the result
    does not depend on what else the process holds), or time.perf_counter() passing `deadline`
    (default: DEFAULT_MAX_SECONDS from now)."""
    if deadline is None:
        deadline = time.perf_counter() + DEFAULT_MAX_SECONDS
    limits = (int(max_memory_mib * 1024 * 1024), deadline)
    # Millions of small tuples and no reference cycles: the cyclic collector would only
    # rescan them again and again, so it is paused while exploring.
    with paused_gc():
        g = prepare(story, ch, tracked_facts, text_reads=text_reads, story_live=story_live)
        return _explore(story, ch, g, starts, max_states, progress, limits)


def _explore(story, ch, g, starts, max_states, progress, limits) -> Exploration:
    t0 = time.perf_counter()
    n_story = len(story.flags)
    local_defaults = g.defaults[n_story:]
    start_values = [tuple(s) + local_defaults for s in dict.fromkeys(tuple(s) for s in starts)]
    entered = [enter_start(ch, v) for v in start_values]
    ex = Exploration(g, start_values)
    via_draws = ex.via_draws
    parent, via_choice = ex.parent, ex.via_choice
    succ, succ_start = ex.succ, ex.succ_start
    defaults = g.defaults
    is_ending = g.is_ending
    # A state is one int (see StateKeys): node in the low NB bits, then the seen bits, then the
    # recorded bits, then the id of its flag values in `table`. A choice that changes no flag
    # keeps the values id, so its successor's key is the state's own key with the node and the
    # destination's seen/recorded bits put in: `here | add[target]`, no tuple built or hashed.
    nb = max(1, (len(g.ids) - 1).bit_length())
    sb = max([b.bit_length() for b in g.seen_bit] + [0])
    rb = max([b.bit_length() for b in g.record_bits] + [0])
    hi = nb + sb + rb
    node_mask = (1 << nb) - 1
    add = [sbit << nb | rbits << (nb + sb) | ni for ni, (sbit, rbits) in enumerate(zip(g.seen_bit, g.record_bits))]
    seen_mask = ((1 << sb) - 1) << nb
    low_mask = (1 << hi) - 1
    table: list[tuple] = []  # values id -> flag values
    vid_of: dict[tuple, int] = {}
    packed: list[int] = []  # state id -> key
    ex.keys = StateKeys(packed, table, nb, sb, rb)
    ids: dict[int, int] = {}  # key -> state id
    # Hot-loop layout: per node, (test, effects, target, global choice id, choice index) tuples;
    # per node, None or the dead slots to reset on arrival.
    gids: list[tuple[int, int]] = []  # global choice id -> (node, choice index)
    targets: list[int] = []  # global choice id -> the node it moves to
    trans = []
    for ni, ts in enumerate(g.transitions):
        row = []
        for t in ts:
            effects = tuple((slot, fn) for slot, fn, _e in t.effects)
            row.append((t.test, effects, t.target, len(gids), t.choice.index, t.copy == 0, t.draws))
            gids.append((ni, t.choice.index))
            targets.append(t.target)
        trans.append(row)
    dead = [d or None for d in g.dead]
    offered_first = [-1] * len(gids)
    first_at = [-1] * len(g.ids)
    softlocks, overflows, endings = ex.softlocks, ex.overflows, ex.endings
    overflowed = g.overflowed

    start_node = g.index[ch.start]
    for k, ways in enumerate(entered):
        for vals, drawn in ways:
            d = dead[start_node]
            if d:
                lst = list(vals)
                for slot in d:
                    lst[slot] = defaults[slot]
                vals = tuple(lst)
            vid = vid_of.get(vals)
            if vid is None:
                vid = vid_of[vals] = len(table)
                table.append(vals)
            key = vid << hi | add[start_node]
            if key in ids:
                continue
            if drawn:
                via_draws[len(packed)] = drawn
            ids[key] = len(packed)
            packed.append(key)
            parent.append(-1 - k)
            via_choice.append(-1)

    count = len(packed)
    next_report = 50_000
    max_bytes, deadline = limits
    value_bytes = _value_bytes(start_values[0]) if start_values else 0
    # The memory bound counts what this exploration holds (see held_bytes), not what the process
    # does: the same story stops at the same state in any process. It and the clock are looked at
    # every _CHECK_EVERY_EXPANDED expanded states, and every _CHECK_EVERY_STATES new ones (a wide
    # node adds hundreds at once): the second look shares the comparison with the state bound, so
    # the hot loop pays one comparison per state for both.
    look_at_sid = 0
    next_look = min(max_states, count + _CHECK_EVERY_STATES)
    sid = 0
    # The list of keys is the breadth-first queue: ids are given out in the order states are met.
    while sid < count:
        if sid >= look_at_sid:
            look_at_sid = sid + _CHECK_EVERY_EXPANDED
            if held_bytes(count, len(table), len(succ), value_bytes) > max_bytes:
                hit = "memory"
            elif time.perf_counter() > deadline:
                hit = "time"
            else:
                hit = None
            if hit:
                # (after the state bound, the states already queued are still expanded, for their
                # findings; time and memory stop that too, and the first bound hit is the one named)
                ex.stopped_by = ex.stopped_by or hit
                ex.complete = False
                break
        here = packed[sid]
        ni = here & node_mask
        succ_start.append(len(succ))
        if first_at[ni] < 0:
            first_at[ni] = sid
        if is_ending[ni]:
            endings[ni] = endings.get(ni, 0) + 1
            ex.ending_states.append(sid)
            sid += 1
            continue
        vid = here >> hi
        vals = table[vid]
        seen = (here & seen_mask) >> nb
        here ^= ni  # the state's key with no node: add[target] puts one in
        low = here & low_mask
        number = 0
        for test, effects, tj, gid, cindex, fresh, drawn in trans[ni]:
            if test is not None and not test(vals, seen):
                continue
            number += fresh  # (the copies of a move that draws are one choice)
            if offered_first[gid] < 0:
                offered_first[gid] = sid
            d = dead[tj]
            if effects or d:
                lst = list(vals)
                for slot, fn in effects:
                    lst[slot] = fn(lst, seen)
                if overflowed:  # an effect met an int flag's bound (and kept it): the first one is reported
                    for eff, x in overflowed:
                        if id(eff) not in overflows:
                            overflows[id(eff)] = Overflow(sid, ex.number_of(sid, cindex), eff, x, drawn)
                    overflowed.clear()
                if d:
                    for slot in d:
                        lst[slot] = defaults[slot]
                new = tuple(lst)
                nv = vid_of.get(new)
                if nv is None:
                    nv = vid_of[new] = len(table)
                    table.append(new)
                key = low | nv << hi | add[tj] if nv != vid else here | add[tj]
            else:
                key = here | add[tj]
            nid = ids.get(key)
            if nid is None:
                if count >= next_look:
                    if count >= max_states:
                        ex.complete = False
                        ex.stopped_by = ex.stopped_by or "states"
                        continue
                    next_look = min(max_states, count + _CHECK_EVERY_STATES)
                    look_at_sid = sid  # look before the next state is expanded
                nid = count
                count += 1
                ids[key] = nid
                packed.append(key)
                parent.append(sid)
                via_choice.append(cindex)
                if drawn:
                    via_draws[nid] = drawn
            succ.append(nid)
        if number == 0 and ni not in softlocks:
            softlocks[ni] = sid
        sid += 1
        if progress is not None and count >= next_report:
            progress(count)
            next_report += 50_000
    # states never expanded (a bound stopped exploration first): no edges known
    succ_start.extend([len(succ)] * (count + 1 - len(succ_start)))
    ex.held_bytes = held_bytes(count, len(table), len(succ), value_bytes)
    ex.first_at_node = {ni: s for ni, s in enumerate(first_at) if s >= 0}
    ex.offered = {gids[gid]: s for gid, s in enumerate(offered_first) if s >= 0}
    # (by the move's own target: a returning node's ways back share one choice index)
    ex.edges = {(gids[gid][0], targets[gid]) for gid, s in enumerate(offered_first) if s >= 0}
    ex.seconds = time.perf_counter() - t0
    return ex


# What the memory bound counts, in bytes (measured with CPython 3.11-3.13 on 64-bit Linux; see
# ARCHITECTURE.md "Bounds"): per state, its key (an int and the list's pointer to it), its entry
# in the key -> id table (the entry, the id's int, the table's spare room), its parent and choice
# (8 bytes each) and its place in the edge index (8); per distinct valuation of the flags, the tuple
# and its entry in the values table; per edge, 8 bytes. The explorer keeps these counts itself, so
# the figure is the same in every process for the same story; the process's fixed cost (the
# interpreter, the compiled story) comes on top of it.
STATE_BYTES = 130
VALUES_ENTRY_BYTES = 100
EDGE_BYTES = 8


def _value_bytes(values: tuple) -> int:
    """What one distinct valuation costs: its tuple (ints above 256 are objects of their own)."""
    big = sum(1 for v in values if isinstance(v, int) and not -5 <= v <= 256)
    return sys.getsizeof(values) + 32 * big + VALUES_ENTRY_BYTES


def held_bytes(states: int, valuations: int, edges: int, value_bytes: int) -> int:
    """The memory an exploration holds by the explorer's own count (see STATE_BYTES)."""
    return states * STATE_BYTES + valuations * value_bytes + edges * EDGE_BYTES


def trapped_states(ex: Exploration) -> list[int]:
    """States in a loop with no way out, shortest first: play from them can neither reach an
    ending nor stop at a soft-lock (soft-locks, and the states that can only run into one,
    are reported as soft-locks, not as loops)."""
    # One list per state and no cycles: as in explore(), the cyclic collector is paused.
    with paused_gc():
        return _trapped_states(ex)


def _trapped_states(ex: Exploration) -> list[int]:
    n = len(ex.keys)
    succ, start = ex.succ, ex.succ_start
    # Predecessors in counted arrays (CSR), not a list per state.
    counts = array("l", [0]) * (n + 1)
    for t in succ:
        counts[t + 1] += 1
    for i in range(n):
        counts[i + 1] += counts[i]
    pred_start = array("l", counts)
    preds = array("l", [0]) * len(succ)
    fill = array("l", counts)
    for sid in range(n):
        for k in range(start[sid], start[sid + 1]):
            t = succ[k]
            preds[fill[t]] = sid
            fill[t] += 1
    good = bytearray(n)
    # States with no way on: endings and soft-locks.
    stops = [s for s in range(n) if start[s] == start[s + 1]]
    queue = deque(stops)
    for s in stops:
        good[s] = 1
    while queue:
        t = queue.popleft()
        for k in range(pred_start[t], pred_start[t + 1]):
            p = preds[k]
            if not good[p]:
                good[p] = 1
                queue.append(p)
    # (When exploration stopped at its bound, some successors were never recorded:
    # callers report traps only for complete explorations.)
    return [s for s in range(n) if not good[s]]
