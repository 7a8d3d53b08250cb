"""The save store: autosaves, named slots and the record of endings found.

Every file is JSON, one per slot, in one folder per story:

    $XDG_DATA_HOME/chronicle/saves/<story-slug>/     (or --save-dir DIR/<story-slug>/)
        autosave.json                the game being played, written after every choice
        autosave-trial.json          the same for play started with --chapter/--at/--set, so
                                     trying a scene never disturbs the game Continue resumes
        autosave-1.json ..-3.json    the latest positions of the three games before it
        parallel-<id>.json           the autosave of a game played while another session holds
                                     autosave.json (each session holds its slot with a lock file,
                                     .autosave.lock), so two sessions never overwrite each other
        <slot>.json                  named saves (`save NAME`)
        endings.json                 which endings this player has found, and the chapters
                                     reached (with the story-wide flags of each arrival)
        NAME.corrupt-<time>.json     a save that could not be used, moved aside
        NAME.earlier-story-<time>.json  a save of an earlier version of the story, kept as it was
                                     when the game resumed short of where it had been

Saves never get lost:

- Every write goes to a temporary file in the same folder, is flushed and
  fsynced, then renamed over the old file, and the folder is fsynced. A crash
  or a kill at any moment leaves either the old file or the new one, whole.
  Ctrl-C during a write is held back until the write is done.
- A file that cannot be used (truncated, corrupted, edited, from another
  story) is never overwritten: the caller moves it aside with `quarantine()`
  and tells the player where it went.
- A new game does not overwrite the last one's autosave: `rotate_autosave()`
  shifts it to autosave-1 (and so on, three kept).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import files

AUTOSAVE = "autosave"
TRIAL_AUTOSAVE = "autosave-trial"  # play started at a chosen chapter/node/flags (an author trying a scene)
OLD_AUTOSAVES = 3
ENDINGS = "endings"
EARLIER = ".earlier-story-"  # in the name of a save kept from an earlier version of the story
ENDINGS_FORMAT = "chronicle-endings"
MAX_ARRIVALS = 9  # per chapter, kept in the record for the title screen's Chapters
MAX_SAVE_BYTES = 16 * 1024 * 1024
DELAY_ENV = files.DELAY_ENV  # tests sleep this long between writing a save and renaming it into place

# A save name: letters of any alphabet, digits, - and _ (one word, so it is one file name and
# one command argument), beginning with a letter or a digit. The web page keeps the same rule
# and says it in the same words (engine/web, SAVE_NAME_RULE); tests hold the two together.
SAVE_NAME_RULE = "a save name is up to 40 letters (of any alphabet), digits, - or _, beginning with a letter or a digit"
_AUTO = re.compile(r"^autosave(?:-[0-9]+)?$")
_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.(?:[a-z0-9_]+\.)?tmp$")  # files.write's temporaries


class SaveFileError(Exception):
    """A save file that cannot be read as JSON; the message is for a player."""


class SlotNameError(ValueError):
    """A slot name a player typed that cannot be used; the message says why."""


def default_base() -> Path:
    """$XDG_DATA_HOME/chronicle/saves, or ~/.local/share/chronicle/saves."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "chronicle" / "saves"


def slug(title: str) -> str:
    """The folder name for a story's saves: 'Hammer and Crescent' -> 'hammer-and-crescent'."""
    s = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return s[:60] or "story"


def slot_name(text: str, *, for_writing: bool = True) -> str:
    """A slot name typed by a player, normalised; SlotNameError says what is wrong."""
    name = unicodedata.normalize("NFC", text.strip()).lower()
    if name.endswith(".json"):
        name = name[:-5]
    if not is_slot_name(name):
        raise SlotNameError(f"'{text.strip()[:40]}' cannot be a save name: {SAVE_NAME_RULE}")
    if name == ENDINGS:
        raise SlotNameError(f"'{ENDINGS}' is kept for the record of endings found; choose another name")
    if for_writing and name.startswith(AUTOSAVE):
        raise SlotNameError("names starting with 'autosave' are kept for automatic saves; choose another name")
    return name


def is_slot_name(name: str) -> bool:
    r"""The rule of SAVE_NAME_RULE: letters of any alphabet (with their accents and vowel signs,
    Unicode's marks), digits, - and _, up to 40, beginning with a letter or a digit. The page's
    test is the same: /^[\p{L}\p{N}][\p{L}\p{M}\p{N}_-]{0,39}$/u."""
    if not 1 <= len(name) <= 40 or not (name[0].isalpha() or name[0].isnumeric()):
        return False
    return all(c.isalpha() or c.isnumeric() or c in "-_" or unicodedata.category(c).startswith("M") for c in name)


@dataclass(frozen=True)
class SlotInfo:
    """A save file as the load menu shows it."""

    name: str
    path: Path
    mtime: float
    data: dict | None  # the parsed JSON, or None when it could not be read
    problem: str | None = None  # why it could not be read

    @property
    def is_auto(self) -> bool:
        return bool(_AUTO.match(self.name))

    @property
    def summary(self) -> dict:
        s = self.data.get("summary") if isinstance(self.data, dict) else None
        return s if isinstance(s, dict) else {}


class SaveStore:
    """One story's folder of saves."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._cleaned = False
        self._held: dict[str, int] = {}  # slot -> descriptor of its lock file, while this session holds it

    # ---- holding a slot ------------------------------------------------------------------
    def hold(self, name: str) -> bool:
        """Hold slot `name` for this session (an exclusive lock on .NAME.lock, kept until the
        process ends or release()): False when another session holds it. Two sessions on one
        folder then never write the same autosave. Where locks are not supported, True."""
        if name in self._held:
            return True
        try:
            files.make_folder(self.folder)
        except OSError:
            return True  # the folder cannot be written: writing the save will say so
        fd = files.lock_fd(self.folder / f".{name}.lock", wait=False)
        if fd is None:
            return False
        if fd >= 0:
            self._held[name] = fd
        return True

    def release(self, name: str | None = None) -> None:
        """Let go of one slot held by hold(), or of all of them."""
        for slot in [name] if name is not None else list(self._held):
            files.unlock_fd(self._held.pop(slot, None))

    def __del__(self):
        with contextlib.suppress(Exception):
            self.release()

    @classmethod
    def for_story(cls, title: str, base: Path | None = None) -> SaveStore:
        return cls((base if base is not None else default_base()) / slug(title))

    # ---- paths ---------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    # ---- reading -------------------------------------------------------------------------
    def read(self, name: str) -> dict:
        """The JSON object in a slot. FileNotFoundError if there is none;
        SaveFileError if the file is unreadable, truncated or not a JSON object."""
        return read_json(self.path(name))

    def slots(self) -> list[SlotInfo]:
        """Every save in the folder, newest first (damaged ones included, with their problem)."""
        out = []
        try:
            entries = files.list_folder(self.folder)
        except OSError:
            return []
        for e in entries:
            if not e.name.endswith(".json") or e.name.startswith("."):
                continue
            name = e.name[:-5]
            if (
                name == ENDINGS
                or ".corrupt-" in name
                or EARLIER in name
                or not (is_slot_name(name) or _AUTO.fullmatch(name))
            ):
                continue
            try:
                mtime = e.stat().st_mtime
            except OSError:
                continue
            try:
                out.append(SlotInfo(name, Path(e.path), mtime, read_json(Path(e.path))))
            except (SaveFileError, OSError) as exc:
                out.append(SlotInfo(name, Path(e.path), mtime, None, str(exc)))
        out.sort(key=lambda s: (-s.mtime, s.name))
        return out

    def autosaves(self) -> list[SlotInfo]:
        """The autosaves, newest first."""
        return [s for s in self.slots() if s.is_auto]

    # ---- writing -------------------------------------------------------------------------
    def write(self, name: str, data: dict) -> Path:
        """Write a slot atomically (see the module docstring)."""
        self._clean_stale_temporaries()
        text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
        path = self.path(name)
        files.write(path, text, parents=True)
        return path

    def quarantine(self, name: str) -> Path | None:
        """Move a slot that cannot be used aside, to NAME.corrupt-<time>.json; returns where."""
        src = self.path(name)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        dst = self.folder / f"{name}.corrupt-{stamp}.json"
        n = 1
        while dst.exists():
            n += 1
            dst = self.folder / f"{name}.corrupt-{stamp}-{n}.json"
        try:
            files.rename(src, dst)
        except FileNotFoundError:
            return None
        return dst

    def keep_earlier(self, name: str) -> Path | None:
        """Copy a save of an earlier version of the story, as it is, to NAME.earlier-story-<time>.json
        (the slot itself goes on with the resumed game). Returns where, or None when there is none."""
        src = self.path(name)
        try:
            data = files.read_bytes(src, limit=MAX_SAVE_BYTES)
        except OSError:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        dst = self.folder / f"{name}{EARLIER}{stamp}.json"
        n = 1
        while dst.exists():
            n += 1
            dst = self.folder / f"{name}{EARLIER}{stamp}-{n}.json"
        files.write(dst, data)
        return dst

    def oldest_kept(self) -> SlotInfo | None:
        """The kept autosave the next rotation drops (the last of the OLD_AUTOSAVES), if there is one."""
        last = f"{AUTOSAVE}-{OLD_AUTOSAVES}"
        if not self.exists(AUTOSAVE) or not self.exists(last):
            return None
        return next((s for s in self.slots() if s.name == last), None)

    def rotate_autosave(self, upto: int = OLD_AUTOSAVES) -> str | None:
        """Keep the current autosave as autosave-1, shifting the older ones down to autosave-`upto`
        (what was there is dropped: the oldest of the three kept, or with `upto` < 3 a kept game
        that has just become the current one again).

        Returns the name it was kept under, or None when there was no autosave."""
        if not self.exists(AUTOSAVE):
            return None
        for i in range(max(1, min(upto, OLD_AUTOSAVES)), 0, -1):
            older = self.path(f"{AUTOSAVE}-{i - 1}" if i > 1 else AUTOSAVE)
            if older.exists():
                files.rename(older, self.path(f"{AUTOSAVE}-{i}"))
        return f"{AUTOSAVE}-1"

    # ---- endings found -------------------------------------------------------------------
    def read_endings(self) -> tuple[dict, str | None]:
        """{'chapter/node': {...}} of endings found, and a note if the record was damaged
        (it is then moved aside and the record starts afresh)."""
        try:
            data = self.read(ENDINGS)
        except FileNotFoundError:
            return {}, None
        except (SaveFileError, OSError) as exc:
            return {}, self._damaged_endings(str(exc))
        found = data.get("found") if data.get("format") == ENDINGS_FORMAT else None
        if not isinstance(found, dict) or not all(isinstance(v, dict) for v in found.values()):
            return {}, self._damaged_endings("it is not a record of endings")
        return found, None

    def _damaged_endings(self, why: str) -> str:
        where = self.quarantine(ENDINGS)
        return (
            f"The record of endings you have found could not be read ({why}); "
            f"it was moved aside to {where.name if where else '?'} and a new record begun."
        )

    def add_ending(self, key: str, entry: dict) -> tuple[bool, str | None]:
        """Record an ending as found. Returns (first time found, note about a damaged record).

        The record is read, changed and written under a lock (.endings.lock), so two games on
        one save folder that find endings at the same moment both stay in it."""
        with self._record_locked():
            found, note = self.read_endings()
            if key in found:
                return False, note
            found[key] = entry
            self._write_record(found=found)
            return True, note

    def read_arrivals(self) -> list[dict]:
        """The chapters reached, each arrival {chapter, flags, after?, kind?, found}, oldest first.
        Entries that are not of that shape are skipped (the file is the player's to edit)."""
        try:
            data = self.read(ENDINGS)
        except (FileNotFoundError, SaveFileError, OSError):
            return []
        arrivals = data.get("arrivals") if data.get("format") == ENDINGS_FORMAT else None
        if not isinstance(arrivals, list):
            return []
        return [
            a
            for a in arrivals
            if isinstance(a, dict) and isinstance(a.get("chapter"), str) and isinstance(a.get("flags"), dict)
        ]

    def add_arrival(self, entry: dict) -> None:
        """Record reaching a chapter with these story-wide flags (once per chapter and flags;
        a later arrival with the same flags only refreshes what came before it)."""
        with self._record_locked():
            self._add_arrival(entry)

    def _add_arrival(self, entry: dict) -> None:
        arrivals = [
            a for a in self.read_arrivals() if not (a["chapter"] == entry["chapter"] and a["flags"] == entry["flags"])
        ]
        arrivals.append(entry)
        per: dict[str, int] = {}
        kept = []
        for a in reversed(arrivals):  # the newest MAX_ARRIVALS of each chapter
            per[a["chapter"]] = per.get(a["chapter"], 0) + 1
            if per[a["chapter"]] <= MAX_ARRIVALS:
                kept.append(a)
        self._write_record(arrivals=list(reversed(kept)))

    @contextlib.contextmanager
    def _record_locked(self) -> Iterator[None]:
        try:
            files.make_folder(self.folder)
        except OSError:
            pass  # writing the record will say what is wrong
        with files.locked(self.folder / f".{ENDINGS}.lock"):
            yield

    def _write_record(self, **parts) -> None:
        """Rewrite endings.json with `parts` replaced and the rest kept as it was."""
        found, _ = self.read_endings()
        record = {"format": ENDINGS_FORMAT, "version": 1, "found": found, "arrivals": self.read_arrivals()}
        record.update(parts)
        self.write(ENDINGS, record)

    # ---- housekeeping --------------------------------------------------------------------
    def _clean_stale_temporaries(self) -> None:
        """Remove temporary files left by a process that was killed mid-write."""
        if self._cleaned:
            return
        self._cleaned = True
        try:
            entries = files.list_folder(self.folder)
        except OSError:
            return
        for e in entries:
            m = _TMP.match(e.name)
            if m and not _alive(int(m["pid"])):
                with contextlib.suppress(OSError):
                    files.remove(e.path)


# ---- the primitives ----------------------------------------------------------------------


def read_json(path: Path) -> dict:
    try:
        # never more than the limit, and a FIFO or a device is refused instead of hanging play
        raw = files.read_bytes(path, limit=MAX_SAVE_BYTES)
    except files.Missing:
        raise
    except files.TooLarge:
        raise SaveFileError("it is far too large to be a save") from None
    except files.NotRegular as exc:
        raise SaveFileError(exc.why) from None
    except OSError as exc:
        raise SaveFileError(f"it cannot be read ({exc.strerror or exc})") from None
    if raw.startswith(b"\xef\xbb\xbf"):  # a byte-order mark, as Windows Notepad writes one
        raw = raw[3:]
    if not raw.strip():
        raise SaveFileError("the file is empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SaveFileError("the file is not text (it is damaged)") from None
    except (ValueError, RecursionError) as exc:
        lineno = getattr(exc, "lineno", None)  # a JSONDecodeError says where; a RecursionError does not
        where = f" at line {lineno}" if lineno else ""
        raise SaveFileError(f"the file is cut short or damaged (not valid JSON{where})") from None
    if not isinstance(data, dict):
        raise SaveFileError("the file does not hold a save")
    return data


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
