"""Exploring chapters in play order, as `check` does, for the authoring tools.

Chapter N is explored from every story-wide state an ending of chapter N-1 can
hand on (the first chapter from the story's defaults). A chapter that nothing
leads into (the one before it has no reachable ending) is not explored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..model import Chapter, Story
from .explore import DEFAULT_MAX_STATES, Exploration, explore


@dataclass
class Reach:
    explorations: dict = field(default_factory=dict)  # chapter id -> Exploration, in play order
    cut_off: str | None = None  # the first chapter nothing leads into, if any
    complete: bool = True

    def exploration(self, chapter_id: str) -> Exploration | None:
        return self.explorations.get(chapter_id)


def explore_story(
    story: Story,
    until: str | None = None,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    text_reads: bool = False,
    story_live: Callable[[Chapter], int] | None = None,
) -> Reach:
    """Explore chapters in play order, stopping after `until` (a chapter id) when given.

    `text_reads` and `story_live` are handed to the explorer (see `explore.prepare`)."""
    reach = Reach()
    starts = [story.story_defaults]
    n_story = len(story.flags)
    budget = max_states
    for ch in story.chapters:
        if not starts:
            reach.cut_off = ch.id
            break
        ex = explore(
            story,
            ch,
            starts,
            max_states=max(budget, 1),
            text_reads=text_reads,
            story_live=story_live(ch) if story_live else None,
        )
        budget -= len(ex.keys)
        reach.explorations[ch.id] = ex
        if not ex.complete:
            reach.complete = False
        if ch.id == until:
            break
        starts = ex.handed_on(n_story)
    return reach
