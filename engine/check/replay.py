"""Turning a shortest path found by exploration into a `chronicle play ... --replay` command a
person can paste: the chapter, the starting flag values the finding depends on, the choices."""

from __future__ import annotations

from typing import Any

from ..expr import names_in
from ..model import Chapter, Story
from .explore import (
    Exploration,
)


class Replayer:
    """Turns a shortest path into a command a person can paste."""

    def __init__(self, story: Story, story_arg: str | None):
        self.story, self.story_arg = story, story_arg

    def command(
        self, ex: Exploration, sid: int, then: int | None = None, every_flag: bool = False, then_draws: tuple = ()
    ) -> str:
        """`every_flag`: keep every start value (for a finding about what play can still do from
        the state, like a trap, which flags read later on decide). `then_draws`: what the move
        after the state (`then`, or the one play makes by itself) draws, (flag, value) each."""
        start, _numbers, indices = ex.path(sid)
        numbers = ex.replay_items(sid)[1]
        if then is not None:
            numbers = numbers + [then]
        numbers = numbers + list(then_draws)
        keep = None if every_flag else _names_along(self.story, ex.chapter, indices, then, sid, ex)
        return self.command_for(ex.chapter, ex.starts[start], numbers, keep)

    def command_for(self, ch: Chapter, start_values: tuple, numbers: list, keep: set | None = None) -> str:
        """`keep`: the story-wide flags the finding can depend on (None: every one); a start
        value of any other flag is incidental and left out of the command. `numbers` are choice
        numbers and, where play draws, the values drawn as (flag, value): `roll=4`."""
        parts = ["chronicle play"]
        if self.story_arg:
            parts.append(f"--story {_quote(self.story_arg)}")
        parts.append(f"--chapter {ch.id}")
        for f in self.story.flags:
            v = start_values[f.slot]
            if v != f.default and (keep is None or f.name in keep):
                parts.append("--set " + _quote(f"{f.name}={show_value(v)}"))
        items = [x if isinstance(x, int) else f"{x[0]}={x[1]}" for x in numbers]
        parts.append(f"--replay {','.join(map(str, items))}" if items else '--replay ""')
        return " ".join(parts)


def _names_along(story: Story, ch: Chapter, indices: list[int], then: int | None, sid: int, ex: Exploration) -> set:
    """Every flag that can matter to a replay and to what it shows: what the conditions of the
    nodes along the path read (they decide which choices are on offer, and so their numbers),
    what the effects taken read, and, at the last node, its text's conditions and the `holds`
    of the facts it or its ending can be judged against. A flag read nowhere there cannot
    change the replay or the finding."""
    names: set = set()

    def node_reads(node) -> None:
        for c in node.choices + node.branches:  # (a branch of `next:` decides where play goes on)
            if c.guard is not None:
                names.update(names_in(c.guard))

    # The nodes along the path, from the explored states themselves: play goes on through
    # `next:` and returning nodes by itself (their entry effects are taken too), and where a
    # returning node goes depends on the call stack, which the states hold.
    chain = [sid]
    while ex.parent[chain[-1]] >= 0:
        chain.append(ex.parent[chain[-1]])
    chain.reverse()
    path_nodes = [ch.nodes[ex.node_of(s)] for s in chain]
    for k, s in enumerate(chain):
        node = path_nodes[k]
        for e in node.enter:
            names.update(names_in(e.expr))
        ci = ex.via_choice[s]
        if k > 0 and ci >= 0:
            for e in path_nodes[k - 1].choices[ci].effects:
                names.update(names_in(e.expr))
    for node in path_nodes:
        node_reads(node)
    last = path_nodes[-1]
    if then is not None:
        # `then` is the number offered at the last node: every available choice's effects may matter
        for c in last.choices:
            for e in c.effects:
                names.update(names_in(e.expr))
    for part in last.text:
        if part.condition is not None:
            names.update(names_in(part.condition))
    judged: set[str] = set()  # facts the last node can be judged against: an ending's, and what its words assert
    if last.ending:
        judged.update(ch.covers)
        judged.update(last.ending.diverges)
    parts: tuple[Any, ...] = (*last.text, *last.choices)  # text parts and choices alike may assert
    for part in parts:
        for key in ("asserts", "denies", "else_asserts", "else_denies"):
            judged.update(getattr(part, key, ()) or ())
    for fid in judged:
        fact = story.facts.get(fid)
        if fact is not None and fact.holds is not None:
            names.update(names_in(fact.holds))
    return names


def show_value(v) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)
