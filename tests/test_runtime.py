"""Playing a compiled story: choices on offer, choosing, effects, chapters, replays."""

from __future__ import annotations

import pytest
from conftest import TOUR, chapter, write_story

from engine import runtime as rt
from engine.compile import load_story
from engine.runtime import CONTINUE, PlayError


@pytest.fixture(scope="module")
def tour():
    return load_story(TOUR)


def texts(choices):
    return [c.text for c in choices]


def flags(story, state):
    return rt.flag_values(story, state)


def test_start_state_of_the_tour(tour):
    s = rt.start(tour)
    assert s.at() == ("storm", "tower")
    assert flags(tour, s) == {
        "lamp_lit": True,
        "courage": 1,
        "weather": "gale",
        "oil": 2,
        "asked_for_help": False,
        "logged": False,
    }
    assert texts(rt.available(tour, s)) == ["Trim the wick.", "Ring the village for help.", "Write up the log."]
    assert rt.node_text(tour, s) == ["Wind hammers the glass.", "The lamp gutters."]


def test_a_choice_applies_its_effects_in_order_and_its_condition_closes_it(tour):
    s = rt.choose(tour, rt.start(tour), 1)  # ring the village: asked_for_help = true, courage -= 1
    assert s.at() == ("storm", "tower")
    assert flags(tour, s)["asked_for_help"] is True and flags(tour, s)["courage"] == 0
    assert texts(rt.available(tour, s)) == ["Trim the wick.", "Write up the log."]
    with pytest.raises(PlayError, match="not available here .*not asked_for_help"):
        rt.choose(tour, s, 1)
    with pytest.raises(PlayError, match="has no choice 4"):
        rt.choose(tour, s, 3)


def test_conditional_text_follows_the_state(tour):
    quiet = rt.choose(tour, rt.start(tour), 0)
    assert rt.node_text(tour, quiet) == ["You climb the stair.", "Nobody knows you are up here."]
    again = rt.replay(tour, quiet, [2, 0])[-1]  # down to the door and back up: seen("door")
    assert rt.node_text(tour, again)[-1] == "The tower creaks."
    rung = rt.choose(tour, rt.choose(tour, rt.start(tour), 1), 0)
    assert rt.node_text(tour, rung)[1] == "The village bell answers faintly."


def test_ending_then_advance_carries_story_flags_and_resets_local_ones(tour):
    states = rt.replay(tour, rt.start(tour), [0, 0, 0])  # trim, pour oil (courage 2), keep watch
    end = states[-1]
    assert end.at() == ("storm", "dawn") and rt.is_ending(tour, end) and not rt.is_final(tour, end)
    assert flags(tour, end)["courage"] == 2 and flags(tour, end)["oil"] == 1
    nxt = rt.advance(tour, end)
    assert nxt.at() == ("morning", "quay")
    assert flags(tour, nxt) == {"lamp_lit": True, "courage": 2, "weather": "gale"}
    assert nxt.path == end.path + (CONTINUE,)
    assert texts(rt.available(tour, nxt)) == ["Wave her in.", "Go home."]
    assert rt.node_text(tour, nxt) == ["The Mary rounds the point."]
    final = rt.choose(tour, nxt, 0)
    assert rt.is_final(tour, final)
    with pytest.raises(PlayError, match="story is over"):
        rt.advance(tour, final)
    with pytest.raises(PlayError, match="only an ending"):
        rt.advance(tour, nxt)


def test_a_broken_branch_carries_into_the_next_chapter(tour):
    states = rt.replay_numbers(tour, rt.start(tour), [1, 2, 1])  # trim, let the lamp die; then search the rocks
    last = states[-1]
    assert last.at() == ("morning", "rocks")
    assert flags(tour, last)["lamp_lit"] is False and flags(tour, last)["weather"] == "calm"
    assert [s.at() for s in states] == [
        ("storm", "tower"),
        ("storm", "stair"),
        ("storm", "dark"),
        ("morning", "quay"),
        ("morning", "rocks"),
    ]


def test_replay_names_the_step_that_fails(tour):
    with pytest.raises(PlayError, match=r"^step 2: 'Ring the village for help.' is not available"):
        rt.replay(tour, rt.start(tour), [1, 1])
    with pytest.raises(PlayError, match=r"^step 2: at storm:tower there are 2 choices available, not 3"):
        rt.replay_numbers(tour, rt.start(tour), [2, 3])
    with pytest.raises(PlayError, match=r"^step 5: at morning:harbour there are 0 choices available, not 1"):
        rt.replay_numbers(tour, rt.start(tour), [1, 1, 1, 1, 1])  # the story is over after 4 moves


def test_replay_and_replay_numbers_agree(tour):
    by_index = rt.replay(tour, rt.start(tour), [0, 0, 0, CONTINUE, 2])
    by_number = rt.replay_numbers(tour, rt.start(tour), [1, 1, 1, 2])
    assert by_index[-1] == by_number[-1]
    assert by_index[-1].at() == ("morning", "home")


def test_start_anywhere_with_flags(tour):
    s = rt.start(tour, "morning", "quay", {"lamp_lit": "false", "courage": 3})
    assert flags(tour, s) == {"lamp_lit": False, "courage": 3, "weather": "gale"}
    assert texts(rt.available(tour, s)) == ["Search the rocks.", "Go home."]
    assert rt.node_text(tour, s) == ["There is no sign of the Mary."]
    for bad, words in [
        ({"courage": 9}, "not a valid value for courage"),
        ({"courage": "lots"}, "whole number"),
        ({"weather": "rain"}, "not a valid value"),
        ({"nerve": 1}, "no flag 'nerve'"),
        ({"oil": 1}, "no flag 'oil'"),
    ]:
        with pytest.raises(PlayError, match=words):
            rt.start(tour, "morning", None, bad)
    with pytest.raises(PlayError, match="no chapter 'noon'"):
        rt.start(tour, "noon")
    with pytest.raises(PlayError, match="no node 'quai'; did you mean 'quay'"):
        rt.start(tour, "morning", "quai")


def test_number_of_counts_only_the_choices_on_offer(tour):
    s = rt.start(tour, "morning", "quay", {"lamp_lit": False, "courage": 3})
    home = rt.node_of(tour, s).choices[2]
    assert rt.number_of(tour, s, home) == 2


# ---- a small story for clamping, seen() and local flags -----------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = write_story(
        tmp_path_factory.mktemp("small"),
        {
            "first": chapter(
                "first",
                {
                    "hall": {
                        "text": [{"if": 'seen("cellar")', "text": "You know the cellar now.", "else": "A hall."}],
                        "choices": [
                            {"text": "Climb.", "do": ["nerve += 2", "marked = true", "grudge = true"], "goto": "hall"},
                            {"text": "Descend.", "do": "nerve -= 5", "goto": "cellar"},
                            {"text": "Leave.", "if": 'seen("cellar")', "goto": "out", "canon": True},
                        ],
                    },
                    "cellar": {"text": "Dark.", "choices": [{"text": "Back up.", "goto": "hall"}]},
                    "out": {"text": "Out.", "ending": {"kind": "canon", "title": "Out"}},
                },
                flags={"marked": {"type": "bool", "default": False, "doc": "A local mark"}},
            ),
            "second": chapter(
                "second",
                {
                    "yard": {
                        "text": [{"if": "marked", "text": "Marked."}, {"if": "grudge", "text": "A grudge."}],
                        "choices": [{"text": "Go.", "goto": "gate", "canon": True}],
                    },
                    "gate": {"text": "Gate.", "ending": {"kind": "canon", "title": "Gate"}},
                },
                flags={"marked": {"type": "bool", "default": False, "doc": "Another chapter's own mark"}},
            ),
        },
        flags={
            "nerve": {"type": "int", "default": 1, "min": 0, "max": 4, "doc": "Nerve"},
            "grudge": {"type": "bool", "default": False, "doc": "A grudge held"},
        },
    )
    return load_story(root)


def test_int_effects_are_clamped_to_their_bounds(small):
    s = rt.start(small)
    s = rt.choose(small, s, 0)
    assert flags(small, s)["nerve"] == 3
    s = rt.choose(small, s, 0)
    assert flags(small, s)["nerve"] == 4  # 5 clamped to max 4
    s = rt.choose(small, s, 1)
    assert flags(small, s)["nerve"] == 0  # -1 clamped to min 0


def test_seen_is_true_once_a_node_is_visited(small):
    s = rt.start(small)
    assert texts(rt.available(small, s)) == ["Climb.", "Descend."]
    assert rt.node_text(small, s) == ["A hall."]
    assert rt.seen_nodes(small, s) == []
    s = rt.choose(small, rt.choose(small, s, 1), 0)
    assert rt.seen_nodes(small, s) == ["cellar"]
    assert rt.node_text(small, s) == ["You know the cellar now."]
    assert texts(rt.available(small, s)) == ["Climb.", "Descend.", "Leave."]


def test_local_flags_start_fresh_in_each_chapter_and_seen_is_per_chapter(small):
    states = rt.replay_numbers(small, rt.start(small), [1, 2, 1, 3, 1])
    out, yard = states[-3], states[-2]
    assert out.at() == ("first", "out") and flags(small, out)["marked"] is True
    assert yard.at() == ("second", "yard")
    assert flags(small, yard) == {"nerve": 0, "grudge": True, "marked": False}
    assert rt.node_text(small, yard) == ["A grudge."]
    assert yard.seen == 0


def test_an_int_without_bounds_stays_a_32_bit_whole_number(tmp_path):
    root = write_story(
        tmp_path / "s",
        {
            "one": chapter(
                "one",
                {
                    "a": {
                        "text": "A.",
                        "choices": [
                            {"text": "Square.", "do": ["x = x * x"], "goto": "a"},
                            {"text": "Sink.", "do": ["x = 0 - x * x"], "goto": "a"},
                            {"text": "End.", "goto": "z", "canon": True},
                        ],
                    },
                    "z": {"text": "Z.", "ending": {"kind": "canon", "title": "Z"}},
                },
                flags={"x": {"type": "int", "default": 2, "doc": "Unbounded"}},
            )
        },
    )
    story = load_story(root)
    s = rt.replay_numbers(story, rt.start(story), [1] * 40)[-1]
    assert flags(story, s)["x"] == 2**31 - 1
    s = rt.choose(story, s, 1)
    assert flags(story, s)["x"] == -(2**31)
