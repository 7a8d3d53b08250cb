"""The real `chronicle play` in a real pseudo-terminal, read back through a terminal emulator.

Each test plays as a person would (keys in, screen out) and checks what they
would notice: what is on the screen, what survives quitting, crashing or a
kill. Saves go to a temporary folder in every test.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import textwrap
import time
from pathlib import Path

import pytest
from conftest import TOUR, chapter, write_story
from pty_support import SLUG, WAIT, Term, new_game, tall_story, term  # noqa: F401  (term is a fixture)

# ---- starting, choosing, saving, leaving, continuing ------------------------------------------


def test_new_game_choose_save_quit_and_continue(term):
    t = term().wait(lambda t: t.lines[-1] == ">" or any(x == ">" for x in t.lines))
    assert "The Lighthouse Keeper" in t.text and "A test story" in t.text and "A storm is coming" in t.text
    assert "1. New game" in t.text and "Continue" not in t.text
    t.enter().wait("Trim the wick.")
    assert "Chapter 1: The Storm" in t.text and "The lighthouse \u00b7 12 October 1901" in t.text
    status = t.lines[-1]
    assert "Chapter 1: The Storm" in status and "The lighthouse" in status and "12 October 1901" in status

    t.enter("1").wait("You climb the stair.")
    assert "3. Go back down to check the door." in t.text
    t.enter("save mine").wait("Saved as 'mine'")
    t.enter("quit").wait("--continue")
    assert "Your game is saved" in t.text
    assert t.finish() == 0
    assert t.saved("mine")["state"]["node"] == "stair" and t.saved()["state"]["node"] == "stair"

    again = term().wait("2. Continue")
    assert re.search(r"Continue \u2014 Chapter 1: The Storm, 12 October 1901", again.text)
    again.enter().wait("You climb the stair.")  # Enter continues
    assert "1. Pour in a can of oil." in again.text
    again.enter("quit")
    assert again.finish() == 0


def test_choices_by_their_first_words_with_completion_and_hints(term):
    t = new_game(term)
    t.enter("xyzzy").wait("Type a number from 1 to 3 or the first words of a choice")
    assert "1. Trim the wick." in t.text  # the same prompt again, the choices still there
    t.enter("ring").wait("\u2192 Ring the village for help.")
    assert "The wind has not let up." in t.text
    t.type("Tr").wait("1. Trim the wick.")
    t.type("\t").wait(lambda t: t.prompt_line().startswith("> Trim the wick."))
    t.enter().wait("The village bell answers faintly.")
    assert "\u2192 Trim the wick." in t.text


def test_undo_goes_back_across_a_chapter_boundary(term):
    t = new_game(term)
    for key, seen in (("1", "You climb the stair."), ("1", "The flame steadies."), ("1", "Grey light.")):
        t.enter(key).wait(seen)
    assert "The Lamp Burns" in t.text and "A canon ending" in t.text
    t.enter().wait("The Mary rounds the point.")
    assert "Chapter 2: The Morning After" in t.lines[-1]
    t.enter("undo").wait("Took back 1 choice.")
    t.wait("1. Keep watch till dawn.")
    assert "Chapter 1: The Storm" in t.lines[-1] and "Mary" not in t.text
    t.enter("undo 2").wait("Took back 2 choices.")
    t.wait("2. Ring the village for help.")
    assert t.saved()["state"]["node"] == "tower"


def test_the_journal_shows_the_documented_events_and_the_choices_made(term):
    t = new_game(term)
    t.enter("2").wait("1. Trim the wick.")
    t.enter("1").wait("You climb the stair.")
    t.enter("1").wait("The flame steadies.")
    t.enter("journal").wait("The choices that led here")
    assert "October 1901 \u2014 A great storm hits the island in October 1901." in t.text
    assert "October 1901 \u2014 The lamp burns through the night of the storm." in t.text
    assert "12 October 1901 \u2014 Ring the village for help." in t.text
    assert "12 October 1901 \u2014 Pour in a can of oil." in t.text


def test_help_lists_the_commands_and_a_transcript_keeps_the_session(term, tmp_path):
    t = new_game(term, "--transcript", "session.txt")
    t.enter("help").wait("undo [n]")
    for usage in ("save [name]", "load [name]", "journal", "quit"):
        assert usage in t.text
    assert "flags" not in t.text
    t.enter("1").wait("You climb the stair.")
    t.enter("quit")
    assert t.finish() == 0
    text = (tmp_path / "session.txt").read_text()
    assert "== Chapter 1: The Storm ==" in text and "> help\n" in text and "  undo [n]" in text
    assert "> 1\n  \u2192 Trim the wick.\n\nYou climb the stair." in text
    assert "\x1b" not in text and text.rstrip().endswith("--continue")


def test_the_last_ending_shows_the_epilogue_and_the_endings_found(term):
    t = new_game(term, rows=40)
    for key, seen in (
        ("1", "stair"),
        ("2", "The tower goes dark."),
        ("", "There is no sign of the Mary."),
        ("1", "You find wreckage."),
    ):
        t.enter(key).wait(seen)
    t.wait("THE END")
    assert "A divergent ending: history breaks here." in t.text
    # what this branch changed, said the right way round
    assert "History you changed:" in t.text
    assert "In your history, this did not happen: The Mary reaches harbour safely the morning after." in " ".join(
        t.text.replace("\u2022", " ").split()
    )
    assert "The lamp still turns." in t.text
    assert "Endings you have found: 2 of 6" in t.text
    assert "Chapter 2: The Morning After: Wreck (divergent); 2 still to find" in t.text


# ---- leaving abruptly ----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["\x03", "\x04"], ids=["ctrl-c", "ctrl-d"])
def test_ctrl_c_and_ctrl_d_leave_cleanly_with_the_game_saved(term, key):
    t = new_game(term)
    t.enter("1").wait("You climb the stair.")
    t.type(key).wait("--continue")
    assert "Your game is saved (Chapter 1: The Storm, The lighthouse, 12 October 1901)" in t.text
    assert t.finish() == 0
    if key == "\x03":
        cont = term("--continue").wait("You climb the stair.")
        assert "1. Pour in a can of oil." in cont.text


def test_ctrl_c_on_the_title_screen(term):
    t = term().wait("New game")
    t.type("\x03")
    assert t.finish() == 0


# ---- resizing --------------------------------------------------------------------------------

LONG = (
    "The wind came off the sea in long grey sheets, and every pane of the lantern room shook in "
    "its frame as the keeper climbed the last turn of the stair."
)


def long_story(tmp_path) -> Path:
    return write_story(
        tmp_path / "long",
        {
            "one": chapter(
                "one",
                {
                    "start": {
                        "date": "1900-01-02",
                        "place": "The <b>tower</b>",
                        "text": LONG
                        + "\n\nBefore\x1b[2JAfter <b>bold</b> \x1b]0;pwned\x07[&lt;] <style fg='red'>x</style>",
                        "choices": [{"text": "Go <i>on</i>.", "goto": "end", "canon": True}],
                    },
                    "end": {"text": "Done.", "ending": {"kind": "canon", "title": "The <u>End</u>"}},
                },
            )
        },
        title="Esc <b>Test</b>",
    )


def test_prose_is_wrapped_again_when_the_terminal_is_resized(term, tmp_path):
    t = term("--chapter", "one", story=long_story(tmp_path), cols=100).wait("1. Go")
    first = t.lines.index(next(x for x in t.lines if x.startswith("The wind")))
    wide = t.lines[first : t.lines.index("", first)]
    assert len(wide) == 2 and all(len(line) <= 78 for line in wide) and len(wide[0]) > 60
    t.type("Go")
    t.resize(30, 40)
    narrow = textwrap.wrap(LONG, 38)
    t.wait(lambda t: narrow[0] in t.lines and t.prompt_line() == "> Go")
    first = t.lines.index(narrow[0])
    assert t.lines[first : first + len(narrow)] == narrow  # the whole paragraph, wrapped to fit
    assert "1. Go <i>on</i>." in t.text and "Chapter 1" in t.lines[-1]
    t.enter().wait("Done.")  # what was typed before the resize is still on the line


def test_a_page_taller_than_the_screen_waits_for_a_key(term, tmp_path):
    story = tall_story(tmp_path)
    t = term("--chapter", "one", story=story, rows=24).wait("\u2014 more:")
    assert "Chapter 1: Chapter one" in t.lines[1] and "Paragraph 1." in t.text  # nothing scrolled away unread
    assert "Paragraph 20." not in t.text
    t.type(" ").wait("Paragraph 16.")
    assert "more: Space goes on, Esc closes" in t.lines[-1] and "Paragraph 17." not in t.text
    t.type("1").wait("1. Go on.")  # a key that types ends the pause and begins the answer, whole
    assert "Paragraph 20." in t.text and "more" not in t.text
    assert t.prompt_line() == "> 1"
    t.enter().wait("Done.")


# ---- story text is content, not code ---------------------------------------------------------


def test_markup_and_escape_codes_in_story_text_are_never_interpreted(term, tmp_path):
    t = term(story=long_story(tmp_path)).wait("New game")
    assert "Esc <b>Test</b>" in t.text
    t.enter().wait("1. Go <i>on</i>.")
    assert "BeforeAfter <b>bold</b> [&lt;] <style fg='red'>x</style>" in t.text
    assert "The wind came off the sea" in t.text  # the screen was not cleared by the story's \x1b[2J
    assert "The <b>tower</b>" in t.lines[-1]
    assert b"pwned" not in t.log and b"\x1b]0;" not in t.log
    t.enter("1").wait("The <u>End</u>")


# ---- saves that never get lost -----------------------------------------------------------------


def test_a_corrupt_autosave_is_moved_aside_with_a_message_and_the_game_goes_on(term):
    t = new_game(term)
    t.enter("1").wait("You climb the stair.")
    t.enter("quit")
    t.finish()
    auto = t.save_file("autosave")
    auto.write_text(auto.read_text()[:50])
    again = term().wait("New game")
    assert "The save 'autosave' cannot be used: the file is cut short or damaged" in again.text
    assert "moved aside to autosave.corrupt-" in again.flat and "Continue" not in again.text
    assert not auto.exists() and len(list(auto.parent.glob("autosave.corrupt-*.json"))) == 1
    again.enter().wait("Trim the wick.").enter("1").wait("You climb the stair.")


def test_loading_a_damaged_named_save_says_why_and_play_goes_on(term):
    t = new_game(term)
    t.enter("save slot").wait("Saved as 'slot'")
    data = t.saved("slot")
    data["path"] = ["tower:@stair", "stair:@lamp", "lamp:@dawn", "dawn:@nowhere"]
    data["state"]["node"] = "dawn"
    t.save_file("slot").write_text(json.dumps(data))
    t.enter("load slot").wait("cannot be used")
    assert "the save's choices are impossible in this story" in t.flat and "moved aside to slot.corrupt-" in t.flat
    t.enter("1").wait("You climb the stair.")


def test_a_save_from_a_changed_story(term, tmp_path):
    story = tmp_path / "tour"
    shutil.copytree(TOUR, story)
    t = new_game(term, story=story)
    t.enter("2").wait("1. Trim the wick.")
    t.enter("quit")
    t.finish()
    storm = story / "chapters" / "storm.yaml"
    original = storm.read_text()
    # the tower's second visit (after ringing) is where the save resumes: reword what it shows
    storm.write_text(original.replace("The wind has not let up.", "The rain has not let up."))
    cont = term("--continue", story=story).wait("The rain has not let up.")
    assert "The story has changed since this save; your choices still fit it." in cont.flat
    cont.enter("quit")
    cont.finish()

    storm.write_text(
        original.replace(
            "      - text: Ring the village for help.\n        id: ring\n        if: not asked_for_help\n"
            "        do: [asked_for_help = true, courage -= 1]\n"
            "        say: The line crackles. Someone at the post office promises to tell the harbour master.\n"
            "        goto: tower\n",
            "",
        )
    )
    again = term(story=story).wait("Continue")
    again.enter().wait("kept as autosave.earlier-story-")
    assert (
        "The story has changed since this save: the choice you took at step 1 is no longer there, "
        "so your game resumes after step 0 of 1, in Chapter 1: The Storm, at"
    ) in again.flat
    assert "'tower'" not in again.flat  # the reader is not shown the author's node ids
    assert not list(storm.parent.parent.rglob("*.corrupt-*"))
    again.wait("Trim the wick.")


def test_a_kill_during_a_save_leaves_the_previous_save_intact(term, tmp_path):
    t = new_game(term)
    t.enter("1").wait("You climb the stair.")
    t.enter("quit")
    t.finish()
    auto = t.save_file("autosave")
    before = auto.read_bytes()

    slow = term("--continue", env={"CHRONICLE_TEST_SAVE_DELAY": "30"}).wait("1. Pour in a can of oil.")
    slow.enter("1")
    deadline = time.monotonic() + WAIT
    while not list(auto.parent.glob(".autosave.json.*.tmp")):
        assert time.monotonic() < deadline, "the autosave was never begun"
        time.sleep(0.01)
    slow.child.kill(signal.SIGKILL)
    slow.child.close()
    assert auto.read_bytes() == before

    after = term().wait("2. Continue")
    assert "Continue \u2014 Chapter 1: The Storm, 12 October 1901" in after.text
    after.enter().wait("1. Pour in a can of oil.")
    after.enter("1").wait("The flame steadies.")
    assert not list(auto.parent.glob(".*.tmp"))


def test_a_new_game_keeps_the_earlier_one(term):
    t = new_game(term)
    t.enter("2").wait("1. Trim the wick.")
    t.enter("restart").wait("(y/n)")
    t.enter("y").wait("Your earlier game")  # (the old page's choices are still on screen until the new one is drawn)
    assert (
        "Your earlier game (Chapter 1: The Storm, The lighthouse, 12 October 1901) is kept as 'autosave-1': "
        "type load autosave-1 to go back to it"
    ) in t.flat
    t.enter("1").wait("You climb the stair.")
    t.enter("load").wait("Saved games")
    assert re.search(r"1\.\s+autosave\b", t.text) and re.search(r"2\.\s+autosave-1\b", t.text)
    t.enter("2").wait("Loaded 'autosave-1'.")
    assert "1. Trim the wick." in t.text
    assert t.saved()["path"] == ["tower:ring"]  # format 2: the step by node and choice key (its id)


# ---- debug and watch -----------------------------------------------------------------------


def test_debug_shows_flags_and_jumps_to_a_node(term):
    t = term("--debug", "--chapter", "storm", "--set", "oil=3").wait("Trim the wick.")
    assert "storm:tower" in t.lines[-1]
    t.enter("flags").wait("asked_for_help")
    assert re.search(r"oil\s+3", t.text) and re.search(r"lamp_lit\s+true", t.text)
    t.enter("goto dawn").wait("Grey light.")
    assert "The Lamp Burns" in t.text


def test_watch_reloads_the_scene_and_shows_compile_errors_until_fixed(term, tmp_path):
    story = tmp_path / "tour"
    shutil.copytree(TOUR, story)
    storm = story / "chapters" / "storm.yaml"
    original = storm.read_text()
    t = term("--chapter", "storm", "--at", "stair", "--set", "oil=3", "--watch", story=story)
    t.wait("You climb the stair.")
    t.enter("1").wait("The flame steadies.")
    storm.write_text(original.replace("The flame steadies.", "The flame burns tall and still."))
    t.wait("The flame burns tall and still.")
    assert "replayed" in t.text
    storm.write_text(original.replace("goto: dawn", "goto: [dawn"))
    t.wait(re.compile(r"storm\.yaml:\d+:\d+"))
    assert "does not compile" in t.text
    storm.write_text(original)
    t.wait("The flame steadies.")
    t.enter("1").wait("Grey light.")


def test_being_terminated_gives_the_terminal_back_as_it_was(term):
    import termios

    t = new_game(term)
    fd = t.child.child_fd
    assert not termios.tcgetattr(fd)[3] & termios.ECHO  # raw mode while the prompt waits
    t.enter("1").wait("You climb the stair.")
    t.child.kill(signal.SIGTERM)
    t.wait(lambda t: not t.child.isalive())
    assert termios.tcgetattr(fd)[3] & termios.ECHO  # echo is back on: the shell is usable
    assert t.finish() == 128 + signal.SIGTERM
    assert t.saved()["state"]["node"] == "stair"
