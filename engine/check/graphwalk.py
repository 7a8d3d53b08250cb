"""A depth-first walk over a graph in CSR form, for the longest paths that close no loop.

The successors of v are succ[succ_start[v]:succ_start[v + 1]]. The walk gives the vertices
in post-order and the back edges (the edges that close a loop); without the back edges the
graph is acyclic, and the reverse post-order is a topological order of it. Both the choice
analysis (most words read) and the authoring statistics (longest playthrough) relax along it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence


def post_order(
    n: int,
    succ_start: Sequence[int],
    succ: Sequence[int],
    starts: Iterable[int],
    stop: Callable[[int], bool] | None = None,
) -> tuple[list[int], set[tuple[int, int]]]:
    """(the vertices reached from `starts` in post-order, the back edges met).

    `stop(v)` true: the walk does not go on from v (an ending: play stops there)."""
    state = bytearray(n)  # 0 new, 1 on the stack, 2 finished
    post: list[int] = []
    back: set[tuple[int, int]] = set()
    for s in starts:
        if state[s]:
            continue
        state[s] = 1
        stack = [[s, succ_start[s], succ_start[s] if stop is not None and stop(s) else succ_start[s + 1]]]
        while stack:
            top = stack[-1]
            v, k, end = top
            if k < end:
                top[1] = k + 1
                t = succ[k]
                if state[t] == 0:
                    state[t] = 1
                    stack.append(
                        [t, succ_start[t], succ_start[t] if stop is not None and stop(t) else succ_start[t + 1]]
                    )
                elif state[t] == 1:
                    back.add((v, t))
                continue
            stack.pop()
            state[v] = 2
            post.append(v)
    return post, back
