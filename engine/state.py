"""A State's versioned JSON form, and loading it back against a story.

A saved game keeps where play started and the path of moves from there, plus
the state it reached. Loading replays the path: when the story is unchanged the
replay must land exactly on the saved state (anything else means the file was
edited into an impossible state); when the story has changed since the save,
the replay is how the game carries on, and where it cannot, loading refuses
with the step that no longer works.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Story
from .runtime import CONTINUE, PlayError, State, replay, start

FORMAT = "chronicle-save"
VERSION = 1
MAX_PATH = 100_000  # moves; far beyond any real playthrough, and a bound on what a load replays


class SaveError(Exception):
    """A saved game that cannot be used; the message says why, for a player."""


@dataclass(frozen=True)
class Loaded:
    states: list[State]  # from the start of play to the saved state: the undo history
    start: State
    note: str | None = None  # said to the player when the story changed since the save


def to_json(story: Story, states: list[State], **extra: Any) -> dict:
    """The JSON form of a run of play: its first state and the path to its last."""
    first, last = states[0], states[-1]
    path = last.path[len(first.path):]
    return {
        "format": FORMAT,
        "version": VERSION,
        "story": story.title,
        "story_hash": story.content_hash,
        "start": {"chapter": first.chapter, "node": first.node, "flags": _flags(story, first)},
        "path": list(path),
        "state": {"chapter": last.chapter, "node": last.node, "flags": _flags(story, last),
                  "seen": sorted(n for n, b in story.chapter(last.chapter).seen_bits.items() if last.seen & b)},
        **extra,
    }


def _flags(story: Story, s: State) -> dict:
    ch = story.chapter(s.chapter)
    return {f.name: s.values[f.slot] for f in ch.declared}


def from_json(story: Story, data: Any) -> Loaded:
    """Rebuild play from a save; SaveError says plainly what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SaveError("this is not a Chronicle save file")
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise SaveError(f"this save was written by a newer Chronicle (format {version}); update Chronicle to load it")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SaveError(f"the save's format version ({version!r}) is damaged")
    if data.get("story") != story.title:
        raise SaveError(f"this save belongs to another story ({data.get('story')!r}), not {story.title!r}")
    st, path, saved = data.get("start"), data.get("path"), data.get("state")
    if not (isinstance(st, dict) and isinstance(path, list) and isinstance(saved, dict)):
        raise SaveError("the save is incomplete (start, path or state is missing)")
    if len(path) > MAX_PATH:
        raise SaveError(f"the save's path of choices is {len(path):,} moves long; no playthrough is that long")
    if not all(isinstance(m, int) and not isinstance(m, bool) and m >= CONTINUE for m in path):
        raise SaveError("the save's path of choices is damaged")
    if not isinstance(st.get("chapter"), str) or not isinstance(st.get("node"), str):
        raise SaveError("the save does not say where play started")
    if not isinstance(st.get("flags"), dict):
        raise SaveError("the save's starting flags are damaged")
    changed = data.get("story_hash") != story.content_hash
    try:
        first = start(story, st.get("chapter"), st.get("node"), st["flags"])
    except (PlayError, TypeError) as exc:
        raise SaveError(f"the save starts where this story cannot: {exc}") from None
    try:
        states = replay(story, first, path)
    except PlayError as exc:
        if changed:
            raise SaveError(f"the story has changed since this save and its choices no longer fit ({exc})") from None
        raise SaveError(f"the save's choices are impossible in this story ({exc}); the file was altered") from None
    last = states[-1]
    matches = (saved.get("chapter") == last.chapter and saved.get("node") == last.node
               and saved.get("flags") == _flags(story, last))
    if not matches:
        if not changed:
            raise SaveError("the saved position does not follow from the saved choices; the file was altered")
        return Loaded(states, first, f"The story has changed since this save; your {len(path)} moves were replayed "
                                     f"and you are at {last.chapter}:{last.node}.")
    note = "The story has changed since this save; your choices still fit it." if changed else None
    return Loaded(states, first, note)
