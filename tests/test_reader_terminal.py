"""The reader's game, second round (issue 30 points 1-8, issue 26 points 8-9): the real story
played at a real pseudo-terminal of 80x24, as the reader who filed the issue played it.

Nothing to remember (the choices come back after every screen, a list of choices is never
split by a pause), nothing half-eaten (a key typed at a pause begins the answer whole), and
nothing lost without asking (a lone q asks; leaving always says where the game is and how
to carry on).
"""

from __future__ import annotations

import re

from conftest import ROOT
from pty_support import Term, term  # noqa: F401  (term is a fixture)

SLUG_REAL = "hammer-and-crescent"
CHOICE = re.compile(r"^\s*\d+\. \S")


def real(term, *args: str, **kw) -> Term:
    return term(*args, story=ROOT, cols=80, rows=24, **kw)


def at_prompt(t: Term) -> bool:
    return t.prompt_line().startswith(">") and "more:" not in t.lines[t.screen.cursor.y]


def through_pauses(t: Term, seen: list[str] | None = None) -> Term:
    """Space at every "more" pause until the choice prompt; at each pause, what is on the screen
    is kept in `seen`."""
    for _ in range(20):
        t.wait(lambda t: at_prompt(t) or "\u2014 more:" in t.lines[t.screen.cursor.y])
        if at_prompt(t):
            return t
        if seen is not None:
            seen.append(t.text)
        before = len(t.log)
        t.type(" ")
        t.wait(lambda t, n=before: len(t.log) > n)
    raise AssertionError("more than 20 pauses")


def new_real_game(term, *args: str) -> Term:
    t = real(term, *args).wait("New game")
    t.enter()
    return through_pauses(t)


def choices_on_screen(t: Term) -> list[str]:
    """The numbered lines just above the prompt (the block of them next to it)."""
    lines = t.lines[: t.lines.index(t.prompt_line())]
    while lines and not lines[-1].strip():
        lines.pop()
    out = []
    for line in reversed(lines):
        if not line.strip():
            break
        out.append(line)
    return [x for x in reversed(out) if CHOICE.match(x)]


# ---- 1. the choices come back after every screen ------------------------------------------------


def test_after_help_journal_dossier_and_endings_the_choices_are_shown_again(term):
    t = new_real_game(term)
    assert choices_on_screen(t)[:2] == [
        "  1. Dress, touch her hair, and drive to the Ministry before anyone calls for",
        "  2. Sit down beside her and take your turn at the telephone.",
    ]
    for command in ("help", "journal", "dossier", "endings"):
        t.enter(command)
        through_pauses(t)
        shown = choices_on_screen(t)
        assert len(shown) == 2 and shown[1].endswith("take your turn at the telephone."), (command, t.text)


# ---- 2. a list of choices is never split by a pause ----------------------------------------------


def test_always_taking_choice_1_no_pause_ever_splits_a_list_of_choices(term):
    t = new_real_game(term)
    pauses: list[str] = []
    for _ in range(14):
        t.enter("1")
        through_pauses(t, pauses)
        assert choices_on_screen(t), t.text
    assert pauses, "at 80x24 some pages of chapter 1 are taller than the screen"
    for screen in pauses:
        below = screen.split("\n")
        last = max(i for i, line in enumerate(below) if line.strip() and "more:" not in line)
        # at a pause the last thing shown is never a choice: the list starts on the next page
        assert not CHOICE.match(below[last]) and not below[last].startswith("     "), screen


# ---- 3. keys typed at a pause are never half-eaten ----------------------------------------------


def test_a_command_typed_at_a_pause_reaches_the_prompt_whole(term):
    t = real(term).wait("New game")
    t.enter().wait("\u2014 more:")
    t.type("quit")
    t.wait(lambda t: at_prompt(t) and "quit" in t.prompt_line())
    assert t.prompt_line() == "> quit"  # not "> uit"
    t.enter().wait("To carry on, run:")
    assert t.finish() == 0


def test_a_number_and_enter_typed_at_a_pause_take_that_choice(term):
    t = real(term).wait("New game")
    t.enter().wait("\u2014 more:")
    t.type("2\r")
    t.wait(lambda t: "\u2192 Sit down beside her" in t.text)
    through_pauses(t)
    assert "Type the number of a choice" not in t.text


# ---- 4. q means one thing, and leaving asks and says where the game is ---------------------------


def test_a_lone_q_asks_before_leaving_and_no_keeps_the_game_going(term):
    t = new_real_game(term)
    t.enter("q").wait("Leave the game?")
    assert "(y/n)" in t.lines[t.screen.cursor.y]
    t.enter("n").wait("Carrying on.")
    assert len(choices_on_screen(t)) == 2 and t.child.isalive()
    t.enter("q").wait("Leave the game?")
    t.enter("y").wait("To carry on, run:")
    assert "Your game is saved (Chapter 1: The Interpreter, Riyadh, al-Malaz, 12 June 1980)" in t.flat
    assert "--continue" in "".join(t.lines)  # (a long command wraps at 80 columns)
    assert t.finish() == 0


def test_leaving_before_the_first_choice_saves_and_says_how_to_carry_on(term):
    t = new_real_game(term)
    t.type("\x04").wait("To carry on, run:")  # Ctrl-D before any choice
    assert "Your game is saved" in t.flat
    assert t.finish() == 0
    assert t.saved_real()["summary"]["chapter"] == 1
    again = real(term, "--continue")
    through_pauses(again)
    assert "Dress, touch her hair" in again.text


def test_quitting_at_the_title_says_where_the_last_game_is(term):
    t = new_real_game(term)
    t.enter("1")
    through_pauses(t)
    t.enter("quit").wait("To carry on")
    t.finish()
    again = real(term).wait("Continue")
    again.enter("q").wait(lambda t: not t.child.isalive())
    again.settle()
    assert "Your game is saved (Chapter 1: The Interpreter" in again.flat and "--continue" in "".join(again.lines)


# ---- 5. the place on the status line -------------------------------------------------------------


def test_at_80_columns_the_status_line_keeps_the_place(term):
    t = new_real_game(term)
    status = t.lines[-1]
    assert "Chapter 1: The Interpreter" in status and "12 June 1980" in status
    assert "Riyadh, al-Malaz" in status
    t.enter("1")
    through_pauses(t)
    status = t.lines[-1]  # a longer place: the reminder gives way first, then the place is shortened
    assert len(status) <= 80 and "12 June 1980" in status and "Chapter 1" in status
    assert re.search(r"\u2502  Ministry of Defen\S*", status), status


def test_the_dammam_route_names_the_road_not_the_border_post(term):
    t = new_real_game(term)
    for move in "1,1,1,2,1,1,1,1,1,1,1,1,1".split(","):
        t.enter(move)
        through_pauses(t)
    assert "mother's street" in t.text and "Go home to Noura." in t.text
    assert "Khafji" not in t.lines[-1] and "28 July 1980" in t.lines[-1], t.lines[-1]


# ---- 8. the same [History: ...] notes in every version -------------------------------------------


def test_the_terminal_screen_shows_the_history_notes_its_transcript_has(term, tmp_path):
    transcript = tmp_path / "t.txt"
    t = real(term, "--transcript", str(transcript)).wait("New game")
    t.enter()
    seen: list[str] = []
    through_pauses(t, seen)
    seen.append(t.text)
    for _ in range(6):
        t.enter("1")
        through_pauses(t, seen)
        seen.append(t.text)
    notes = re.findall(r"\[History: [^\]]+\]", transcript.read_text())
    assert notes, "the first choices of chapter 1 reach a documented event"
    screen = " ".join(" ".join(s.split()) for s in seen)
    for note in notes:
        assert " ".join(note.split())[:60] in screen


# ---- 6 and 7. the Load list shows the place; save names are letters of any alphabet -------------


def test_the_load_list_tells_two_saves_of_one_date_apart_by_their_place(term):
    t = new_real_game(term)
    t.enter("save café").wait("Saved as 'café'")
    t.enter("1")
    through_pauses(t)
    t.enter("save ministry").wait("Saved as 'ministry'")
    t.enter("load").wait("Load which?")
    rows = {line.split()[1]: line for line in t.lines if re.match(r"^\s+\d+\.\s+\S", line)}
    assert "Riyadh, al-Malaz" in rows["café"] and "12 June 1980" in rows["café"]
    assert "Ministry of Defen" in rows["ministry"] and "12 June 1980" in rows["ministry"]
    assert all(len(line) <= 80 for line in rows.values())


def test_a_save_name_the_rule_refuses_is_told_the_rule(term):
    t = new_real_game(term)
    t.enter("save -").wait("cannot be a save name")
    assert (
        "'-' cannot be a save name: a save name is up to 40 letters (of any alphabet), digits, - or _, "
        "beginning with a letter or a digit" in t.flat
    )
