"""A State's versioned JSON form, and loading it back against a story.

A saved game keeps where play started (and the seed of its generator, engine.luck) and the
path of moves from there, plus
the state it reached. Loading replays the path: when the story is unchanged the
replay must land exactly on the saved state (anything else means the file was
edited into an impossible state); when the story has changed since the save,
the replay is how the game carries on.

Format 2 names each step by the node it was taken at and the choice's key
(`tower:@stair`, `lamp:keep-watch`; `>` goes on into the next chapter), so a save
survives choices inserted, reordered or reworded in an edited story. Where a
step no longer fits (its choice is gone, or not on offer in that state), play
resumes at the last state that does fit, and the loader says so in one sentence;
the player keeps the file as it was, as a save of an earlier version of the story.
Format 1 (choice indices) still loads, as it always did, and is written back as 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Story
from .runtime import CONTINUE, PlayError, State, advance, choose, replay, scene, start

FORMAT = "chronicle-save"
VERSION = 2
NEXT_CHAPTER = ">"  # a step of format 2: on from an ending into the next chapter
MAX_PATH = 100_000  # moves; far beyond any real playthrough, and a bound on what a load replays


class SaveError(Exception):
    """A saved game that cannot be used; the message says why, for a player."""


@dataclass(frozen=True)
class Loaded:
    states: list[State]  # from the start of play to the saved state: the undo history
    start: State
    note: str | None = None  # said to the player when the story changed since the save
    cut: bool = False  # the story changed and the replay stopped short of the saved position


def to_json(story: Story, states: list[State], **extra: Any) -> dict:
    """The JSON form of a run of play (every state from its first to its last, each one move on
    from the one before): its first state and the steps to its last."""
    first, last = states[0], states[-1]
    return {
        "format": FORMAT,
        "version": VERSION,
        "story": story.title,
        "story_hash": story.content_hash,
        # the flags play entered the first node with (its `do:` is applied again on loading)
        # (and the generator's seed: random draws and shuffles replay the same)
        "start": {
            "chapter": first.chapter,
            "node": first.node,
            "flags": _flags(story, first, first.entry),
            "seed": first.luck,
        },
        "path": steps_of(story, states),
        "state": {
            "chapter": last.chapter,
            "node": last.node,
            "flags": _flags(story, last),
            "seen": sorted(n for n, b in story.chapter(last.chapter).seen_bits.items() if last.seen & b),
        },
        **extra,
    }


def steps_of(story: Story, states: list[State]) -> list[str]:
    """Format 2's path: `node:key` for each choice taken, NEXT_CHAPTER for going on."""
    out = []
    for before, after in zip(states, states[1:]):
        move = after.path[-1]
        if move == CONTINUE:
            out.append(NEXT_CHAPTER)
        else:
            node = story.chapter(before.chapter).nodes[before.node]
            out.append(f"{before.node}:{node.choices[move].key}")
    return out


def _flags(story: Story, s: State, values: tuple | None = None) -> dict:
    ch = story.chapter(s.chapter)
    values = s.values if values is None else values
    return {f.name: values[f.slot] for f in ch.declared}


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
    if version == 1:
        if not all(isinstance(m, int) and not isinstance(m, bool) and m >= CONTINUE for m in path):
            raise SaveError("the save's path of choices is damaged")
    elif not all(isinstance(m, str) and (m == NEXT_CHAPTER or ":" in m) and len(m) <= 400 for m in path):
        raise SaveError("the save's path of choices is damaged")
    if not isinstance(st.get("chapter"), str) or not isinstance(st.get("node"), str):
        raise SaveError("the save does not say where play started")
    if not isinstance(st.get("flags"), dict):
        raise SaveError("the save's starting flags are damaged")
    seed = st.get("seed", 0)  # (a save from before chance has none: 0, as play then started)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= 0xFFFFFFFF:
        raise SaveError("the save's seed is damaged")
    changed = data.get("story_hash") != story.content_hash
    flags, flag_notes = _start_flags(story, st, changed)
    try:
        first = start(story, st.get("chapter"), st.get("node"), flags, seed=seed)
    except (PlayError, TypeError) as exc:
        raise SaveError(f"the save starts where this story cannot: {exc}") from None
    if version == 1:
        try:
            states = replay(story, first, path)
        except PlayError as exc:
            if changed:
                raise SaveError(
                    f"the story has changed since this save and its choices no longer fit ({exc})"
                ) from None
            raise SaveError(f"the save's choices are impossible in this story ({exc}); the file was altered") from None
    else:
        states, stop = replay_steps(story, first, path)
        if stop is not None:
            if not changed:
                raise SaveError(f"the save's choices are impossible in this story ({stop}); the file was altered")
            done = len(states) - 1
            note = (
                f"The story has changed since this save: {stop}, so your game resumes after step {done} of "
                f"{len(path)}, {_where(story, states)}."
            )
            return Loaded(states, first, " ".join([note, *flag_notes]), cut=True)
    last = states[-1]
    matches = (
        saved.get("chapter") == last.chapter
        and saved.get("node") == last.node
        and saved.get("flags") == _flags(story, last)
    )
    if not matches:
        if not changed:
            raise SaveError("the saved position does not follow from the saved choices; the file was altered")
        return Loaded(
            states,
            first,
            " ".join(
                [
                    f"The story has changed since this save; your {len(path)} moves were "
                    f"replayed and you are {_where(story, states)}.",
                    *flag_notes,
                ]
            ),
        )
    still_fits = " ".join(["The story has changed since this save; your choices still fit it.", *flag_notes])
    told: str | None = still_fits if changed else None
    return Loaded(states, first, told)


def replay_steps(story: Story, first: State, steps: list[str]) -> tuple[list[State], str | None]:
    """Replay format-2 steps by node and key. Returns the states that fit and, when a step does
    not, why (None when every step fits)."""
    states = [first]
    for i, step in enumerate(steps, 1):
        state = states[-1]
        if step == NEXT_CHAPTER:
            try:
                states.append(advance(story, state))
            except PlayError:
                return states, f"step {i} went on into the next chapter from a scene that is no longer an ending"
            continue
        nid, _, key = step.partition(":")
        node = story.chapter(state.chapter).nodes[state.node]
        if nid != state.node:
            return states, f"step {i} was taken in a scene that play no longer reaches there"
        choice = next((c for c in node.choices if c.key == key), None)
        if choice is None:
            return states, f"the choice you took at step {i} is no longer there"
        if choice.fallback or (choice.test is not None and not choice.test(state.values, state.seen)):
            return states, f"'{choice.text}' (your step {i}) is no longer on offer there"
        states.append(choose(story, state, choice))
    return states, None


def _start_flags(story: Story, st: dict, changed: bool) -> tuple[dict, list[str]]:
    """The saved start flags as this story declares them: flags it no longer has are dropped and
    flags it added take their defaults (both silently); a value its declaration no longer
    accepts (a new type or range) starts at the default, and the player is told."""
    chapter = st.get("chapter")
    if not changed or not isinstance(chapter, str) or not story.has_chapter(chapter):
        return st["flags"], []
    ch = story.chapter(chapter)
    out, notes = {}, []
    for name, value in st["flags"].items():
        f = ch.flag(name)
        if f is None:
            continue
        if f.accepts(value):
            out[name] = value
        else:
            notes.append(f"The flag {name} is now {f.describe()}, so it starts at {f.default!r} and play decides it.")
    return out, notes


def _where(story: Story, states: list[State]) -> str:
    """Where the reader now is, in the story's words (chapter, place, date), never a node id:
    the note is read by a player, who has never seen the story's files."""
    last = states[-1]
    number = [c.id for c in story.chapters].index(last.chapter) + 1
    date, place = scene(story, states)
    at = ", ".join(x for x in (place, date) if x)
    return f"in Chapter {number}: {story.chapter(last.chapter).title}" + (f", at {at}" if at else "")
