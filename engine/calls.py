"""Subroutine calls seen without a stack: the analyses that look at a chapter's graph
(the compiler, the dataflow fallback) and not at played states.

A call (`call:` on a choice) enters its node and comes back to the choice's `returns_to` when
a returning node (`return: true`) is reached at the same depth. Walking "at the same depth"
steps over each nested call to where it returns, and stops at returning nodes: they answer to
the call the walk started from.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping

from .model import AUTO, Chapter, Choice, Node


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
            for c in here.choices:
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
        for c in node.choices:
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


# ---- the stack as a value ------------------------------------------------------------------
# Exploration and random play keep the call stack as one more value after the flags (a tuple of
# return places, innermost last), so a state with another stack is another state and their hot
# loops need no change; play keeps it in `runtime.State.stack`. These build the moves on it.


def ways_on(node: Node, backs: tuple[str, ...] | None = None) -> tuple[Choice, ...]:
    """The moves out of a node: its choices; or the one implicit move (index AUTO, which play
    makes by itself) of a `next:` node; or a returning node's implicit moves, one back to each
    of `backs` (default its `return_to`)."""
    if node.next is not None:
        return (Choice(index=AUTO, text="", target=node.next, pos=node.pos),)
    if node.returns:
        places = node.return_to if backs is None else backs
        return tuple(Choice(index=AUTO, text="", target=back, pos=node.pos) for back in places)
    return node.choices


def has_calls(ch: Chapter) -> bool:
    return any(n.returns for n in ch.nodes.values()) or any(
        c.returns_to is not None for n in ch.nodes.values() for c in n.choices
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
    """Per returning node, the places its move back may go in exploration and random play: its
    `return_to`, then every other place a call of the chapter returns to. The others are met
    only after a call made at `max_call_depth` did not push (reported as `call-depth`): the
    return then answers an outer call, and play goes back to wherever that one returns to."""
    every = list(dict.fromkeys(c.returns_to for n in ch.nodes.values() for c in n.choices if c.returns_to is not None))
    return {
        nid: n.return_to + tuple(p for p in every if p not in n.return_to) for nid, n in ch.nodes.items() if n.returns
    }
