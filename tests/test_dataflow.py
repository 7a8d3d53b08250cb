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


CALLS = """\
id: one
title: One
start: hall
nodes:
  hall:
    text: The hall.
    choices:
      - {text: Look at the map., call: map}
      - {text: Look at the map and go., call: map, goto: out}
      - {text: Go., goto: out}
  map:
    text: The map.
    choices:
      - {text: Look closer., call: detail}
      - {text: Fold it., goto: folded}
  detail:
    text: Small print.
    return: true
  folded:
    text: Folded.
    return: true
  out:
    text: Out.
    ending: {title: Out}
"""


def calls_story(tmp_path, chapter_text: str, depth: int | None = None):
    root = tmp_path / "calls"
    (root / "story").mkdir(parents=True)
    (root / "chapters").mkdir()
    manifest = "title: Calls\nchapters: [one]\n" + (f"max_call_depth: {depth}\n" if depth else "")
    (root / "story" / "story.yaml").write_text(manifest)
    (root / "chapters" / "one.yaml").write_text(chapter_text)
    return load_story(root)


def unproven_items(report) -> list[str]:
    return [item for d in report.diagnostics if d.code == "unproven" for item in d.extra["unproven"]]


def test_calls_the_graph_bounds_are_proved_past_the_bound(tmp_path):
    story = calls_story(tmp_path, CALLS)
    assert codes(check_story(story)) == []
    bounded = check_story(story, max_states=3)
    assert "explore-incomplete" in codes(bounded)
    listed = unproven_items(bounded)
    # nesting is at most 2 on the graph alone, and no returning node is reached by goto:
    # neither is left unproven
    assert not any("call" in item for item in listed), listed


def test_a_return_reached_by_goto_stays_unproven_past_the_bound(tmp_path):
    story = calls_story(
        tmp_path, CALLS.replace("{text: Go., goto: out}", "{text: Read the small print., goto: detail}")
    )
    exact = check_story(story)
    assert [d.code for d in exact.diagnostics] == ["return-empty"]
    assert "--replay 3" in exact.diagnostics[0].replay
    listed = unproven_items(check_story(story, max_states=3))
    assert "'detail' always has a call to return to" in listed


def test_recursion_stays_unproven_past_the_bound_and_is_found_by_exploration(tmp_path):
    recursive = CALLS.replace(
        "{text: Fold it., goto: folded}", "{text: Fold it., goto: folded}\n      - {text: Open the inset., call: map}"
    )
    story = calls_story(tmp_path, recursive, depth=3)
    exact = check_story(story)
    found = [d for d in exact.diagnostics if d.code == "call-depth"]
    assert found and "max_call_depth` (3)" in found[0].message
    listed = unproven_items(check_story(story, max_states=3))
    assert "calls never nest deeper than max_call_depth (3)" in listed
