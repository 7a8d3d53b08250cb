"""Two `play` sessions on one save folder never lose a game (issue 15.2).

Two real processes, moves interleaved A, B, A, B, A, as two terminal windows would.
Before, both autosave.json and autosave-1.json ended up holding game A, game B's
moves were gone, and B was told to `--continue`, which resumed A.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pexpect
from conftest import ROOT, TOUR

FOLDER = "the-lighthouse-keeper"


def spawn(saves: Path, *extra: str) -> pexpect.spawn:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100", LINES="40")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "engine", "play", "--plain", "--story", str(TOUR), "--save-dir", str(saves), *extra],
        env=env,
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
    )
    child.expect("\n> ")
    return child


def new_game(saves: Path) -> pexpect.spawn:
    """A session at the title screen that starts a new game."""
    child = spawn(saves)
    number = re.search(r"(\d+)\. New game", child.before)
    assert number, child.before
    move(child, number.group(1))
    return child


def move(child: pexpect.spawn, typed: str) -> str:
    child.sendline(typed)
    child.expect("\n> ")
    return child.before


def leave(child: pexpect.spawn) -> str:
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return child.before


def saves_in(saves: Path) -> dict:
    return {p.stem: json.loads(p.read_text()) for p in (saves / FOLDER).glob("*.json")}


def test_two_new_games_at_once_each_keep_their_moves(tmp_path):
    saves = tmp_path / "saves"
    a, b = new_game(saves), new_game(saves)
    move(a, "1")  # A: trim the wick
    said = move(b, "2")  # B: ring the village for help
    assert "Another Chronicle session is playing" in said
    slot_b = re.search(r"autosaved as '(parallel-[0-9a-f]+)'", said.replace("\r\n", " ").replace("\n", " ")).group(1)
    move(a, "3")  # A: down to the door
    move(b, "1")  # B: a second move
    move(a, "1")  # A: climb again
    out_a, out_b = leave(a), leave(b)
    files = saves_in(saves)
    game_a, game_b = files["autosave"], files[slot_b]
    assert game_a["game"] != game_b["game"]
    assert len(game_a["path"]) == 3 and len(game_b["path"]) == 2
    assert "autosave-1" not in files  # nobody's game was shuffled aside by the other
    # each is told how to carry on with its own game
    assert "--continue" in out_a
    assert f"--load {slot_b}" in out_b and "--continue" not in out_b
    b_again = spawn(saves, "--load", slot_b)
    assert "You" in b_again.before
    leave(b_again)


def test_continuing_a_game_open_in_another_session_forks_it_instead_of_overwriting(tmp_path):
    saves = tmp_path / "saves"
    first = new_game(saves)
    move(first, "1")
    leave(first)
    a = spawn(saves, "--continue")
    b = spawn(saves, "--continue")
    assert "open in another Chronicle session" in b.before
    move(a, "3")
    said = move(b, "1")
    assert "Another Chronicle session is playing" in said
    move(a, "1")
    leave(a), leave(b)
    files = saves_in(saves)
    assert len(files["autosave"]["path"]) == 3  # A's game: trim, door, climb
    forked = [v for k, v in files.items() if k.startswith("parallel-")]
    assert len(forked) == 1 and len(forked[0]["path"]) == 2  # B's: trim, then its own move
    assert forked[0]["game"] != files["autosave"]["game"]


def test_one_session_after_another_shares_the_autosave_as_before(tmp_path):
    saves = tmp_path / "saves"
    a = new_game(saves)
    move(a, "1")
    leave(a)
    b = new_game(saves)  # a new game once A has left: A's game is kept as autosave-1
    said = move(b, "2")
    assert "Another Chronicle session" not in said
    leave(b)
    files = saves_in(saves)
    assert len(files["autosave"]["path"]) == 1 and len(files["autosave-1"]["path"]) == 1
    assert files["autosave"]["game"] != files["autosave-1"]["game"]
