"""Saves' JSON form: round trips, damaged and hand-edited saves, saves from a changed story."""

from __future__ import annotations

import copy
import json
import shutil

import pytest
from conftest import TOUR, chapter, write_story

from engine import runtime as rt
from engine.compile import load_story
from engine.savefile import FORMAT, VERSION, SaveError, from_json, steps_of, to_json


@pytest.fixture(scope="module")
def tour():
    return load_story(TOUR)


def play(story, numbers):
    return rt.replay_numbers(story, rt.start(story), numbers)


def through_text(data):
    """What a save file goes through: written as JSON text and read back."""
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("numbers", [[], [2], [2, 1], [1, 3, 1, 1], [1, 1, 1], [1, 1, 1, 1], [1, 2, 1], [1, 1, 2, 2]])
def test_round_trip(tour, numbers):
    states = play(tour, numbers)
    data = through_text(to_json(tour, states))
    assert data["format"] == FORMAT and data["version"] == VERSION
    loaded = from_json(tour, data)
    assert loaded.note is None
    assert loaded.states == states
    assert loaded.states[-1].at() == states[-1].at()
    assert rt.flag_values(tour, loaded.states[-1]) == rt.flag_values(tour, states[-1])


def test_round_trip_from_a_chosen_start(tour):
    first = rt.start(tour, "morning", None, {"lamp_lit": False, "courage": 3})
    states = rt.replay_numbers(tour, first, [2])
    loaded = from_json(tour, through_text(to_json(tour, states)))
    assert loaded.start == first and loaded.states[-1] == states[-1]
    assert loaded.states[-1].at() == ("morning", "home")


def test_a_save_of_a_chapter_whose_first_scene_does_something_on_arrival_loads_exactly(tmp_path):
    # Loading enters the first scene again, so its `do:` must be applied once over the flags the
    # save starts from, not twice (`gold += 5` twice, and the saved position would no longer
    # follow from the choices: "the file was altered").
    nodes = {
        "gate": {
            "do": ["gold += 5", "visited = true"],
            "text": "You have {gold} coins.",
            "choices": [
                {"text": "Pay the toll.", "do": ["gold -= 2"], "goto": "gate"},
                {"text": "Walk on.", "goto": "road", "canon": True},
            ],
        },
        "road": {"text": "The road.", "ending": {"kind": "canon", "title": "On"}},
    }
    flags = {
        "gold": {"type": "int", "default": 0, "min": 0, "max": 99, "doc": "coins"},
        "visited": {"type": "bool", "default": False, "doc": "been to the gate"},
    }
    story = load_story(write_story(tmp_path / "s", {"one": chapter("one", nodes, flags=flags)}))
    for numbers in ([], [1], [1, 1], [1, 1, 2]):
        states = play(story, numbers)
        loaded = from_json(story, through_text(to_json(story, states)))
        assert loaded.note is None and loaded.states == states
        assert rt.flag_values(story, loaded.states[0])["gold"] == 5  # one arrival, counted once
    assert rt.flag_values(story, loaded.states[-1])["gold"] == 11  # 5 + (5 - 2) + (5 - 2)


def test_extra_fields_are_kept_in_the_save(tour):
    data = to_json(tour, play(tour, [1]), saved_at="2024-01-01", name="slot 1")
    assert data["saved_at"] == "2024-01-01" and data["name"] == "slot 1"
    assert from_json(tour, through_text(data)).states[-1].at() == ("storm", "stair")


def damaged(data, change):
    d = copy.deepcopy(data)
    change(d)
    return d


@pytest.fixture(scope="module")
def save(tour):
    return through_text(to_json(tour, play(tour, [1, 1, 1, 1])))


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: d.clear(), "not a Chronicle save file"),
        (lambda d: d.update(format="something-else"), "not a Chronicle save file"),
        (lambda d: d.update(version=VERSION + 1), "newer Chronicle"),
        (lambda d: d.update(version="1"), "format version ('1') is damaged"),
        (lambda d: d.update(version=0), "format version (0) is damaged"),
        (lambda d: d.update(story="Another Story"), "belongs to another story"),
        (lambda d: d.update(path=[0] * 100_001), "no playthrough is that long"),
        (lambda d: d.pop("path"), "incomplete"),
        (lambda d: d.pop("state"), "incomplete"),
        (lambda d: d.update(start=None), "incomplete"),
        (lambda d: d.update(path="1,1,1"), "incomplete"),
        (lambda d: d.update(path=[0, True]), "path of choices is damaged"),
        (lambda d: d.update(path=[0, 0.5]), "path of choices is damaged"),
        (lambda d: d.update(path=[0, -7]), "path of choices is damaged"),
        (lambda d: d["start"].pop("flags"), "starting flags are damaged"),
        (lambda d: d["start"].update(chapter="noon"), "starts where this story cannot: there is no chapter 'noon'"),
        (lambda d: d["start"].update(node="attic"), "starts where this story cannot"),
        (lambda d: d["start"].update(node=["tower"]), "does not say where play started"),
        (lambda d: d["start"]["flags"].update(courage=99), "starts where this story cannot"),
        (lambda d: d["start"]["flags"].update(courage=[1]), "starts where this story cannot"),
        (lambda d: d["start"]["flags"].update(nerve=1), "starts where this story cannot: there is no flag 'nerve'"),
        (lambda d: d.update(path=d["path"][:-2]), "does not follow from the saved choices; the file was altered"),
        (lambda d: d.update(path=d["path"] + ["dawn:@nowhere"]), "choices are impossible in this story"),
        (lambda d: d.update(path=["tower"]), "path of choices is damaged"),
        (lambda d: d.update(path=[7]), "path of choices is damaged"),
        (lambda d: d.update(version=1, path=["tower:@stair"]), "path of choices is damaged"),
        (lambda d: d["state"].update(node="dark"), "does not follow from the saved choices"),
        (lambda d: d["state"]["flags"].update(courage=3), "does not follow from the saved choices"),
    ],
)
def test_damaged_or_hand_edited_save_is_refused_with_a_reason(tour, save, change, words):
    with pytest.raises(SaveError) as err:
        from_json(tour, damaged(save, change))
    assert words in str(err.value)


@pytest.mark.parametrize("junk", [None, [], "save", 3, {"format": FORMAT}, {"format": FORMAT, "version": 1}])
def test_garbage_is_refused(tour, junk):
    with pytest.raises(SaveError):
        from_json(tour, junk)


def test_truncated_save_is_refused(tour, save):
    """A save cut short, as a writer that died half-way leaves it: its first keys only, or a nested
    part cut off."""
    keys = list(save)
    for k in range(len(keys)):
        cut = {key: save[key] for key in keys[:k]}
        with pytest.raises(SaveError):
            from_json(tour, cut)
    for part in ("start", "state"):
        for k in range(3):  # chapter, node, flags (a state's `seen` list is derived, and may go)
            cut = dict(save, **{part: dict(list(save[part].items())[:k])})
            with pytest.raises(SaveError):
                from_json(tour, cut)


# ---- saves from a story that has changed since ---------------------------------------


def changed_tour(tmp_path, old: str, new: str, chapter="storm"):
    root = tmp_path / "tour"
    shutil.copytree(TOUR, root)
    f = root / "chapters" / f"{chapter}.yaml"
    text = f.read_text()
    assert old in text
    f.write_text(text.replace(old, new))
    return load_story(root)


def test_changed_story_whose_choices_still_fit(tour, save, tmp_path):
    story = changed_tour(tmp_path, "Wind hammers the glass.", "Wind batters the glass.")
    assert story.content_hash != tour.content_hash
    loaded = from_json(story, save)
    assert loaded.states[-1].at() == ("morning", "harbour")
    assert "changed since this save" in loaded.note and "still fit" in loaded.note


def test_a_step_whose_choice_now_goes_elsewhere_stops_the_replay_there(save, tmp_path):
    """The two choices at the quay swap destinations: the saved step named the way to the
    harbour, and the choice that now goes there is not on offer, so the game resumes at the
    quay, never silently at the rocks."""
    story = changed_tour(
        tmp_path,
        "goto: harbour\n        canon: true\n      - text: Search the rocks.\n"
        '        if: not lamp_lit\n        do: [weather = "calm"]\n        goto: rocks',
        "goto: rocks\n        canon: true\n      - text: Search the rocks.\n"
        '        if: not lamp_lit\n        do: [weather = "calm"]\n        goto: harbour',
        chapter="morning",
    )
    loaded = from_json(story, save)
    assert loaded.cut and loaded.states[-1].at() == ("morning", "quay")
    assert loaded.note.startswith(
        "The story has changed since this save: 'Search the rocks.' (your step 5) is "
        "no longer on offer there, so your game resumes after step 4 of 5, in Chapter 2: "
        "The Morning After, at The quay, 13 October 1901."
    )


def test_changed_story_whose_choices_no_longer_fit_resumes_at_the_last_step_that_does(save, tmp_path):
    story = changed_tour(
        tmp_path,
        "      - text: Pour in a can of oil.\n        if: oil > 0",
        "      - text: Pour in a can of oil.\n        if: oil > 5",
    )
    loaded = from_json(story, save)
    assert loaded.cut and loaded.states[-1].at() == ("storm", "stair")
    assert "'Pour in a can of oil.' (your step 2) is no longer on offer there" in loaded.note
    assert "resumes after step 1 of 5" in loaded.note


# ---- long saves: replay in linear memory ---------------------------------------------------


def _loop_save(story, moves_wanted: int) -> dict:
    """A valid save of `moves_wanted` moves: trim the wick, then stair -> door -> stair ... ending on the stair.
    Built from a three-move replay, so that writing it never needs the memory loading it is tested for."""
    states = play(story, [1, 3, 1])  # trim the wick; down to the door; climb again
    data = through_text(to_json(story, states))
    trim, down, climb = data["path"]
    assert moves_wanted % 2 == 1
    data["path"] = [trim] + [down, climb] * ((moves_wanted - 1) // 2)
    return data


def test_replayed_states_share_their_path_and_still_equal_tuples(tour):
    data = _loop_save(tour, 2_001)
    loaded = from_json(tour, data)
    last = loaded.states[-1]
    assert steps_of(tour, loaded.states) == data["path"]  # the save's steps, by node and key
    moves = [0] + [2, 0] * 1_000  # the same steps as choice indices: trim; down to the door; climb
    assert last.path == tuple(moves) and hash(last.path) == hash(tuple(moves))
    assert list(last.path) == moves and len(last.path) == 2_001 and last.path[-1] == moves[-1]
    assert loaded.states[-2].path == tuple(moves[:-1]) != last.path
    assert {last: 1}[rt.replay(tour, loaded.start, moves)[-1]] == 1  # equal states hash alike


@pytest.mark.slow  # a 100,000-move save replayed in a child process under a memory cap
def test_a_100000_move_save_loads_under_a_memory_limit(tmp_path):
    """Each replayed state used to keep its own copy of the path: quadratic (gigabytes)."""
    from conftest import run_cli

    from engine.player.saves import SaveStore

    story = load_story(TOUR)
    data = _loop_save(story, 99_999)
    assert len(data["path"]) == 99_999
    SaveStore.for_story(story.title, tmp_path / "saves").write("autosave", data)
    proc = run_cli(
        "play",
        "--story",
        TOUR,
        "--save-dir",
        tmp_path / "saves",
        "--continue",
        input="quit\n",
        limit_memory=384 << 20,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Welcome back" in proc.stdout and "You climb the stair." in proc.stdout
    assert "damaged" not in proc.stdout + proc.stderr
