"""Dates never run backwards along a real path, however many undated nodes lie between."""

from __future__ import annotations

from conftest import chapter, no_traceback, run_cli

from engine import load_story
from engine.check import check_story


def _story(story_dir, late_date):
    nodes = {
        "april": {
            "date": "1900-04-10",
            "text": "April.",
            "choices": [{"text": "Wait.", "goto": "undated", "canon": True}, {"text": "Skip ahead.", "goto": "may"}],
        },
        "undated": {"text": "Time passes.", "choices": [{"text": "Go on.", "goto": "may", "canon": True}]},
        "may": {"date": late_date, "text": "Later.", "choices": [{"text": "End.", "goto": "end", "canon": True}]},
        "end": {"text": "Done.", "ending": {"kind": "canon", "title": "Done"}},
    }
    return story_dir({"one": chapter("one", nodes, period=("1900", "1900"))})


def test_a_date_earlier_than_one_shown_before_an_undated_node_is_reported(story_dir):
    root = _story(story_dir, "1900-03-01")
    report = check_story(load_story(root), story_arg=str(root))
    found = [d for d in report.diagnostics if d.code == "date-backwards"]
    assert len(found) == 1
    assert "'may'" in found[0].message and "'april'" in found[0].message
    # the replay it gives really walks into the backwards node
    proc = run_cli(*found[0].replay.split()[1:])
    no_traceback(proc)
    assert proc.returncode == 0 and "Later." in proc.stdout


def test_dates_that_move_forward_are_clean(story_dir):
    root = _story(story_dir, "1900-05-01")
    report = check_story(load_story(root))
    assert [d.code for d in report.diagnostics] == []


def _order_case(tmp_path, later_date: str):
    """The canonical path records 'spring' (1998-03/1998-06) and then 'late' (later_date)."""
    from conftest import DEFAULT_FACT, chapter, run_cli, write_story

    spring = dict(DEFAULT_FACT, id="spring", date="1998-03/1998-06")
    late = dict(DEFAULT_FACT, id="late", date=later_date)
    nodes = {
        "a": {"text": "A.", "records": ["spring"], "choices": [{"text": "On.", "goto": "b", "canon": True}]},
        "b": {"text": "B.", "records": ["late"], "choices": [{"text": "On.", "goto": "end", "canon": True}]},
        "end": {"text": "End.", "ending": {"kind": "canon", "title": "End"}},
    }
    root = write_story(
        tmp_path / later_date.replace("/", "_"),
        {"one": chapter("one", nodes, covers=["spring", "late"], period=("1997", "1998"))},
        facts=[spring, late],
    )
    return run_cli("check", "--story", ".", cwd=root)


def test_overlapping_spans_are_in_order_as_the_guide_says(tmp_path):
    """AUTHORING.md, 'How dates compare': 1997/1998 after 1998-03/1998-06 overlaps, so it is in
    order; 1997-06 after it ends before it begins, so it is not."""
    assert _order_case(tmp_path, "1997/1998").returncode == 0
    proc = _order_case(tmp_path, "1997-06")
    assert proc.returncode == 1 and "error[canon-order]" in proc.stdout


def test_a_date_earlier_than_one_shown_before_a_subroutine_is_reported_on_every_way_back(story_dir):
    """A subroutine called from two choices returns two ways; the second way back leads into a
    node dated before the caller's date (the explorer once kept only the first way out of it)."""
    nodes = {
        "april": {
            "date": "1900-04-10",
            "text": "April.",
            "choices": [
                {"text": "Ask, then go on.", "call": "ask", "goto": "may", "canon": True},
                {"text": "Ask, then look back.", "call": "ask", "goto": "march"},
            ],
        },
        "ask": {"text": "You ask.", "return": True},
        "may": {"date": "1900-05-01", "text": "May.", "choices": [{"text": "End.", "goto": "end", "canon": True}]},
        "march": {"date": "1900-03-01", "text": "March.", "choices": [{"text": "End.", "goto": "end"}]},
        "end": {"text": "Done.", "ending": {"kind": "canon", "title": "Done"}},
    }
    root = story_dir({"one": chapter("one", nodes, period=("1900", "1900"))})
    for engine in ("explicit", "symbolic"):
        report = check_story(load_story(root), story_arg=str(root), engine=engine)
        found = [d for d in report.diagnostics if d.code == "date-backwards"]
        assert len(found) == 1, engine
        assert "'march'" in found[0].message and "'april'" in found[0].message
        proc = run_cli(*found[0].replay.split()[1:])
        no_traceback(proc)
        assert proc.returncode == 0 and "March." in proc.stdout
