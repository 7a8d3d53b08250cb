"""Exploration stops at whichever bound comes first: states, memory or time (issue 15.9).

The hostile shape: 400 int flags (0..3) and a hub of 401 choices, each bumping one flag.
Every state is large (400 values) and has 400 new successors, so a bound on states alone
let `check` run for minutes at gigabytes. The tests say which bound stopped it, never how
long it took.
"""

from __future__ import annotations

import json

import pytest
from conftest import counter_hub, no_traceback, run_cli, run_cli_peak

N_FLAGS = 400


def hub_story(root):
    return counter_hub(root, N_FLAGS)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    return hub_story(tmp_path_factory.mktemp("hub") / "story")


def _check(hub, *extra):
    proc, peak_kib = run_cli_peak("check", "--story", hub, "--format", "json", *extra, timeout=600)
    no_traceback(proc)
    return proc, json.loads(proc.stdout), peak_kib


def test_under_the_default_bounds_memory_stops_the_hub_and_check_stays_under_a_gibibyte(hub):
    proc, report, peak_kib = _check(hub)
    assert proc.returncode == 1
    assert report["summary"]["complete"] is False
    assert report["summary"]["stopped_by"] == "memory"
    incomplete = [d for d in report["diagnostics"] if d["code"] == "explore-incomplete"]
    assert len(incomplete) == 1 and "stopped at the memory bound" in incomplete[0]["message"]
    assert "--max-memory" in incomplete[0]["hint"]
    # the dataflow fallback ran, and proved the rest: the effects' bounds hold, no soft-lock
    assert [d["code"] for d in report["diagnostics"]] == ["explore-incomplete"]
    # which engine held the memory, so a red run says where the peak came from
    assert peak_kib < 1024 * 1024, (peak_kib, report["summary"].get("engines"), proc.stderr[-2000:])


def test_a_small_time_budget_stops_it_first(hub):
    proc, report, _ = _check(hub, "--max-seconds", "1", "--max-memory", "100000")
    assert proc.returncode == 1
    assert report["summary"]["stopped_by"] == "time"
    assert any("stopped at the time bound" in d["message"] for d in report["diagnostics"])


def test_a_small_state_bound_stops_it_first_and_is_named(hub):
    proc, report, _ = _check(hub, "--max-states", "1000")
    assert report["summary"]["stopped_by"] == "states"
    assert any("stopped at the state bound after 1,000 states" in d["message"] for d in report["diagnostics"])


def test_the_text_summary_names_the_bound(hub):
    proc = run_cli("check", "--story", hub, "--max-memory", "60", timeout=600)
    no_traceback(proc)
    assert "(incomplete: stopped at the memory bound)" in proc.stdout


def test_the_bounds_are_command_line_options():
    proc = run_cli("check", "--help")
    assert "--max-memory" in proc.stdout and "--max-seconds" in proc.stdout
    proc = run_cli("check", "--max-seconds", "0")
    assert proc.returncode == 2
