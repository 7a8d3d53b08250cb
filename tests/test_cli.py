"""The `chronicle` command end to end: scripted, canonical and replayed play, schema, check, exit codes.

Exit codes (engine/cli.py): 0 fine, 1 problems found (a broken story, a move not on
offer, an unreadable script), 2 bad usage (unknown options, impossible --at/--set).
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import TOUR, chapter, no_traceback, run_cli, write_story

STORY = ["--story", str(TOUR)]


def play(*args, input=None):
    proc = run_cli("play", *STORY, *args, input=input)
    no_traceback(proc)
    return proc


def moves(out: str) -> list[str]:
    return re.findall(r"^> \d+\. (.*)$", out, re.M)


def test_script_file_plays_the_whole_story(tmp_path):
    script = tmp_path / "moves.txt"
    script.write_text("1\n# climb and pour\n\n1\n1   # keep watch\n1\n")
    proc = play("--script", script)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("== Chapter 1: The Storm ==\nThe lighthouse, 12 October 1901\n")
    assert moves(out) == ["Trim the wick.", "Pour in a can of oil.", "Keep watch till dawn.", "Wave her in."]
    assert "== Chapter 2: The Morning After ==" in out
    assert "*** The Lamp Burns (the documented history) ***" in out
    assert "*** Safe Harbour (the documented history) ***" in out
    assert out.rstrip().endswith("== Epilogue ==\nThe lamp still turns.\n\nTHE END")


def test_script_from_stdin():
    proc = play("--script", "-", input="2\n1\n2\n")
    assert proc.returncode == 0
    assert moves(proc.stdout) == ["Ring the village for help.", "Trim the wick.", "Let the lamp die."]
    assert "The village bell answers faintly." in proc.stdout
    assert "*** Darkness (history diverges) ***" in proc.stdout
    assert (
        "History you changed:\n  - In your history, this did not happen: The lamp burns through the night"
        in proc.stdout
    )
    assert "== Chapter 2" not in proc.stdout  # the script ran out at the ending


def test_script_that_stops_early_ends_quietly():
    proc = play("--script", "-", input="1\n")
    assert proc.returncode == 0
    assert proc.stdout.rstrip().endswith("3. Go back down to check the door.")


@pytest.mark.parametrize(
    "script, code, words",
    [
        ("1\n9\n", 1, "There is no choice 9 here (choose 1 to 3)."),
        ("1\nclimb\n", 1, "-:2:1: a script holds one choice number per line, not 'climb'"),
    ],
)
def test_bad_scripts(script, code, words):
    proc = play("--script", "-", input=script)
    assert proc.returncode == code
    assert words in proc.stdout + proc.stderr


def test_unreadable_script(tmp_path):
    proc = play("--script", tmp_path / "missing.txt")
    assert proc.returncode == 1
    assert "cannot read script" in proc.stderr and "missing.txt" in proc.stderr


def test_canon_plays_history_as_documented():
    proc = play("--canon")
    assert proc.returncode == 0
    assert moves(proc.stdout) == ["Trim the wick.", "Pour in a can of oil.", "Keep watch till dawn.", "Wave her in."]
    assert "THE END" in proc.stdout


def test_canon_of_one_chapter_starts_in_the_state_history_hands_it():
    proc = play("--canon", "--chapter", "morning")
    assert proc.returncode == 0
    out = proc.stdout
    assert out.startswith("== Chapter 2: The Morning After ==")
    assert "The Storm" not in out
    assert "2. Go home." in out  # courage 2: the canonical storm poured the oil
    assert moves(out) == ["Wave her in."]


def test_replay_crosses_into_the_next_chapter():
    proc = play("--replay", "1,2,1")
    assert proc.returncode == 0
    assert moves(proc.stdout) == ["Trim the wick.", "Let the lamp die.", "Search the rocks."]
    assert "There is no sign of the Mary." in proc.stdout
    assert "*** Wreck (history diverges) ***" in proc.stdout


def test_replay_of_a_choice_not_on_offer_exits_1():
    proc = play("--replay", "2,3")  # after ringing the village only two choices are left
    assert proc.returncode == 1
    assert "There is no choice 3 here (choose 1 to 2)." in proc.stdout


def test_at_and_set_start_anywhere():
    proc = play("--chapter", "storm", "--at", "stair", "--set", "oil=0", "--set", "courage=3", "--replay", "")
    assert proc.returncode == 0
    out = proc.stdout
    assert "You climb the stair." in out and "The tower creaks." not in out  # tower not seen yet
    assert re.findall(r"^  \d+\. (.*)$", out, re.M) == ["Let the lamp die."]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--at", "stair", "--replay", ""], "--at needs --chapter"),
        (["--chapter", "noon", "--replay", ""], "there is no chapter 'noon'"),
        (["--chapter", "storm", "--at", "attic", "--replay", ""], "has no node 'attic'"),
        (["--set", "nerve=1", "--replay", ""], "there is no flag 'nerve'"),
        (["--set", "courage=9", "--replay", ""], "courage must lie between 0 and 3, not 9"),
        (["--set", "courage", "--replay", ""], "--set takes flag=value"),
        (["--replay", "one,two"], "--replay takes choice numbers"),
        (["--canon", "--chapter", "noon"], "there is no chapter 'noon'"),
        (["--canon", "--replay", "1"], "not allowed with argument"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_play_usage_exits_2(args, words):
    proc = play(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert words in proc.stderr


def test_play_of_a_broken_story_exits_1_with_the_diagnostics(tmp_path):
    root = write_story(
        tmp_path / "s",
        {
            "one": chapter(
                "one",
                {
                    "a": {"text": "A.", "choices": [{"text": "Go.", "goto": "nowhere", "canon": True}]},
                    "b": {"text": "B.", "ending": {"kind": "canon", "title": "B"}},
                },
            )
        },
    )
    proc = run_cli("play", "--story", root, "--replay", "1")
    no_traceback(proc)
    assert proc.returncode == 1
    assert re.search(r"one\.yaml:\d+:\d+: error\[unknown-node\]", proc.stderr), proc.stderr


def test_story_text_cannot_drive_the_terminal(tmp_path):
    root = write_story(
        tmp_path / "s",
        {
            "one": chapter(
                "one",
                {
                    "a": {
                        "text": "Red \x1b[31malert\x1b[0m.\x1b]0;pwned\x07 Done.",
                        "choices": [{"text": "Go \x1b[2J on.", "goto": "b", "canon": True}],
                    },
                    "b": {"text": "B.", "ending": {"kind": "canon", "title": "The \u202eEnd"}},
                },
            )
        },
    )
    proc = run_cli("play", "--story", root, "--replay", "1")
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\u202e" not in proc.stdout and "\x07" not in proc.stdout
    assert "Red alert. Done." in proc.stdout and "> 1. Go  on." in proc.stdout and "*** The End" in proc.stdout


@pytest.mark.parametrize("kind", ["chapter", "story", "history"])
def test_schema_prints_json_that_parses(kind):
    proc = run_cli("schema", kind)
    no_traceback(proc)
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"chapter": "nodes", "story": "chapters", "history": "facts"}[kind] in schema["properties"]


def test_check_on_the_tour_story_is_clean():
    proc = run_cli("check", *STORY)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stdout
    assert re.search(r"^check ok: 2 chapters, 13 nodes, \d+ states explored; 0 errors, 0 warnings", proc.stdout, re.M)


def test_check_of_a_story_with_a_soft_lock_exits_1_with_a_replay(tmp_path):
    root = write_story(
        tmp_path / "s",
        {
            "one": chapter(
                "one",
                {
                    "a": {
                        "text": "A.",
                        "choices": [
                            {"text": "Go.", "goto": "b", "canon": True},
                            {"text": "Arm.", "do": ["armed = true"], "goto": "b"},
                        ],
                    },
                    "b": {"text": "B.", "choices": [{"text": "On.", "if": "armed", "goto": "c", "canon": True}]},
                    "c": {"text": "C.", "ending": {"kind": "canon", "title": "C"}},
                },
                flags={"armed": {"type": "bool", "default": False, "doc": "Armed"}},
            )
        },
    )
    proc = run_cli("check", "--story", root)
    no_traceback(proc)
    assert proc.returncode == 1
    out = proc.stdout
    assert re.search(
        r"one\.yaml:\d+:\d+: error\[soft-lock\]: in node 'b' no choice is available when armed=false", out
    ), out
    assert f"replay: chronicle play --story {root} --chapter one --replay 1" in out
    assert "error[canon-broken]" in out
    assert "check FAILED" in out


def test_replay_of_a_later_chapter_sets_the_story_flags_it_needs_and_pastes_as_is(tmp_path):
    """A finding in chapter two reached only from a non-default story state: --set, quoted for the shell."""
    import shlex

    mood = {"mood": {"type": "enum", "values": ["calm", "in a rage"], "default": "calm", "doc": "The crowd's mood"}}
    end = {"text": "End.", "ending": {"kind": "canon", "title": "End"}}
    root = write_story(
        tmp_path / "s",
        {
            "one": chapter(
                "one",
                {
                    "a": {
                        "text": "A.",
                        "choices": [
                            {"text": "Keep calm.", "goto": "z", "canon": True},
                            {"text": "Rage.", "do": ['mood = "in a rage"'], "goto": "z"},
                        ],
                    },
                    "z": end,
                },
            ),
            "two": chapter(
                "two",
                {
                    "b": {"text": "Scene two b.", "choices": [{"text": "Wait.", "goto": "c", "canon": True}]},
                    "c": {
                        "text": "Scene two c.",
                        "choices": [{"text": "Go.", "if": 'mood == "calm"', "goto": "z", "canon": True}],
                    },
                    "z": end,
                },
            ),
        },
        flags=mood,
    )
    proc = run_cli("check", "--story", root, "--format", "json")
    no_traceback(proc)
    assert proc.returncode == 1
    [d] = [d for d in json.loads(proc.stdout)["diagnostics"] if d["code"] == "soft-lock"]
    assert "--set 'mood=in a rage'" in d["replay"]
    replay = run_cli(*shlex.split(d["replay"])[1:])
    no_traceback(replay)
    assert replay.returncode == 0, replay.stderr
    assert re.findall(r"^Scene two (\w+)\.$", replay.stdout, re.M)[-1] == "c"
    assert "(No choice is available here" in replay.stdout


def test_canon_replay_of_a_broken_canonical_path_plays_the_checked_story(tmp_path):
    import shlex

    root = write_story(
        tmp_path / "s",
        {
            "one": chapter(
                "one",
                {
                    "a": {"text": "Scene a.", "choices": [{"text": "Go.", "goto": "b", "canon": True}]},
                    "b": {
                        "text": "Scene b.",
                        "choices": [
                            {"text": "On.", "if": "armed", "goto": "c", "canon": True},
                            {"text": "Off.", "goto": "c"},
                        ],
                    },
                    "c": {"text": "Scene c.", "ending": {"kind": "canon", "title": "C"}},
                },
                flags={"armed": {"type": "bool", "default": False, "doc": "Armed"}},
            )
        },
    )
    proc = run_cli("check", "--story", root, "--format", "json")
    no_traceback(proc)
    [d] = [d for d in json.loads(proc.stdout)["diagnostics"] if d["code"] == "canon-broken"]
    assert "--story" in d["replay"]
    replay = run_cli(*shlex.split(d["replay"])[1:])
    no_traceback(replay)
    assert "Scene b." in replay.stdout  # the checked story, up to where its canonical path breaks
    assert replay.returncode == 1 and "the canonical path breaks" in replay.stderr


@pytest.mark.slow  # the real command three or more times, each a process of its own
def test_trying_a_scene_never_touches_the_readers_saves(tmp_path):
    """Piped `play --chapter/--at/--set` (an author trying a scene) writes no save at all unless
    given --save-dir; the reader's save folder stays as it was."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), HOME=str(tmp_path / "home"))
    env.pop("CHRONICLE_STORY", None)
    for extra in (["--chapter", "storm"], ["--set", "courage=2"]):
        done = subprocess.run(
            [sys.executable, "-m", "engine", "play", *STORY, *extra],
            input="1\nsave mine\n",
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "Saving is switched off" in done.stdout
    assert not (tmp_path / "data").exists() and not (tmp_path / "home").exists()
    kept = tmp_path / "kept"
    done = subprocess.run(
        [sys.executable, "-m", "engine", "play", *STORY, "--chapter", "storm", "--save-dir", kept],
        input="1\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert any(kept.rglob("*.json")), "with --save-dir, trying a scene keeps its scratch autosave there"


def test_transcripts_show_place_and_date_wherever_they_change_and_the_history_recorded():
    proc = play("--canon")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("== Chapter 1: The Storm ==\nThe lighthouse, 12 October 1901\n")
    # the night passes: the date changes inside the chapter, and the transcript says so there
    assert (
        # what the choice says belongs to the night before, so it comes before the new date
        "> 1. Keep watch till dawn.\n\nYou pull the chair to the window.\n\n"
        "-- The lighthouse, 13 October 1901 --\n\nGrey light." in out
    )
    assert "The lamp gutters.\n\n[History: A great storm hits the island in October 1901. (October 1901)]" in out
