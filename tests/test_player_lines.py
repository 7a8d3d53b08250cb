"""Plain line mode: `chronicle play` with its input from a pipe or a file, and --transcript."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TOUR

SLUG = "the-lighthouse-keeper"


def play(tmp_path: Path, stdin: str, *args: str, story: Path = TOUR) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.pop("CHRONICLE_STORY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "play", "--story", str(story), "--save-dir", str(tmp_path / "saves"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=20,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def test_choice_numbers_from_a_pipe_play_the_game_in_plain_text(tmp_path):
    p = play(tmp_path, "1\n2\n")
    assert p.returncode == 0
    out = p.stdout
    assert "\x1b" not in out
    assert out.startswith("\nThe Lighthouse Keeper\nA test story\n\nA storm is coming to the island.")
    assert "== Chapter 1: The Storm ==\nThe lighthouse, 12 October 1901" in out
    assert "> 1\n  \u2192 Trim the wick.\n\nYou climb the stair." in out
    assert "> 2\n  \u2192 Let the lamp die.\n\nThe tower goes dark." in out
    assert "*** Darkness (history diverges) ***\nHistory you changed:\n  - In your history" in out
    assert "Your game is saved" in out and "--continue" in out


def test_line_mode_lays_each_scene_out_as_the_transcript_of_the_same_choices_does(tmp_path):
    """One plain layout: what line mode shows of each scene (card, prose, recorded history,
    choices, ending, epilogue) is what `play --script` prints for the same choices; only what
    belongs to a game (the title screen, the typed answers, notes, the endings found) is added."""
    (tmp_path / "moves").write_text("1\n1\n1\n1\n")
    script = subprocess.run(
        [sys.executable, "-m", "engine", "play", "--story", str(TOUR), "--script", str(tmp_path / "moves")],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=20,
    )
    assert script.returncode == 0, script.stderr
    out = play(tmp_path, "1\n1\n1\n\n1\n").stdout
    blocks = [b for b in script.stdout.split("\n\n") if b.strip() and not b.startswith("> ")]
    assert len(blocks) > 10 and any(b.startswith("[History: ") for b in blocks)
    assert any(b.startswith("-- ") for b in blocks) and any(b.startswith("== Epilogue ==") for b in blocks)
    for block in blocks:
        assert block in out, block


def test_choice_words_and_commands_work_in_line_mode(tmp_path):
    p = play(tmp_path, "ring\nundo\ntrim the\nxyzzy\nsave here\njournal\nhelp\nquit\npour\n")
    out = p.stdout
    assert "\u2192 Ring the village for help." in out and "Took back 1 choice." in out
    assert "\u2192 Trim the wick." in out
    assert "Type a number from 1 to 3 or the first words of a choice" in out
    assert "Saved as 'here'" in out
    assert "The choices that led here\n  Chapter 1: The Storm\n    12 October 1901 \u2014 Trim the wick." in out
    assert "undo [n]" in out and "Tab" not in out
    assert "Pour in a can" not in out.split("> quit")[1]  # quit stops reading
    assert json.loads((tmp_path / "saves" / SLUG / "here.json").read_text())["state"]["node"] == "stair"


def test_a_script_runs_on_through_the_chapters_to_the_end(tmp_path):
    p = play(tmp_path, "1\n1\n1\n1\n")
    out = p.stdout
    assert "*** The Lamp Burns (the documented history) ***" in out and "== Chapter 2: The Morning After ==" in out
    assert "*** Safe Harbour (the documented history) ***" in out
    assert "== Epilogue ==\nThe lamp still turns." in out and "THE END" in out
    assert "Endings you have found: 2 of 6" in out
    assert p.returncode == 0


@pytest.mark.slow  # the real command three or more times, each a process of its own
def test_continue_and_load_in_line_mode(tmp_path):
    play(tmp_path, "2\n1\nsave mine\n1\n")
    p = play(tmp_path, "\n", "--continue")
    assert "The flame steadies." in p.stdout and "Wind hammers" not in p.stdout
    p = play(tmp_path, "", "--load", "mine")
    assert "You climb the stair." in p.stdout and "The village bell answers faintly." in p.stdout
    p = play(tmp_path, "", "--load", "nothing")
    assert p.returncode == 1 and "There is no save called 'nothing'. Saves: " in p.stdout


def test_a_transcript_records_the_session_in_plain_text(tmp_path):
    script = tmp_path / "session.txt"
    p = play(tmp_path, "1\njournal\n", "--transcript", str(script))
    text = script.read_text()
    assert "== Chapter 1: The Storm ==" in text and "> 1\n  \u2192 Trim the wick." in text
    assert "> journal\nJournal" in text and "\x1b" not in text
    assert p.returncode == 0


def test_a_transcript_that_cannot_be_written_is_a_usage_error(tmp_path):
    p = play(tmp_path, "", "--transcript", str(tmp_path / "no" / "such" / "dir" / "t.txt"))
    assert p.returncode == 2 and "cannot write the transcript" in p.stderr


def test_escape_sequences_typed_into_the_pipe_are_not_echoed(tmp_path):
    p = play(tmp_path, "\x1b]0;pwned\x07\x1b[2J\n1\n")
    assert "\x1b" not in p.stdout and "\x07" not in p.stdout
    assert "\u2192 Trim the wick." in p.stdout


def test_an_unwritable_save_folder_does_not_stop_the_game(tmp_path):
    blocker = tmp_path / "saves"
    blocker.write_text("a file where the folder should be")
    p = play(tmp_path, "1\n1\n")
    assert "Could not autosave" in p.stdout and "The flame steadies." in p.stdout
    assert p.returncode == 0


@pytest.mark.parametrize(
    "args", [["--chapter", "morning"], ["--chapter", "storm", "--at", "lamp", "--set", "courage=2"]]
)
def test_trying_a_scene_starts_right_there(tmp_path, args):
    p = play(tmp_path, "", *args)
    first = p.stdout.split("==", 2)
    assert "The Mary rounds the point." in p.stdout or "The flame steadies." in p.stdout
    assert "A storm is coming" not in first[0]  # no title screen when trying a scene
