"""A game in progress, free of any UI: the history of States, undo, saves, the journal.

Both the terminal UI and line mode drive a `Session`. It keeps every State
from where play began (so `undo` can go back any number of choices, across
chapter boundaries), autosaves after every move, saves and loads named slots
through the `SaveStore`, and keeps the record of endings found.

Anything a player should be told comes back as text: `SessionError` for a
move that did not happen, and a list of notes for things that happened on the
side (a damaged save moved aside, an earlier game kept under another name).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import runtime as rt
from ..model import Choice, Story
from ..runtime import CONTINUE, PlayError, State
from ..savefile import NEXT_CHAPTER, Loaded, SaveError, from_json, to_json
from .saves import AUTOSAVE, OLD_AUTOSAVES, TRIAL_AUTOSAVE, SaveFileError, SaveStore, SlotInfo, SlotNameError, slot_name

QUICKSAVE = "quicksave"


class SessionError(Exception):
    """Something the player asked for that could not be done; the message says why."""


@dataclass
class Journal:
    events: list = field(default_factory=list)  # (date text, statement, chapter label): documented facts
    story_events: list = field(default_factory=list)  # the same for the story's own facts
    changed: list = field(default_factory=list)  # (date text, what happened instead, chapter label, story fact?)
    chapters: list = field(
        default_factory=list
    )  # [chapter label, [(date text, choice text)], (ending title, kind) or None]
    documented: bool = True  # the story has documented history (a story without it never speaks of it)


@dataclass
class Page:
    """One page of this playthrough, as it was read: for rereading with `back`."""

    number: int  # 1-based
    chapter: str  # the chapter's label
    date: str | None
    place: str | None
    paragraphs: list
    taken: str | None  # the choice made on this page, if one was
    ending: tuple | None  # (title, kind) when the page is an ending


@dataclass
class EndingEntry:
    """An ending in the register on the title screen."""

    title: str
    kind: str | None  # None: an ending of a story without history that names no kind
    found: bool
    broke: list  # [(what the reader is told, date text)] of the facts a found divergent ending broke
    hint: str | None = None


@dataclass
class Arrival:
    """A chapter reached, with the story-wide flags it was reached with."""

    chapter: str
    label: str
    flags: dict
    after: str | None  # the ending of the chapter before, as reached then
    when: str | None


@dataclass
class Resumable:
    """A save that loads cleanly into this story, ready to continue from."""

    slot: str
    loaded: Loaded
    data: dict
    info: SlotInfo | None = None

    def summary(self, story: Story) -> dict:
        return summarise(story, self.loaded.states)


def chapter_number(story: Story, chapter_id: str) -> int:
    return [c.id for c in story.chapters].index(chapter_id) + 1


def chapter_label(story: Story, chapter_id: str) -> str:
    return f"Chapter {chapter_number(story, chapter_id)}: {story.chapter(chapter_id).title}"


def summarise(story: Story, states: list[State]) -> dict:
    """What a save menu shows about a position: chapter, place, in-world date."""
    s = states[-1]
    date, place = rt.scene(story, states)
    node = rt.node_of(story, s)
    return {
        "chapter": chapter_number(story, s.chapter),
        "chapter_id": s.chapter,
        "chapter_title": story.chapter(s.chapter).title,
        "date": date,
        "place": place,
        "ending": node.ending.title if node.ending else None,
    }


class Session:
    def __init__(self, story: Story, store: SaveStore | None, *, record_endings: bool = True, trial: bool = False):
        """`trial`: play started at a chosen chapter, node or flag values. It autosaves to its
        own slot (so the game Continue resumes is left alone) and does not count endings."""
        self.story = story
        self.store = store
        self.record_endings = record_endings and not trial
        self.autosave_slot = TRIAL_AUTOSAVE if trial else AUTOSAVE
        self.states: list[State] = []
        self.segments: list[int] = [0]  # where each stretch of replayable play begins (a debug goto starts one)
        self.game_id = ""
        self._owns_autosave = False
        self._autosave_failed = False
        self.last_ending_new = False  # the last ending reached was found for the first time
        self.autosaved = False  # the autosave holds this game
        self.resumed_from: str | None = None  # the slot this game was loaded from

    # ---- where we are -----------------------------------------------------------------------
    @property
    def state(self) -> State:
        return self.states[-1]

    @property
    def started(self) -> bool:
        return bool(self.states)

    def offered(self) -> list[Choice]:
        """The choices listed here, greyed-out ones included (see `greyed`)."""
        return rt.listed(self.story, self.state)

    def greyed(self) -> frozenset:
        """The indices of the choices listed here but greyed out."""
        return rt.greyed(self.story, self.state)

    def at_ending(self) -> bool:
        return rt.is_ending(self.story, self.state)

    def at_final_ending(self) -> bool:
        return rt.is_final(self.story, self.state)

    def entered_chapter(self) -> bool:
        """True when the current state is the first of its chapter in this play."""
        s = self.state
        if len(self.states) == 1 or len(self.states) - 1 in self.segments:
            return True
        return bool(s.path) and s.path[-1] == CONTINUE

    def scene(self) -> tuple[str | None, str | None]:
        return rt.scene(self.story, self.states[self.segments[-1] :])

    def choices_made(self) -> int:
        return sum(1 for s in self.states[1:] if s.path and s.path[-1] != CONTINUE)

    # ---- starting ---------------------------------------------------------------------------
    def new_game(self, first: State) -> None:
        self.resumed_from = None
        self.states = [first]
        self.segments = [0]
        self.game_id = uuid.uuid4().hex
        self._owns_autosave = False
        self.autosaved = False

    def resume(self, r: Resumable) -> list[str]:
        """Continue from a loaded save; returns notes for the player."""
        self.resumed_from = r.slot
        self.states = list(r.loaded.states)
        self.segments = [0]
        game = r.data.get("game")
        self.game_id = game if isinstance(game, str) and game else uuid.uuid4().hex
        self._owns_autosave = self.autosaved = r.slot == self.autosave_slot  # continuing the autosave itself
        notes = [r.loaded.note] if r.loaded.note else []
        if r.loaded.cut and self.store is not None:
            # the game goes on short of where the save was: keep the file as it was, under a name
            # that says what it is, before the next save writes over the slot
            kept = self.store.keep_earlier(r.slot)
            if kept:
                notes.append(f"The save as it was is kept as {kept.name}.")
        if self._owns_autosave and self.store is not None and not self.store.hold(self.autosave_slot):
            # Another session is playing this very game: from here on it is a game of its own,
            # and its moves go to a slot of its own (see autosave()).
            self.game_id = uuid.uuid4().hex
            self._owns_autosave = self.autosaved = False
            notes.append(
                "This game is open in another Chronicle session too. Moves made here go to a save "
                "of their own, so neither session overwrites the other."
            )
        if r.loaded.cut and self.store is not None and (r.slot != self.autosave_slot or self._owns_autosave):
            # the game as resumed is what the slot holds from now on (the file as it was is kept
            # above): loading it again, or quitting at once, never goes through the change again
            try:
                self.store.write(r.slot, self.save_data())
            except OSError as exc:
                notes.append(f"Could not save the resumed game to {self.store.path(r.slot)}: {exc.strerror or exc}.")
        return notes

    # ---- moving -----------------------------------------------------------------------------
    def choose(self, choice: Choice) -> list[str]:
        """Take a choice; autosave; record an ending reached. Returns notes for the player."""
        try:
            new = rt.choose(self.story, self.state, choice)
        except PlayError as exc:
            raise SessionError(str(exc)) from None
        self.states.append(new)
        notes = self._record_ending()
        return notes + self.autosave()

    def advance(self) -> list[str]:
        """From an ending into the next chapter."""
        try:
            new = rt.advance(self.story, self.state)
        except PlayError as exc:
            raise SessionError(str(exc)) from None
        self.states.append(new)
        self.last_ending_new = False
        self._record_arrival()
        return self.autosave()

    def undo(self, n: int = 1) -> tuple[int, list[str]]:
        """Take back the last n choices (moving on from an ending is not a choice; a
        debug goto is). Returns how many were taken back, and notes."""
        if n < 1:
            raise SessionError("undo takes a number of choices to take back, 1 or more")
        if len(self.states) <= 1:
            raise SessionError("There is nothing to undo: this is where the game began.")
        taken, self.last_ending_new = 0, False
        while taken < n and len(self.states) > 1:
            i = len(self.states) - 1
            gone = self.states.pop()
            if self.segments[-1] == i and i > 0:
                self.segments.pop()
                taken += 1
            elif not (gone.path and gone.path[-1] == CONTINUE):
                taken += 1
        return taken, self.autosave()

    def goto(self, target: str) -> None:
        """Debug: jump to NODE (in this chapter) or CHAPTER:NODE, keeping the flags that carry."""
        chapter, _, node = target.strip().rpartition(":")
        cur = self.state
        chapter = chapter or cur.chapter
        if chapter == cur.chapter:
            flags = rt.flag_values(self.story, cur)
        else:
            flags = {f.name: cur.values[f.slot] for f in self.story.flags}
        try:
            new = rt.start(self.story, chapter, node, flags)
        except PlayError as exc:
            raise SessionError(str(exc)) from None
        self.segments.append(len(self.states))
        self.states.append(new)

    def flags(self) -> list[tuple[str, Any, str]]:
        ch = self.story.chapter(self.state.chapter)
        return [(f.name, self.state.values[f.slot], f.doc) for f in ch.layout]

    # ---- saving -----------------------------------------------------------------------------
    def save_data(self) -> dict:
        seg = self.states[self.segments[-1] :]
        return to_json(
            self.story,
            seg,
            game=self.game_id,
            saved_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            summary=summarise(self.story, seg),
        )

    def save(self, name: str | None) -> tuple[str, list[str]]:
        """Save to a named slot (quicksave when none). Returns (slot, notes)."""
        if self.store is None:
            raise SessionError("Saving is switched off in this session.")
        try:
            slot = slot_name(name) if name else QUICKSAVE
        except SlotNameError as exc:
            raise SessionError(str(exc)) from None
        notes = []
        if self.store.exists(slot):
            # Never overwrite a save we cannot read without saying so: move it aside first.
            try:
                self.store.read(slot)
            except FileNotFoundError:
                pass
            except (SaveFileError, OSError) as exc:
                moved = self.store.quarantine(slot)
                if moved:
                    notes.append(
                        f"The old save '{slot}' could not be read ({exc}); "
                        f"it was moved aside to {moved.name} rather than overwritten."
                    )
        try:
            self.store.write(slot, self.save_data())
        except OSError as exc:
            raise SessionError(f"Could not save to {self.store.path(slot)}: {exc.strerror or exc}") from None
        return slot, notes

    def autosave(self) -> list[str]:
        """Write the autosave (after every move). Returns notes; never raises for a disk problem."""
        if self.store is None or not self.states:
            return []
        notes = []
        try:
            if not self._owns_autosave:
                notes += self._hold_autosave()
                notes += self._claim_autosave()
            self.store.write(self.autosave_slot, self.save_data())
            self._autosave_failed = False
            self.autosaved = True
        except OSError as exc:
            if not self._autosave_failed:
                notes.append(
                    f"Could not autosave to {self.store.folder}: {exc.strerror or exc}. "
                    "Your game goes on, but is not being saved."
                )
            self._autosave_failed = True
            self.autosaved = False
        return notes

    def _hold_autosave(self) -> list[str]:
        """Hold the autosave slot for this session; when another session holds it, this game
        autosaves to a slot of its own instead, and the player is told where."""
        assert self.store is not None, "only a session that keeps saves holds a slot"
        if self.store.hold(self.autosave_slot):
            return []
        busy = self.autosave_slot
        self.autosave_slot = f"parallel-{self.game_id[:8]}"
        self.store.hold(self.autosave_slot)
        return [
            f"Another Chronicle session is playing in {self.store.folder} and holds its {busy} "
            f"(a game of its own), so this game is autosaved as '{self.autosave_slot}' instead: "
            f"neither overwrites the other. To come back to this one: load {self.autosave_slot}."
        ]

    def _claim_autosave(self) -> list[str]:
        """Before this game first writes the autosave, keep whatever another game left there.
        (Called holding the slot, so no other session writes it between the check and the write.)"""
        assert self.store is not None, "only a session that keeps saves claims the autosave"
        notes: list[str] = []
        if self.autosave_slot != AUTOSAVE:  # a trial's autosave is scratch: just overwrite it
            self._owns_autosave = True
            return notes
        try:
            existing = self.store.read(AUTOSAVE)
        except FileNotFoundError:
            existing = None
        except SaveFileError as exc:
            moved = self.store.quarantine(AUTOSAVE)
            if moved:
                notes.append(f"The old autosave could not be read ({exc}); it was moved aside to {moved.name}.")
            existing = None
        if existing is not None and existing.get("game") != self.game_id:
            # a kept game resumed (autosave-N) is the current game now: the others shift into its place
            hole = _kept_number(self.resumed_from)
            dropped = None if hole else self.store.oldest_kept()
            kept = self.store.rotate_autosave(hole or OLD_AUTOSAVES)
            if kept:
                notes.append(f"Your earlier game is kept as '{kept}' (type: load {kept}).")
            if dropped is not None:
                from .render import describe, when  # (render imports this module)

                notes.append(
                    f"Only {OLD_AUTOSAVES} earlier games are kept, so the oldest of them "
                    f"({describe(dropped.summary)}, saved {when(dropped.mtime)}) is no longer kept. "
                    "To keep a game for good, load it and save it under a name (save NAME)."
                )
        self._owns_autosave = True
        return notes

    # ---- loading ----------------------------------------------------------------------------
    def open_save(self, name: str) -> Resumable:
        """Read and check a save; a file that cannot be used is moved aside and SessionError says so."""
        if self.store is None:
            raise SessionError("Saving is switched off in this session.")
        try:
            slot = slot_name(name, for_writing=False)
        except SlotNameError as exc:
            raise SessionError(str(exc)) from None
        try:
            data = self.store.read(slot)
        except FileNotFoundError:
            names = [s.name for s in self.store.slots()]
            known = f" Saves: {', '.join(names)}." if names else " There are no saves yet."
            raise SessionError(f"There is no save called '{slot}'.{known}") from None
        except (SaveFileError, OSError) as exc:
            raise SessionError(self._unusable(slot, str(exc))) from None
        try:
            loaded = check_save(self.story, data)
        except SaveError as exc:
            raise SessionError(self._unusable(slot, str(exc))) from None
        return Resumable(slot, loaded, data)

    def load(self, name: str) -> list[str]:
        return self.resume(self.open_save(name))

    def _unusable(self, slot: str, why: str) -> str:
        moved = self.store.quarantine(slot) if self.store else None
        where = f" It was moved aside to {moved.name}, so nothing will overwrite it." if moved else ""
        return f"The save '{slot}' cannot be used: {why}.{where}"

    def latest_autosave(self) -> tuple[Resumable | None, list[str]]:
        """The newest autosave that loads cleanly, for Continue; damaged ones are moved aside."""
        notes: list[str] = []
        if self.store is None:
            return None, notes
        if self.autosave_slot != AUTOSAVE:
            candidates = [s for s in self.store.slots() if s.name == self.autosave_slot]
        else:
            candidates = self.store.autosaves()
        for info in candidates:
            if info.data is None:
                notes.append(self._unusable(info.name, info.problem or "it cannot be read"))
                continue
            try:
                loaded = check_save(self.story, info.data)
            except SaveError as exc:
                notes.append(self._unusable(info.name, str(exc)))
                continue
            return Resumable(info.name, loaded, info.data, info), notes
        return None, notes

    def slots(self) -> list[SlotInfo]:
        return self.store.slots() if self.store else []

    # ---- the journal and endings --------------------------------------------------------
    def journal(self) -> Journal:
        """The documented events recorded so far, and the choices that led here, by chapter."""
        story, states = self.story, self.states
        j = Journal(documented=any(not f.story for f in story.facts.values()))
        for fact, s in rt.records(story, states):
            (j.story_events if fact.story else j.events).append(
                (fact.date.human(), fact.statement, chapter_label(story, s.chapter))
            )
        for fact, s in rt.history_changed(story, states):
            j.changed.append((fact.date.human(), rt.told_broken(fact), chapter_label(story, s.chapter), fact.story))
        for i, s in enumerate(states):
            label = chapter_label(story, s.chapter)
            if not j.chapters or j.chapters[-1][0] != label or i in self.segments[1:]:
                j.chapters.append([label, [], None])
            entry = j.chapters[-1]
            node = rt.node_of(story, s)
            if node.ending:
                entry[2] = (node.ending.title, node.ending.kind)
            if i + 1 < len(states) and (i + 1) not in self.segments:
                nxt = states[i + 1]
                move = nxt.path[-1] if nxt.path else CONTINUE
                if move != CONTINUE:
                    date, _ = rt.scene(story, states[: i + 1])
                    entry[1].append((date, rt.choice_text(story, s, node.choices[move])))
        return j

    def pages(self) -> list[Page]:
        """Every page of this playthrough (since the last debug jump), the current one last.
        Date and place are carried forward as `rt.scene` finds them walking back, in one pass
        (a long save has tens of thousands of pages)."""
        story, start = self.story, self.segments[-1]
        states = self.states[start:]
        out = []
        date = place = None
        for i, s in enumerate(states):
            node = rt.node_of(story, s)
            if i == 0 or (s.node == story.chapter(s.chapter).start and s.path and s.path[-1] == CONTINUE):
                date = place = None  # a scene is never carried over from the chapter before
            date = (node.shown_date.human() if node.shown_date else None) or date
            place = node.shown_place or place
            taken = None
            if i + 1 < len(states) and states[i + 1].path and states[i + 1].path[-1] != CONTINUE:
                taken = rt.choice_text(story, s, node.choices[states[i + 1].path[-1]])
            out.append(
                Page(
                    i + 1,
                    chapter_label(story, s.chapter),
                    date,
                    place,
                    rt.node_text(story, s),
                    taken,
                    (node.ending.title, node.ending.kind) if node.ending else None,
                )
            )
        return out

    def dossier(self, state: State | None = None) -> list[tuple[Any, Any]]:
        """(flag, value) for every flag the author marked `show:`, in the current chapter."""
        s = state or self.state
        return [(f, s.values[f.slot]) for f in self.story.chapter(s.chapter).layout if f.show is not None]

    def known(self) -> list[tuple[Any, Any, str | None]]:
        """The dossier as the player knows it: (flag, value, when it was last learned) for each
        shown flag that play has set (its value changed in this game, or came in from an earlier
        chapter different from its default). A person or a fact the story has not yet brought
        into play is not listed (issue 30.15). `when`: the in-world date of the scene where the
        value last changed, or None when it was carried in."""
        story, states = self.story, self.states[self.segments[-1] :]
        out = []
        here = self.state.chapter
        first = len(states) - 1  # where this chapter begins in this game
        while first > 0 and states[first - 1].chapter == here:
            first -= 1
        for f, v in self.dossier():
            k = f.slot
            moved = (i for i in range(len(states) - 1, first, -1) if states[i - 1].values[k] != states[i].values[k])
            last = next(moved, None)
            if last is not None or v != f.default:
                out.append((f, v, rt.scene(story, states[: last + 1])[0] if last is not None else None))
        return out

    def dossier_changes(self) -> list[tuple[Any, Any, Any]]:
        """(flag, value when the chapter began, value now) for shown flags that changed in it."""
        i = len(self.states) - 1
        while i > self.segments[-1] and self.states[i - 1].chapter == self.state.chapter:
            i -= 1
        before = dict((f.name, v) for f, v in self.dossier(self.states[i]))
        return [(f, before[f.name], v) for f, v in self.dossier() if before.get(f.name, v) != v]

    def _record_arrival(self) -> None:
        """Note the chapter just entered, with its story-wide flags, for the title's Chapters."""
        if not self.record_endings or self.store is None or len(self.states) < 2:
            return
        before = self.states[-2]
        prev = rt.node_of(self.story, before)
        entry = {
            "chapter": self.state.chapter,
            # the flags the ending carried in, before the chapter's first node applied its `do:`:
            # starting from them enters that node again, and applies it once
            "flags": {f.name: before.values[f.slot] for f in self.story.flags},
            "after": prev.ending.title if prev.ending else None,
            "kind": prev.ending.kind if prev.ending else None,
            "found": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        try:
            self.store.add_arrival(entry)
        except OSError:
            pass  # the record is a convenience; play goes on

    def arrivals(self) -> list[Arrival]:
        """Chapters reached in any playthrough (after the first chapter), in story order, newest
        arrival first within a chapter; only those whose flags still fit the story."""
        if self.store is None:
            return []
        order = {c.id: i for i, c in enumerate(self.story.chapters)}
        out = []
        for a in reversed(self.store.read_arrivals()):
            if a["chapter"] not in order or order[a["chapter"]] == 0:
                continue
            try:
                rt.start(self.story, a["chapter"], None, a["flags"])
            except (PlayError, TypeError, ValueError):
                continue  # the story changed since (or the record was edited): no longer a start
            after = a.get("after") if isinstance(a.get("after"), str) else None
            when = a.get("found") if isinstance(a.get("found"), str) else None
            out.append(Arrival(a["chapter"], chapter_label(self.story, a["chapter"]), a["flags"], after, when))
        out.sort(key=lambda a: order[a.chapter])
        return out

    def start_at(self, arrival: Arrival) -> None:
        """A new game from a chapter reached before, with the flags it was reached with."""
        self.new_game(rt.start(self.story, arrival.chapter, None, arrival.flags))

    def reached(self, found: dict | None = None) -> set[str]:
        """The chapters this player has reached, in any playthrough: the first, those of this game,
        those arrived at (the record of arrivals) and those where an ending was found."""
        out = {self.story.chapters[0].id} if self.story.chapters else set()
        out |= {s.chapter for s in self.states}
        if self.store is not None:
            out |= {a["chapter"] for a in self.store.read_arrivals()}
            if found is None:
                found, _ = self.store.read_endings()
        out |= {k.partition("/")[0] for k in (found or {})}
        return out

    def endings_register(self) -> tuple[list[tuple[str, list[EndingEntry], bool]], list[str]]:
        """Per chapter, every ending, found or not (kept with the saves, across playthroughs),
        and whether the player has reached the chapter (its hints are for a reached chapter only)."""
        found, note = self.store.read_endings() if self.store else ({}, None)
        reached = self.reached(found)
        out = []
        for ch in self.story.chapters:
            entries = []
            for n in ch.nodes.values():
                if not n.ending:
                    continue
                got = f"{ch.id}/{n.id}" in found
                broke = []
                for fid in n.ending.diverges if got else ():
                    fact = self.story.facts.get(fid)
                    if fact is not None:  # said as the ending banner says it, never the statement alone
                        broke.append((rt.told_broken(fact), fact.date.human()))
                entries.append(EndingEntry(n.ending.title, n.ending.kind, got, broke, n.ending.hint))
            out.append((chapter_label(self.story, ch.id), entries, ch.id in reached))
        return out, [note] if note else []

    def _record_ending(self) -> list[str]:
        self.last_ending_new = False
        node = rt.node_of(self.story, self.state)
        if node.ending is None or not self.record_endings or self.store is None:
            return []
        entry = {
            "chapter": self.state.chapter,
            "node": node.id,
            "title": node.ending.title,
            "kind": node.ending.kind,
            "found": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        try:
            first, note = self.store.add_ending(f"{self.state.chapter}/{node.id}", entry)
        except OSError:
            return []
        self.last_ending_new = first
        return [note] if note else []

    def endings_found(self) -> tuple[list[tuple[str, list[tuple[str, str | None]], int]], list[str]]:
        """Per chapter: (label, [(title, kind) found], how many endings it has); and notes."""
        found, note = self.store.read_endings() if self.store else ({}, None)
        out = []
        for ch in self.story.chapters:
            endings = [n for n in ch.nodes.values() if n.ending]
            got = [(n.ending.title, n.ending.kind) for n in endings if n.ending and f"{ch.id}/{n.id}" in found]
            out.append((chapter_label(self.story, ch.id), got, len(endings)))
        return out, [note] if note else []

    # ---- watching: the story changed under us -------------------------------------------
    def rebase(self, new_story: Story, fallback: Callable[[Story], State]) -> str:
        """Carry play over to a recompiled story: replay the path taken if it still fits,
        else show the current node from scratch, else the starting point. Returns a note."""
        old, cur = self.story, self.state
        data = to_json(old, self.states[self.segments[-1] :], game=self.game_id)
        self.story = new_story
        try:
            loaded = from_json(new_story, data)
            if loaded.cut:  # an author trying a scene wants the scene they were in, not an earlier one
                raise SaveError(loaded.note or "the path no longer fits")
        except SaveError as exc:
            why = str(exc)
        else:
            self.states, self.segments = list(loaded.states), [0]
            moves = sum(1 for m in data["path"] if m != NEXT_CHAPTER)
            return (
                f"Reloaded; your {moves} choice{'s were' if moves != 1 else ' was'} replayed." if moves else "Reloaded."
            )
        flags = {}
        if new_story.has_chapter(cur.chapter):
            ch = new_story.chapter(cur.chapter)
            old_values = rt.flag_values(old, cur)
            flags = {
                f.name: old_values[f.name] for f in ch.layout if f.name in old_values and f.accepts(old_values[f.name])
            }
        try:
            state = rt.start(new_story, cur.chapter, cur.node, flags)
            note = f"Reloaded; the path so far no longer fits ({why}), so this scene starts afresh."
        except PlayError:
            try:
                state = fallback(new_story)
            except PlayError as exc:
                raise SessionError(f"Reloaded, but cannot find a place to start: {exc}") from None
            note = f"Reloaded; {cur.chapter}:{cur.node} is gone, so play starts again from the beginning."
        self.states, self.segments = [state], [0]
        return note


def _kept_number(slot: str | None) -> int | None:
    """N for a kept autosave's slot, autosave-N; else None."""
    head, _, n = (slot or "").rpartition("-")
    return int(n) if head == AUTOSAVE and n.isdigit() and 1 <= int(n) <= OLD_AUTOSAVES else None


def check_save(story: Story, data: dict) -> Loaded:
    """from_json, plus: a save of another story is refused, and no surprise escapes as a crash."""
    title = data.get("story")
    if isinstance(title, str) and title != story.title:
        raise SaveError(f"it is a save of another story, '{title[:60]}'")
    try:
        return from_json(story, data)
    except SaveError:
        raise
    except Exception as exc:  # a hand-edited file can hold anything; it must not crash the game
        raise SaveError(f"the save is damaged ({type(exc).__name__})") from None
