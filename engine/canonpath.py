"""The canonical path: the `canon: true` choices followed from the story's start.

One walk, chapter by chapter, serves `chronicle play --canon`, the canon checks
(`engine.check.canon`) and the golden transcripts. A chapter's leg ends at its ending, or
where the path breaks: no canonical choice is available, none is marked, or the path has
taken more steps than the chapter has nodes (so it loops).
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
    broken: str | None = None  # None, or why the path stops here: "loop", "unavailable" or "unmarked"

    @property
    def last(self) -> rt.State:
        return self.states[-1]

    def marked_choice(self, story: Story) -> Choice | None:
        """The choice marked canonical at the last node (the one that was not available)."""
        return next((c for c in rt.node_of(story, self.last).choices if c.canon), None)


def legs(story: Story) -> Iterator[Leg]:
    """The canonical path, one leg per chapter, in play order; raises rt.PlayError when the story
    cannot start."""
    state = rt.start(story)
    while True:
        chapter = story.chapter(state.chapter)
        states = [state]
        while not rt.is_ending(story, state):
            canon = [c for c in rt.available(story, state) if c.canon]
            if len(states) > len(chapter.nodes):
                yield Leg(chapter, states, "loop")
                return
            if not canon:
                node = rt.node_of(story, state)
                yield Leg(chapter, states, "unavailable" if any(c.canon for c in node.choices) else "unmarked")
                return
            state = rt.choose(story, state, canon[0])
            states.append(state)
        yield Leg(chapter, states)
        if rt.is_final(story, state):
            return
        state = rt.advance(story, state)


def canon_states(story: Story, chapter: str | None = None) -> tuple[list[rt.State], str | None]:
    """The states of the canonical path from the story's start (to the end of `chapter`, when
    given) and, if the path breaks on the way, why, in a sentence."""
    states: list[rt.State] = []
    for leg in legs(story):
        states += leg.states
        if leg.broken == "loop":
            return states, "the canonical path loops without reaching an ending"
        if leg.broken:
            return states, f"{leg.last.chapter}:{leg.last.node} offers no canonical choice in the canonical state"
        if chapter and leg.chapter.id == chapter:
            break
    return states, None
