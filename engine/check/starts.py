"""Can play really start here? The story-wide values a `--set` asks for, against the ones
earlier chapters' endings hand on.

`play --chapter C --set flag=value` tries a scene from any values the flags accept, which
is what an author wants, but a combination no way through the story produces (a flag set by
one ending together with one set by another) tries a scene no reader will ever see. This
module says so, and where that combination does arise, so the author is never misled by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Chapter, Story
from .reach import explore_story


@dataclass(frozen=True)
class StartVerdict:
    """What exploration says of a chapter's starting story-wide values."""

    possible: bool  # some way through the story starts the chapter with them
    known: bool  # exploration up to the chapter was complete, so `possible` is proved
    arises_in: tuple[str, ...] = ()  # chapters whose start can have them instead
    message: str = ""  # for the author, when not possible


def judge_start(
    story: Story, chapter_id: str, values: tuple, set_names: list[str], at: str | None = None
) -> StartVerdict:
    """Judge the story-wide part of `values` (a starting state's values) for `chapter_id`.

    Only the story-wide flags named in `set_names` (the ones the author set) are compared:
    the rest take their defaults in a tried scene, which is not what is in question. With
    `at` (a node inside the chapter), a flag the chapter itself assigns may have any value
    there, so it is left out too."""
    n_story = len(story.flags)
    chapter = next(c for c in story.chapters if c.id == chapter_id)
    by_name = {f.name: f for f in story.flags}
    judged = [by_name[n] for n in dict.fromkeys(set_names) if n in by_name]
    if at is not None and at != chapter.start:
        assigned = _assigned_slots(chapter)
        judged = [f for f in judged if f.slot not in assigned]
    if not judged:
        return StartVerdict(possible=True, known=True)
    want = {f.slot: values[f.slot] for f in judged}
    order = [c.id for c in story.chapters]
    number = order.index(chapter_id) + 1

    def starts_of(reach) -> dict[str, list[tuple]]:
        out: dict[str, list[tuple]] = {}
        earlier = [story.story_defaults]
        for ch in story.chapters:
            out[ch.id] = earlier
            ex = reach.exploration(ch.id) if reach is not None else None
            if ex is None:
                break
            earlier = ex.handed_on(n_story) if ex.complete else []
        return out

    def arises(starts: dict, chapter: str) -> bool:
        return any(all(s[slot] == v for slot, v in want.items()) for s in starts.get(chapter, []))

    # Only the chapters before this one decide it; the rest are explored only to say where
    # the combination does arise, once it is known not to arise here.
    reach = explore_story(story, until=order[number - 2]) if number > 1 else None
    explored = [reach.exploration(c) for c in order[: number - 1]] if reach is not None else []
    known = all(ex is not None and ex.complete for ex in explored)
    if not known or arises(starts_of(reach), chapter_id):
        return StartVerdict(possible=True, known=known)
    starts = starts_of(explore_story(story))
    others = tuple(c for c in order if c != chapter_id and arises(starts, c))
    shown = " and ".join(f"{f.name}={_word(values[f.slot])}" for f in judged)
    if number == 1:
        why = "the story starts with every story-wide flag at its default"
    else:
        why = f"no ending of chapter {number - 1} ({order[number - 2]}) hands them on"
    msg = f"no way through the story starts chapter {number} ({chapter_id}) with {shown}: {why}"
    if others:
        msg += "; that combination arises at the start of " + ", ".join(
            f"chapter {order.index(c) + 1} ({c})" for c in others
        )
    return StartVerdict(possible=False, known=True, arises_in=others, message=msg + ".")


def _assigned_slots(chapter: Chapter) -> set[int]:
    slots: set[int] = set()
    for node in chapter.nodes.values():
        slots.update(e.slot for e in node.enter)
        for c in node.choices:
            slots.update(e.slot for e in c.all_effects)
    return slots


def _word(value) -> str:
    return "true" if value is True else "false" if value is False else str(value)
