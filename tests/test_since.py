"""`chronicle check --since`: an author learns, before release, which saves an edit breaks.

The same four edits as tests/test_save_edits.py: inserting a choice, rewording, reordering
break no save (exit 0); guarding a step a save took is reported, once, with the node, the
kind of change, the old states it affects and a saved path that shows it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import no_traceback, run_cli
from test_save_edits import POUR, RING, STORM, TOUR, TRIM

EDITS = {
    "inserted": [(TRIM, "      - text: Listen at the door.\n        goto: door\n" + TRIM)],
    "reworded": [("Trim the wick.", "See to the wick."), ("Pour in a can of oil.", "Fill the reservoir.")],
    "reordered": [(TRIM + RING, RING + TRIM)],
    "guarded": [(POUR, "      - text: Pour in a can of oil.\n        if: oil > 5\n")],
}


def two_versions(tmp_path: Path, edit: str) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(TOUR, old)
    shutil.copytree(TOUR, new)
    f = new / STORM
    text = f.read_text(encoding="utf-8")
    for a, b in EDITS[edit]:
        assert a in text
        text = text.replace(a, b)
    f.write_text(text, encoding="utf-8")
    return old, new


@pytest.mark.parametrize("edit", ["inserted", "reworded", "reordered"])
def test_edits_that_keep_every_save_are_clean(tmp_path, edit):
    old, new = two_versions(tmp_path, edit)
    proc = run_cli("check", "--story", new, "--since", old)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every save of that version resumes exactly in this one" in proc.stdout


@pytest.mark.slow  # the real command three or more times, each a process of its own
def test_a_newly_guarded_step_is_reported_with_what_it_breaks(tmp_path):
    old, new = two_versions(tmp_path, "guarded")
    proc = run_cli("check", "--story", new, "--since", old, "--format", "json")
    no_traceback(proc)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["version"] == 1 and not data["ok"]
    (b,) = data["breaks"]
    assert (b["kind"], b["chapter"], b["node"]) == ("choice-guarded", "storm", "stair")
    assert b["saved_steps"] == ["tower:@stair", "stair:@lamp"]  # the shortest saved path that meets it
    assert b["file"].endswith("chapters/storm.yaml") and b["line"] > 0
    # the old states it affects: every explored state at the stair with oil 1..3 (the old guard was oil > 0)
    assert b["states"] >= 1
    text = run_cli("check", "--story", new, "--since", old).stdout
    assert "choice newly guarded" in text and "replay (old version): chronicle play --story" in text
    assert "1 edit stops saves of that version from resuming exactly" in text  # not "1 edit stop"
    replay = text.split("replay (old version): ", 1)[1].splitlines()[0].split()
    played = run_cli(*replay[1:])
    assert played.returncode == 0, played.stderr
    import re

    assert re.findall(r"^> \d+\. (.*)$", played.stdout, re.M)[-1] == "Pour in a can of oil."


def test_a_git_revision_is_the_older_version(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(TOUR, repo / "tour")
    git = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("-c", "user.email=a@b", "-c", "user.name=a", "add", ".")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "first")
    f = repo / "tour" / STORM
    f.write_text(
        f.read_text(encoding="utf-8").replace(POUR, "      - text: Pour in a can of oil.\n        if: oil > 5\n")
    )
    proc = run_cli("check", "--story", repo / "tour", "--since", "HEAD")
    no_traceback(proc)
    assert proc.returncode == 1 and "choice newly guarded" in proc.stdout
    bad = run_cli("check", "--story", repo / "tour", "--since", "no-such-rev")
    assert bad.returncode == 2 and "neither a story folder nor a git revision" in bad.stderr
