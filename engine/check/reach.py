"""Exploring chapters in play order, as `check` does, for the authoring tools.

Chapter N is explored from every story-wide state an ending of chapter N-1 can
hand on (the first chapter from the story's defaults). A chapter that nothing
leads into (the one before it has no reachable ending) is not explored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..model import Chapter, Story
from .explore import (
    BOUND_WORDS,
    DEFAULT_MAX_MEMORY_MIB,
    DEFAULT_MAX_SECONDS,
    DEFAULT_MAX_STATES,
    Exploration,
    bound_option,
    explore,
)


@dataclass
class Reach:
    explorations: dict = field(default_factory=dict)  # chapter id -> Exploration, in play order
    cut_off: str | None = None  # the first chapter nothing leads into, if any
    complete: bool = True

    def exploration(self, chapter_id: str) -> Exploration | None:
        return self.explorations.get(chapter_id)

    def why_inexact(self, story: Story, chapter_id: str) -> str | None:
        """Why figures for `chapter_id` cannot rest on its states: the bound that stopped its
        exploration ("states", "memory", "time"), "earlier" when an earlier chapter's stopped
        (so this one's starts are not all known), "unexplored" when nothing led into it; None
        when it and every chapter before it were explored whole."""
        for ch in story.chapters:
            ex = self.exploration(ch.id)
            mine = ch.id == chapter_id
            if ex is None:
                return "unexplored" if mine else "earlier"
            if not ex.complete:
                return (ex.stopped_by or "states") if mine else "earlier"
            if mine:
                return None
        return "unexplored"


def inexact_words(reason: str) -> str:
    """What `Reach.why_inexact` found, in words a report can print after "measured on the graph"."""
    if reason in BOUND_WORDS:
        return f"its exploration stopped at the {BOUND_WORDS[reason]}; raise {bound_option(reason)} for exact figures"
    if reason == "earlier":
        return "an earlier chapter's exploration stopped at a bound, so this chapter's starts are not all known"
    return "nothing leads into it, so it was not explored"


def explore_story(
    story: Story,
    until: str | None = None,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    text_reads: bool = False,
    story_live: Callable[[Chapter], int] | None = None,
    max_memory_mib: float = DEFAULT_MAX_MEMORY_MIB,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> Reach:
    """Explore chapters in play order, stopping after `until` (a chapter id) when given.

    The bounds are `check`'s: states over the whole story, memory per chapter (by the
    explorer's own count), seconds over the whole story. `text_reads` and `story_live` are
    handed to the explorer (see `explore.prepare`)."""
    deadline = time.perf_counter() + max_seconds
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
            max_memory_mib=max_memory_mib,
            deadline=deadline,
        )
        budget -= len(ex.keys)
        reach.explorations[ch.id] = ex
        if not ex.complete:
            reach.complete = False
        if ch.id == until:
            break
        starts = ex.handed_on(n_story)
    return reach
