"""`chronicle stats --choices`: exact figures on a story counted by hand, in text and JSON,
and the analysis agrees with what play shows on the real story."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from authoring_helpers import ROOT, chronicle

from engine import load_story
from engine.check.choices import analyse_choices

COUNTED = ROOT / "tests" / "stories" / "choices"
# Counted by hand (tests/stories/choices/chapters/harbour.yaml):
#   decision points: quay (2 choices) and steps (3 choices);
#   'Take the lamp' sets `lamp`, which two later places read: the conditional part of 'two'
#   and the one of 'boat'; 'Walk down' and 'Walk down humming' reach the very same state
#   (nothing reads `hummed`), so both are flavour; one -> two -> three -> four is a corridor
#   of four single-choice nodes; words to 'boat': 40 without the lamp, 50 with it.


def _choice(chapter, node, index):
    return next(c for c in chapter["choices"] if c["node"] == node and c["index"] == index)


def test_json_figures_match_the_hand_count():
    r = chronicle("stats", "--choices", "--format", "json", "--story", COUNTED)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["version"] == 1
    (ch,) = data["chapters"]
    assert ch["id"] == "harbour" and ch["basis"] == "states"
    assert ch["decision_points"] == ["quay", "steps"]
    assert ch["corridors"] == [{"from": "one", "to": "four", "length": 4, "nodes": ["one", "two", "three", "four"]}]
    lamp = _choice(ch, "quay", 1)
    assert lamp["echoes"] == 2 and not lamp["flavour"] and not lamp["branches"]
    assert sorted(lamp["places"]) == ["harbour:boat text part 1", "harbour:two text part 2"]
    assert _choice(ch, "quay", 2)["echoes"] == 0 and not _choice(ch, "quay", 2)["flavour"]
    assert [(c["index"], c["flavour"], c["branches"]) for c in ch["choices"] if c["node"] == "steps"] == [
        (1, True, True),
        (2, True, True),
        (3, False, True),
    ]
    assert {e["node"]: (e["min_words"], e["max_words"]) for e in ch["endings"]} == {"boat": (40, 50), "home": (22, 22)}


def test_text_report_says_the_same():
    r = chronicle("stats", "--choices", "--story", COUNTED)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "decision points: 2" in out
    assert "4: one -> two -> three -> four" in out
    assert 'quay 1: 2 echoes  "Take the lamp."' in out
    assert "steps 2: branches, 0 echoes, flavour" in out
    assert "boat (The Crossing): 40..50" in out


@pytest.mark.slow  # analyses the whole real story
def test_a_choice_that_sets_a_flag_a_later_chapter_reads_echoes_there():
    story = load_story(ROOT)
    # only Riyadh's choices and only their echoes: the words analysis is not what this asks
    (riyadh,) = analyse_choices(story, "riyadh-1980", need=frozenset({"echoes"}))
    later = {p.split(":")[0] for c in riyadh.choices for p in c.places} - {"riyadh-1980"}
    assert later & {"syrian-front-1984", "tehran-1999"}, (
        "some 1980 choice must be noticed in 1984 or 1999 through a story-wide flag"
    )


def test_flavour_needs_a_twin_and_no_reader(tmp_path: Path):
    """Make something read `hummed`, and the humming choice stops being flavour."""
    import shutil

    dest = tmp_path / "choices"
    shutil.copytree(COUNTED, dest)
    ch = dest / "chapters" / "harbour.yaml"
    ch.write_text(
        ch.read_text().replace(
            "    text: The third landing.\n",
            "    text:\n      - The third landing.\n      - if: hummed\n        text: Your humming echoes.\n",
        )
    )
    r = chronicle("stats", "--choices", "--format", "json", "--story", dest)
    data = json.loads(r.stdout)["chapters"][0]
    walk, hum = _choice(data, "steps", 1), _choice(data, "steps", 2)
    assert not walk["flavour"] and not hum["flavour"]
    assert hum["echoes"] == 1 and hum["places"] == ["harbour:three text part 2"]


def test_graph_dashes_flavour_and_shades_corridors():
    from authoring_helpers import parse_mermaid

    r = chronicle("graph", "--story", COUNTED)
    assert r.returncode == 0, r.stderr
    mm = parse_mermaid(r.stdout)
    arrows = {(src, label.split(" ")[0] if label else None): arrow for src, arrow, label, _dst in mm.edges}
    assert arrows[("n_harbour__steps", "2")] == "-.->"  # flavour, not canon: dashed
    assert arrows[("n_harbour__steps", "3")] == "-->"
    assert sorted(mm.classes["corridor"]) == sorted(f"n_harbour__{n}" for n in ("one", "two", "three", "four"))
    dot = chronicle("graph", "--story", COUNTED, "--format", "dot").stdout
    hum = next(line for line in dot.splitlines() if '"harbour/steps" -> "harbour/one"' in line and "hummed" in line)
    assert "style=dashed" in hum
