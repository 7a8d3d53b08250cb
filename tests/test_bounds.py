"""Bounds that measure the work, not the process (issue 28, issue 31 point 11).

The memory bound counts what an exploration itself holds, by the explorer's own count
(explore.held_bytes), per chapter: the same story gives the same states, findings and replays
in a fresh process and in one that already holds a great deal. These tests say which bound
stopped an exploration and what it found, never how long anything took.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, chapter, counter_hub, write_story

from engine.check import check_story
from engine.check.explore import explore, held_bytes
from engine.check.report import render_json
from engine.checkrun import check_folder
from engine.compile import compile_story

N_FLAGS = 12


def hub_chapters(n_flags: int = N_FLAGS) -> dict:
    """Chapter one: a hub of story-wide counters (4^12 states: no default bound lets it finish);
    chapter two reads them, so it starts in whatever states chapter one's exploration hands on."""
    choices = [{"text": f"Bump {i}.", "if": f"f{i} < 3", "do": [f"f{i} += 1"], "goto": "hub"} for i in range(n_flags)]
    choices.append({"text": "Leave.", "goto": "end", "canon": True})
    one = {
        "hub": {"text": "The hub.", "choices": choices},
        "end": {"text": "Done.", "ending": {"kind": "canon", "title": "Out"}},
    }
    two = {
        "gate": {
            "text": "The gate.",
            "choices": [
                {"text": "Through.", "goto": "home", "canon": True},
                {"text": "Counted.", "if": " and ".join(f"f{i} == 3" for i in range(n_flags)), "goto": "home"},
            ],
        },
        "home": {"text": "Home.", "ending": {"kind": "canon", "title": "Home"}},
    }
    return {"one": chapter("one", one), "two": chapter("two", two)}


def hub_flags(n_flags: int = N_FLAGS) -> dict:
    return {f"f{i}": {"type": "int", "default": 0, "min": 0, "max": 3, "doc": f"Counter {i}"} for i in range(n_flags)}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    root = write_story(tmp_path_factory.mktemp("hub") / "story", hub_chapters(), flags=hub_flags())
    story, diags = compile_story(root)
    assert story is not None, diags
    return story


def test_the_memory_bound_stops_at_the_same_state_whatever_the_process_holds(hub):
    first = explore(hub, hub.chapters[0], [hub.story_defaults], max_memory_mib=8)
    ballast = b"x" * (300 * 1024 * 1024)  # the process grows by 300 MiB; the exploration does not
    second = explore(hub, hub.chapters[0], [hub.story_defaults], max_memory_mib=8)
    del ballast
    assert first.stopped_by == second.stopped_by == "memory"
    assert len(first.keys) == len(second.keys)
    assert list(first.keys) == list(second.keys)
    # what it counted is near the bound: it stops at the first look past it
    assert 8 * 2**20 < first.held_bytes < 10 * 2**20


def test_the_count_grows_with_what_the_exploration_holds():
    small = held_bytes(1000, 10, 2000, 300)
    assert held_bytes(2000, 10, 2000, 300) > small
    assert held_bytes(1000, 20, 2000, 300) > small
    assert held_bytes(1000, 10, 4000, 300) > small


def test_the_next_chapters_hint_names_the_memory_bound_that_was_hit(hub):
    report = check_story(hub, max_memory_mib=8)
    assert report.stopped_by == "memory"
    incomplete = [d for d in report.diagnostics if d.code == "explore-incomplete"]
    assert len(incomplete) == 2
    own, next_one = incomplete
    assert "stopped at the memory bound" in own.message and "--max-memory" in own.hint
    assert "earlier chapter" in next_one.message and "--max-memory" in next_one.hint
    assert all("--max-states" not in d.hint for d in report.diagnostics if d.hint)


def test_the_hint_names_the_state_bound_when_that_was_hit(hub):
    report = check_story(hub, max_states=5_000)
    assert report.stopped_by == "states"
    hints = [d.hint for d in report.diagnostics if d.code in ("explore-incomplete", "unproven")]
    assert hints and all("--max-states" in h for h in hints)


def _json_findings(root) -> str:
    run = check_folder(root)
    summary = dict(run.summary)
    summary.pop("seconds")
    return render_json(run.diagnostics, summary)


@pytest.mark.slow
def test_check_gives_byte_identical_findings_alone_and_after_a_700_mb_allocation():
    alone = _json_findings(ROOT)
    # 700 MiB: with the process's own size, past the default 768 MiB bound as the process's
    # resident size measured it (which cut exploration short here, and changed the findings)
    ballast = b"x" * (700 * 1024 * 1024)
    try:
        after = _json_findings(ROOT)
    finally:
        del ballast
    assert '"complete": true' in alone
    assert after == alone


# ---- check --since: its own pair bound, and the memory and time bounds (issue 31.15, 26.4) ----


def wide_hub(root, n_flags: int = 12):
    """Issue 31.15's shape: 12 ints 0..100 around a hub, far too many pairs for any bound."""
    return counter_hub(root, n_flags, top=100)


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    root = wide_hub(tmp_path_factory.mktemp("wide") / "story")
    story, diags = compile_story(root)
    assert story is not None, diags
    return root, story


def test_since_stops_at_its_memory_bound_by_its_own_count(wide):
    from engine.check.since import compare

    _root, story = wide
    first = compare(story, story, max_memory_mib=4)
    ballast = b"x" * (200 * 1024 * 1024)
    second = compare(story, story, max_memory_mib=4)
    del ballast
    assert first.stopped_by == second.stopped_by == "memory"
    assert not first.complete and first.pairs == second.pairs and first.old_states == second.old_states


def test_since_stops_at_its_time_bound_and_says_so(wide):
    import time

    from engine.check.since import compare, render_text

    _root, story = wide
    report = compare(story, story, deadline=time.perf_counter())  # already passed: the first look stops it
    assert report.stopped_by == "time" and not report.complete
    text = render_text(report, "OLD", None)
    assert "not proven" in text and "stopped at the time bound" in text and "--max-seconds" in text


def test_since_has_its_own_pair_bound(wide):
    from engine.check.since import compare

    _root, story = wide
    report = compare(story, story, max_pairs=500)
    assert report.stopped_by == "pairs" and report.pairs == 500 and not report.complete


def test_check_since_on_the_command_line_honours_max_memory_and_stops_cleanly(wide):
    import json

    from conftest import no_traceback, run_cli

    root, _story = wide
    proc = run_cli("check", "--story", root, "--since", root, "--max-memory", "4", "--format", "json", timeout=600)
    no_traceback(proc)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["stopped_by"] == "memory" and report["complete"] is False and report["ok"] is False
    proc = run_cli("check", "--story", root, "--since", root, "--max-pairs", "300", timeout=600)
    no_traceback(proc)
    assert proc.returncode == 1
    assert "stopped at the pair bound after 300 pairs" in proc.stdout and "--max-pairs" in proc.stdout
