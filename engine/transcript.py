"""Plain-text play: the transcript printed by `--script`, `--canon`, `--replay`
and by the player when its input is not a terminal. No terminal control at all.

Place and date are shown on the chapter card and again wherever they change
(`-- place, date --`); a node that records a documented fact says so after its
prose (`[History: statement (date)]`, or `[In this story: ...]` for a story fact).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from typing import TextIO

from . import runtime as rt
from .model import Story
from .runtime import State
from .textsafe import clean

WIDTH = 78


def wrap(paragraph: str, width: int = WIDTH, indent: str = "") -> str:
    return textwrap.fill(
        clean(paragraph), width=width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def where_of(story: Story, state: State) -> str:
    """'Place, date' as the node shows them (its own, or the ones every way in agrees on)."""
    node = rt.node_of(story, state)
    return ", ".join(x for x in (node.shown_place, node.shown_date.human() if node.shown_date else None) if x)


def chapter_card(story: Story, state: State) -> list[str]:
    ch = story.chapter(state.chapter)
    number = [c.id for c in story.chapters].index(ch.id) + 1
    where = where_of(story, state)
    lines = [f"== Chapter {number}: {clean(ch.title)} =="]
    if where:
        lines.append(clean(where))
    return lines


def scene_lines(story: Story, state: State, width: int = WIDTH, skip: int = 0) -> list[str]:
    """The node's prose, then its ending or its numbered choices (`skip`: leave out the first
    paragraphs, already shown)."""
    out = []
    for p in rt.node_text(story, state)[skip:]:
        out.append(wrap(p, width))
        out.append("")
    node = rt.node_of(story, state)
    for fid in node.records:
        fact = story.facts[fid]
        # the story's own facts are told apart from documented history
        out.append(
            wrap(f"[{'In this story' if fact.story else 'History'}: {fact.statement} ({fact.date.human()})]", width)
        )
        out.append("")
    if node.ending:
        e = node.ending
        words = ending_kind_words(e.kind)
        out.append(f"*** {clean(e.title)} ({words}) ***" if words else f"*** {clean(e.title)} ***")
        broken = [story.facts[f] for f in e.diverges]
        for heading, facts in (
            ("History you changed", [f for f in broken if not f.story]),
            ("Events of this story you changed", [f for f in broken if f.story]),
        ):
            if facts:
                out.append(f"{heading}:")
                out += [
                    textwrap.fill(
                        "- " + clean(rt.told_broken(f)) + f" ({f.date.human()})",
                        width=width,
                        initial_indent="  ",
                        subsequent_indent="    ",
                        break_on_hyphens=False,
                    )
                    for f in facts
                ]
        out.append("")
    else:
        offered = rt.available(story, state)
        for i, c in enumerate(offered, 1):
            out.append(wrap(f"{i}. {c.text}", width, "  "))
        if not offered:
            out.append(
                "(No choice is available here: the story is stuck. `chronicle check` reports this as a soft-lock.)"
            )
        out.append("")
    return out


def ending_kind_words(kind: str | None) -> str | None:
    """How an ending stands to history; a story without history has no such words (None),
    or the author's own good/bad/neutral."""
    return {
        "canon": "the documented history",
        "personal": "a personal fate; history holds",
        "divergent": "history diverges",
        "good": "a good ending",
        "bad": "a bad ending",
        "neutral": "an ending",
    }.get(kind or "")


class TextPlayer:
    """Drives play from a source of moves, writing a plain transcript."""

    def __init__(self, story: Story, out: TextIO, width: int = WIDTH):
        self.story, self.out, self.width = story, out, width
        self.where = ""  # the place and date last shown

    def emit(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.out.write(line + "\n")

    def show(self, state: State, new_chapter: bool) -> None:
        where = where_of(self.story, state)
        said = 0
        if new_chapter:
            self.emit(chapter_card(self.story, state) + [""])
        elif where and where != self.where:
            # place and date wherever they change, as the player's toolbar shows them; what the
            # chosen choice says belongs to the moment of choosing, before the change
            said = state.said
            for p in state.lead[:said]:
                self.emit([wrap(p, self.width), ""])
            self.emit([f"-- {clean(where)} --", ""])
        if where:
            self.where = where
        self.emit(scene_lines(self.story, state, self.width, skip=said))

    def run(
        self, first: State, next_number: Callable[[State], int | None], more: Callable[[], bool] = lambda: True
    ) -> tuple[State, int]:
        """Play from `first`, asking `next_number` for each choice (None stops).

        At an ending, play goes on into the next chapter when `more()` says
        there are moves left. Returns the last state and an exit code (0, or 1
        after a move that is not on offer).
        """
        state, new_chapter = first, True
        while True:
            self.show(state, new_chapter)
            new_chapter = False
            if rt.is_ending(self.story, state):
                if rt.is_final(self.story, state):
                    words = rt.epilogue_text(self.story, state)
                    if words:
                        self.emit(["== Epilogue =="] + [wrap(p, self.width) + "\n" for p in words])
                    self.emit(["THE END"])
                    return state, 0
                if not more():
                    return state, 0
                state, new_chapter = rt.advance(self.story, state), True
                continue
            number = next_number(state)
            if number is None:
                return state, 0
            offered = rt.available(self.story, state)
            if not 1 <= number <= len(offered):
                self.emit([f"There is no choice {number} here (choose 1 to {len(offered)})."])
                return state, 1
            self.emit([f"> {number}. {clean(offered[number - 1].text)}", ""])
            state = rt.choose(self.story, state, offered[number - 1])
