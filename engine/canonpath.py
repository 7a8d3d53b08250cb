"""The canonical path: the `canon: true` choices followed from the story's start.

One walk, chapter by chapter, serves `chronicle play --canon`, the canon checks
(`engine.check.canon`) and the golden transcripts. A chapter's leg ends at its ending, or
where the path breaks: no canonical choice is available, none is marked, the path comes back
to a node with the same calls waiting (so it loops: from there it can only go the same way
again), or its canonical choice is a call made with `max_call_depth` calls already waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from . import runtime as rt
from .model import Chapter, Choice, Story


@dataclass(frozen=True)
class Leg:
    chapter: Chapter
    states: list[rt.State]  # from the chapter's first state to its ending, or to where the path broke
    broken: str | None = None  # None, or why the path stops here: "loop", "deep", "unavailable" or "unmarked"

    @property
    def last(self) -> rt.State:
        return self.states[-1]

    def marked_choice(self, story: Story) -> Choice | None:
        """The choice marked canonical at the last node (the one that was not available)."""
        return next((c for c in rt.node_of(story, self.last).choices if c.canon), None)


def legs(story: Story) -> Iterator[Leg]:
    """The canonical path, one leg per chapter, in play order; raises rt.PlayError when the story
    cannot start."""
    state = rt.start(story, draws=rt.AtLowest())
    while True:
        leg = walk(story, state)
        yield leg
        if leg.broken or rt.is_final(story, leg.last):
            return
        state = rt.advance(story, leg.last, rt.AtLowest())


def walk(story: Story, state: rt.State) -> Leg:
    """The canonical choices followed from `state` to the end of its chapter, or to where the
    path breaks."""
    chapter = story.chapter(state.chapter)
    states = [state]
    # A node's canonical choice is always the same one, so coming back to a node with the same
    # calls waiting means going round again (counting steps against the number of nodes is not
    # enough: a path may call one subroutine from several places, passing its nodes each time).
    been = set()
    while not rt.is_ending(story, state):
        canon = [c for c in rt.available(story, state) if c.canon]
        if (state.node, state.stack) in been:
            return Leg(chapter, states, "loop")
        been.add((state.node, state.stack))
        if not canon:
            node = rt.node_of(story, state)
            return Leg(chapter, states, "unavailable" if any(c.canon for c in node.choices) else "unmarked")
        if canon[0].returns_to is not None and len(state.stack) >= story.max_call_depth:
            return Leg(chapter, states, "deep")
        state = rt.choose(story, state, canon[0], rt.AtLowest())
        states.append(state)
    return Leg(chapter, states)


def canon_states(story: Story, chapter: str | None = None) -> tuple[list[rt.State], str | None]:
    """The states of the canonical path from the story's start (to the end of `chapter`, when
    given) and, if the path breaks on the way, why, in a sentence."""
    states: list[rt.State] = []
    for leg in legs(story):
        states += leg.states
        if leg.broken == "loop":
            return states, "the canonical path loops without reaching an ending"
        if leg.broken == "deep":
            return states, f"the canonical path calls deeper than max_call_depth ({story.max_call_depth}) allows"
        if leg.broken:
            return states, f"{leg.last.chapter}:{leg.last.node} offers no canonical choice in the canonical state"
        if chapter and leg.chapter.id == chapter:
            break
    return states, None
