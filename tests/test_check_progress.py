"""The progress bar: on a terminal when exploring takes a while, never in piped output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent


def _big_story(tmp_path) -> Path:
    out = tmp_path / "big"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(out), "--nodes", "300"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out


def test_a_long_exploration_shows_a_progress_bar_on_a_terminal(tmp_path):
    story = _big_story(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100", LINES="30")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "engine", "check", "--story", str(story), "--max-states", "600000", "--engine", "explicit"],
        env=env,
        cwd=str(ROOT),
        dimensions=(30, 100),
        timeout=120,
        encoding="utf-8",
    )
    child.expect("Exploring \\(bound 600,000 states, 768 MiB, 60 s\\)")
    child.expect("check FAILED")  # the bound is hit on purpose: exploration incomplete is an error
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1


def test_piped_output_has_no_progress_bar(tmp_path):
    story = _big_story(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "check",
            "--story",
            str(story),
            "--max-states",
            "600000",
            "--engine",
            "explicit",
        ],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Exploring" not in proc.stdout + proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr
    assert "explore-incomplete" in proc.stdout


def test_the_bar_says_which_bound_stopped_exploring(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_explore_budget import hub_story

    story = hub_story(tmp_path / "hub")
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100", LINES="30")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "engine", "check", "--story", str(story), "--max-seconds", "2", "--max-memory", "100000"],
        env=env,
        cwd=str(ROOT),
        dimensions=(30, 100),
        timeout=120,
        encoding="utf-8",
    )
    child.expect("Exploring \\(bound 2,000,000 states, 100,000 MiB, 2 s\\)")
    child.expect("one: stopped at the time bound")
    child.expect("incomplete: stopped at the time bound")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
