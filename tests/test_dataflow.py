"""The dataflow fallback: what it proves when exploration stops at its bound."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine import load_story
from engine.check import check_story

TOUR = Path(__file__).parent / "stories" / "tour"


def codes(report):
    return sorted(d.code for d in report.diagnostics)


def test_complete_exploration_needs_no_fallback():
    report = check_story(load_story(TOUR))
    assert report.complete
    assert codes(report) == []


def test_bound_hit_is_an_error_and_names_what_stays_unproven():
    report = check_story(load_story(TOUR), max_states=5)
    assert not report.complete
    assert "explore-incomplete" in codes(report)
    unproven = [d for d in report.diagnostics if d.code == "unproven"]
    assert unproven, "the report must list what it could not prove"
    # relational facts a per-flag analysis cannot see are named, not silently passed
    listed = [item for d in unproven for item in d.extra["unproven"]]
    assert any("courage -= 1" in item for item in listed)


def test_dataflow_proves_a_never_available_choice_beyond_the_bound(tmp_path):
    story_dir = tmp_path / "tour"
    shutil.copytree(TOUR, story_dir)
    chapter = story_dir / "chapters" / "storm.yaml"
    text = chapter.read_text()
    # oil is at most 3, so this choice can never be offered
    text = text.replace(
        "      - text: Go back down to check the door.\n        if: oil > 1",
        "      - text: Go back down to check the door.\n        if: oil > 5",
    )
    chapter.write_text(text)
    exact = check_story(load_story(story_dir))
    assert "choice-never-available" in codes(exact)
    bounded = check_story(load_story(story_dir), max_states=3)
    proved = [d for d in bounded.diagnostics if d.code == "choice-never-available"]
    assert proved and "proved by dataflow" in proved[0].message
    assert "Go back down" in proved[0].message
