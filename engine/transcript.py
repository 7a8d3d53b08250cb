"""Plain-text play: how a screen of play is laid out as plain text, the one place that says it.

The transcript printed by `--script`, `--canon` and `--replay` (`TextPlayer`), the golden
transcripts, and the player's line mode and `--transcript` file (engine.player.game passes
these functions as the plain form of each scene) all lay a scene out here. No terminal
control at all.

Place and date are shown on the chapter card and again wherever they change
(`-- place, date --`); a node that records a documented fact says so after its
prose (`[History: statement (date)]`, or `[In this story: ...]` for a story fact).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from typing import TextIO

from . import runtime as rt
from .model import Choice, Node, Story
from .runtime import State
from .textsafe import clean

WIDTH = 78


def wrap(paragraph: str, width: int = WIDTH, indent: str = "", hang: str | None = None) -> str:
    """A paragraph filled to `width` (lines joined by newlines), each line indented by `indent`,
    or the lines after the first by `hang` when given."""
    return textwrap.fill(
        clean(paragraph),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if hang is None else hang,
        break_on_hyphens=False,
    )


def where_of(story: Story, state: State) -> str:
    """'Place, date' as the node shows them (its own, or the ones every way in agrees on)."""
    node = rt.node_of(story, state)
    return ", ".join(x for x in (node.shown_place, node.shown_date.human() if node.shown_date else None) if x)


def chapter_card(story: Story, state: State, where: str | None = None) -> list[str]:
    """The chapter's number and title, and `where` (default: the place and date the node shows)."""
    ch = story.chapter(state.chapter)
    number = [c.id for c in story.chapters].index(ch.id) + 1
    where = where_of(story, state) if where is None else where
    lines = [f"== Chapter {number}: {clean(ch.title)} =="]
    if where:
        lines.append(clean(where))
    return lines


def banner_lines(where: str) -> list[str]:
    """Place and date where they change inside a chapter (the terminal's status line shows them)."""
    return [f"-- {clean(where)} --", ""]


def scene_lines(story: Story, state: State, width: int = WIDTH, skip: int = 0) -> list[str]:
    """The node's prose, then its ending or its numbered choices (`skip`: leave out the first
    paragraphs, already shown)."""
    node = rt.node_of(story, state)
    if node.ending:
        return text_lines(story, state, width, skip) + ending_lines(story, node, width)
    return text_lines(story, state, width, skip) + choice_lines(
        rt.listed(story, state), width, stuck_words(story, state), rt.greyed(story, state)
    )


def said_lines(state: State, width: int = WIDTH) -> list[str]:
    """What the chosen choice said (its `say:`): it belongs to the moment of choosing, so it is
    shown before a change of place or date."""
    out = []
    for p in state.lead[: state.said]:
        out += [wrap(p, width), ""]
    return out


def text_lines(story: Story, state: State, width: int = WIDTH, skip: int = 0) -> list[str]:
    """What arriving shows, a paragraph a line (wrapped, with a blank line after each), then the
    documented events the node records (`skip`: leave out the first paragraphs, already shown)."""
    out = []
    for p in rt.node_text(story, state)[skip:]:
        out += [wrap(p, width), ""]
    for note in record_lines(story, state):
        out += [wrap(note, width), ""]
    return out


def record_lines(story: Story, state: State) -> list[str]:
    """`[History: statement (date)]` for each documented fact the node records (the story's own
    facts told apart: `[In this story: ...]`), unwrapped: every version shows these notes."""
    out: list[str] = []
    if state.resumed:  # back from a call that resumes here: the node did not happen again
        return out
    for fid in rt.node_of(story, state).records:
        fact = story.facts[fid]
        what = "In this story" if fact.story else "History"
        out.append(f"[{what}: {fact.statement} ({fact.date.human()})]")
    return out


def ending_lines(story: Story, node: Node, width: int = WIDTH) -> list[str]:
    """An ending's banner (its title, how it stands to history) and the facts it broke."""
    e = node.ending
    assert e is not None, "laid out only for an ending node"
    words = ending_kind_words(e.kind)
    out = [f"*** {clean(e.title)} ({words}) ***" if words else f"*** {clean(e.title)} ***"]
    broken = [story.facts[f] for f in e.diverges if f in story.facts]
    for heading, facts in (
        ("History you changed", [f for f in broken if not f.story]),
        ("Events of this story you changed", [f for f in broken if f.story]),
    ):
        if facts:
            out.append(f"{heading}:")
            out += [wrap(f"- {rt.told_broken(f)} ({f.date.human()})", width, "  ", "    ") for f in facts]
    return out + [""]


STUCK = "(No choice is available here: the story is stuck. `chronicle check` reports this as a soft-lock.)"
RETURN_EMPTY = (
    "(This scene returns, but play came here with no call to return to, so the story stops here. "
    "`chronicle check` reports this as return-empty.)"
)


def stuck_words(story: Story, state: State) -> str:
    """What is said where nothing is on offer: a soft-lock, or a return with nothing to return to."""
    return RETURN_EMPTY if rt.node_of(story, state).returns else STUCK


GREYED_MARK = "(greyed out)"


def greyed_words(number: int, choice: Choice) -> str:
    """What the reader is told on picking a greyed-out choice (`enabled:` false here)."""
    return f'"{clean(choice.text)}" is greyed out: it cannot be chosen here. Pick another.'


def choice_lines(
    offered: list[Choice], width: int = WIDTH, stuck: str = STUCK, closed: frozenset = frozenset()
) -> list[str]:
    """The choices listed, numbered from 1, a long one's later lines under its first word (as
    the full-screen player sets them), the greyed-out ones (their indices in `closed`) marked;
    `stuck` where none can be taken."""
    out = [
        wrap(
            f"{i}. {c.text}" + (f" {GREYED_MARK}" if c.index in closed else ""), width, "  ", hang=" " * len(f"  {i}. ")
        )
        for i, c in enumerate(offered, 1)
    ]
    if all(c.index in closed for c in offered):
        out.append(wrap(stuck, width))
    return out + [""]


def epilogue_lines(story: Story, state: State, width: int = WIDTH) -> list[str]:
    """The end of the story: the epilogue (for the final ending `state`), if there is one, then THE END."""
    out = []
    words = rt.epilogue_text(story, state)
    if words:
        out.append("== Epilogue ==")
        for p in words:
            out += [wrap(p, width), ""]
    return out + ["THE END"]


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

    def __init__(self, story: Story, out: TextIO, width: int = WIDTH, draws: list | None = None):
        self.story, self.out, self.width = story, out, width
        self.where = ""  # the place and date last shown
        # fixed random draws, (flag or None, value), taken by the moves in the order play draws
        # (engine.runtime.Draws); the start has taken its own before run()
        self.draws: list = draws if draws is not None else []

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
            self.emit(said_lines(state, self.width) + banner_lines(where))
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
                    self.emit(epilogue_lines(self.story, state, self.width))
                    return state, 0
                if not more():
                    return state, 0
                try:
                    state, new_chapter = rt.advance(self.story, state, self.draws), True
                except rt.PlayError as exc:
                    self.emit([f"{exc}."])
                    return state, 1
                continue
            number = next_number(state)
            if number is None:
                return state, 0
            offered = rt.listed(self.story, state)
            if not 1 <= number <= len(offered):
                self.emit([f"There is no choice {number} here (choose 1 to {len(offered)})."])
                return state, 1
            if not rt.open_here(offered[number - 1], state):
                self.emit([f"> {number}", "", greyed_words(number, offered[number - 1])])
                return state, 1
            self.emit([f"> {number}. {clean(offered[number - 1].text)}", ""])
            try:
                state = rt.choose(self.story, state, offered[number - 1], self.draws)
            except rt.PlayError as exc:
                self.emit([f"{exc}."])
                return state, 1
