"""Symbolic exploration: every reachable state of a chapter as binary decision diagrams.

The explicit explorer (`explore`) meets states one by one; this one keeps, per node, the *set*
of reachable states as a BDD (the `dd` package, its CUDD backend where the wheel has it, else
`dd.autoref`) and grows it breadth-first by image steps over each node's moves (guard, then the
effects in play order, then the arrival: dead flags reset, seen and recorded bits set) to a
fixed point. The state space is the explicit explorer's, exactly: the same flags and visit
counts (saturating at the same caps), the same call stack up to `max_call_depth`, the same
seen and recorded bits and the same live-flag resets, taken from the same `ChapterGraph`.

Encoding. Each value of a state is a group of boolean variables holding the index of its value
in the flag's domain (bool: itself; enum: its values; int: its declared `min..max`; a visit
count: 0..its cap; the stack: a depth and one place per level). An expression over the values
is compiled to a map {value: the BDD of the states where the expression has that value}, so
`+ - * // %` and the clamping of an effect are exact by construction; an int flag without
declared bounds, or an expression whose value map grows past `MAX_VALUES`, cannot be encoded
(`Unencodable`, with the expression's position) and the chapter is left to the explicit explorer.

Breadth-first layers are kept (per node, the states first met at each depth), so every finding
still has a shortest path, and the *same* one the explicit explorer finds: the first state of a
set in the explicit explorer's discovery order is rebuilt backwards through the layers (its
parent is the first state of the layer before that can move into the set) and only the states
on that path are ever made concrete (`keys`, `parent`, `via_choice`, as in `Exploration`).

Consumers do not ask which explorer ran: they read the summaries both fill (`first_at_node`,
`offered`, `softlocks`, `overflows`, `edges`) and, where they look at states one by one, walk
`states.scan(ex, questions)`: every state for the explicit explorer, and for this one the first
state of each question's set (the only ones such a walk can report), in discovery order.
"""

from __future__ import annotations

import time
import warnings
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .. import calls
from ..diagnostics import Pos
from ..expr import ARITH_FN, CMP_FN, Arith, BoolOp, Compare, Lit, Neg, Not, Seen, Var, names_in
from ..model import Chapter, Story, clamp
from .explore import (
    DEFAULT_MAX_MEMORY_MIB,
    DEFAULT_MAX_SECONDS,
    ChapterGraph,
    Exploration,
    counter_caps,
    prepare,
)

MAX_VALUES = 1 << 12  # the widest domain, and the largest value map, one expression may have

try:  # the compiled CUDD backend, from dd's wheel
    from dd import cudd as _bdd_mod

    BACKEND = "cudd"
except ImportError:  # pragma: no cover - a platform without the wheel
    from dd import autoref as _bdd_mod

    BACKEND = "autoref"


class Unencodable(Exception):
    """An expression or a flag the symbolic explorer cannot encode exactly."""

    def __init__(self, what: str, pos: Pos | None):
        super().__init__(what)
        self.what, self.pos = what, pos


class _Watch:
    """The bounds of one symbolic exploration, looked at between layers (and every 64 nodes
    within one), and a projection of where the next layers go: the live BDD nodes grow by some
    factor per layer (its geometric mean over the last three layers), and the chapter's graph
    says how many layers at least are still to come (the breadth-first depth of its plain graph,
    less the layers done). When the projected peak passes the memory bound, or the projected
    time the deadline, the exploration stops now rather than at the bound."""

    LOOK_BACK = 3
    MIN_NODES = 10_000  # (below this, growth says little: the sets are still the encoding's size)

    def __init__(self, mgr: Manager, max_bytes: int, deadline: float, depth: int, rate, max_states):
        self.mgr, self.max_bytes, self.deadline, self.depth = mgr, max_bytes, deadline, depth
        self.rate, self.max_states = rate, max_states
        self.t0 = time.perf_counter()
        self.sizes: list[tuple[int, float]] = []  # per layer: (live nodes, time)
        self.states = 0
        self.counts: list[int] = []  # per layer: the states met up to it
        self.projected = False
        # what the manager already holds (earlier chapters' sets, still read by their findings)
        # is not this exploration's: the bound is on what it adds
        self.base, self.base_nodes = mgr.held()  # (nodes: the encoding's own, guards and relations)
        self.saved = mgr.limit(self.base + max_bytes)

    def held(self) -> int:
        return self.mgr.held_bytes() - self.base

    def bound(self) -> str | None:
        if time.perf_counter() > self.deadline:
            return "time"
        if self.held() > self.max_bytes:
            return "memory"
        return None

    def counting(self) -> bool:
        """Are the states of each layer still worth counting (for the comparison with the
        explicit explorer, which ends once they pass its state bound)?"""
        return bool(self.rate and self.max_states and self.states <= self.max_states)

    def after_layer(self, k: int, frontier_states: int) -> str | None:
        """Called before expanding layer k (whose states number `frontier_states`)."""
        self.states += frontier_states
        now = time.perf_counter()
        if now > self.deadline:
            return "time"
        held, nodes = self.mgr.held()
        if held - self.base > self.max_bytes:
            return "memory"
        nodes = max(1, nodes - self.base_nodes)
        self.sizes.append((nodes, now))
        self.counts.append(self.states)
        if self.counting() and k >= self.LOOK_BACK:
            # the explicit explorer would have met these states by now, and at the rate they
            # grow it will soon have met them all
            growth = self.states / max(1, self.counts[-1 - self.LOOK_BACK])
            if now - self.t0 > 2 * self.states / self.rate + 0.5 and self.states * growth**2 <= self.max_states:
                return "slower"
        if len(self.sizes) <= self.LOOK_BACK:
            return None
        (n0, t0), (n1, t1) = self.sizes[-1 - self.LOOK_BACK], self.sizes[-1]
        growth = (n1 / max(1, n0)) ** (1 / self.LOOK_BACK)
        ahead = self.depth - k
        if growth <= 1.05 or ahead <= 0 or n1 < self.MIN_NODES:
            return None
        peak = n1 * growth**ahead
        per_node = max(32, held - self.base) / n1
        if peak * per_node > self.max_bytes:
            self.projected = True
            return "memory"
        per_layer = (t1 - t0) / self.LOOK_BACK
        if now + per_layer * sum(growth**i for i in range(1, ahead + 1)) > self.deadline:
            self.projected = True
            return "time"
        return None

    def release(self) -> None:
        self.mgr.unlimit(self.saved)


def _graph_depth(g: ChapterGraph, start: int) -> int:
    """The breadth-first depth of the chapter's plain graph (guards and flags left out) from
    its start: the symbolic explorer runs at least about this many layers when all is reachable."""
    dist = {start: 0}
    todo = [start]
    d = 0
    while todo:
        d += 1
        nxt = []
        for ni in todo:
            for t in g.transitions[ni]:
                if t.target not in dist:
                    dist[t.target] = d
                    nxt.append(t.target)
        todo = nxt
    return max(dist.values())


def _count(enc: Encoder, u) -> int:
    return int(enc.bdd.count(u, nvars=len(enc.all_vars)))


def _safe_count(enc: Encoder, reached: dict) -> int:
    try:
        return sum(_count(enc, u) for u in reached.values())
    except ValueError:  # (out of CUDD's memory)
        return 0


class Manager:
    """One BDD manager for a whole check: the story-wide flags have the same variables in
    every chapter, so the states an ending hands on start the next chapter as they are."""

    def __init__(self) -> None:
        self.bdd = _bdd_mod.BDD()
        if BACKEND == "cudd":
            self.bdd.configure(reordering=False)
        self.declared: set[str] = set()
        self.story_order: list[int] | None = None  # see flag_order, computed for the first chapter

    def limit(self, max_bytes: int) -> dict:
        """Make `max_bytes` CUDD's hard limit (an operation that would pass it fails, and the
        explorer stops at the memory bound), its computed table an eighth of it at most (and 8M entries, 256 MiB)."""
        if BACKEND != "cudd":
            return {}
        return self.bdd.configure(
            max_memory=max_bytes, max_cache_hard=min(1 << 23, max(1 << 12, max_bytes // (8 * 32)))
        )

    def unlimit(self, saved: dict) -> None:
        if saved:
            self.bdd.configure(max_memory=saved["max_memory"], max_cache_hard=saved["max_cache_hard"])

    def held_bytes(self) -> int:
        """What the BDDs hold (CUDD's own count), for the memory bound."""
        return self.held()[0]

    def held(self) -> tuple[int, int]:
        """(bytes, nodes) the manager holds: CUDD's own count of its memory (nodes, unique
        table, computed table) and of its nodes (dead ones not yet collected too)."""
        if BACKEND == "cudd":
            with warnings.catch_warnings():  # (dd says, each time, that "mem" is in bytes now)
                warnings.simplefilter("ignore", UserWarning)
                st = self.bdd.statistics(exact_node_count=False)
            return int(st["mem"]), int(st["n_nodes"])
        n = len(self.bdd)
        return 64 * n, n  # (autoref: about this much per node)

    def declare(self, names: Iterable[str]) -> None:
        new = [n for n in names if n not in self.declared]
        if new:
            self.bdd.declare(*new)
            self.declared.update(new)


def flag_order(story: Story, iterations: int = 24) -> list[int]:
    """The story-wide slots in the order their variables are declared: flags one choice reads
    and writes together placed near each other (the FORCE heuristic: every flag moves to the mean
    centre of the choices it is on, repeatedly; the order of least total span wins). A BDD is
    small when the variables that constrain each other are close in its order; declaration order
    leaves, say, a room's bool flag and its counter a hundred levels apart."""
    n = len(story.flags)
    slot_of = {f.name: k for k, f in enumerate(story.flags)}
    weight: dict[frozenset, int] = {}
    for ch in story.chapters:
        for node in ch.nodes.values():
            for c in node.choices:
                on: set[int] = set()
                if c.condition is not None:
                    on |= {slot_of[x] for x in names_in(c.condition) if x in slot_of}
                for e in c.all_effects + ch.nodes[c.target].enter if c.target in ch.nodes else c.all_effects:
                    if e.slot < n:
                        on.add(e.slot)
                    on |= {slot_of[x] for x in names_in(e.expr.value) if x in slot_of}
                if len(on) > 1:
                    key = frozenset(on)
                    weight[key] = weight.get(key, 0) + 1
    order = list(range(n))
    if not weight:
        return order
    edges = list(weight.items())

    def span(pos: list[int]) -> int:
        return sum(w * (max(pos[v] for v in e) - min(pos[v] for v in e)) for e, w in edges)

    pos = list(range(n))
    best, best_span = list(order), span(pos)
    for it in range(iterations):
        acc = [0.0] * n
        cnt = [0] * n
        for e, w in edges:
            centre = sum(pos[v] for v in e) / len(e)
            for v in e:
                acc[v] += w * centre
                cnt[v] += w
        order = sorted(range(n), key=lambda v: (acc[v] / cnt[v] if cnt[v] else pos[v], pos[v]))
        for i, v in enumerate(order):
            pos[v] = i
        sp = span(pos)
        if sp < best_span:
            best, best_span = list(order), sp
        elif it > 4:
            break
    return best


def _bits(n: int) -> int:
    return max(1, (n - 1).bit_length())


@dataclass
class _Group:
    """The variables holding one value: the index of the value in `dom`, little-endian."""

    names: list[str]
    primed: list[str]
    dom: list
    code: dict
    eqs: list  # BDD per index: the group holds that value


@dataclass
class _Step:
    """One update of some values, made at once. `const`: variable -> value, for an update that
    sets them to constants (the fast path); else `rel` (over the primed old values of the
    assigned groups and their new values) for the image and `subst` (variable -> its new value
    as a BDD over the old state) for the preimage."""

    groups: tuple = ()
    const: dict | None = None
    rel: Any = None
    subst: dict | None = None
    primed: list = field(default_factory=list)
    overflow: Any = None  # where this step takes an int past its bounds (over the state before it)
    effect: Any = None  # the model Effect, for overflows
    written: Any = None  # for a draw's fixed copy (`effect`), the drawing effect as written


@dataclass
class _Move:
    choice: Any  # model Choice (AUTO for implicit moves)
    pos_in_row: int
    target: int
    guard: Any
    steps: list
    draws: tuple = ()  # what the move draws, (flag, value) each (explore.Transition.draws)
    copy: int = 0  # its place among the copies of a move that draws (explore.Transition.copy)


class Encoder:
    """A chapter's state space as BDD variables, and its moves as image and preimage steps."""

    def __init__(self, mgr: Manager, story: Story, ch: Chapter, g: ChapterGraph, chapter_tag: str):
        self.mgr, self.story, self.ch, self.g = mgr, story, ch, g
        b = self.bdd = mgr.bdd
        self.true, self.false = b.true, b.false
        n_story = len(story.flags)
        caps = counter_caps(ch)
        self.caps = caps
        self.slots = {f.name: f.slot for f in ch.layout}
        self.groups: dict[int, _Group] = {}
        names: list[str] = []

        def group(slot: int, dom: list, tag: str) -> None:
            k = _bits(len(dom))
            gn = [f"{tag}_{i}" for i in range(k)]
            gp = [f"{tag}_{i}p" for i in range(k)]
            for a, p in zip(gn, gp):
                names.extend((a, p))
            self.groups[slot] = _Group(gn, gp, dom, {v: i for i, v in enumerate(dom)}, [])

        for f in ch.layout:
            tag = f"s{f.slot}" if f.slot < n_story else f"{chapter_tag}s{f.slot}"
            if f.slot in caps:
                dom: list = list(range(caps[f.slot] + 1))
            elif f.type == "bool":
                dom = [False, True]
            elif f.type == "enum":
                dom = list(f.values)
            else:
                if f.min is None or f.max is None:
                    raise Unencodable(
                        f"int flag '{f.name}' has no declared `min` and `max`, so its values cannot be encoded", f.pos
                    )
                if f.max - f.min + 1 > MAX_VALUES:
                    raise Unencodable(
                        f"int flag '{f.name}' spans {f.max - f.min + 1:,} values, more than {MAX_VALUES:,}", f.pos
                    )
                dom = list(range(f.min, f.max + 1))
            group(f.slot, dom, tag)
        self.ss = calls.stack_slot(ch)
        self.depth = story.max_call_depth
        if self.ss is not None:
            backs = calls.ways_back(ch)
            places = list(dict.fromkeys(p for ps in backs.values() for p in ps))
            for p in calls.places(ch):
                if p not in places:
                    places.append(p)
            self.places = places
            group(self.ss, list(range(self.depth + 1)), f"{chapter_tag}d")
            for j in range(self.depth):
                group(self.ss + 1 + j, [None, *places], f"{chapter_tag}p{j}")
        if mgr.story_order is None:
            mgr.story_order = flag_order(story)
        rank = {slot: k for k, slot in enumerate(mgr.story_order)}
        names = [
            n
            for slot in sorted(self.groups, key=lambda sl: (0, rank[sl]) if sl < n_story else (1, sl))
            for pair in zip(self.groups[slot].names, self.groups[slot].primed)
            for n in pair
        ]
        seen_bits = sorted({v for v in ch.seen_bits.values()})
        self.seen_var = {bit: f"{chapter_tag}h{bit.bit_length() - 1}" for bit in seen_bits}
        self.rec_var = {bit: f"{chapter_tag}r{bit.bit_length() - 1}" for bit in g.tracked_facts.values()}
        names += list(self.seen_var.values()) + list(self.rec_var.values())
        mgr.declare(names)
        for gr in self.groups.values():
            gr.eqs = [self._cube(gr, i) for i in range(len(gr.dom))]
        self.story_vars = [n for s in range(n_story) for n in self.groups[s].names]
        self.local_vars = [n for s, gr in self.groups.items() if s >= n_story for n in gr.names]
        self.local_vars += list(self.seen_var.values()) + list(self.rec_var.values())
        self.all_vars = self.story_vars + self.local_vars
        self._vals: dict = {}

    # ---- values -------------------------------------------------------------------------
    def _cube(self, gr: _Group, i: int):
        u = self.true
        for k, n in enumerate(gr.names):
            v = self.bdd.var(n)
            u &= v if (i >> k) & 1 else ~v
        return u

    def eq(self, slot: int, value) -> Any:
        gr = self.groups[slot]
        i = gr.code.get(value)
        return self.false if i is None else gr.eqs[i]

    def var_map(self, slot: int) -> dict:
        gr = self.groups[slot]
        return {v: gr.eqs[i] for i, v in enumerate(gr.dom)}

    def pred(self, e) -> Any:
        """A boolean expression as the BDD of the states where it is true."""
        kind, x = self.value(e)
        if kind == "b":
            return x
        return x.get(True, self.false)

    def value(self, e) -> tuple[str, Any]:
        """("b", BDD) for a boolean expression, ("m", {value: BDD}) for any other."""
        hit = self._vals.get(e)
        if hit is None:
            hit = self._vals[e] = self._value(e)
        return hit

    def _as_map(self, kv: tuple[str, Any]) -> dict:
        kind, x = kv
        if kind == "m":
            return x
        return {True: x, False: ~x}

    def _value(self, e) -> tuple[str, Any]:
        if isinstance(e, Lit):
            if isinstance(e.value, bool):
                return ("b", self.true if e.value else self.false)
            return ("m", {e.value: self.true})
        if isinstance(e, Var):  # visits("...") too: it is a flag of the layout
            slot = self.slots[e.name]
            gr = self.groups[slot]
            if gr.dom == [False, True]:
                return ("b", self.bdd.var(gr.names[0]))
            return ("m", self.var_map(slot))
        if isinstance(e, Seen):
            bit = self.ch.seen_bits.get(e.node, 0)
            return ("b", self.bdd.var(self.seen_var[bit]) if bit else self.false)
        if isinstance(e, Not):
            return ("b", ~self.pred(e.operand))
        if isinstance(e, BoolOp):
            parts = [self.pred(x) for x in e.operands]
            u = parts[0]
            for p in parts[1:]:
                u = (u & p) if e.op == "and" else (u | p)
            return ("b", u)
        if isinstance(e, Neg):
            m = self._as_map(self.value(e.operand))
            return ("m", self._merge((-v, c) for v, c in m.items()))
        if isinstance(e, (Compare, Arith)):
            a = self._as_map(self.value(e.left))
            bm = self._as_map(self.value(e.right))
            if len(a) * len(bm) > MAX_VALUES * 4:
                raise Unencodable(f"`{_src(e)}` combines {len(a) * len(bm):,} pairs of values", None)
            if isinstance(e, Compare):
                fn = CMP_FN[e.op]
                u = self.false
                for x, cx in a.items():
                    for y, cy in bm.items():
                        if fn(x, y):
                            u |= cx & cy
                return ("b", u)
            afn = ARITH_FN[e.op]
            out = self._merge((afn(x, y), cx & cy) for x, cx in a.items() for y, cy in bm.items())
            if len(out) > MAX_VALUES:
                raise Unencodable(f"`{_src(e)}` takes {len(out):,} values, more than {MAX_VALUES:,}", None)
            return ("m", out)
        raise Unencodable(f"`{_src(e)}` is not an expression the symbolic explorer knows", None)

    def _merge(self, pairs) -> dict:
        out: dict = {}
        for v, c in pairs:
            if c == self.false:
                continue
            out[v] = out[v] | c if v in out else c
        return out

    def zero(self, e) -> Any:
        """The states where evaluating `e` divides by zero (short-circuits as play has them)."""
        if isinstance(e, (Lit, Var, Seen)):
            return self.false
        if isinstance(e, (Not, Neg)):
            return self.zero(e.operand)
        if isinstance(e, BoolOp):
            u, reach = self.false, self.true  # reach: where evaluation gets to this operand
            for x in e.operands:
                u |= reach & self.zero(x)
                p = self.pred(x)
                reach &= p if e.op == "and" else ~p
            return u
        if isinstance(e, Compare):
            return self.zero(e.left) | self.zero(e.right)
        if isinstance(e, Arith):
            u = self.zero(e.left) | self.zero(e.right)
            if e.op in ("//", "%"):
                u |= self._as_map(self.value(e.right)).get(0, self.false)
            return u
        return self.false

    # ---- steps --------------------------------------------------------------------------
    def assign_step(self, new: dict, overflow=None, effect=None) -> _Step:
        """`new`: slot -> value map (over the state before the step), all assigned at once."""
        b = self.bdd
        groups = tuple(new)
        const: dict | None = {}
        for slot, m in new.items():
            live = [(v, c) for v, c in m.items() if c != self.false]
            if len(live) == 1 and live[0][1] == self.true and const is not None:
                gr = self.groups[slot]
                i = gr.code[live[0][0]]
                for k, n in enumerate(gr.names):
                    const[n] = bool((i >> k) & 1)
            else:
                const = None
        if const is not None:
            return _Step(groups, const=const, overflow=overflow, effect=effect)
        rename = {n: p for s in groups for n, p in zip(self.groups[s].names, self.groups[s].primed)}
        rel = self.true
        subst = {}
        for slot, m in new.items():
            gr = self.groups[slot]
            r = self.false
            bits = [self.false] * len(gr.names)
            for v, c in m.items():
                i = gr.code[v]
                r |= b.let(rename, c) & gr.eqs[i]
                for k in range(len(gr.names)):
                    if (i >> k) & 1:
                        bits[k] |= c
            rel &= r
            for n, f in zip(gr.names, bits):
                subst[n] = f
        primed = [rename[n] for s in groups for n in self.groups[s].names]
        return _Step(groups, rel=rel, subst=subst, primed=primed, overflow=overflow, effect=effect)

    def const_step(self, values: dict) -> _Step:
        """Set variables to constants: `values` maps a variable name to a bool."""
        return _Step(const=dict(values))

    def image(self, u, step: _Step):
        b = self.bdd
        if step.const is not None:
            names = list(step.const)
            if not names:
                return u
            u = b.exist(names, u)
            return u & b.cube(step.const)
        rename = {n: p for s in step.groups for n, p in zip(self.groups[s].names, self.groups[s].primed)}
        return _bdd_mod.and_exists(b.let(rename, u), step.rel, step.primed)

    def preimage(self, u, step: _Step):
        if step.const is not None:
            return self.bdd.let(step.const, u) if step.const else u
        return self.bdd.let(step.subst, u)

    def effect_step(self, e, caps: Mapping[int, int]) -> _Step:
        """One model Effect as a step, bounds kept as `Effect.clamped` keeps them (and the
        states where it has to, as the step's `overflow`); a visit count saturates at its cap."""
        slot = e.slot
        if e.draws_from is not None:  # (a move's draws are one move per value: only the start's come here)
            raise Unencodable(f"`{e.src}` draws at the chapter's start, which the BDDs do not follow", e.pos)
        if slot in caps:
            cap = caps[slot]
            m = self._merge((min(v + 1, cap), c) for v, c in self.var_map(slot).items())
            return self.assign_step({slot: m}, effect=e)
        x = self._as_map(self.value(e.expr.value))
        op = e.expr.op
        if op != "=":
            cur = self.var_map(slot)
            x = self._merge(((a + v if op == "+=" else a - v), ca & cv) for a, ca in cur.items() for v, cv in x.items())
        over = self.false
        if e.min is not None or e.max is not None:
            pairs = []
            for v, c in x.items():
                cv = clamp(v, e.min, e.max)
                if cv != v:
                    over |= c
                pairs.append((cv, c))
            x = self._merge(pairs)
        gr = self.groups[slot]
        if gr.dom == [False, True]:
            x = {bool(v): c for v, c in x.items()}
        missing = [v for v in x if v not in gr.code]
        if missing:
            raise Unencodable(f"`{e.src}` gives {e.expr.target} the value {missing[0]!r}, outside its domain", e.pos)
        return self.assign_step({slot: x}, overflow=over if over != self.false else None, effect=e)

    def push_step(self, back: str) -> _Step:
        ss, d = self.ss, self.depth
        assert ss is not None
        new: dict = {ss: self._merge([(min(k + 1, d), self.eq(ss, k)) for k in range(d + 1)])}
        code = back
        for j in range(d):
            here = self.eq(ss, j)
            ident = self.var_map(ss + 1 + j)
            m = self._merge([(v, c & ~here) for v, c in ident.items()] + [(code, here)])
            new[ss + 1 + j] = m
        return self.assign_step(new)

    def pop_step(self) -> _Step:
        ss, d = self.ss, self.depth
        assert ss is not None
        new: dict = {ss: self._merge([(max(k - 1, 0), self.eq(ss, k)) for k in range(d + 1)])}
        for j in range(d):
            top = self.eq(ss, j + 1)
            ident = self.var_map(ss + 1 + j)
            new[ss + 1 + j] = self._merge([(v, c & ~top) for v, c in ident.items()] + [(None, top)])
        return self.assign_step(new)

    def top_is(self, back: str):
        ss = self.ss
        assert ss is not None
        u = self.false
        for k in range(1, self.depth + 1):
            u |= self.eq(ss, k) & self.eq(ss + k, back)
        return u

    def full_stack(self):
        return self.false if self.ss is None else self.eq(self.ss, self.depth)

    # ---- concrete states ----------------------------------------------------------------
    def cube_of(self, key: tuple):
        """The BDD of one concrete state key (node, values, seen, recorded), the node left out."""
        _ni, vals, seen, rec = key
        u = self.true
        for slot, gr in self.groups.items():
            if self.ss is not None and slot >= self.ss:
                continue
            u &= gr.eqs[gr.code[vals[slot]]]
        if self.ss is not None:
            stack = vals[self.ss]
            u &= self.eq(self.ss, len(stack))
            for j in range(self.depth):
                u &= self.eq(self.ss + 1 + j, stack[j] if j < len(stack) else None)
        for bit, n in self.seen_var.items():
            u &= self.bdd.var(n) if seen & bit else ~self.bdd.var(n)
        for bit, n in self.rec_var.items():
            u &= self.bdd.var(n) if rec & bit else ~self.bdd.var(n)
        return u

    def decode(self, ni: int, u) -> tuple:
        """One state of the non-empty set `u` at node ni, as an explicit key."""
        a = self.bdd.pick(u, care_vars=self.all_vars)
        assert a is not None
        return self.key_of(ni, a)

    def key_of(self, ni: int, a: dict) -> tuple:
        vals: list = [None] * (len(self.ch.layout) + (1 if self.ss is not None else 0))
        for slot, gr in self.groups.items():
            if self.ss is not None and slot >= self.ss:
                continue
            i = sum(1 << k for k, n in enumerate(gr.names) if a.get(n))
            vals[slot] = gr.dom[i]
        if self.ss is not None:
            gd = self.groups[self.ss]
            depth = gd.dom[sum(1 << k for k, n in enumerate(gd.names) if a.get(n))]
            stack = []
            for j in range(depth):
                gr = self.groups[self.ss + 1 + j]
                stack.append(gr.dom[sum(1 << k for k, n in enumerate(gr.names) if a.get(n))])
            vals[self.ss] = tuple(stack)
        seen = sum(bit for bit, n in self.seen_var.items() if a.get(n))
        rec = sum(bit for bit, n in self.rec_var.items() if a.get(n))
        return (ni, tuple(vals), seen, rec)

    def story_cube(self, values: tuple):
        u = self.true
        for s, v in enumerate(values):
            u &= self.eq(s, v)
        return u


def _src(e) -> str:
    from ..expr import unparse

    try:
        return unparse(e)
    except Exception:  # pragma: no cover - a tree unparse does not know
        return repr(e)


class _LazyFirst(Mapping):
    """node index (or (node, choice) pair) -> the first state there, made concrete on demand."""

    def __init__(self, keys: dict, ex: SymbolicExploration):
        # (a weak reference: no cycle keeps the exploration, and its BDD manager, alive)
        self._keys, self._ex = keys, weakref.ref(ex)
        self._done: dict = {}

    def __contains__(self, k) -> bool:
        return k in self._keys

    def __getitem__(self, k):
        if k not in self._keys:
            raise KeyError(k)
        if k not in self._done:
            ex = self._ex()
            assert ex is not None, "asked of an exploration still in use"
            self._done[k] = ex.first(self._keys[k])
        return self._done[k]

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass
class SymbolicExploration(Exploration):
    """Every reachable state of one chapter, as sets; the states findings name are made concrete
    (`keys`, `parent`, `via_choice` hold those, in the order they were asked for)."""

    enc: Any = None
    moves: list = field(default_factory=list)  # per node: [_Move]
    layers: list = field(default_factory=list)  # depth -> {node index: BDD of states first met there}
    node_layers: dict = field(default_factory=dict)  # node index -> [(depth, BDD)], the same by node
    reached: dict = field(default_factory=dict)  # node index -> BDD
    start_set: Any = None  # BDD over the story-wide variables: the values the chapter starts from
    start_list: list | None = None  # the same as a list, in the explicit explorer's order, when given so
    start_steps: list = field(default_factory=list)
    state_count: int = 0  # (when incomplete: the states found before it stopped)
    projected: bool = False  # stopped because the growth of its sets projected past a bound
    rank: dict = field(default_factory=dict)  # state id -> its place in breadth-first discovery order
    key_ids: dict = field(default_factory=dict)
    engine: str = "symbolic"

    # ---- sets ---------------------------------------------------------------------------
    @property
    def bdd(self):
        return self.enc.bdd

    def at(self, ni: int):
        return self.reached.get(ni, self.enc.false)

    def ending_set(self) -> dict:
        return {ni: u for ni, u in self.reached.items() if self.graph.is_ending[ni]}

    def handed_on_set(self):
        """The story-wide values the endings hand on, over the story's variables."""
        b, enc = self.bdd, self.enc
        u = enc.false
        for v in self.ending_set().values():
            u |= v
        return b.exist(enc.local_vars, u) if enc.local_vars else u

    def start_values(self) -> list[tuple]:
        """Story-wide start tuples with, flag by flag, every value the chapter can start with."""
        enc = self.enc
        n_story = len(enc.story.flags)
        if self.start_list is not None:
            return [s[:n_story] for s in self.start_list]
        if self.start_set == enc.false:
            return []
        per = []
        for s in range(n_story):
            gr = enc.groups[s]
            per.append([v for i, v in enumerate(gr.dom) if (self.start_set & gr.eqs[i]) != enc.false])
        width = max((len(p) for p in per), default=1)
        return [tuple(p[i % len(p)] for p in per) for i in range(width)]

    def handed_on(self, n_story: int) -> list[tuple]:
        return enumerate_story(self.enc, self.handed_on_set())

    # ---- making states concrete ---------------------------------------------------------
    def first(self, sets: Mapping[int, Any]) -> int | None:
        """The id of the first state (in the explicit explorer's order) of `sets` (node -> BDD)."""
        best = None
        for ni, u in sets.items():
            if u == self.enc.false:
                continue
            for k, lu in self.node_layers.get(ni, ()):
                if best is not None and k >= best:
                    break
                if (lu & u) != self.enc.false:
                    best = k
                    break
        if best is None:
            return None
        return self._first_in_layer(
            best, {ni: u & self.layers[best][ni] for ni, u in sets.items() if ni in self.layers[best]}
        )

    def _first_in_layer(self, k: int, p: dict) -> int:
        false = self.enc.false
        chain = [{ni: u for ni, u in p.items() if u != false}]
        for j in range(k - 1, -1, -1):
            want = chain[-1]
            pre = {}
            for m, lu in self.layers[j].items():
                if self.graph.is_ending[m]:
                    continue
                acc = false
                for mv in self.moves[m]:
                    t = want.get(mv.target)
                    if t is not None:
                        acc |= mv.guard & self._pre_move(mv, t)
                acc &= lu
                if acc != false:
                    pre[m] = acc
            assert pre, "a state of layer k has a parent in layer k-1"
            chain.append(pre)
        chain.reverse()
        sid = self._first_start(chain[0])
        for j in range(1, k + 1):
            sid = self._first_child(sid, chain[j])
        return sid

    def _pre_move(self, mv: _Move, u):
        for st in reversed(mv.steps):
            u = self.enc.preimage(u, st)
        return u

    def _img_move(self, mv: _Move, u):
        u = u & mv.guard
        for st in mv.steps:
            u = self.enc.image(u, st)
        return u

    def _intern(self, key: tuple, parent: int, via: int, rank: tuple) -> int:
        sid = self.key_ids.get(key)
        if sid is not None:
            return sid
        sid = len(self.keys)
        self.key_ids[key] = sid
        self.keys.append(key)  # type: ignore[attr-defined]  # a list here: only the states made concrete
        self.parent.append(parent)
        self.via_choice.append(via)
        self.rank[sid] = rank
        return sid

    def _first_start(self, p: dict) -> int:
        """The first start state in `p` (layer 0 is the start node's)."""
        enc = self.enc
        start_node = self.graph.index[self.chapter.start]
        u = p[start_node]
        n_story = len(self.enc.story.flags)
        if self.start_list is not None:
            for k, vals in enumerate(self.start_list):
                s = self._start_image(enc.story_cube(vals[:n_story]))
                if (s & u) != enc.false:
                    key = enc.decode(start_node, s & u)
                    return self._start_intern(key, tuple(vals), (k,))
            raise AssertionError("a state of layer 0 comes from a start")
        # the values the start states came from, smallest first in the explicit order (by repr)
        pre = u
        for st in reversed(self.start_steps):
            pre = enc.preimage(pre, st)
        q = enc.bdd.exist(enc.local_vars, pre) if enc.local_vars else pre
        q &= self.start_set
        chosen = []
        rank = []
        for s in range(n_story):
            gr = enc.groups[s]
            for r, v in enumerate(sorted(gr.dom, key=repr)):
                c = q & gr.eqs[gr.code[v]]
                if c != enc.false:
                    q = c
                    chosen.append(v)
                    rank.append(r)
                    break
        vals = tuple(chosen)
        s = self._start_image(enc.story_cube(vals)) & u
        key = enc.decode(start_node, s)
        return self._start_intern(
            key, vals + tuple(self.graph.defaults[n_story : len(self.chapter.layout)]), tuple(rank)
        )

    def _start_image(self, u):
        enc = self.enc
        u = u & self._local_defaults()
        for st in self.start_steps:
            u = enc.image(u, st)
        return u

    def _local_defaults(self):
        enc, g = self.enc, self.graph
        n_story = len(enc.story.flags)
        u = enc.true
        for slot in range(n_story, len(self.chapter.layout)):
            u &= enc.eq(slot, g.defaults[slot])
        if enc.ss is not None:
            u &= enc.eq(enc.ss, 0)
            for j in range(enc.depth):
                u &= enc.eq(enc.ss + 1 + j, None)
        for n in enc.seen_var.values():
            u &= ~enc.bdd.var(n)
        for n in enc.rec_var.values():
            u &= ~enc.bdd.var(n)
        return u

    def _start_intern(self, key: tuple, full_start: tuple, rank: tuple) -> int:
        if key in self.key_ids:
            return self.key_ids[key]
        self.starts.append(full_start)
        return self._intern(key, -len(self.starts), -1, ((0,) + rank,))

    def _first_child(self, sid: int, p: dict) -> int:
        key = self.keys[sid]
        ni = key[0]
        cube = self.enc.cube_of(key)
        for mv in self.moves[ni]:
            t = p.get(mv.target)
            if t is None:
                continue
            img = self._img_move(mv, cube)
            if img != self.enc.false and (img & t) != self.enc.false:
                child = self.enc.decode(mv.target, img)
                made = self._intern(child, sid, mv.choice.index, self.rank[sid] + ((mv.pos_in_row,),))
                if mv.draws and made not in self.via_draws and self.parent[made] == sid:
                    self.via_draws[made] = mv.draws
                return made
        raise AssertionError("the first state of the next layer is a child of this one")

    def witnesses(self, questions: Iterable) -> list[int]:
        """The first state of each question's set, in discovery order (duplicates once).
        A question is (node index, BDD), or a dict {node index: BDD}."""
        found = set()
        for q in questions:
            sets = {q[0]: q[1]} if isinstance(q, tuple) else q
            sets = {ni: u & self.at(ni) for ni, u in sets.items()}
            sid = self.first(sets)
            if sid is not None:
                found.add(sid)
        return sorted(found, key=self._order)

    def _order(self, sid: int) -> tuple:
        r = self.rank[sid]
        return (len(r), r)

    # ---- traps --------------------------------------------------------------------------
    def trapped(self) -> dict:
        """node index -> BDD of the reachable states there from which play can neither end nor
        stop (see explore.trapped_states): a backward fixed point over the moves."""
        enc, g = self.enc, self.graph
        false = enc.false
        preds: dict[int, list] = {}
        for m, mvs in enumerate(self.moves):
            for mv in mvs:
                preds.setdefault(mv.target, []).append((m, mv))
        good: dict[int, Any] = {}
        for ni, u in self.reached.items():
            if g.is_ending[ni]:
                good[ni] = u
                continue
            any_guard = false
            for mv in self.moves[ni]:
                any_guard |= mv.guard
            good[ni] = u & ~any_guard
        work = [ni for ni, u in good.items() if u != false]
        queued = set(work)
        while work:
            t = work.pop()
            queued.discard(t)
            for m, mv in preds.get(t, ()):
                if m not in self.reached or g.is_ending[m]:
                    continue
                add = self.reached[m] & mv.guard & self._pre_move(mv, good[t]) & ~good[m]
                if add != false:
                    good[m] = good[m] | add
                    if m not in queued:
                        queued.add(m)
                        work.append(m)
        return {ni: u & ~good[ni] for ni, u in self.reached.items() if (u & ~good[ni]) != false}


def enumerate_story(enc: Encoder, u, limit: int = 1_000_000) -> list[tuple]:
    """The story-wide value tuples of a set over the story's variables, sorted as the explicit
    explorer sorts what endings hand on; ValueError past `limit` tuples."""
    n_story = len(enc.story.flags)
    if not enc.story_vars:
        return [()] if u != enc.false else []
    count = int(enc.bdd.count(u, nvars=len(enc.story_vars))) if u != enc.false else 0
    if count > limit:
        raise ValueError(f"{count:,} story-wide states")
    out = set()
    for a in enc.bdd.pick_iter(u, care_vars=enc.story_vars):
        vals = []
        for s in range(n_story):
            gr = enc.groups[s]
            vals.append(gr.dom[sum(1 << k for k, n in enumerate(gr.names) if a.get(n))])
        out.add(tuple(vals))
    return sorted(out, key=repr)


# ---- the explorer ---------------------------------------------------------------------------


def encodable(story: Story, ch: Chapter) -> Unencodable | None:
    """None when the chapter can be explored symbolically, else why not (with a position)."""
    try:
        g = prepare(story, ch)
        _build(Manager(), story, ch, g, "c")
    except Unencodable as exc:
        return exc
    return None


def _as_written(st: _Step, e) -> _Step:
    """The step of a draw's fixed copy names the effect as written (its overflow is reported once)."""
    if e.draws_from is not None:
        st.written = e
    return st


def _key(st: _Step) -> int:
    """Which effect a step's overflow is reported as: the effect as written."""
    return id(st.written if st.written is not None else st.effect)


def _build(mgr: Manager, story: Story, ch: Chapter, g: ChapterGraph, tag: str):
    enc = Encoder(mgr, story, ch, g, tag)
    caps = enc.caps
    ss = enc.ss
    moves: list[list[_Move]] = []
    arrive: list[_Step] = []
    n_story = len(story.flags)
    for ni in range(len(g.ids)):
        const: dict = {}
        for slot in g.dead[ni]:
            gr = enc.groups[slot]
            i = gr.code[g.defaults[slot]]
            for k, n in enumerate(gr.names):
                const[n] = bool((i >> k) & 1)
        if g.seen_bit[ni]:
            const[enc.seen_var[g.seen_bit[ni]]] = True
        for bit, n in enc.rec_var.items():
            if g.record_bits[ni] & bit:
                const[n] = True
        arrive.append(enc.const_step(const))
    for ni, nid in enumerate(g.ids):
        node = ch.nodes[nid]
        row = []
        for pos, t in enumerate(g.transitions[ni]):
            c = t.choice
            try:
                guard = enc.pred(c.guard) if c.guard is not None else enc.true
                steps: list[_Step] = []
                if ss is not None and node.returns:
                    guard &= enc.top_is(c.key)
                    steps.append(enc.pop_step())
                steps += [_as_written(enc.effect_step(t.effect(e), caps), e) for e in c.all_effects]
                if ss is not None and c.returns_to is not None:
                    steps.append(enc.push_step(calls.place_of(c)))
                if not (c.resumes and node.returns):  # coming back to resume does not enter again
                    steps += [_as_written(enc.effect_step(t.effect(e), caps), e) for e in ch.nodes[c.target].enter]
            except Unencodable as exc:
                raise Unencodable(exc.what, exc.pos or c.pos or node.pos) from None
            steps.append(arrive[t.target])
            row.append(_Move(c, pos, t.target, guard, steps, t.draws, t.copy))
        moves.append(row)
    start_node = g.index[ch.start]
    start_steps = [enc.effect_step(e, caps) for e in ch.nodes[ch.start].enter] + [arrive[start_node]]
    del n_story
    return enc, moves, start_steps


def explore_symbolic(
    story: Story,
    ch: Chapter,
    starts: Iterable[tuple] | None = None,
    *,
    start_set=None,
    mgr: Manager | None = None,
    tracked_facts: Iterable[str] = (),
    max_memory_mib: float = DEFAULT_MAX_MEMORY_MIB,
    deadline: float | None = None,
    text_reads: bool = False,
    story_live: int | None = None,
    explicit_rate: float | None = None,
    max_states: int | None = None,
) -> SymbolicExploration:
    """Explore chapter `ch` from the story-wide start values `starts` (a list, as `explore`
    takes) or `start_set` (a BDD of `mgr` over the story's variables). Raises Unencodable.

    Stops (incomplete) at the memory bound (CUDD's own count of what its manager holds, which
    is also set as CUDD's hard limit, so no operation passes it), at `deadline`, and as soon as
    the growth of the sets from layer to layer projects past either (`projected`, see _Watch).
    Given `explicit_rate` (states a second the explicit explorer went at on this chapter) and
    `max_states`, it also stops ("slower") when the states it has found so far are few enough
    for the explicit explorer and it has already taken longer than that would."""
    t0 = time.perf_counter()
    if deadline is None:
        deadline = t0 + DEFAULT_MAX_SECONDS
    mgr = mgr or Manager()
    g = prepare(story, ch, tracked_facts, text_reads=text_reads, story_live=story_live)
    tag = f"c{story.chapters.index(ch) if ch in story.chapters else 0}"
    enc, moves, start_steps = _build(mgr, story, ch, g, tag)
    n_story = len(story.flags)
    start_list = None
    if start_set is None:
        start_list = [tuple(s) for s in dict.fromkeys(tuple(s) for s in (starts or ()))]
        start_set = enc.false
        for vals in start_list:
            start_set |= enc.story_cube(vals[:n_story])
    local_defaults = tuple(g.defaults[n_story : len(ch.layout)])
    ex = SymbolicExploration(
        g,
        [],
        keys=[],  # type: ignore[arg-type]  # a list: only the states made concrete
        enc=enc,
        moves=moves,
        start_set=start_set,
        start_steps=start_steps,
    )
    ex.start_list = [tuple(s[:n_story]) + local_defaults for s in start_list] if start_list is not None else None
    # layer 0: the start states, through the start node's entry
    u = start_set & ex._local_defaults()
    for st in start_steps:
        u = enc.image(u, st)
    start_node = g.index[ch.start]
    false = enc.false
    frontier = {start_node: u} if u != false else {}
    reached: dict[int, Any] = dict(frontier)
    ex.layers.append(dict(frontier))
    for ni, lu in frontier.items():
        ex.node_layers.setdefault(ni, []).append((0, lu))
    max_bytes = int(max_memory_mib * 1024 * 1024)
    watch = _Watch(mgr, max_bytes, deadline, _graph_depth(g, start_node), explicit_rate, max_states)
    try:
        while frontier:
            met = sum(_count(enc, u) for u in frontier.values()) if watch.counting() else 0
            ex.stopped_by = watch.after_layer(len(ex.layers) - 1, met)
            if ex.stopped_by:
                break
            new: dict[int, Any] = {}
            for k, (ni, s) in enumerate(frontier.items()):
                if g.is_ending[ni]:
                    continue
                if k % 64 == 63 and watch.bound():
                    break
                for mv in moves[ni]:
                    img = ex._img_move(mv, s)
                    if img != false:
                        new[mv.target] = new[mv.target] | img if mv.target in new else img
            frontier = {}
            for nj, img in new.items():
                old = reached.get(nj)
                fresh = img if old is None else img & ~old
                if fresh != false:
                    frontier[nj] = fresh
                    reached[nj] = fresh if old is None else old | fresh
            if frontier:
                for ni, lu in frontier.items():
                    ex.node_layers.setdefault(ni, []).append((len(ex.layers), lu))
                ex.layers.append(dict(frontier))
        ex.stopped_by = ex.stopped_by or watch.bound()
    except ValueError as exc:  # CUDD met its hard memory limit (the bound) inside one operation
        if "NULL" not in str(exc):
            raise
        ex.stopped_by = "memory"
    finally:
        watch.release()
    if ex.stopped_by:
        ex.complete = False
        ex.projected = watch.projected
    ex.reached = reached
    if not ex.complete:
        ex.state_count = watch.states if watch.counting() else _safe_count(enc, reached)
        ex.seconds = time.perf_counter() - t0
        return ex  # (the caller explores the chapter explicitly instead: see engines.Runner)
    nvars = len(enc.all_vars)
    ex.state_count = sum(int(enc.bdd.count(u, nvars=nvars)) for u in reached.values())
    _summarise(ex)
    ex.seconds = time.perf_counter() - t0
    return ex


def _summarise(ex: SymbolicExploration) -> None:
    """The summaries the explicit explorer fills as it goes: first states, offered choices,
    soft-locks, overflows, endings, the edges taken."""
    enc, g = ex.enc, ex.graph
    false = enc.false
    first_keys = {ni: {ni: u} for ni, u in ex.reached.items()}
    ex.first_at_node = _LazyFirst(first_keys, ex)  # type: ignore[assignment]
    offered: dict = {}
    edges = set()
    for ni, u in ex.reached.items():
        if g.is_ending[ni]:
            ex.endings[ni] = int(enc.bdd.count(u, nvars=len(enc.all_vars)))
            continue
        any_guard = false
        for mv in ex.moves[ni]:
            any_guard |= mv.guard
            on = u & mv.guard
            if on != false:
                offered.setdefault((ni, mv.choice.index), {ni: on})
                edges.add((ni, mv.target))
        stuck = u & ~any_guard
        if stuck != false:
            sid = ex.first({ni: stuck})
            assert sid is not None
            ex.softlocks[ni] = sid
    ex.offered = _LazyFirst(offered, ex)  # type: ignore[assignment]
    ex.edges = edges
    # overflows: per effect, the first state some move taking it past its bounds leaves from
    where: dict[int, dict] = {}
    effects: dict[int, Any] = {}
    for ni, u in ex.reached.items():
        if g.is_ending[ni]:
            continue
        for mv in ex.moves[ni]:
            for j, st in enumerate(mv.steps):
                if st.overflow is None:
                    continue
                src = st.overflow
                for prev in reversed(mv.steps[:j]):
                    src = enc.preimage(src, prev)
                src &= u & mv.guard
                if src != false:
                    d = where.setdefault(_key(st), {})
                    d[ni] = d[ni] | src if ni in d else src
                    effects[_key(st)] = st.written if st.written is not None else st.effect
    from .explore import Overflow

    for k, sets in where.items():
        sid = ex.first(sets)
        assert sid is not None
        key = ex.keys[sid]
        cube = enc.cube_of(key)
        number = 0
        for mv in ex.moves[key[0]]:
            if (cube & mv.guard) == false:
                continue
            number += 0 if mv.copy else 1  # (the copies of a move that draws are one choice)
            hit = False
            u = cube & mv.guard
            for st in mv.steps:
                if st.overflow is not None and _key(st) == k and (u & st.overflow) != false:
                    hit = True
                    break
                u = enc.image(u, st)
            if hit:
                ov = _overflow_value(enc, ex, key, mv, k)
                ex.overflows[k] = Overflow(sid, ex.number_of(sid, mv.choice.index), effects[k], ov, mv.draws)
                break


def _at(vals: tuple, names: dict, name: str):
    return vals[names[name]]


def _overflow_value(enc: Encoder, ex: SymbolicExploration, key: tuple, mv: _Move, k: int) -> int:
    """The value before clamping the effect computes in state `key` (as the explicit explorer
    reports it): the effects before it applied concretely, then its own value."""
    from ..expr import evaluate

    vals = list(key[1])
    seen = key[2]
    ch = ex.chapter
    names = {f.name: f.slot for f in ch.layout}
    bits = ch.seen_bits
    u = enc.cube_of(key) & mv.guard
    for st in mv.steps:
        if st.effect is not None and _key(st) == k:
            e = st.effect
            cur = enc.key_of(key[0], enc.bdd.pick(u, care_vars=enc.all_vars))[1]
            x = evaluate(e.expr.value, partial(_at, cur, names), lambda n: bool(seen & bits.get(n, 0)))
            return x if e.expr.op == "=" else cur[e.slot] + x if e.expr.op == "+=" else cur[e.slot] - x
        u = enc.image(u, st)
    del vals
    raise AssertionError("the effect is on the move")
