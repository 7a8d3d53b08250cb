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


@pytest.mark.slow  # the real command several times, and git
def test_a_revision_is_named_as_git_names_it_and_its_replays_run(tmp_path):
    """Issue 26.4: a finding in the old version points at `REV:path` (what `git show` opens), not
    at a temporary folder deleted afterwards; a gone choice says how `id:` keeps saves; the
    report says how to unpack the revision, and its replay then runs."""
    repo = tmp_path / "repo"
    shutil.copytree(TOUR, repo / "tour")
    git = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("-c", "user.email=a@b", "-c", "user.name=a", "add", ".")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "first")
    f = repo / "tour" / STORM
    climb = "      - text: Climb again.\n        goto: stair\n"  # its same-way sibling's key was @stair#2
    text = f.read_text(encoding="utf-8")
    assert climb in text
    f.write_text(text.replace(climb, climb.replace("goto: stair", "goto: tower")), encoding="utf-8")
    proc = run_cli("check", "--story", repo / "tour", "--since", "HEAD")
    no_traceback(proc)
    assert proc.returncode == 1
    gone = next(ln for ln in proc.stdout.splitlines() if "choice gone" in ln)
    assert gone.startswith("HEAD:tour/chapters/storm.yaml:"), gone
    assert "chronicle-since-" not in proc.stdout
    assert "give the choice an `id:` (here, in the release players have)" in gone
    unpack = proc.stdout.split("unpacks, for its replays, with: ", 1)[1].splitlines()[0]
    folder = unpack.split()[2]
    assert folder.startswith("/tmp/chronicle-")
    try:
        subprocess.run(unpack, shell=True, check=True, capture_output=True)
        replay = next(ln for ln in proc.stdout.splitlines() if "replay (old version): " in ln)
        played = run_cli(*replay.split("replay (old version): ", 1)[1].split()[1:])
        assert played.returncode == 0, played.stderr
        assert played.stdout.rstrip().splitlines()[-1] != "" and "> 2. Go back up." in played.stdout
        shown = subprocess.run(
            ["git", "-C", str(repo), "show", gone.split(":")[0] + ":" + gone.split(":")[1]],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert "Go back up." in shown
    finally:
        shutil.rmtree(folder, ignore_errors=True)
