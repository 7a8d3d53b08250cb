"""The save store: atomic writes, damaged files, rotation of autosaves, endings found."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import files
from engine.player import saves
from engine.player.saves import (
    AUTOSAVE,
    SAVE_NAME_RULE,
    SaveFileError,
    SaveStore,
    SlotNameError,
    default_base,
    slot_name,
    slug,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path):
    return SaveStore(tmp_path / "saves" / "story")


def test_a_write_reads_back_and_leaves_no_temporary_file(store):
    store.write("mine", {"a": 1, "text": "Ünïcode ok"})
    assert store.read("mine") == {"a": 1, "text": "Ünïcode ok"}
    assert sorted(p.name for p in store.folder.iterdir()) == ["mine.json"]


def test_the_folder_is_created_on_first_write(tmp_path):
    s = SaveStore(tmp_path / "deep" / "er")
    s.write("x", {})
    assert (tmp_path / "deep" / "er" / "x.json").is_file()


def test_a_missing_save_is_file_not_found(store):
    with pytest.raises(FileNotFoundError):
        store.read("nothing")


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty"),
        (b'{"format": "chronicle-save", "path": [0, 1', "cut short"),
        (b"[1, 2, 3]", "does not hold a save"),
        (b"\xff\xfe\x00garbage", "not text"),
        (b"not json at all", "cut short or damaged"),
    ],
)
def test_a_damaged_file_says_what_is_wrong(store, content, words):
    store.folder.mkdir(parents=True)
    store.path("bad").write_bytes(content)
    with pytest.raises(SaveFileError, match=words):
        store.read("bad")


def test_quarantine_moves_a_save_aside_under_a_corrupt_name(store):
    store.write("bad", {"x": 1})
    moved = store.quarantine("bad")
    assert moved.name.startswith("bad.corrupt-") and moved.suffix == ".json"
    assert not store.exists("bad") and json.loads(moved.read_text()) == {"x": 1}
    again = (store.write("bad", {"x": 2}), store.quarantine("bad"))[1]
    assert again != moved and again.exists() and moved.exists()  # two in one second: both kept


def test_slots_lists_saves_newest_first_with_damaged_ones_marked(store):
    store.write("older", {"n": 1})
    os.utime(store.path("older"), (1000, 1000))
    store.write("newer", {"n": 2})
    store.path("broken").write_text("{")
    store.write("endings", {"format": "chronicle-endings"})
    store.quarantine("older")
    (store.folder / ".x.json.123.tmp").write_text("{}")
    names = [s.name for s in store.slots()]
    assert set(names) == {"newer", "broken"}
    broken = next(s for s in store.slots() if s.name == "broken")
    assert broken.data is None and "damaged" in broken.problem


def test_rotation_keeps_the_last_three_earlier_autosaves(store):
    for game in range(5):
        store.rotate_autosave()
        store.write(AUTOSAVE, {"game": game})
    assert store.read(AUTOSAVE) == {"game": 4}
    assert [store.read(f"autosave-{i}")["game"] for i in (1, 2, 3)] == [3, 2, 1]
    assert not store.exists("autosave-4")


def test_rotation_up_to_a_kept_game_fills_its_place_and_drops_nothing_else(store):
    for game in range(4):
        store.rotate_autosave()
        store.write(AUTOSAVE, {"game": game})
    store.rotate_autosave(upto=2)  # the game of autosave-2 is being played again: its copy gives way
    assert [store.read(f"autosave-{i}")["game"] for i in (1, 2, 3)] == [3, 2, 0]


def test_rotation_without_an_autosave_does_nothing(store):
    assert store.rotate_autosave() is None


def test_a_temporary_file_left_by_a_dead_process_is_cleaned_up(store):
    store.folder.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = store.folder / f".autosave.json.{dead.pid}.tmp"
    live = store.folder / f".autosave.json.{os.getppid()}.tmp"
    stale.write_text("{")
    live.write_text("{")
    store.write("x", {})
    assert not stale.exists() and live.exists()


def test_kill_between_write_and_rename_leaves_the_old_save_whole(tmp_path):
    store = SaveStore(tmp_path)
    store.write(AUTOSAVE, {"old": True})
    before = store.path(AUTOSAVE).read_bytes()
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from engine.player.saves import SaveStore\n"
        f"SaveStore({str(tmp_path)!r}).write('autosave', {{'new': 'x' * 100000}})\n"
    )
    env = dict(os.environ, **{saves.DELAY_ENV: "30"})
    p = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 10
        while not list(tmp_path.glob(".autosave.json.*.tmp")):
            assert time.monotonic() < deadline, "the writer never wrote its temporary file"
            time.sleep(0.01)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    assert store.path(AUTOSAVE).read_bytes() == before
    assert store.read(AUTOSAVE) == {"old": True}


def test_ctrl_c_during_a_write_waits_until_the_file_is_whole(tmp_path, monkeypatch):
    # Ctrl-C arrives in the middle of the write, after the bytes and before the rename. (Sent
    # from inside the write, not from a timer: a timer late on a loaded machine fired after the
    # write was done, and its Ctrl-C interrupted whatever test ran next.)
    def interrupted_mid_write():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)

    monkeypatch.setattr(files, "_test_delay", interrupted_mid_write)
    target = tmp_path / "f.json"
    with pytest.raises(KeyboardInterrupt):
        files.write(target, '{"done": true}')
    assert json.loads(target.read_text()) == {"done": True}
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(
    "typed, name",
    [
        ("Mine", "mine"),
        ("  before-war ", "before-war"),
        ("a_1.json", "a_1"),
        ("Café", "café"),  # Unicode letters are letters (issue 30.7)
        ("Cafe\u0301", "café"),  # the same name typed with a combining accent is the same save
        ("دفتر-١", "دفتر-١"),
        ("Ёлка", "ёлка"),
        ("हिन्दी", "हिन्दी"),  # vowel signs are marks, part of the letters
    ],
)
def test_slot_names_are_normalised(typed, name):
    assert slot_name(typed) == name


@pytest.mark.parametrize("typed", ["-", "_x", "a b", "a/b", "a.b", "x" * 41, "\u00e9\nx"])
def test_a_refused_name_is_told_the_rule_it_breaks_in_words_that_fit_it(typed):
    with pytest.raises(SlotNameError) as got:
        slot_name(typed)
    assert str(got.value).endswith(": " + SAVE_NAME_RULE)
    assert "of any alphabet" in SAVE_NAME_RULE and "beginning with a letter or a digit" in SAVE_NAME_RULE


def test_a_save_with_an_accented_name_is_written_listed_and_loaded(store):
    name = slot_name("Été")
    store.write(name, {"game": "x"})
    assert [s.name for s in store.slots()] == ["été"] and store.read(slot_name("ÉTÉ", for_writing=False))


@pytest.mark.parametrize(
    "typed", ["", "../etc/passwd", "a b", "x" * 41, "endings", "autosave", "autosave-2", "autosave-trial", ".hidden"]
)
def test_unusable_slot_names_are_refused_with_a_reason(typed):
    with pytest.raises(SlotNameError):
        slot_name(typed)


def test_autosaves_can_be_named_for_loading():
    assert slot_name("autosave-1", for_writing=False) == "autosave-1"


def test_endings_found_are_recorded_once(store):
    assert store.add_ending("storm/dawn", {"title": "The Lamp Burns"}) == (True, None)
    assert store.add_ending("storm/dawn", {"title": "The Lamp Burns"}) == (False, None)
    found, note = store.read_endings()
    assert list(found) == ["storm/dawn"] and note is None


def test_a_damaged_endings_record_is_moved_aside_and_begun_afresh(store):
    store.folder.mkdir(parents=True)
    store.path("endings").write_text('{"format": "chronicle-endings", "found": [1')
    first, note = store.add_ending("storm/dawn", {"title": "x"})
    assert first and "moved aside to endings.corrupt-" in note
    assert list(store.read_endings()[0]) == ["storm/dawn"]
    assert len(list(store.folder.glob("endings.corrupt-*.json"))) == 1


def test_the_default_folder_follows_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_base() == tmp_path / "chronicle" / "saves"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the spec says: ignore relative paths
    assert default_base() == Path.home() / ".local" / "share" / "chronicle" / "saves"


def test_each_story_has_its_own_folder(tmp_path):
    assert slug("Hammer and Crescent") == "hammer-and-crescent"
    assert slug("!!!") == "story"
    assert SaveStore.for_story("The Lighthouse Keeper", tmp_path).folder == tmp_path / "the-lighthouse-keeper"
