"""The one interface over both explorers: the reachable states of a chapter, as something a
consumer can ask questions of, without knowing which explorer ran.

Both explorations fill the same summaries (`first_at_node`, `offered`, `softlocks`, `overflows`,
`edges`, `endings`) with state ids whose `keys`, `path`, `number_of` and `values_of` work alike.
A consumer that walks states in breadth-first order to find the first one where something
holds walks `scan(ex, questions)` instead of every id: for the explicit explorer that is every
state, in order; for the symbolic one (`symbolic.SymbolicExploration`) it is the first state of
each of the consumer's questions (`questions(sx)` gives (node index, BDD) pairs or
{node index: BDD} dicts, over `sx.enc` and `sx.moves`), which are exactly the states such a
walk can report, in the same order. The walk itself, and so the finding, is the same code.
A consumer that judges the states of a few nodes only walks `scan_node(ex, nodes, questions)`:
the explicit explorer's states at those nodes, grouped once per exploration, in the same order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any


def is_symbolic(ex) -> bool:
    return hasattr(ex, "witnesses")


def scan(ex, questions: Callable[[Any], Iterable]) -> Sequence[int]:
    """The states a breadth-first walk looking for the first state of each question must see."""
    if is_symbolic(ex):
        return ex.witnesses(questions(ex))
    return range(len(ex.keys))


def scan_node(ex, nodes: Iterable[int], questions: Callable[[Any], Iterable]) -> Sequence[int]:
    """As `scan`, for a consumer that looks only at the states of `nodes` (node indices): for the
    explicit explorer, the states at those nodes alone, in the same breadth-first order, so no other
    state is unpacked; for the symbolic one, the witnesses of the questions, as `scan` gives them.
    Either way the consumer still passes over a state at any other node."""
    if is_symbolic(ex):
        return ex.witnesses(questions(ex))
    by = ex.keys.by_node()
    lists = [by[ni] for ni in set(nodes) if ni in by]
    if len(lists) == 1:
        return lists[0]
    return sorted(itertools.chain.from_iterable(lists))


def scan_endings(ex, questions: Callable[[Any], Iterable]) -> Sequence[int]:
    """As `scan`, over the ending states only (`Exploration.ending_states` for an explicit one)."""
    if is_symbolic(ex):
        return ex.witnesses(questions(ex))
    return ex.ending_states


def trap_witnesses(ex) -> list[int]:
    """The trapped states a consumer looks at (see explore.trapped_states), shortest first:
    every one for the explicit explorer, the first at each node for the symbolic one."""
    if is_symbolic(ex):
        return ex.witnesses(ex.trapped().items())
    from .explore import trapped_states

    return trapped_states(ex)


def start_values(ex, n_story: int) -> list[tuple]:
    """Story-wide start values with, flag by flag, every value the chapter can start with (all
    the dataflow analysis reads of the starts)."""
    if is_symbolic(ex):
        return ex.start_values()
    return [s[:n_story] for s in ex.starts]


def first_state(ex) -> int | None:
    """The id of the first state explored (the first start), or None when there is none."""
    if is_symbolic(ex):
        start = ex.graph.index[ex.chapter.start]
        return ex.first_at_node[start] if start in ex.first_at_node else None
    return 0 if len(ex.keys) else None


def state_count(ex) -> int:
    return ex.state_count if is_symbolic(ex) else len(ex.keys)
