"""`chronicle stats`: the figures match a hand-counted chapter, and the tour story."""

from __future__ import annotations

import json

import pytest
from authoring_helpers import LIGHTHOUSE, ROOT, chronicle, cli

from tools import docs

COUNTED = """\
id: one
title: Counting
period: {from: 1900, to: 1900}
flags:
  coins: {type: int, default: 0, min: 0, max: 2, doc: Coins in hand}
  told: {type: bool, default: false, doc: You told the clerk}
start: gate
nodes:
  gate:
    text: |
      Don't stop at al-Karim's gate.

      Two guards watch.
    choices:
      - text: Beg a coin.
        if: coins < 2
        do: [coins += 1]
        goto: gate
      - text: Walk in.
        goto: yard
        canon: true
      - text: Tell the clerk.
        if: not told
        do: [told = true]
        goto: gate
  yard:
    text:
      - The yard is empty.
      - if: told
        text: The clerk nods.
        else: Nobody looks up from the ledgers.
    choices:
      - text: Wait.
        goto: evening
        canon: true
      - text: Spend.
        if: coins >= 2
        goto: market
  market:
    text: Stalls everywhere - and a well.
    ending: {kind: personal, title: Market}
  evening:
    text: Evening comes.
    ending: {kind: canon, title: Evening}
"""
# Hand count.
#   words: gate 8 (Don't / stop / at / al-Karim's / gate / Two / guards / watch), yard 4 + 3 + 6
#   (both sides of the conditional part), market 5 (the lone '-' is no word), evening 2: 28.
#   paths over states: shortest gate -> yard -> evening = 2; longest beg, beg, tell, walk, spend = 5
#   (coins only grow and told only turns true, so no state repeats: no loops).
#   paths over the node graph: the self-loops at gate are loops; longest gate -> yard -> market = 2.
#   flags: coins read at gate (its condition, and `+=` reads it) and yard, written at gate;
#   told read at gate and yard (the conditional text), written at gate; the story-wide treaty_torn
#   is read only by history and written nowhere in this chapter, so it is not listed.


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    root = tmp_path_factory.mktemp("counted")
    docs.materialise(docs.load_case("yaml-empty"), root, fixed=True)
    (root / "chapters" / "one.yaml").write_text(COUNTED, encoding="utf-8")
    code, out, err = cli("check", "--story", root)
    assert code == 0, out + err
    return root


def test_hand_counted_chapter(counted):
    done = chronicle("stats", "--story", counted, "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["words_per_minute"] == 230
    (ch,) = data["chapters"]
    assert {
        k: ch[k] for k in ("id", "nodes", "choices", "endings", "words", "shortest", "longest", "loops", "basis")
    } == {
        "id": "one",
        "nodes": 4,
        "choices": 5,
        "endings": {"canon": 1, "personal": 1, "divergent": 0},
        "words": 28,
        "shortest": 2,
        "longest": 5,
        "loops": False,
        "basis": "states",
    }
    assert ch["reading_minutes"] == round(28 / 230, 2)
    assert ch["flags"] == {
        "coins": {"scope": "chapter", "type": "int 0..2", "read": ["gate", "yard"], "written": ["gate"]},
        "told": {"scope": "chapter", "type": "bool", "read": ["gate", "yard"], "written": ["gate"]},
    }
    assert data["total"]["words"] == 28


def test_static_paths_are_over_the_graph(counted):
    code, out, _ = cli("stats", "--story", counted, "--format", "json", "--static")
    assert code == 0
    ch = json.loads(out)["chapters"][0]
    assert (ch["shortest"], ch["longest"], ch["loops"], ch["basis"]) == (2, 2, True, "graph")


def test_the_tour_in_text():
    code, out, err = cli("stats", "--story", LIGHTHOUSE)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "The Lighthouse Keeper: 2 chapters"
    table = {line.split()[0]: line.split() for line in lines[2:6]}
    # storm: 7 nodes, 8 choices, 1/1/1 endings, 51 words; shortest tower -> stair -> dark; the longest
    # playthrough that repeats no state rings the village first (tower, tower, stair, lamp, ending);
    # going down to the door and back up repeats the stair's state: a loop.
    assert table["storm"] == ["storm", "7", "8", "1/1/1", "51", "0.2", "min", "2", "4", "+loops", "states"]
    # morning: 5 + 7 words at quay (both sides of its conditional part), 4 harbour, 3 + 10 rocks, 2 home
    assert table["morning"] == ["morning", "4", "3", "1/1/1", "31", "0.1", "min", "1", "1", "states"]
    assert table["total"] == ["total", "11", "11", "2/2/2", "82", "0.4", "min"]
    assert "  oil             chapter  int 0..3  stair               stair" in lines
    assert "  lamp_lit        story    bool      history             stair         read later in morning" in lines
    assert "  weather   story  enum calm|gale  rocks          quay" in lines


def test_one_chapter_and_a_bad_one():
    code, out, _ = cli("stats", "morning", "--story", LIGHTHOUSE, "--format", "json")
    assert code == 0 and [c["id"] for c in json.loads(out)["chapters"]] == ["morning"]
    code, _, err = cli("stats", "nowhere", "--story", LIGHTHOUSE)
    assert code == 2 and "no chapter 'nowhere'" in err


def test_an_incomplete_exploration_falls_back_on_the_graph():
    code, out, _ = cli("stats", "--story", LIGHTHOUSE, "--format", "json", "--max-states", "5")
    assert code == 0
    assert [(c["basis"], c["shortest"], c["longest"]) for c in json.loads(out)["chapters"]] == [
        ("graph", 2, 3),
        ("graph", 1, 1),
    ]


# ---- which bound made a figure inexact (issue 28) ---------------------------------------------


TOUR = ROOT / "tests" / "stories" / "tour"


def test_stats_choices_names_the_bound_that_cut_exploration_short():
    code, out, _ = cli("stats", "--choices", "--story", TOUR, "--max-states", "20")
    assert code == 0
    assert "storm (basis: graph)" in out
    assert "its exploration stopped at the state bound; raise --max-states" in out
    # the next chapter's starts come from the first one's endings, which are not all known
    assert "an earlier chapter's exploration stopped at a bound" in out
    code, out, _ = cli("stats", "--choices", "--story", TOUR, "--max-states", "20", "--format", "json")
    assert [(c["basis"], c["stopped_by"]) for c in json.loads(out)["chapters"]] == [
        ("graph", "states"),
        ("graph", "earlier"),
    ]
    code, out, _ = cli("stats", "--choices", "--story", TOUR, "--format", "json")
    assert {(c["basis"], c["stopped_by"]) for c in json.loads(out)["chapters"]} == {("states", None)}


def test_stats_takes_the_memory_bound_and_says_when_it_fired(tmp_path):
    from conftest import counter_hub

    root = counter_hub(tmp_path / "story", 60)  # 4**60 states: only a bound ends the exploration
    code, out, _ = cli("stats", "--story", root, "--max-memory", "4")
    assert code == 0
    out = " ".join(out.split())  # the note is wrapped to the terminal
    assert "one is measured on the graph: its exploration stopped at the memory bound; raise --max-memory" in out
    code, out, _ = cli("stats", "--choices", "--story", root, "--max-memory", "4", "--format", "json")
    assert json.loads(out)["chapters"][0]["stopped_by"] == "memory"
