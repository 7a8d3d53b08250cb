"""The reader's game (issue 12) and the player's hostile inputs (issue 15.1, 15.10), played
through a real pseudo-terminal as a person would, at 60 and 140 columns where width matters.

Endings kept across playthroughs, starting from a chapter reached before, the dossier,
rereading, plain mode; a pager that never types into the answer; and keys, pastes and
closed streams that must never crash the game.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TOUR, chapter, write_story
from pty_support import SLUG, Term, new_game, tall_story, term  # noqa: F401  (term is a fixture)

LINES = [["1", "You climb the stair."], ["1", "The flame steadies."], ["1", "Grey light."]]


def play_lines(
    tmp_path: Path, stdin: str | None, *args: str, stdout=subprocess.PIPE, **kw
) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.pop("CHRONICLE_STORY", None)
    return subprocess.run(
        [sys.executable, "-m", "engine", "play", "--story", str(TOUR), "--save-dir", str(tmp_path / "saves"), *args],
        input=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=20,
        **kw,
    )


def to_dawn(t: Term) -> Term:
    for key, seen in LINES:
        t.enter(key).wait(seen)
    return t


# ---- faults: the pager, the load notes, the save list, the status line ----------------------


def test_escape_at_the_journal_pager_closes_it_and_types_nothing(term):
    t = term(rows=20, cols=60).wait("New game")
    t.enter().wait("\u2014 more:")  # the question and its choices do not fit under the card: a page of their own
    t.type(" ").wait("1. Trim the wick.")
    t.enter("2").wait("1. Trim the wick.")
    t.enter("1").wait("You climb the stair.")
    t.enter("journal").wait("\u2014 more:")
    t.type("\x1b").wait(lambda t: t.prompt_line() == ">" and "more:" not in t.text)
    assert "Pages" not in t.text  # the rest of the journal was closed, not shown
    t.enter().wait("Type the number of a choice")  # an empty answer: the game goes on
    assert t.child.isalive() and "Your game is saved" not in t.text


def test_after_a_load_the_notes_come_before_the_scene_and_the_choices_last(term):
    t = new_game(term)
    t.enter("1").wait("You climb the stair.")
    t.enter("save mine").wait("Saved as 'mine'")
    t.enter("1").wait("The flame steadies.")
    t.enter("load mine").wait("1. Pour in a can of oil.")
    text = t.text
    assert text.index("Loaded 'mine'.") < text.index("You climb the stair.") < text.index("1. Pour in a can of oil.")
    assert "more:" not in text and t.prompt_line() == ">"


LONG_TITLE = "The Storm That Came Off the Sea at Night"


@pytest.mark.parametrize("cols", [60, 140])
def test_the_save_list_uses_the_width_and_cuts_at_a_word(term, tmp_path, cols):
    story = write_story(
        tmp_path / "long",
        {
            "one": chapter(
                "one",
                {
                    "start": {
                        "date": "1900-01-02",
                        "place": "Here",
                        "text": "It begins.",
                        "choices": [{"text": "Go on.", "goto": "end", "canon": True}],
                    },
                    "end": {"text": "Done.", "ending": {"kind": "canon", "title": "The End"}},
                },
                title=LONG_TITLE,
            )
        },
    )
    t = term(story=story, cols=cols).wait("New game")
    t.enter().wait("1. Go on.")
    t.enter("save a-long-name").wait("Saved as")
    t.enter("load").wait("Saved games")
    row = next(line for line in t.lines if re.match(r"\s*\d\.\s+a-long-name ", line))
    assert len(row) <= cols
    if cols == 140:
        # the place tells two saves of one date apart (issue 30.6): the title gives way to it
        assert "Chapter 1 \u00b7 Here \u00b7 2 January 1900 \u00b7 saved just now" in row
    else:
        # too narrow for the title and the place: the chapter's number, the date and when it was
        # saved are what is left, never the date cut (it was cut to "2…" before)
        assert "1 \u00b7 2 January 1900 \u00b7 saved just now" in row and "\u2026" not in row


def test_at_60_columns_the_status_line_keeps_the_chapter_and_the_place(term):
    t = to_dawn(new_game(term, cols=60))
    status = t.lines[-1]
    # the key reminder gives way first, then the place is shortened, never dropped (issue 30.5)
    assert "Chapter 1: The Storm" in status and "The light" in status and "13 October 1901" in status
    t.enter().wait("The Mary rounds the point.")
    status = t.lines[-1]  # no room for the title beside the place: the title gives way, not the place
    assert "Chapter 2" in status and "The quay" in status and "13 October 1901" in status and "help" in status


def test_a_choice_completed_with_tab_shows_once(term):
    t = new_game(term)
    t.type("Tr").wait("1. Trim the wick.")
    t.type("\t").wait(lambda t: t.prompt_line().startswith("> Trim the wick."))
    t.enter().wait("You climb the stair.")
    assert "\u2192 Trim the wick." in t.text
    assert not any(line.startswith("> Trim") for line in t.lines)


def test_a_reply_about_several_choices_lists_them_by_number(term, tmp_path):
    story = write_story(
        tmp_path / "bells",
        {
            "one": chapter(
                "one",
                {
                    "start": {
                        "date": "1900-01-02",
                        "place": "Here",
                        "text": "Bells.",
                        "choices": [
                            {"text": "Ring the big bell.", "goto": "end", "canon": True},
                            {"text": "Ring the small bell.", "goto": "end"},
                        ],
                    },
                    "end": {"text": "Done.", "ending": {"kind": "canon", "title": "The End"}},
                },
            )
        },
    )
    t = term("--chapter", "one", story=story, cols=60).wait("2. Ring the small bell.")
    t.enter("ring the").wait("Type more of it")
    i = t.lines.index("That could be:")
    assert t.lines[i + 1 : i + 4] == [
        "  1. Ring the big bell.",
        "  2. Ring the small bell.",
        "Type more of it, or its number.",
    ]
    assert ".." not in t.text


@pytest.mark.parametrize("cols", [60, 140])
def test_the_rule_under_the_chapter_header_is_as_long_as_the_lines_above(term, cols):
    t = new_game(term, cols=cols)
    where = next(line for line in t.lines if "The lighthouse \u00b7 12 October 1901" in line)
    rule = next(line for line in t.lines if "\u2500\u2500\u2500" in line)
    assert len(rule.strip()) == len(where.strip()) and rule.index("\u2500") == len(where) - len(where.lstrip())


def test_tab_on_an_empty_line_and_after_load_and_a_save_name_of_two_words(term):
    t = new_game(term)
    t.enter("save mine").wait("Saved as 'mine'")
    t.type("\t").wait("save [name]")  # the menu: every choice, then the commands
    assert "1. Trim the wick." in t.lines[t.lines.index(t.prompt_line()) + 1]
    t.type("load \t").wait(lambda t: any(line.strip() == "mine" for line in t.lines))  # the saves, by name
    t.type("\x15").enter("save my game").wait("cannot be one")  # Ctrl-U clears the line first
    assert "A save name is one word, so 'my game' cannot be one (a save name is up to 40 letters" in t.flat
    assert "Try: save my-game" in t.flat


def test_a_new_game_from_the_title_says_the_old_one_stays_loadable(term):
    t = new_game(term)
    t.enter("1").wait("You climb the stair.")
    t.enter("quit")
    t.finish()
    again = term().wait("2. Continue")
    again.enter("1").wait("Wind hammers the glass.")
    assert (
        "Your earlier game (Chapter 1: The Storm, The lighthouse, 12 October 1901) is kept as 'autosave-1'"
        in again.flat
    )
    again.enter("load autosave-1").wait("You climb the stair.")


def test_the_quit_message_is_a_command_that_works_from_anywhere(term, tmp_path):
    t = new_game(term, "--save-dir", "my-saves")  # relative, and given last: it wins
    t.enter("1").wait("You climb the stair.")
    t.enter("quit").wait("--continue")
    assert t.finish() == 0
    lines = t.lines[next(i for i, x in enumerate(t.lines) if " play --story " in x) :]
    command = ""
    for line in lines:  # the terminal wraps the long command hard at its 100th column: join it back, keeping
        command += line.ljust(100)  # a space the wrap left at a line's end (the screen drops trailing blanks)
        if "--continue" in command:  # the command's last word
            break
    argv = shlex.split(command)
    assert str(tmp_path / "my-saves") in argv and str(TOUR) in argv
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CHRONICLE_STORY")}
    p = subprocess.run(argv, input="", capture_output=True, text=True, cwd=str(elsewhere), env=env, timeout=20)
    assert p.returncode == 0 and "You climb the stair." in p.stdout, p.stderr


def test_on_a_wide_terminal_the_reading_column_is_centred(term):
    t = new_game(term, cols=140)
    line = next(line for line in t.lines if "Wind hammers the glass." in line)
    assert line.index("Wind") == (140 - 78) // 2
    assert t.prompt_line() == "" or True
    prompt = next(line for line in reversed(t.lines) if line.strip().startswith(">"))
    assert prompt.index(">") == (140 - 78) // 2
    narrow = new_game(term, cols=100)
    assert any(line.startswith("Wind hammers the glass.") for line in narrow.lines)  # 100 columns: flush left


# ---- features: endings, chapters, the dossier, rereading, plain mode ------------------------


def test_the_endings_screen_keeps_what_was_found_with_the_broken_history_and_hints(term):
    t = new_game(term, rows=40)
    t.enter("1").wait("You climb the stair.")
    t.enter("2").wait("The tower goes dark.")
    t.enter("quit")
    t.finish()
    again = term(rows=40).wait("Endings \u2014 1 of 6 found")
    again.enter("endings").wait("Endings found: 1 of 6")
    text = again.flat
    assert "Darkness (divergent)" in text
    assert "In your history, this did not happen: The lamp burns through the night of the storm. (October 1901)" in text
    assert "Chapter 1: The Storm: 1 of 3 found \u2022 Darkness" in text
    assert "2 endings left: hints for them \u2022 A keeper is only human." in text
    # chapter 2 is not reached yet: how many endings it has, and nothing of them (issue 30.14)
    assert "Chapter 2: The Morning After: not reached yet 3 endings to find" in text
    assert "Only the brave may leave the quay." not in text and "Asleep at the Post" not in text
    again.enter().wait("1. New game")


def test_start_from_a_chapter_reached_before_with_the_flags_of_the_arrival_chosen(term):
    t = new_game(term)
    to_dawn(t).enter().wait("The Mary rounds the point.")
    t.enter("restart").wait("(y/n)")
    t.enter("y").wait("Trim the wick.")
    t.enter("1").wait("You climb the stair.")
    t.enter("2").wait("The tower goes dark.")
    t.enter().wait("There is no sign of the Mary.")
    t.enter("quit")
    t.finish()
    again = term(rows=40).wait("Start from a chapter")
    again.enter("chapters").wait("Start which?")
    text = again.flat
    assert "1. Chapter 2: The Morning After after Darkness; The lamp: dark; Courage: 1 of 3; The sea: in a gale" in text
    assert "2. Chapter 2: The Morning After after The Lamp Burns; The lamp: burning; Courage: 2 of 3" in text
    again.enter("2").wait(lambda t: "The Mary rounds the point." in t.text and "Chapter 2" in t.lines[-1])
    assert "Chapter 2: The Morning After" in again.lines[-1]
    again.enter("dossier").wait("Dossier")
    assert re.search(r"Courage\s+\u25a0\u25a0\u25a1  2 of 3", again.text)
    again.enter("1").wait("Safe Harbour")
    start = dict(again.saved()["start"])
    assert isinstance(start.pop("seed"), int)  # the game's luck is saved with where it began
    assert start == {
        "chapter": "morning",
        "node": "quay",
        "flags": {"lamp_lit": True, "courage": 2, "weather": "gale"},
    }


def test_the_dossier_shows_only_marked_flags_and_the_ending_says_what_changed(term):
    t = new_game(term, rows=40)
    t.enter("dossier").wait("Dossier")
    assert "Nothing yet" in t.text  # nothing play has set yet (issue 30.15)
    assert "oil" not in t.text.lower() and "asked" not in t.text.lower()  # unmarked flags stay hidden
    to_dawn(t)
    assert "Your dossier changed. Courage: 1 \u2192 2." in t.flat
    t.enter("dossier").wait(re.compile(r"Courage\s+\u25a0\u25a0\u25a1  2 of 3  \(since 12 October 1901\)"))
    t.enter().wait("The Mary rounds the point.")
    t.enter("1").wait("Safe Harbour")
    assert "Your dossier changed" not in t.text.split("Safe Harbour")[1]  # nothing shown changed in chapter 2


def test_back_and_page_up_reread_without_undoing_and_the_journal_lists_the_pages(term):
    t = new_game(term, rows=40)
    t.enter("1").wait("You climb the stair.")
    t.enter("1").wait("The flame steadies.")
    t.enter("back").wait("Rereading page 2 of 3")
    assert "You climb the stair." in t.text and "\u2192 Pour in a can of oil." in t.text
    t.type("\x1b[5~").wait("Rereading page 1 of 3")  # PageUp
    assert "Wind hammers the glass." in t.text and "\u2192 Trim the wick." in t.text
    t.type("\x1b[6~").wait("Rereading page 2 of 3")  # PageDown
    t.enter("q").wait("1. Keep watch till dawn.")
    assert "Rereading" not in t.text and t.saved()["state"]["node"] == "lamp"  # nothing undone
    t.type("\x1b[5~").wait("Rereading page 2 of 3")  # PageUp at the choice prompt
    t.enter("q").wait("1. Keep watch till dawn.")
    t.enter("journal").wait("Pages")
    assert re.search(r"1\. The lighthouse, 12 October 1901 \u2014 Wind hammers the glass\.", t.flat)
    assert "3. The lighthouse, 12 October 1901 \u2014 The flame steadies." in t.flat
    t.enter("back 1").wait("Rereading page 1 of 3")


@pytest.mark.parametrize("how", ["dumb", "plain"])
def test_plain_mode_in_a_terminal_never_redraws(term, how):
    args, env = (("--plain",), {}) if how == "plain" else ((), {"TERM": "dumb"})
    t = term(*args, env=env).wait("1. New game")
    t.enter().wait("2. Ring the village for help.")
    t.enter("1").wait("You climb the stair.")
    t.enter("back").wait("Rereading page 1 of 2")
    t.enter("q").wait("3. Go back down to check the door.")
    t.enter("quit").wait("--continue")
    assert t.finish() == 0
    assert b"\x1b" not in t.log  # no cursor movement, no colour, no clearing: only lines
    assert "> 1" in t.text or "\u2192 Trim the wick." in t.text


@pytest.mark.parametrize("key", ["\x03", "\x04"], ids=["ctrl-c", "ctrl-d"])
def test_leaving_plain_mode_with_a_key_starts_the_goodbye_on_a_line_of_its_own(term, key):
    t = term("--plain").wait("1. New game")
    t.enter().wait("2. Ring the village for help.")
    t.enter("1").wait("You climb the stair.")
    t.type(key).wait("--continue")
    assert t.finish() == 0
    said = next(line for line in t.lines if "Your game is saved" in line)
    assert said.startswith("Your game is saved")  # not "> ^CYour game is saved"


# ---- issue 15.1 and 15.10: keys, pastes and streams that must never crash --------------------

HUGE = "9" * 5000


@pytest.mark.parametrize(
    "typed, reply",
    [
        ("\u00b2", "There is no choice \u00b2 here; choose 1 to 3."),
        ("\u2460", "There is no choice \u2460 here; choose 1 to 3."),
        (HUGE, "There is no choice 999999\u2026999 here; choose 1 to 3."),
        ("undo \u00b2", "undo takes a number of choices, like: undo 2"),
        ("undo " + HUGE, "There is nothing to undo"),
    ],
)
def test_odd_numbers_at_the_terminal_prompt_get_a_reply(term, typed, reply):
    t = new_game(term)
    t.enter(typed).wait(reply)
    t.enter("1").wait("You climb the stair.")


@pytest.mark.parametrize("typed", ["\u00b2", "\u2460", HUGE, "undo \u00b2", "undo " + HUGE, "1\nundo " + HUGE])
def test_odd_numbers_in_plain_mode_and_scripts_never_crash(tmp_path, typed):
    p = play_lines(tmp_path, typed + "\n")
    assert p.returncode == 0 and "Traceback" not in p.stderr and "went wrong" not in p.stderr, p.stderr
    s = play_lines(tmp_path, typed + "\n", "--script", "-")
    assert s.returncode == 1 and "Traceback" not in s.stderr and "a script holds one choice number per line" in s.stderr


def test_ctrl_d_at_a_more_pause_leaves_and_a_second_one_is_harmless(term, tmp_path):
    story = tall_story(tmp_path)
    t = term("--chapter", "one", story=story, rows=12).wait("\u2014 more:")
    t.type("\x04").wait(lambda t: not t.child.isalive())
    t.type("\x04")
    assert t.finish() == 0 and b"went wrong" not in t.log


@pytest.mark.parametrize("how", ["stdin", "stdout", "full"])
def test_closed_streams_and_a_full_disk_end_play_cleanly(tmp_path, how):
    if how == "stdin":
        p = play_lines(tmp_path, None, preexec_fn=lambda: os.close(0))
        assert p.returncode == 0 and "Wind hammers the glass." in p.stdout
    elif how == "stdout":
        p = play_lines(tmp_path, "1\n", stdout=None, preexec_fn=lambda: os.close(1))
        assert p.returncode == 1 and "cannot be written" in p.stderr
    else:
        with open("/dev/full", "w") as full:
            p = play_lines(tmp_path, "1\n", stdout=full)
        assert p.returncode == 1 and "No space left on device" in p.stderr
    assert "Traceback" not in p.stderr and "went wrong" not in p.stderr and "Exception ignored" not in p.stderr


def test_a_huge_paste_without_bracketed_paste_does_not_freeze_the_prompt(term):
    t = new_game(term)
    data = "x" * 100_000
    for i in range(0, len(data), 4096):
        t.type(data[i : i + 4096])
        t.pump(0)
    t.enter().wait("Type a number from 1 to 3", timeout=30)  # a guard against the freeze, not a timing test
    assert sum(1 for line in t.lines if "xxxxxxxxxx" in line) <= 1  # one echoed line, not a screenful of x
    t.enter("1").wait("You climb the stair.")


def test_escape_at_a_scenes_more_pause_shows_the_rest_at_once_never_hiding_the_choices(term, tmp_path):
    story = tall_story(tmp_path, 30)
    t = term("--chapter", "one", "--save-dir", str(tmp_path / "s"), story=story, rows=20).wait("\u2014 more:")
    t.type("\x1b").wait("1. Go on.")
    assert "more:" not in t.text and t.prompt_line() == ">" and "Paragraph 30." in t.text
    t.enter("1").wait("Done.")
