"""The UI-free game session: undo, saves and loads, the journal, endings found, reloads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import runtime as rt
from engine.compile import load_story
from engine.player.saves import AUTOSAVE, SaveStore
from engine.player.session import Session, SessionError

TOUR = Path(__file__).resolve().parent / "stories" / "tour"


@pytest.fixture(scope="module")
def story():
    return load_story(TOUR)


@pytest.fixture
def store(tmp_path):
    return SaveStore(tmp_path / "saves")


def new(story, store, **kw) -> Session:
    s = Session(story, store, **kw)
    s.new_game(rt.start(story))
    return s


def pick(s: Session, text: str) -> list[str]:
    """Take the offered choice whose text starts with `text`."""
    choice = next(c for c in s.offered() if c.text.startswith(text))
    return s.choose(choice)


def to_chapter_two(s: Session) -> None:
    pick(s, "Trim")
    pick(s, "Pour")
    pick(s, "Keep watch")
    s.advance()


def test_every_choice_is_autosaved_and_loads_back_to_the_same_place(story, store):
    s = new(story, store)
    pick(s, "Trim")
    assert store.read(AUTOSAVE)["state"]["node"] == "stair"
    other = Session(story, store)
    res, notes = other.latest_autosave()
    assert notes == [] and res.slot == AUTOSAVE
    other.resume(res)
    assert other.states == s.states and other.autosaved


def test_undo_goes_back_across_a_chapter_boundary(story, store):
    s = new(story, store)
    to_chapter_two(s)
    assert s.state.chapter == "morning"
    taken, _ = s.undo()
    assert taken == 1 and s.state.at() == ("storm", "lamp")
    assert [c.text for c in s.offered()][0] == "Keep watch till dawn."
    assert store.read(AUTOSAVE)["state"]["node"] == "lamp"  # Continue resumes where undo left you


def test_undo_several_and_more_than_were_made(story, store):
    s = new(story, store)
    to_chapter_two(s)
    assert s.undo(2)[0] == 2 and s.state.node == "stair"
    assert s.undo(10)[0] == 1 and s.state.node == "tower"
    with pytest.raises(SessionError, match="nothing to undo"):
        s.undo()


def test_a_named_save_loads_with_its_undo_history(story, store):
    s = new(story, store)
    pick(s, "Ring")
    pick(s, "Trim")
    slot, notes = s.save("Before-Oil")
    assert slot == "before-oil" and notes == []
    pick(s, "Let the lamp")
    s.load("before-oil")
    assert s.state.node == "stair"
    s.undo(2)
    assert s.state.node == "tower" and len(s.states) == 1


def test_save_without_a_name_is_a_quicksave(story, store):
    s = new(story, store)
    assert s.save(None)[0] == "quicksave"
    with pytest.raises(SessionError, match="cannot be a save name"):
        s.save("no spaces please")


def test_loading_a_missing_save_names_the_ones_there_are(story, store):
    s = new(story, store)
    s.save("one")
    with pytest.raises(SessionError, match=r"no save called 'two'.*Saves: one"):
        s.load("two")


def test_a_truncated_save_is_moved_aside_and_the_game_goes_on(story, store):
    s = new(story, store)
    pick(s, "Trim")
    s.save("mine")
    text = store.path("mine").read_text()
    store.path("mine").write_text(text[: len(text) // 2])
    with pytest.raises(SessionError, match=r"cannot be used: the file is cut short.*moved aside to mine\.corrupt-"):
        s.load("mine")
    assert not store.exists("mine") and s.state.node == "stair"
    pick(s, "Pour")  # the game carries on


def test_a_save_edited_into_an_impossible_state_is_refused(story, store):
    s = new(story, store)
    pick(s, "Trim")
    s.save("mine")
    data = store.read("mine")
    data["state"]["flags"]["courage"] = 3
    store.write("mine", data)
    with pytest.raises(SessionError, match="altered"):
        s.load("mine")


def test_a_save_of_another_story_is_refused(story, store):
    s = new(story, store)
    data = s.save_data()
    data["story"] = "Some Other Tale"
    store.write("other", data)
    with pytest.raises(SessionError, match="another story, 'Some Other Tale'"):
        s.load("other")


def test_saving_over_a_damaged_slot_moves_it_aside_first(story, store):
    s = new(story, store)
    store.folder.mkdir(parents=True)
    store.path("mine").write_text("{ this is not json")
    slot, notes = s.save("mine")
    assert "moved aside to mine.corrupt-" in notes[0]
    assert store.read("mine")["format"] == "chronicle-save"
    assert len(list(store.folder.glob("mine.corrupt-*.json"))) == 1


def test_a_new_game_keeps_the_last_games_autosave(story, store):
    a = new(story, store)
    pick(a, "Ring")
    b = new(story, store)
    notes = pick(b, "Trim")
    assert any("load autosave-1" in n for n in notes)
    assert store.read("autosave-1")["state"]["node"] == "tower"
    assert store.read(AUTOSAVE)["state"]["node"] == "stair"
    pick(b, "Pour")
    assert not store.exists("autosave-2")  # the same game keeps writing its own autosave


def test_continue_skips_a_damaged_autosave_and_says_so(story, store):
    a = new(story, store)
    pick(a, "Ring")
    b = new(story, store)
    pick(b, "Trim")
    store.path(AUTOSAVE).write_text("{")
    res, notes = Session(story, store).latest_autosave()
    assert "moved aside" in notes[0] and res.slot == "autosave-1"


def test_the_journal_lists_events_with_dates_and_the_choices_made(story, store):
    s = new(story, store)
    to_chapter_two(s)
    j = s.journal()
    assert [(d, text) for d, text, _ in j.events] == [
        ("October 1901", "A great storm hits the island in October 1901."),
        ("October 1901", "The lamp burns through the night of the storm."),
    ]
    (label1, made1, end1), (label2, made2, end2) = j.chapters
    assert label1 == "Chapter 1: The Storm" and [t for _, t in made1] == [
        "Trim the wick.",
        "Pour in a can of oil.",
        "Keep watch till dawn.",
    ]
    assert made1[0][0] == "12 October 1901" and end1 == ("The Lamp Burns", "canon")
    assert label2 == "Chapter 2: The Morning After" and made2 == [] and end2 is None


def test_endings_found_are_remembered_across_games(story, store):
    s = new(story, store)
    to_chapter_two(s)
    assert s.last_ending_new is False  # advancing is not reaching an ending
    pick(s, "Wave")
    assert s.last_ending_new
    s.undo()
    pick(s, "Wave")
    assert not s.last_ending_new
    t = new(story, store)
    pick(t, "Trim")
    pick(t, "Let the lamp")
    found, _ = t.endings_found()
    assert found[0][1:] == ([("The Lamp Burns", "canon"), ("Darkness", "divergent")], 3)
    assert found[1][1:] == ([("Safe Harbour", "canon")], 3)


def test_trial_runs_keep_their_own_autosave_and_do_not_count_endings(story, store):
    game = new(story, store)
    pick(game, "Ring")
    s = Session(story, store, trial=True)
    s.new_game(rt.start(story, "storm", "lamp"))
    notes = pick(s, "Keep watch")
    assert notes == [] and s.endings_found()[0][0][1] == []
    assert store.read("autosave-trial")["state"]["node"] == "dawn"
    assert store.read(AUTOSAVE)["state"]["node"] == "tower" and not store.exists("autosave-1")
    res, _ = Session(story, store).latest_autosave()
    assert res.slot == AUTOSAVE
    res, _ = Session(story, store, trial=True).latest_autosave()
    assert res.slot == "autosave-trial"


def test_debug_goto_keeps_flags_and_can_be_saved_and_undone(story, store):
    s = new(story, store)
    pick(s, "Ring")
    s.goto("lamp")
    assert s.state.node == "lamp" and rt.flag_values(story, s.state)["asked_for_help"] is True
    s.save("jumped")
    s.undo()
    assert s.state.node == "tower"
    s.load("jumped")
    assert s.state.node == "lamp"
    with pytest.raises(SessionError, match="no node 'nowhere'"):
        s.goto("nowhere")
    s.goto("morning:quay")
    assert s.state.chapter == "morning"


def copy_tour(tmp_path) -> Path:
    dst = tmp_path / "tour"
    shutil.copytree(TOUR, dst)
    return dst


def test_a_save_from_an_older_story_is_replayed_with_a_note(tmp_path, store):
    root = copy_tour(tmp_path)
    old = load_story(root)
    s = new(old, store)
    pick(s, "Trim")
    s.save("mine")
    f = root / "chapters" / "storm.yaml"
    f.write_text(f.read_text().replace("You climb the stair.", "You climb the narrow stair."))
    t = Session(load_story(root), store)
    notes = t.load("mine")
    assert t.state.node == "stair" and "changed" in notes[0]


def test_a_save_the_changed_story_cannot_replay_whole_resumes_where_it_can(tmp_path, store):
    root = copy_tour(tmp_path)
    s = new(load_story(root), store)
    pick(s, "Ring")
    s.save("mine")
    f = root / "chapters" / "storm.yaml"
    text = f.read_text()
    text = text.replace(
        """      - text: Ring the village for help.
        id: ring
        if: not asked_for_help
        do: [asked_for_help = true, courage -= 1]
        say: The line crackles. Someone at the post office promises to tell the harbour master.
        goto: tower
""",
        "",
    )
    f.write_text(text)
    t = Session(load_story(root), store)
    t.new_game(rt.start(t.story))
    notes = t.load("mine")
    assert t.state.node == "tower" and len(t.states) == 1
    assert "the choice you took at step 1 is no longer there" in notes[0]
    kept = [p.name for p in store.folder.iterdir() if ".earlier-story-" in p.name]
    assert len(kept) == 1 and kept[0].startswith("mine.earlier-story-") and notes[1].endswith(f"kept as {kept[0]}.")
    assert not [p for p in store.folder.iterdir() if ".corrupt-" in p.name]


def test_rebase_replays_the_path_or_starts_the_scene_afresh(tmp_path, store):
    root = copy_tour(tmp_path)
    s = new(load_story(root), store)
    pick(s, "Trim")
    pick(s, "Pour")
    f = root / "chapters" / "storm.yaml"
    f.write_text(f.read_text().replace("The flame steadies.", "The flame holds."))
    note = s.rebase(load_story(root), lambda st: rt.start(st))
    assert "replayed" in note and rt.node_text(s.story, s.state) == ["The flame holds."]
    assert len(s.states) == 3
    f.write_text(f.read_text().replace("if: oil > 0", "if: oil > 5"))
    note = s.rebase(load_story(root), lambda st: rt.start(st))
    assert "afresh" in note and s.state.node == "lamp" and len(s.states) == 1


# ---- no save file, however mangled, crashes the game -------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**20) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(["format", "version", "story", "start", "path", "state", "chapter", "node", "flags", "seen"]),
    value=json_values,
)
def test_a_mangled_save_only_ever_gives_a_clear_message(story, tmp_path_factory, key, value):
    store = SaveStore(tmp_path_factory.mktemp("s"))
    s = new(story, store)
    pick(s, "Trim")
    data = s.save_data()
    for holder in (data, data["start"], data["state"]):
        if key in holder:
            holder[key] = value
    store.path("x").parent.mkdir(parents=True, exist_ok=True)
    store.path("x").write_text(json.dumps(data))
    try:
        s.load("x")
    except SessionError as exc:
        assert "x.corrupt-" in str(exc)
        assert not store.exists("x")


def test_pages_carry_the_scene_as_the_status_line_does_and_name_the_choice_made(story, store):
    s = new(story, store)
    pick(s, "Ring")
    pick(s, "Trim")
    pick(s, "Go back down")
    pick(s, "Climb")
    pick(s, "Pour")
    pick(s, "Keep watch")
    s.advance()
    pages = s.pages()
    assert len(pages) == len(s.states)
    for i, page in enumerate(pages):
        assert (page.date, page.place) == rt.scene(story, s.states[: i + 1])  # the slow way, walking back
    assert [p.taken for p in pages[:3]] == [
        "Ring the village for help.",
        "Trim the wick.",
        "Go back down to check the door.",
    ]
    assert pages[6].ending == ("The Lamp Burns", "canon") and pages[6].taken is None
    assert pages[-1].chapter == "Chapter 2: The Morning After" and pages[-1].place == "The quay"
    assert s.states[-1] is s.state  # reading pages changes nothing


def test_a_chapter_reached_before_starts_with_the_flags_it_was_reached_with_once(tmp_path, store):
    # The second chapter's first scene gives the keeper heart on arrival (`do: [courage += 1]`,
    # a story-wide flag): starting there again from the title's Chapters must do it once, not twice.
    root = copy_tour(tmp_path)
    f = root / "chapters" / "morning.yaml"
    f.write_text(f.read_text().replace("  quay:\n", "  quay:\n    do: [courage += 1]\n", 1))
    story = load_story(root)
    s = new(story, store)
    pick(s, "Trim")
    pick(s, "Let the lamp die")
    s.advance()
    assert rt.flag_values(story, s.state)["courage"] == 2  # 1 carried in, +1 on the quay
    (arrival,) = s.arrivals()
    t = Session(story, store)
    t.start_at(arrival)
    assert t.state.at() == ("morning", "quay") and rt.flag_values(story, t.state)["courage"] == 2
    pick(t, "Search")
    t.save("later")
    before = t.state
    notes = t.load("later")
    assert t.state == before and not any("cannot be used" in n for n in notes), notes


def test_kept_games_are_kept_and_the_one_dropped_is_named(story, store):
    """Issue 30.6: four new games later, game 1 was gone with no word."""
    notes = []
    for _ in range(5):
        s = new(story, store)
        notes = pick(s, "Trim")
        store.release()
    assert [x.name for x in store.autosaves()] == ["autosave", "autosave-1", "autosave-2", "autosave-3"]
    dropped = [n for n in notes if "no longer kept" in n]
    assert len(dropped) == 1
    assert "Only 3 earlier games are kept, so the oldest of them (Chapter 1: The Storm" in dropped[0]
    assert "save it under a name (save NAME)" in dropped[0]


def test_playing_a_kept_game_again_puts_it_back_in_place_of_its_copy(story, store):
    for first in ("Trim", "Ring", "Write", "Trim"):
        s = new(story, store)
        pick(s, first)
        store.release()
    games = {x.name: x.data["game"] for x in store.autosaves()}
    s = Session(story, store)
    notes = s.load("autosave-2")
    notes += s.autosave()
    assert not [n for n in notes if "no longer kept" in n]  # nothing dropped to make room
    now = {x.name: x.data["game"] for x in store.autosaves()}
    assert now["autosave"] == games["autosave-2"]
    assert now["autosave-1"] == games["autosave"] and now["autosave-2"] == games["autosave-1"]
    assert now["autosave-3"] == games["autosave-3"]
    s.save("kept-for-good")  # a kept game turned into a named save
    assert store.read("kept-for-good")["game"] == games["autosave-2"]
