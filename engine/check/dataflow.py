"""A sound per-flag dataflow analysis: the fallback when exploration hits its bound.

For every node it computes, per flag, a set of values the flag may hold there
(an over-approximation: flags are treated as independent, and `seen()` as
unknown). Because the sets only ever over-approximate, some things are proved
outright:
  * a node the analysis never reaches is unreachable in play;
  * a choice whose condition is false for every combination of its flags' possible
    values is never available;
  * a node where some combination always leaves a choice open is no soft-lock;
  * an int effect whose every possible result lies in bounds never overflows;
  * a node from which an ending is reached through choices that are always open
    can never be part of a trap;
  * at an ending, a covered fact whose `holds` is true for every combination holds.
Everything it cannot prove is listed by name as unproven.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .. import calls
from ..expr import Random, evaluate, names_in, seen_in
from ..model import Chapter, Story

MAX_SET = 256  # an int flag with more possible values than this becomes "any value"
MAX_COMBOS = 4096  # combinations of flag values tried per expression
ANY = None  # the "any value of its type" marker


@dataclass
class Dataflow:
    chapter: Chapter
    env: dict  # node id -> tuple of per-slot value sets (frozenset or ANY)
    never_available: list = field(default_factory=list)  # (node id, Choice)
    unreached: list = field(default_factory=list)  # node ids
    softlock_free: set = field(default_factory=set)
    unproven_softlock: list = field(default_factory=list)
    unproven_bounds: list = field(default_factory=list)  # (node id, Choice, Effect)
    unproven_traps: list = field(default_factory=list)  # node ids
    divergence_errors: list = field(default_factory=list)  # (ending node id, Fact)
    unproven_divergence: list = field(default_factory=list)  # (ending node id, Fact)
    divergence_unused: list = field(default_factory=list)  # (ending node id, Fact): listed, yet holds there always
    end_env: tuple | None = None  # joined story-wide value sets at the endings
    calls_bounded: bool = True  # calls never nest deeper than max_call_depth, on the graph alone


def possible_values(expr, env: tuple, slots: dict, flags) -> set | None:
    """Every value `expr` can take when each flag ranges over its set; None if too many to try."""
    if isinstance(expr, Random):  # a draw: each value from lo to hi
        return set(range(expr.lo, expr.hi + 1))
    names = sorted(names_in(expr))
    seen_nodes = sorted(seen_in(expr))
    domains = []
    for n in names:
        vals = env[slots[n]]
        if vals is ANY:
            f = flags[slots[n]]
            if f.type == "int":
                if f.min is None or f.max is None or f.max - f.min + 1 > MAX_SET:
                    return None
                vals = range(f.min, f.max + 1)
            else:
                vals = (True, False) if f.type == "bool" else f.values
        domains.append(tuple(vals))
    domains += [(True, False)] * len(seen_nodes)
    total = 1
    for d in domains:
        total *= max(len(d), 1)
        if total > MAX_COMBOS:
            return None
    out = set()
    for combo in itertools.product(*domains):
        values = dict(zip(names, combo))
        seen = dict(zip(seen_nodes, combo[len(names) :]))

        def seen_of(n: str, seen: dict = seen) -> bool:
            return seen.get(n, False)

        out.add(evaluate(expr, values.__getitem__, seen_of))
    return out


def _compares(op: Callable[[Any, Any], bool], lit: Any, v: Any) -> bool:
    return op(v, lit)


def _refine(env: tuple, cond, slots: dict, flags) -> tuple:
    """Narrow the value sets by what a condition's simple conjuncts say (`x`, `not x`, `x >= 2`)."""
    from ..expr import CMP_FN, BoolOp, Compare, Lit, Not, Var

    conjuncts = list(cond.operands) if isinstance(cond, BoolOp) and cond.op == "and" else [cond]
    out = list(env)
    keep: Callable[[Any], bool]
    for c in conjuncts:
        if isinstance(c, Var):
            slot, keep = slots[c.name], (lambda v: v is True)
        elif isinstance(c, Not) and isinstance(c.operand, Var):
            slot, keep = slots[c.operand.name], (lambda v: v is False)
        elif isinstance(c, Compare) and isinstance(c.left, Var) and isinstance(c.right, Lit):
            op, lit = CMP_FN[c.op], c.right.value
            slot, keep = slots[c.left.name], partial(_compares, op, lit)
        else:
            continue
        vals = out[slot]
        if vals is ANY:
            f = flags[slot]
            if f.type == "bool":
                vals = frozenset((True, False))
            elif f.type == "enum":
                vals = frozenset(f.values)
            elif f.min is not None and f.max is not None and f.max - f.min < MAX_SET:
                vals = frozenset(range(f.min, f.max + 1))
            else:
                continue
        out[slot] = frozenset(v for v in vals if keep(v))
    return tuple(out)


def _join(a: tuple, b: tuple) -> tuple:
    out = []
    for x, y in zip(a, b):
        if x is ANY or y is ANY:
            out.append(ANY)
        else:
            u = x | y
            out.append(u if len(u) <= MAX_SET else ANY)
    return tuple(out)


def moves(ch: Chapter, node) -> tuple:
    """The ways on from a node (`calls.ways_on`): a returning node's go back to every place a
    call reaching it returns to (the stack is not modelled: which of them play takes is left
    open, which stays sound), each as pushed (a way back that resumes does not enter its node)."""
    if node.returns:
        return calls.ways_on(node, _own_places(ch).get(node.id))
    return calls.ways_on(node)


_OWN: list = []  # (chapter, calls.own_places of it): the last few chapters asked about


def _own_places(ch: Chapter) -> dict:
    for known, answer in _OWN:
        if known is ch:
            return answer
    answer = calls.own_places(ch)
    _OWN[:] = [(ch, answer)] + _OWN[:3]
    return answer


def effects_of(ch: Chapter, c) -> tuple:
    """Everything a move does to the values: the choice's effects and count, then the destination's
    entry (none for a way back that resumes at the node that made the call)."""
    if c.resumes and c.index < 0:
        return c.all_effects
    return c.all_effects + ch.nodes[c.target].enter


def analyse(story: Story, ch: Chapter, start_env: tuple) -> Dataflow:
    """Run the analysis from `start_env` (one value set per slot of the chapter's layout)."""
    flags = ch.layout
    slots = {f.name: f.slot for f in flags}
    start_env = _apply(list(start_env), ch.nodes[ch.start].enter, slots, flags)
    env: dict[str, tuple] = {ch.start: start_env}
    work = deque([ch.start])
    queued = {ch.start}  # a node waits in the queue once: a hub of 400 choices that each widen it once
    while work:  # otherwise queued itself 400 times per pass (minutes, where this takes a second)
        nid = work.popleft()
        queued.discard(nid)
        here = env[nid]
        for c in moves(ch, ch.nodes[nid]):
            if c.guard is not None:
                p = possible_values(c.guard, here, slots, flags)
                if p is not None and True not in p:
                    continue
            after = list(_refine(here, c.guard, slots, flags)) if c.guard is not None else list(here)
            new = _apply(after, effects_of(ch, c), slots, flags)
            old = env.get(c.target)
            merged = new if old is None else _join(old, new)
            if merged != old:
                env[c.target] = merged
                if c.target not in queued:
                    queued.add(c.target)
                    work.append(c.target)
    return _conclusions(story, ch, env, slots)


def _apply(after: list, effects, slots: dict, flags) -> tuple:
    """The value sets after a run of effects (over-approximated)."""
    for eff in effects:
        p = possible_values(eff.expr.value, tuple(after), slots, flags)
        f = flags[eff.slot]
        if p is None:
            after[eff.slot] = ANY
            continue
        if eff.expr.op != "=":
            cur = after[eff.slot]
            if cur is ANY:
                after[eff.slot] = ANY
                continue
            sign = 1 if eff.expr.op == "+=" else -1
            p = {a + sign * b for a in cur for b in p}
        if f.type == "int":
            lo = f.min if f.min is not None else eff.min
            hi = f.max if f.max is not None else eff.max
            p = {min(max(v, lo if lo is not None else v), hi if hi is not None else v) for v in p}
        after[eff.slot] = frozenset(p) if len(p) <= MAX_SET else ANY
    return tuple(after)


def _conclusions(story: Story, ch: Chapter, env: dict, slots: dict) -> Dataflow:
    from ..expr import BoolOp

    flags = ch.layout
    df = Dataflow(ch, env)
    always_open: dict[str, list] = {}
    at_top = set(calls.returns_at_top(ch.nodes, ch.start))
    if any(c.returns_to is not None for n in ch.nodes.values() for c in n.choices + n.branches):
        most = calls.deepest(ch.nodes, ch.start)
        df.calls_bounded = most is not None and most <= story.max_call_depth
    for nid, node in ch.nodes.items():
        if nid not in env:
            df.unreached.append(nid)
            continue
        here = env[nid]
        if node.ending:
            continue
        opened = []
        for c in moves(ch, node):
            p = possible_values(c.guard, here, slots, flags) if c.guard is not None else {True}
            if p is not None and True not in p:
                df.never_available.append((nid, c))
            if p == {True}:
                opened.append(c)
            if p is None or True in p:
                after = list(_refine(here, c.guard, slots, flags)) if c.guard is not None else list(here)
                for eff in effects_of(ch, c):
                    f = flags[eff.slot]
                    raw = possible_values(eff.expr.value, tuple(after), slots, flags)
                    if f.type == "int" and (f.min is not None or f.max is not None):
                        if raw is None or after[eff.slot] is ANY and eff.expr.op != "=":
                            df.unproven_bounds.append((nid, c, eff))
                        else:
                            cur = after[eff.slot] if eff.expr.op != "=" else {0}
                            sign = {"=": 0, "+=": 1, "-=": -1}[eff.expr.op]
                            results = raw if sign == 0 else {a + sign * b for a in cur for b in raw}
                            if any(
                                (f.min is not None and v < f.min) or (f.max is not None and v > f.max) for v in results
                            ):
                                df.unproven_bounds.append((nid, c, eff))
                    after[eff.slot] = ANY  # later effects: stay sound without re-deriving
        always_open[nid] = opened
        if node.returns and nid in at_top:
            df.unproven_softlock.append(nid)  # reached by `goto` with no call waiting, maybe
            continue
        if opened:
            df.softlock_free.add(nid)
        else:
            # try the disjunction of all conditions as one expression: exact for independent flags
            conds = [c.guard for c in node.choices if c.guard is not None]
            if len(conds) == len(node.choices) and conds:
                p = possible_values(BoolOp("or", tuple(conds)) if len(conds) > 1 else conds[0], here, slots, flags)
                if p == {True}:
                    df.softlock_free.add(nid)
                    continue
            df.unproven_softlock.append(nid)
    # traps: nodes from which an ending is reached through always-open choices are safe. A node
    # can turn safe only when one of its moves' targets does: a worklist over predecessors, from
    # the endings back (one look at a node per target of it that turns safe, not a sweep of every
    # node per layer).
    from ..expr import BoolOp

    safe = {nid for nid, n in ch.nodes.items() if n.ending and nid in env}
    preds: dict[str, list[str]] = {}
    for nid in always_open:
        for c in moves(ch, ch.nodes[nid]):
            preds.setdefault(c.target, []).append(nid)

    def turns_safe(nid: str) -> bool:
        node = ch.nodes[nid]
        into_safe = [c for c in moves(ch, node) if c.target in safe]
        if not into_safe:
            return False
        if node.returns:  # play goes back to one of them, which one the stack decides: all must be safe
            return nid not in at_top and len(into_safe) == len(moves(ch, node))
        if any(c.guard is None for c in into_safe):
            return True
        alternatives = tuple(c.guard for c in into_safe)
        either = alternatives[0] if len(alternatives) == 1 else BoolOp("or", alternatives)
        return possible_values(either, env[nid], slots, flags) == {True}

    work = deque(safe)
    while work:
        t = work.popleft()
        for nid in dict.fromkeys(preds.get(t, ())):
            if nid not in safe and turns_safe(nid):
                safe.add(nid)
                work.append(nid)
    df.unproven_traps = [nid for nid in env if nid not in safe]
    # divergence at endings
    n_story = len(story.flags)
    covered = [story.facts[f] for f in ch.covers if f in story.facts and story.facts[f].holds is not None]
    end_env = None
    for nid, node in ch.nodes.items():
        if not node.ending or nid not in env:
            continue
        story_part = env[nid][:n_story]
        end_env = story_part if end_env is None else _join(end_env, story_part)
        for fact in covered:
            if fact.id in node.ending.diverges:
                if possible_values(fact.holds, env[nid], slots, flags) == {True}:
                    df.divergence_unused.append((nid, fact))
                continue
            p = possible_values(fact.holds, env[nid], slots, flags)
            if p == {False}:
                df.divergence_errors.append((nid, fact))
            elif p is None or False in p:
                df.unproven_divergence.append((nid, fact))
    df.end_env = end_env
    return df


def start_env(story: Story, ch: Chapter, starts: list[tuple] | None, carried: tuple | None = None) -> tuple:
    """Value sets at a chapter's start: the union of concrete starts, joined with carried sets."""
    n_story = len(story.flags)
    env = []
    for f in ch.layout:
        if f.slot < n_story:
            vals = frozenset(s[f.slot] for s in (starts or ())) or frozenset([f.default])
            if carried is not None:
                c = carried[f.slot]
                vals = ANY if c is ANY else vals | c
        else:
            vals = frozenset([f.default])
        env.append(vals)
    return tuple(env)
