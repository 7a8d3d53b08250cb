"""Random playthroughs: coverage for stories too large to explore whole.

`chronicle check --random N --seed S` plays N seeded random playthroughs of the
whole story, chapter to chapter with the story-wide flags carried, the way
ChoiceScript's randomtest does, and reports how often each node, choice and
ending was reached. On the way it reports what it meets that is certainly
wrong, each with a command that replays it:

  * soft-lock:          a non-ending node where no choice is available;
  * int-bounds:         an effect that takes an int flag past its min or max;
  * trap:               a playthrough that ran past the step bound in one
                        chapter (a likely loop) and stopped in a state from
                        which no ending can be reached. Where an ending can
                        still be reached (or the search for one is too big),
                        the long playthrough is listed as a note instead: it
                        is suspicious, not proven wrong.

Sampling proves nothing about what it does not meet: a node it never reaches
may still be reachable (exploration, `chronicle check`, proves that).

Speed: the story is flattened once into tuples of the compiled closures
(`choice.test(values, seen)` and each effect's `fn`), and a playthrough keeps
its flag values in one mutable list, so a step is a few closure calls and no
objects are built (no `State` per step).
"""

from __future__ import annotations

import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .. import calls
from ..diagnostics import Diagnostic, report
from ..expr import Lit, names_in, seen_in
from ..gcpause import paused_gc
from ..model import AUTO, Chapter, Choice, Story, clamp

BOUND_CHECK_STATES = 100_000  # states searched to tell a trap from a long walk


def default_max_steps(ch: Chapter) -> int:
    """Choices one playthrough may take in a chapter before it counts as looping."""
    return 1_000 + 10 * len(ch.nodes)


MEMO_LIMIT = 512  # offered-choice lists remembered per node


@dataclass
class _Flat:
    """One chapter, flattened for fast play."""

    chapter: Chapter
    ids: list  # node index -> node id
    trans: list  # node index -> tuple of (test or None, effects or None, target index, global choice number)
    nodes: list  # node index -> _node_plan(): (trans or None at an ending, kind, x, y, z)
    seen_bit: list  # node index -> seen bit
    start: int
    local_defaults: tuple
    first_choice: int  # global number of this chapter's first choice
    choices: list  # chapter-local choice number -> (node index, model.Choice, or None for a `next:` move)
    max_steps: int
    start_enter: tuple = ()  # the start node's entry effects (its count, its `do:`), as _apply takes them
    # (effect, value before clamping) for each value an effect took past an int flag's bounds in
    # play: the flattened effects' functions append here, play reports and empties it.
    overflowed: list = field(default_factory=list)
    chance: Any = None  # _Chance: what the chapter's draws (`random(lo, hi)`) take their values from


def _flatten(story: Story, max_steps: int | None) -> list[_Flat]:
    """Each chapter as tuples of closures.

    Per node, a plan for finding the offered choices fast (see _node_plan).
    An effect is (slot, fn, constant, effect): `constant` is set (and fn not
    called) for `flag = literal` inside the flag's bounds; fn keeps the bounds as
    play does (`Effect.clamped`) and appends to the chapter's `overflowed` list
    when it has to.
    """
    out = []
    gid = 0
    getters: dict = {}  # one itemgetter per set of slots, shared by the nodes that read them
    for ch in story.chapters:
        ids = list(ch.nodes)
        index = {n: i for i, n in enumerate(ids)}
        slots = {f.name: f.slot for f in ch.layout}
        trans: list[tuple] = []
        nodes: list[tuple] = []
        choices: list[tuple[int, Choice | None]] = []  # (node index, choice; None for a `next:` move)
        overflowed: list = []
        chance = _Chance()
        flat = partial(_flat_effects, overflow=overflowed.append, chance=chance)

        ss = calls.stack_slot(ch)  # the call stack rides after the flags, as in exploration
        backs = calls.ways_back(ch)
        for ni, nid in enumerate(ids):
            node = ch.nodes[nid]
            moves: list[tuple] = []
            # `next:` and returning nodes move on by themselves (calls.ways_on): their moves are
            # counted apart from the choices; a way back is taken when its place is on top
            for c in calls.ways_on(node, backs.get(nid)):
                test, effs = c.test, flat(c.all_effects)
                if ss is not None and c.returns_to is not None:  # a call pushes after its effects
                    effs.append((ss, calls.push(ss, calls.place_of(c), story.max_call_depth), None, None))
                elif ss is not None and node.returns:
                    test, effs = calls.top_is(ss, c.key), [(ss, calls.pop(ss), None, None)]
                if not (c.resumes and node.returns):  # coming back to resume does not enter again
                    effs += flat(ch.nodes[c.target].enter)
                moves.append((test, tuple(effs) or None, index[c.target], gid + len(choices)))
                choices.append((ni, None if c.index == AUTO or c.fallback else c))
            ts = tuple(moves)
            trans.append(ts)
            nodes.append(_node_plan(node, ts, ch, slots, getters))
        out.append(
            _Flat(
                ch,
                ids,
                trans,
                nodes,
                [ch.seen_bits.get(n, 0) for n in ids],
                index[ch.start],
                tuple(f.default for f in ch.layout[len(story.flags) :]) + (((),) if ss is not None else ()),
                gid,
                choices,
                max_steps if max_steps is not None else default_max_steps(ch),
                tuple(flat(ch.nodes[ch.start].enter)),
                overflowed,
                chance,
            )
        )
        gid += len(choices)
    return out


class _Chance:
    """Where random play's draws come from: `rnd` (sampling, each draw logged with the number of
    moves made so far in the chapter) or, replaying a finding, the logged values in order."""

    def __init__(self) -> None:
        self.rnd: Any = None
        self.steps: list = []  # the walk's path, whose length says which move a draw belongs to
        self.log: list = []  # (moves made, flag, value) per draw
        self.queue: list = []  # replaying: (moves made, flag, value) still to take

    def take(self, e, lo: int, hi: int) -> int:
        if self.queue:
            return self.queue.pop(0)[2]
        if self.rnd is None:
            return lo  # (a search over what play can do: _ending_reachable says it cannot tell)
        v = lo + int(self.rnd() * (hi - lo + 1))
        self.log.append((len(self.steps), e.expr.target, v))
        return v


def _draw_fn(e, chance: _Chance, overflow):
    lo, hi = e.draws_from

    def draw(vals, seen):
        v = chance.take(e, lo, hi)
        if e.min is not None and e.max is not None and not e.min <= v <= e.max:
            if overflow is not None:
                overflow((e, v))
            return clamp(v, e.min, e.max)
        return v

    return draw


def _flat_effects(effects, overflow, chance: _Chance | None = None) -> list:
    """Effects as _flatten lays them out, telling `overflow` when one meets an int flag's bound."""
    effs = []
    for e in effects:
        if e.draws_from is not None:
            fn = _draw_fn(e, chance or _Chance(), overflow)
            effs.append((e.slot, fn, None, None))  # (no Effect: _apply calls fn itself, as play draws)
            continue
        const: Any = e.expr.value.value if (e.expr.op == "=" and isinstance(e.expr.value, Lit)) else None
        if const is not None and clamp(const, e.min, e.max) != const:
            const = None  # out of bounds: let the function clamp it and say so
        effs.append((e.slot, e.clamped(overflow), const, e))
    return effs


def _node_plan(node, ts: tuple, ch: Chapter, slots: dict, getters: dict) -> tuple:
    """How play finds a node's offered choices: (choices or None at an ending, kind, x, y, z).

    kind 0: no conditions, every choice is offered;
    kind 1: the conditions read one bool flag (slot x): z[value] is the offered list;
    kind 2: they read two bool flags (x, y): z[value of x + 2 * value of y];
    kind 3: they read other flags only: x is an itemgetter of those values, z a memo of the
            offered list per combination of them;
    kind 4: some condition reads seen(): evaluated every time.
    """
    import operator

    if node.is_ending:
        return (None, 0, None, None, None)
    if node.returns or node.branches:  # the way back depends on the stack, a branch on earlier ones: look every time
        return (ts, 4, None, None, None)
    conds = [c.guard for c in node.choices if c.guard is not None]
    if not conds:
        return (ts, 0, None, None, None)
    read = sorted({slots[n] for c in conds for n in names_in(c)})
    if not read or any(seen_in(c) for c in conds):
        return (ts, 4, None, None, None)
    if len(read) <= 2 and all(ch.layout[s].type == "bool" for s in read):
        probe = [f.default for f in ch.layout]
        table = []
        for combo in range(1 << len(read)):
            for bit, s in enumerate(read):
                probe[s] = bool(combo >> bit & 1)
            table.append(_offered(ts, probe, 0))
        return (ts, len(read), read[0], read[-1], tuple(table))
    key = tuple(read)
    getter = getters.get(key)
    if getter is None:
        getter = getters[key] = operator.itemgetter(*read)
    return (ts, 3, getter, None, {})


def _offered(ts: tuple, vals, seen) -> list:
    return [t for t in ts if t[0] is None or t[0](vals, seen)]


def _apply(effs, vals: list, seen: int) -> None:
    """Apply effects to a value list, ints clamped to their bounds as play does, and nothing
    reported (the start node's entry, and replaying what play found)."""
    for slot, fn, const, eff in effs:  # (a call's push or a return's pop has no Effect: fn is all it is)
        vals[slot] = const if const is not None else (fn if eff is None else eff.bounded)(vals, seen)


@dataclass
class Finding:
    """Something certainly wrong that a playthrough met (the first time), and how often."""

    code: str  # soft-lock | int-bounds | step-bound
    chapter: int  # index into story.chapters
    node: int  # node index in the chapter
    start_values: tuple  # the chapter's starting flag values in that playthrough
    path: list  # global choice numbers taken from the chapter's start (see _walk)
    playthrough: int  # 1-based
    draws: list = field(default_factory=list)  # (moves made, flag, value) per draw of the chapter's walk
    count: int = 1
    effect: Any = None  # model.Effect, for int-bounds
    value: Any = None  # the out-of-bounds value, for int-bounds
    visits: int = 0  # for step-bound: visits to the most visited node
    last_run: int = 0  # the last playthrough counted (a playthrough can meet it more than once)
    trapped: bool | None = None  # for step-bound: no ending reachable (None: not known)


@dataclass
class ChapterCoverage:
    id: str
    file: str
    starts: int  # playthroughs that began this chapter
    node_hits: dict  # node id -> times reached
    choice_hits: dict  # (node id, choice index) -> times taken
    ending_hits: dict  # ending node id -> times reached

    @property
    def nodes_reached(self) -> int:
        return sum(1 for v in self.node_hits.values() if v)

    @property
    def choices_taken(self) -> int:
        return sum(1 for v in self.choice_hits.values() if v)

    @property
    def endings_reached(self) -> int:
        return sum(1 for v in self.ending_hits.values() if v)


@dataclass
class SampleReport:
    story: Story
    runs: int
    seed: int
    choices: int = 0  # choices taken, all playthroughs together
    seconds: float = 0.0
    finished: int = 0  # playthroughs that reached the story's last ending
    stuck: int = 0  # stopped at a soft-lock
    stopped: int = 0  # stopped at the step bound
    coverage: list = field(default_factory=list)  # ChapterCoverage, in play order
    findings: list = field(default_factory=list)  # Finding
    diagnostics: list = field(default_factory=list)  # Diagnostic: the story's warnings, then one per finding
    long_runs: list = field(default_factory=list)  # LongRun: step bound met, no trap shown

    @property
    def choices_per_second(self) -> float:
        return self.choices / self.seconds if self.seconds > 0 else 0.0

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def ok(self) -> bool:
        return self.errors == 0


def sample(
    story: Story, runs: int, seed: int = 0, *, max_steps: int | None = None, story_arg: str | None = None
) -> SampleReport:
    """Play `runs` seeded random playthroughs of the whole story; return coverage and findings."""
    # Nothing here makes reference cycles, and the cyclic collector, run again and
    # again over a large compiled story, costs more than the play itself.
    with paused_gc():
        return _sample(story, runs, seed, max_steps, story_arg)


def _sample(story: Story, runs: int, seed: int, max_steps: int | None, story_arg: str | None) -> SampleReport:
    flats = _flatten(story, max_steps)
    report = SampleReport(story, runs, seed, diagnostics=list(story.warnings))
    if not flats:
        return report
    n_story = len(story.flags)
    story_defaults = story.story_defaults
    total_choices = flats[-1].first_choice + len(flats[-1].choices)
    counted: Counter = Counter()  # global choice number -> times taken
    count = counted.update
    starts = [0] * len(flats)
    findings: dict[tuple, Finding] = {}
    rnd = random.Random(seed).random
    last = len(flats) - 1
    taken = 0
    t0 = time.perf_counter()
    for run in range(1, runs + 1):
        carried = story_defaults
        for ci, fl in enumerate(flats):
            start_values = carried + fl.local_defaults
            vals = list(start_values)
            path: list[int] = []
            append = path.append
            chance = fl.chance
            chance.rnd, chance.steps, chance.log, chance.queue = rnd, path, [], []
            if fl.start_enter:
                _apply(fl.start_enter, vals, 0)
            nodes, seen_bit, overflowed = fl.nodes, fl.seen_bit, fl.overflowed
            ni = fl.start
            seen = seen_bit[ni]
            bound = fl.max_steps
            starts[ci] += 1
            stop = None
            while True:
                ts, kind, x, y, z = nodes[ni]
                if ts is None:
                    break  # an ending
                if kind:
                    if kind == 1:
                        ts = z[vals[x]]
                    elif kind == 2:
                        ts = z[vals[x] + 2 * vals[y]]
                    elif kind == 3:
                        key = x(vals)
                        offered = z.get(key)
                        if offered is None:
                            offered = [t for t in ts if t[0] is None or t[0](vals, seen)]
                            if len(z) < MEMO_LIMIT:
                                z[key] = offered
                        ts = offered
                    else:
                        ts = [t for t in ts if t[0] is None or t[0](vals, seen)]
                    n = len(ts)
                    if not n:
                        stop = "soft-lock"
                        break
                else:
                    n = len(ts)
                k = int(rnd() * n)
                t = ts[k]
                append(t[3])  # the choice's global number: counted per chapter, and replayable
                effs = t[1]
                if effs is not None:
                    for slot, fn, const, _eff in effs:
                        vals[slot] = const if const is not None else fn(vals, seen)
                    if overflowed:  # an effect met an int flag's bound (and kept it)
                        for eff, x in overflowed:
                            key = ("int-bounds", id(eff))
                            f = findings.get(key)
                            if f is None:
                                findings[key] = Finding(
                                    "int-bounds",
                                    ci,
                                    ni,
                                    start_values,
                                    path[:],
                                    run,
                                    list(chance.log),
                                    effect=eff,
                                    value=x,
                                    last_run=run,
                                )
                            elif f.last_run != run:  # counted once per playthrough
                                f.count += 1
                                f.last_run = run
                        overflowed.clear()
                ni = t[2]
                seen |= seen_bit[ni]
                if len(path) >= bound:
                    stop = "step-bound"
                    break
            taken += len(path)
            count(path)
            if stop is not None:
                key = (stop, ci) if stop == "step-bound" else (stop, ci, ni)
                f = findings.get(key)
                if f is None:
                    findings[key] = Finding(stop, ci, ni, start_values, path[:], run, list(chance.log))
                else:
                    f.count += 1
                if stop == "soft-lock":
                    report.stuck += 1
                else:
                    report.stopped += 1
                break
            if ci == last:
                report.finished += 1
            else:
                carried = tuple(vals[:n_story])
    report.seconds = time.perf_counter() - t0
    report.choices = taken
    hits = [0] * total_choices
    for g, h in counted.items():
        hits[g] = h
    # the moves of `next:` nodes are no choices: nobody made them
    report.choices = sum(
        h
        for fl in flats
        for k, (_ni, c) in enumerate(fl.choices)
        if c is not None
        for h in (hits[fl.first_choice + k],)
    )
    report.coverage = _coverage(flats, hits, starts)
    report.findings = sorted(findings.values(), key=lambda f: (f.chapter, f.node, f.code))
    from .replay import Replayer

    rp = Replayer(story, story_arg)
    for fl in flats:
        fl.chance.rnd = None
    for f in report.findings:
        found = _diagnostic(story, flats[f.chapter], f, rp, runs)
        (report.long_runs if isinstance(found, LongRun) else report.diagnostics).append(found)
    return report


def _coverage(flats: list[_Flat], hits: list[int], starts: list[int]) -> list[ChapterCoverage]:
    out = []
    for ci, fl in enumerate(flats):
        node_hits = [0] * len(fl.ids)
        node_hits[fl.start] += starts[ci]
        choice_hits = {}
        for k, (ni, c) in enumerate(fl.choices):
            h = hits[fl.first_choice + k]
            if c is None:  # the move of a `next:` or returning node
                g = fl.first_choice + k
                node_hits[next(t[2] for t in fl.trans[ni] if t[3] == g)] += h
                continue
            choice_hits[(fl.ids[ni], c.index)] = h
            node_hits[fl.trans[ni][c.index][2]] += h
        by_id = dict(zip(fl.ids, node_hits))
        endings = {nid: by_id[nid] for nid, nd in zip(fl.ids, fl.nodes) if nd[0] is None}
        out.append(ChapterCoverage(fl.chapter.id, fl.chapter.file, starts[ci], by_id, choice_hits, endings))
    return out


# ---- findings ------------------------------------------------------------------------


def _walk(fl: _Flat, start_values: tuple, path: list[int], draws: list | None = None) -> tuple[list[tuple], list]:
    """Replay a path of global choice numbers: the (node, values, seen) after each step, and the
    choice numbers a player sees (1 = the first offered) that take it; with the walk's `draws`,
    those are taken again, and the numbers have each move's draws after it, as (flag, value)."""
    vals = list(start_values)
    draws = draws or []
    fl.chance.rnd, fl.chance.queue = None, list(draws)
    _apply(fl.start_enter, vals, 0)
    ni = fl.start
    seen = fl.seen_bit[ni]
    states = [(ni, tuple(vals), seen)]
    numbers: list = [(name, v) for at, name, v in draws if at == 0]
    for step, g in enumerate(path, 1):
        offered = _offered(fl.trans[ni], vals, seen)
        k = next(i for i, t in enumerate(offered) if t[3] == g)
        c = fl.choices[g - fl.first_choice][1]
        if c is not None:  # play goes through `next:` nodes, returns and fallbacks by itself
            numbers.append(listed_number(fl.chapter.nodes[fl.ids[ni]], c, vals, seen))
        numbers += [(name, v) for at, name, v in draws if at == step]
        t = offered[k]
        _apply(t[1] or (), vals, seen)
        ni = t[2]
        seen |= fl.seen_bit[ni]
        states.append((ni, tuple(vals), seen))
    return states, numbers


def listed_number(node, c: Choice, vals, seen: int) -> int:
    """The number the player sees for `c`: its place among the choices listed (greyed-out too)."""
    return 1 + sum(1 for d in node.choices[: c.index] if not d.fallback and (d.shows is None or d.shows(vals, seen)))


def _without_cycles(states: list[tuple], numbers: list[int]) -> tuple[list[int], tuple]:
    """The choice numbers with every return to an earlier state cut out, and the state they end in
    (a walk that drew is kept whole: its draws say what each move took)."""
    if any(not isinstance(n, int) for n in numbers):
        return list(numbers), states[-1]
    kept_states: list[tuple] = [states[0]]
    kept: list[int] = []
    where = {states[0]: 0}
    for number, s in zip(numbers, states[1:]):
        i = where.get(s)
        if i is not None:
            for dropped in kept_states[i + 1 :]:
                del where[dropped]
            del kept_states[i + 1 :]
            del kept[i:]
            continue
        kept.append(number)
        kept_states.append(s)
        where[s] = len(kept_states) - 1
    return kept, kept_states[-1]


def _ending_reachable(fl: _Flat, state: tuple) -> bool | None:
    """Can some ending be reached from this state? None when the search hits its bound (or the
    chapter draws: this search does not follow every value)."""
    if any(e.draws_from is not None for n in fl.chapter.nodes.values() for e in n.enter) or any(
        e.draws_from is not None for n in fl.chapter.nodes.values() for c in n.choices for e in c.all_effects
    ):
        return None
    todo = deque([state])
    met = {state}
    while todo:
        ni, vals, seen = todo.popleft()
        if fl.nodes[ni][0] is None:
            return True
        for _test, effs, target, _g in _offered(fl.trans[ni], vals, seen):
            new = vals
            if effs:
                lst = list(vals)
                _apply(effs, lst, seen)
                new = tuple(lst)
            s = (target, new, seen | fl.seen_bit[target])
            if s not in met:
                if len(met) >= BOUND_CHECK_STATES:
                    return None
                met.add(s)
                todo.append(s)
    return False


def _diagnostic(story: Story, fl: _Flat, f: Finding, rp, runs: int) -> Diagnostic | LongRun:
    ch = fl.chapter
    node = ch.nodes[fl.ids[f.node]]
    times = f"in {f.count:,} of {runs:,} playthroughs" if f.count > 1 else f"in playthrough {f.playthrough}"
    states, numbers = _walk(fl, f.start_values, f.path, f.draws)
    if f.code == "soft-lock" and node.returns:
        short, _ = _without_cycles(states, numbers)
        return report(
            "return-empty",
            f"play reaches node '{node.id}', which returns, without a call to return to ({times})",
            node.pos,
            f"reach '{node.id}' only through `call:`, or give the way that comes by `goto` a node of its own",
            replay=rp.command_for(ch, f.start_values, short),
        )
    if f.code == "soft-lock":
        short, _ = _without_cycles(states, numbers)
        return report(
            "soft-lock",
            f"in node '{node.id}' no choice is available ({times})",
            node.pos,
            "add a choice with no condition, or make the conditions cover every case",
            replay=rp.command_for(ch, f.start_values, short),
        )
    if f.code == "int-bounds":
        eff = f.effect
        flag = ch.layout[eff.slot]
        bound = f"min {eff.min}" if f.value < eff.min else f"max {eff.max}"  # an unbounded int's are implicit
        short, _ = _without_cycles(states[:-1], numbers[:-1])
        return report(
            "int-bounds",
            f"`{eff.src}` takes {flag.name} to {f.value}, past its {bound} ({times})",
            eff.pos,
            "guard the choice with a condition, or widen the flag's bounds",
            replay=rp.command_for(ch, f.start_values, short + numbers[-1:]),
        )
    # the step bound: show the loop, and cut every detour out of the replay
    counts: dict[int, int] = {}
    for s in states[len(states) // 2 :]:
        counts[s[0]] = counts.get(s[0], 0) + 1
    busiest = max(counts, key=lambda k: (counts[k], -k))
    looping = ch.nodes[fl.ids[busiest]]
    short, state = _without_cycles(states, numbers)
    reach = _ending_reachable(fl, state)
    f.trapped = None if reach is None else not reach
    f.visits = counts[busiest]
    at = ch.nodes[fl.ids[state[0]]]
    replay = rp.command_for(ch, f.start_values, short)
    what = (
        f"a random playthrough took {len(f.path):,} choices in chapter '{ch.id}' without reaching an ending "
        f"({times}); in its second half it passed node '{looping.id}' {counts[busiest]:,} times"
    )
    if reach is False:
        return report(
            "trap",
            f"{what}, and from where it stopped (node '{at.id}') no ending can be reached: play loops forever",
            looping.pos,
            "give the loop a way out that is always available",
            replay=replay,
        )
    if reach is True:
        note = (
            f"an ending can still be reached from where it stopped (node '{at.id}'): the way out is rare; "
            "make it likelier, or raise --max-steps if such long play is meant"
        )
    else:
        note = (
            f"whether an ending can be reached from where it stopped (node '{at.id}') is not known "
            "(too many states); `chronicle check` explores it exactly"
        )
    return LongRun(ch.id, looping.id, looping.pos, len(f.path), f.count, what, note, replay, reach)


@dataclass
class LongRun:
    """Playthroughs that hit the step bound where an ending was still reachable (or could not be shown not to be)."""

    chapter: str
    node: str  # the node it kept returning to
    pos: Any
    steps: int
    count: int
    message: str
    note: str
    replay: str
    reachable: bool | None

    def render(self) -> str:
        return f"{self.pos}: note: {self.message}\n  {self.note}\n  replay: {self.replay}"

    def to_json(self) -> dict:
        return {
            "chapter": self.chapter,
            "node": self.node,
            "file": self.pos.file if self.pos else None,
            "line": self.pos.line if self.pos else None,
            "col": self.pos.col if self.pos else None,
            "steps": self.steps,
            "playthroughs": self.count,
            "message": self.message,
            "note": self.note,
            "replay": self.replay,
            "ending_reachable": self.reachable,
        }
