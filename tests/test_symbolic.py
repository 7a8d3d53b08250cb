"""The symbolic explorer against the explicit one and the brute force.

Over hypothesis-generated stories with every construct of the format (conditions, effects with
clamping, `//` and `%`, enums, visit counts, `seen()`, `next:`, node `do:`, calls and returns up
to `max_call_depth`, story-wide flags carried between chapters, assertions and story facts),
`check --engine symbolic` gives the same report as `--engine explicit`, diagnostic for
diagnostic (messages and replay commands alike, so the same shortest paths), and both find
what `tests/brute.py` finds.
"""

from __future__ import annotations

import tempfile

import pytest
from brute import Brute, judged, story_specs, subject_of
from conftest import examples
from hypothesis import HealthCheck, given, settings
from test_explore import check_replays, compile_spec

from engine.check import check_story
from engine.diagnostics import sort_key

SETTINGS = settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def rendered(report) -> list[str]:
    return [d.render() for d in sorted(report.diagnostics, key=sort_key)]


def both(spec: dict):
    brute = Brute(spec)
    runs = brute.run_all()
    with tempfile.TemporaryDirectory() as tmp:
        story, root = compile_spec(spec, tmp)
        explicit = check_story(story, story_arg=str(root), engine="explicit")
        symbolic = check_story(story, story_arg=str(root), engine="symbolic")
    assert set(explicit.engines.values()) == {"explicit"}
    assert set(symbolic.engines.values()) == {"symbolic"}, symbolic.notes
    assert rendered(symbolic) == rendered(explicit)
    assert symbolic.states == explicit.states
    found = {subject_of(story, d) for d in judged(symbolic)}
    assert found == brute.expected(), rendered(symbolic)
    check_replays(story, brute, runs, symbolic)


@SETTINGS
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6))
def test_plain_stories_same_report_under_both_engines(spec):
    both(spec)


@SETTINGS
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6, assertions=True))
def test_stories_with_assertions_same_report_under_both_engines(spec):
    both(spec)


@SETTINGS
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6, ink=True))
def test_ink_stories_same_report_under_both_engines(spec):
    both(spec)


@SETTINGS
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6, ink=True, calls=True))
def test_stories_with_calls_same_report_under_both_engines(spec):
    both(spec)


@SETTINGS
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6, ink=True, calls=True, flow=True))
def test_stories_with_flow_same_report_under_both_engines(spec):
    """Conditional `next:`, calls from flow (a node's `call:`, a branch that calls) and calls that
    resume (`calls: resume`): both engines and the brute force agree, replays included."""
    both(spec)


@SETTINGS
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6, ink=True, calls=True, kinds=True))
def test_greyed_and_fallback_choices_same_report_under_both_engines(spec):
    both(spec)


def test_tour_story_same_report_under_both_engines():
    from engine import compile as compiler

    story, _ = compiler.compile_story("tests/stories/tour")
    a, b = check_story(story, engine="explicit"), check_story(story, engine="symbolic")
    assert rendered(a) == rendered(b) and a.states == b.states
    assert b.engine == "symbolic" and b.complete


@pytest.mark.slow  # the real story explored twice
def test_real_story_same_report_under_both_engines():
    from engine import compile as compiler

    story, _ = compiler.compile_story(".")
    a, b = check_story(story, engine="explicit"), check_story(story, engine="symbolic")
    assert rendered(a) == rendered(b) and a.states == b.states
    assert b.engine == "symbolic" and b.complete


# The codes found by walking the states of chosen nodes (states.scan_node): their fixtures (each
# state at a node is judged in breadth-first order, and the replay is the first bad one's) give the
# same report under both engines.
SCANNED_CODES = [
    "ref-not-past",
    "choice-indistinct",
    "call-depth",
    "date-backwards",
    "divide-by-zero",
    "text-never-shown",
    "continuity",
]


@pytest.mark.parametrize("code", SCANNED_CODES)
def test_code_fixtures_same_report_under_both_engines(code, tmp_path):
    from engine import compile as compiler
    from tools import docs

    root = docs.materialise(docs.load_case(code), tmp_path / "story")
    story, _ = compiler.compile_story(str(root))
    a = check_story(story, story_arg=str(root), engine="explicit")
    b = check_story(story, story_arg=str(root), engine="symbolic")
    assert code in {d.code for d in a.diagnostics}
    assert set(b.engines.values()) == {"symbolic"}, b.notes
    assert rendered(a) == rendered(b)
