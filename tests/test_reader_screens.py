"""What the reader's screens say (issue 30 points 14-16), read as text: the real story played
in plain line mode through a pipe, and `play --replay`.

No spoilers (hints only for chapters reached, every chapter's endings hinted, "N left"), a
dossier of what the player has met, and divergence told in each broken fact's own words.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from engine import load_story

STORY = load_story(ROOT)


def play(tmp_path: Path, stdin: str, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.pop("CHRONICLE_STORY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "play", "--story", str(ROOT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=60,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc.stdout


def after(out: str, typed: str) -> str:
    """What the game printed after the line `typed`, up to the next prompt."""
    return out.split(f"> {typed}\n", 1)[1].split("\n> ", 1)[0]


# ---- 14. endings: hints only for chapters reached; every chapter's endings hinted ----------------


def test_every_ending_of_every_chapter_has_a_hint():
    missing = [f"{ch.id}:{n.id}" for ch in STORY.chapters for n in ch.nodes.values() if n.ending and not n.ending.hint]
    assert not missing


def test_the_endings_screen_hints_only_at_the_chapters_reached_and_counts_the_rest(tmp_path):
    shown = after(play(tmp_path, "endings\n", "--save-dir", str(tmp_path / "s")), "endings")
    first, second, third = (ch for ch in STORY.chapters)
    assert "Chapter 1: The Interpreter: 0 of 13 found" in shown and "13 endings left: hints for them" in shown
    for n in first.nodes.values():
        if n.ending:
            assert " ".join(n.ending.hint.split()) in " ".join(shown.split())
    for ch in (second, third):  # not reached: how many, and nothing of what they are
        assert re.search(rf"Chapter \d: {ch.title}: not reached yet\n\s+\d+ endings to find", shown)
        for n in ch.nodes.values():
            if n.ending:
                assert n.ending.hint[:30] not in shown and n.ending.title not in shown
    assert "Not found yet" not in shown


def test_reaching_a_chapter_shows_its_hints(tmp_path):
    saves = tmp_path / "s"
    # chapter 1's short route to its ending, then on into chapter 2
    out = play(tmp_path, "1\n2\n2\n1\n\nendings\n", "--save-dir", str(saves))
    shown = after(out, "endings")
    assert "Chapter 1: The Interpreter: 1 of 13 found" in shown and "12 endings left" in shown
    assert "Chapter 2: Red Buses to Damascus: 0 of 8 found" in shown
    assert "Do what you are told, and come home." in shown  # a chapter 2 hint, now it is reached
    assert "Chapter 3: The Last Room: not reached yet" in shown


# ---- 15. the dossier knows what you know -------------------------------------------------------


def test_at_the_first_prompt_of_chapter_3_the_dossier_names_no_one_not_yet_met(tmp_path):
    shown = after(play(tmp_path, "dossier\n", "--chapter", "tehran-1999"), "dossier")
    assert "Shirin Rostami" not in shown
    assert "Nothing yet" in shown


def test_the_dossier_lists_what_play_has_set_with_when_it_was_learned(tmp_path):
    shown = after(play(tmp_path, "1\n1\n1\n1\n1\n1\ndossier\n", "--chapter", "syrian-front-1984"), "dossier")
    rows = shown.split("\n\n")[0].splitlines()[1:]  # the dossier, before the choices shown again
    assert rows and all("(since " in r for r in rows), shown
    assert any(r.strip().startswith("Al-Rawi's trust") for r in rows)
    assert "Your annex to Baghdad" not in shown  # not written yet, so not in the dossier


# ---- 16. divergence told, not stamped ----------------------------------------------------------

RED_CITY = "1,2,1,1,1,1,1,1,1,1,1,1"


def test_on_the_red_city_route_each_broken_fact_is_told_in_its_own_words(tmp_path):
    out = play(tmp_path, "", "--chapter", "tehran-1999", "--replay", RED_CITY)
    assert "*** The Red City (history diverges) ***" in out
    assert "this did not happen" not in out
    ending = STORY.chapter("tehran-1999").nodes["red-city"]
    told = " ".join(out.split())
    for fid in ending.ending.diverges:
        fact = STORY.facts[fid]
        assert fact.instead and " ".join(fact.instead.split())[:50] in told


def test_the_epilogue_speaks_of_what_broke_in_a_number_that_fits_any_count(tmp_path):
    out = " ".join(play(tmp_path, "", "--chapter", "tehran-1999", "--replay", RED_CITY).split())
    assert "a thing the histories swear to did not happen" not in out  # one thing, where seven broke
    assert "what the histories swear to did not happen" in out
