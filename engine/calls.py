"""Subroutine calls seen without a stack: the analyses that look at a chapter's graph
(the compiler, the dataflow fallback) and not at played states.

A call (`call:` on a choice, a node's `call:`, or a branch of its `next:`) enters its node and
comes back to the choice's `returns_to` when a returning node (`return: true`) is reached at
the same depth. Walking "at the same depth" steps over each nested call to where it returns,
and stops at returning nodes: they answer to the call the walk started from.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace

from . import expr as ex
from .model import AUTO, RESUME, Chapter, Choice, Node


def level_walk(nodes: Mapping[str, Node], start: str) -> tuple[list[str], list[Choice]]:
    """(nodes reached from `start` without returning, in the order met; the calls met on the
    way). A returning node reached is in the list, and the walk does not go past it."""
    walked, order, calls = {start}, [start], []
    queue = deque([start])
    while queue:
        here = nodes[queue.popleft()]
        if here.returns:
            continue
        if here.next is not None:
            ways = [here.next]
        else:
            ways = []
            for c in here.choices + here.branches:
                if c.returns_to is not None:
                    calls.append(c)
                    ways.append(c.returns_to)
                else:
                    ways.append(c.target)
        for t in ways:
            if t in nodes and t not in walked:
                walked.add(t)
                order.append(t)
                queue.append(t)
    return order, calls


def return_places(nodes: Mapping[str, Node]) -> dict[str, tuple[str, ...]]:
    """Per returning node, the places the calls that can reach it return to."""
    answers: dict[str, list[str]] = {nid: [] for nid, n in nodes.items() if n.returns}
    for node in nodes.values():
        for c in node.choices + node.branches:
            if c.returns_to is None or c.target not in nodes:
                continue
            for nid in level_walk(nodes, c.target)[0]:
                if nid in answers and c.returns_to not in answers[nid]:
                    answers[nid].append(c.returns_to)
    return {nid: tuple(back) for nid, back in answers.items()}


def returns_at_top(nodes: Mapping[str, Node], start: str) -> list[str]:
    """Returning nodes play can reach from the chapter's start with no call waiting (by `goto`):
    there, there is nothing to return to."""
    return [nid for nid in level_walk(nodes, start)[0] if nodes[nid].returns]


def deepest(nodes: Mapping[str, Node], start: str) -> int | None:
    """The deepest stack of calls play can build from `start`, on the graph alone (every call
    taken as possible); None when a call can lead to itself again (recursion: no bound here)."""
    memo: dict[str, int | None] = {}
    busy: set[str] = set()

    def inside(target: str) -> int | None:
        """How deep calls nest below a call of `target`."""
        if target in memo:
            return memo[target]
        if target in busy:
            return None
        busy.add(target)
        most: int | None = 0
        for c in level_walk(nodes, target)[1]:
            below = inside(c.target)
            if below is None:
                most = None
                break
            most = max(most, 1 + below)  # type: ignore[type-var]  # most is an int until None breaks out
        busy.discard(target)
        memo[target] = most
        return most

    return inside(start)


def flow_rings(ch: Chapter) -> list[list[str]]:
    """The rings of nodes play moves through by itself: each as its nodes in order, starting
    from the least id of the ring; one ring per strongly connected set of such nodes. A call from
    flow is walked at its own depth: into the called node, and over the call to where play
    carries on (so a returning node ends a walk, and two calls of one scene in a row are no
    ring); a call that can call itself again without a click is a ring."""
    flows = {nid for nid, n in ch.nodes.items() if n.flows}

    def ways(n: Node) -> list[str]:
        if n.next is not None:
            return [n.next]
        return [t for b in n.branches for t in (b.target, b.returns_to) if t is not None]

    succ = {nid: [t for t in dict.fromkeys(ways(ch.nodes[nid])) if t in flows] for nid in flows}
    rings: list[list[str]] = []
    for comp in _components(succ):
        first = min(comp)
        if len(comp) == 1 and first not in succ[first]:
            continue
        # a ring through the component from its least node: a shortest way back to it
        back: dict[str, str | None] = {first: None}
        queue = deque([first])
        end: str | None = None
        while queue and end is None:
            at = queue.popleft()
            for t in succ[at]:
                if t == first:
                    end = at
                    break
                if t in comp and t not in back:
                    back[t] = at
                    queue.append(t)
        ring: list[str] = []
        step = end
        while step is not None:
            ring.append(step)
            step = back[step]
        rings.append(ring[::-1])
    return sorted(rings, key=lambda r: r[0])


def _components(succ: dict[str, list[str]]) -> list[set[str]]:
    """Strongly connected components (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on, stack, out = set(), [], []
    for root in succ:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = len(index)
                stack.append(v)
                on.add(v)
            ws = succ[v]
            if i < len(ws):
                work.append((v, i + 1))
                w = ws[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            for w in ws:
                if w in on:
                    low[v] = min(low[v], low[w])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                out.append(comp)
    return out


# ---- the stack as a value ------------------------------------------------------------------
# Exploration and random play keep the call stack as one more value after the flags (a tuple of
# return places, innermost last), so a state with another stack is another state and their hot
# loops need no change; play keeps it in `runtime.State.stack`. These build the moves on it.


def ways_on(node: Node, backs: tuple[str, ...] | None = None) -> tuple[Choice, ...]:
    """The moves out of a node: its choices; or the one implicit move (index AUTO, which play
    makes by itself) of a `next:` node; or a conditional `next:`'s branches, each made to hold
    only where it is the first that holds (so exactly one is taken, as in play); or a returning
    node's implicit moves, one back to each of `backs` (default its `return_to`), each with the
    place it pops as its `key` (a place marked RESUME comes back without entering: `resumes`)."""
    if node.next is not None:
        return (Choice(index=AUTO, text="", target=node.next, pos=node.pos),)
    if node.branches:
        return first_true(node.branches)
    if node.returns:
        places = node.return_to if backs is None else backs
        return tuple(
            Choice(index=AUTO, text="", target=node_at(p), pos=node.pos, key=p, resumes=resumed(p)) for p in places
        )
    return node.choices


def first_true(branches: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """A conditional `next:`'s branches as moves that exclude each other: branch k holds where its
    own condition does and no earlier branch's does (the last, unconditional, where none does)."""
    out: list[Choice] = []
    for k, b in enumerate(branches):
        earlier = [x for x in branches[:k] if x.condition is not None]
        if not earlier:
            out.append(b)
            continue
        parts: tuple[ex.Expr, ...] = tuple(ex.Not(x.condition) for x in earlier if x.condition is not None)
        parts += (b.condition,) if b.condition is not None else ()
        tests = tuple(x.test for x in earlier)
        own = b.test

        def test(vals, seen, tests=tests, own=own):
            for t in tests:
                if t(vals, seen):
                    return False
            return own is None or bool(own(vals, seen))

        cond = parts[0] if len(parts) == 1 else ex.BoolOp("and", parts)
        out.append(replace(b, condition=cond, condition_src=ex.unparse(cond), test=test, guard=cond))
    return tuple(out)


def place_of(choice: Choice) -> str:
    """What a call pushes on the stack: where it returns to, marked RESUME when it resumes there."""
    assert choice.returns_to is not None
    return choice.returns_to + RESUME if choice.resumes else choice.returns_to


def node_at(place: str) -> str:
    """The node a place on the stack comes back to."""
    return place[: -len(RESUME)] if place.endswith(RESUME) else place


def resumed(place: str) -> bool:
    """Does coming back to this place resume there (no entry, no text) rather than arrive?"""
    return place.endswith(RESUME)


def has_calls(ch: Chapter) -> bool:
    return any(n.returns for n in ch.nodes.values()) or any(
        c.returns_to is not None for n in ch.nodes.values() for c in n.choices + n.branches
    )


def stack_slot(ch: Chapter) -> int | None:
    """The stack's place in the values: after the flags and visit counts; None without calls."""
    return len(ch.layout) if has_calls(ch) else None


def push(slot: int, back: str, depth: int) -> Callable:
    """A call's effect on the stack. At `depth` it does not push, so the states stay finite;
    `check` reports such a call (`call-depth`) from the states that offer it there."""
    return lambda vals, seen: vals[slot] + (back,) if len(vals[slot]) < depth else vals[slot]


def pop(slot: int) -> Callable:
    return lambda vals, seen: vals[slot][:-1]


def top_is(slot: int, back: str) -> Callable:
    """The test of a returning node's move back to `back`: taken when `back` is on top."""
    return lambda vals, seen: bool(vals[slot]) and vals[slot][-1] == back


def ways_back(ch: Chapter) -> dict[str, tuple[str, ...]]:
    """Per returning node, the places (as pushed: `place_of`) its move back may go in exploration
    and random play: those of the calls that can reach it, then every other place a call of the
    chapter pushes. The others are met only after a call made at `max_call_depth` did not push
    (reported as `call-depth`): the return then answers an outer call, and play goes back to
    wherever that one returns to."""
    every = list(dict.fromkeys(places(ch)))
    own = own_places(ch)
    return {nid: own[nid] + tuple(p for p in every if p not in own[nid]) for nid, n in ch.nodes.items() if n.returns}


def places(ch: Chapter) -> list[str]:
    """Every place a call of the chapter pushes, in the order written."""
    return [place_of(c) for n in ch.nodes.values() for c in n.choices + n.branches if c.returns_to is not None]


def own_places(ch: Chapter) -> dict[str, tuple[str, ...]]:
    """Per returning node, the places pushed by the calls that can reach it (`return_to`, marked)."""
    answers: dict[str, list[str]] = {nid: [] for nid, n in ch.nodes.items() if n.returns}
    for node in ch.nodes.values():
        for c in node.choices + node.branches:
            if c.returns_to is None or c.target not in ch.nodes:
                continue
            for nid in level_walk(ch.nodes, c.target)[0]:
                if nid in answers and place_of(c) not in answers[nid]:
                    answers[nid].append(place_of(c))
    return {nid: tuple(back) for nid, back in answers.items()}
