"""What a person types at the prompt, and what the player shows back: choices by number or
first words, commands, hints; and story text that is shown as text, never as markup or escapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import runtime as rt
from engine.compile import load_story
from engine.model import Choice
from engine.player import render as r
from engine.player.prompt_input import Command, Pick, Unclear, completions, parse
from engine.player.saves import SAVE_NAME_RULE

TOUR = Path(__file__).resolve().parent / "stories" / "tour"


def choices(*texts: str) -> list[Choice]:
    return [Choice(i, t, "x") for i, t in enumerate(texts)]


OFFERED = choices("Trim the wick.", "Ring the village for help.", "Ring the bell twice.", "Save the child.")


@pytest.mark.parametrize(
    "typed, number",
    [
        ("1", 1),
        (" 2 ", 2),
        ("4.", 4),
        ("trim", 1),
        ("TRIM THE", 1),
        ("Trim the wick.", 1),
        ("ring the v", 2),
        ("ring the b", 3),
        ("save the child", 4),  # 'save' with more than one word is not the command
    ],
)
def test_a_choice_by_number_or_first_words(typed, number):
    got = parse(typed, OFFERED)
    assert isinstance(got, Pick) and got.number == number and got.choice is OFFERED[number - 1]


@pytest.mark.parametrize(
    "typed, message",
    [
        ("5", "no choice 5 here; choose 1 to 4"),
        ("xyzzy", "Type a number from 1 to 4 or the first words of a choice"),
        ("the wick", "Type a number"),
        ("undo lots", "undo takes a number of choices"),
        ("save a b", "A save name is one word, so 'a b' cannot be one (" + SAVE_NAME_RULE + "). Try: save a-b"),
        ("\u00b2", "There is no choice \u00b2 here; choose 1 to 4."),
        ("\u2460", "There is no choice \u2460 here; choose 1 to 4."),
        ("9" * 5000, "There is no choice 999999\u2026999 here; choose 1 to 4."),
        ("undo \u00b2", "undo takes a number of choices"),
        ("back x", "back takes a page number"),
    ],
)
def test_anything_else_gets_a_short_hint(typed, message):
    got = parse(typed, OFFERED)
    assert isinstance(got, Unclear) and message in got.message


def test_a_choice_that_could_be_several_lists_them_by_number_one_a_line():
    got = parse("ring", OFFERED)
    assert got.message == "That could be:" and got.after == "Type more of it, or its number."
    assert got.options == (("2", "Ring the village for help."), ("3", "Ring the bell twice."))
    lines = texts(r.unclear(got.message, got.options, got.after, 60)).split("\n")
    assert lines[:4] == [
        "That could be:",
        "  2. Ring the village for help.",
        "  3. Ring the bell twice.",
        "Type more of it, or its number.",
    ]


def test_digits_of_other_scripts_are_numbers_but_never_a_crash():
    assert parse("\u0662", OFFERED).number == 2  # Arabic-Indic two
    assert parse("undo " + "9" * 5000, OFFERED) == Command("undo", str(10**9))  # as far back as it goes
    assert parse("undo 99999999999999999999", OFFERED) == Command("undo", str(10**9))
    assert completions("\u00b2", OFFERED) == [] and completions("9" * 5000, OFFERED) == []


def test_tab_on_an_empty_line_offers_everything_and_load_completes_save_names():
    everything = completions("", OFFERED, requested=True)
    assert everything[:4] == [(c.text, f"{i}. {c.text}") for i, c in enumerate(OFFERED, 1)]
    assert ("journal", "journal") in everything and ("back", "back [page]") in everything
    assert completions("", OFFERED) == []  # nothing pops up until asked
    assert completions("load ", OFFERED, slots=["mine", "quicksave", "autosave"]) == [
        ("load mine", "mine"),
        ("load quicksave", "quicksave"),
        ("load autosave", "autosave"),
    ]
    assert completions("load q", OFFERED, slots=["mine", "quicksave"]) == [("load quicksave", "quicksave")]


@pytest.mark.parametrize(
    "typed, cmd",
    [
        ("save", Command("save")),
        ("save mine", Command("save", "mine")),
        ("load", Command("load")),
        ("undo", Command("undo")),
        ("undo 3", Command("undo", "3")),
        ("journal", Command("journal")),
        ("HELP", Command("help")),
        ("?", Command("help")),
        ("q", Command("quit")),
        ("quit", Command("quit")),
        ("back", Command("back")),
        ("back 3", Command("back", "3")),
        ("dossier", Command("dossier")),
        ("endings", Command("endings")),
    ],
)
def test_commands(typed, cmd):
    assert parse(typed, OFFERED) == cmd


def test_debug_commands_only_with_debug():
    assert parse("flags", OFFERED, debug=True) == Command("flags")
    assert parse("goto dawn", OFFERED, debug=True) == Command("goto", "dawn")
    assert isinstance(parse("flags", OFFERED), Unclear)


def test_empty_input_is_nothing():
    assert parse("   ", OFFERED) is None


def test_completion_offers_matching_choices_and_commands():
    assert completions("ri", OFFERED) == [
        ("Ring the village for help.", "2. Ring the village for help."),
        ("Ring the bell twice.", "3. Ring the bell twice."),
    ]
    assert ("save", "save [name]") in completions("sa", OFFERED)
    assert ("Save the child.", "4. Save the child.") in completions("sa", OFFERED)
    assert completions("1", OFFERED) == [] and completions("", OFFERED) == []
    assert completions("goto d", [], debug=True, nodes=["dawn", "dark", "tower"]) == [
        ("goto dawn", "dawn"),
        ("goto dark", "dark"),
    ]


HOSTILE = "Before\x1b[2J\x1b]0;pwned\x07After <b>bold</b> <style fg='red'>x</style> &lt; \x9b31m\u202eevil"


def texts(lines) -> str:
    return "\n".join("".join(t for _, t in line) for line in lines)


def test_story_text_is_cleaned_and_never_markup():
    lines = r.prose([HOSTILE], 200) + r.choices(choices(HOSTILE), 200) + r.note(HOSTILE, 200)
    out = texts(lines)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out
    assert "BeforeAfter <b>bold</b> <style fg='red'>x</style> &lt;" in out
    for line in lines:
        for style, _ in line:
            assert style == "" or style.startswith("class:")  # styles come from us, never from the story


def test_prose_wraps_to_the_width_and_keeps_paragraphs():
    para = "word " * 40
    lines = r.prose([para, "Second."], 30)
    body = texts(lines).split("\n")
    assert max(len(x) for x in body) <= 30
    assert body.index("Second.") == body.index("") + 1


def test_the_measure_is_capped_for_reading_and_floored_for_tiny_terminals():
    assert r.text_width(200) == r.MAX_WIDTH and r.text_width(50) == 48 and r.text_width(5) == r.MIN_WIDTH


def test_a_long_choice_wraps_under_its_text_not_its_number():
    lines = r.choices(choices("a " * 30), 30)
    first, second = texts(lines).split("\n")[:2]
    assert first.startswith("  1. a") and second.startswith("     a")


def test_a_divergent_ending_names_the_history_it_changed():
    story = load_story(TOUR)
    node = story.chapter("storm").nodes["dark"]
    out = texts(r.ending(story, node, 78))
    assert "Darkness" in out and "divergent" in out
    said = " ".join(out.split())
    # never the broken fact's statement alone, which would read as though it happened
    assert (
        "History you changed: \u2022 In your history, this did not happen: The lamp burns through the night "
        "of the storm. (October 1901)" in said
    )


def test_the_status_line_fits_any_width():
    story = load_story(TOUR)
    state = rt.start(story)
    for cols in (20, 40, 100):
        bar = r.toolbar(story, state, ("12 October 1901", "The lighthouse"), cols)
        assert len("".join(t for _, t in bar)) <= cols
    wide = "".join(t for _, t in r.toolbar(story, state, ("12 October 1901", "The lighthouse"), 100))
    assert "Chapter 1: The Storm" in wide and "The lighthouse" in wide and "12 October 1901" in wide
