"""The reader's page, second round (issue 30 points 9-15), in Chromium at 1280 and 360 px:
Undo and Continue keep the choices in view, New game asks and keeps the earlier game, notices
never cover the story or a control, a refused save name is told in words, the top bar says
where the reader is, the endings screen spoils nothing, the dossier knows what the player knows.

Screenshots go to build/screenshots/ (reader-*.png) for people to look at.
"""

from __future__ import annotations

import json

import pytest
from web_support import browser, chromium_or_skip, site, story, url_of  # noqa: F401  (fixtures)

chromium_or_skip()

from conftest import ROOT  # noqa: E402

from engine import runtime as rt  # noqa: E402
from engine.player.saves import SAVE_NAME_RULE  # noqa: E402

SHOTS = ROOT / "build" / "screenshots"
PREFIX = "chronicle:hammer-and-crescent:"


@pytest.fixture
def open_page(browser, site):
    pages = []

    def make(**kw):
        p = browser.page(url_of(site), **kw)
        pages.append(p)
        return p

    yield make
    for p in pages:
        assert not p.errors, p.errors
        assert not p.requests, f"the page tried to load {p.requests}"
        p.context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"reader-{name}.png"))


def rect(page, selector: str) -> dict:
    return page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect(); "
        "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }",
    )


def in_view(page, selector: str) -> bool:
    r, h = rect(page, selector), page.evaluate("innerHeight")
    return r["top"] >= 0 and r["bottom"] <= h


def play(page, *numbers: int) -> None:
    for n in numbers:
        page.click(f'#choices button[data-number="{n}"]')


# ---- 9. Undo and Continue keep the player looking at the choices ---------------------------------


@pytest.mark.parametrize("width, height", [(1280, 900), (360, 740)])
def test_after_undo_and_after_continue_the_choices_are_in_view(open_page, width, height):
    page = open_page(width=width, height=height)
    page.click("#new-game")
    play(page, 1, 1, 1)
    page.click("#undo")
    assert page.evaluate("scrollY") > 0 and in_view(page, '#choices button[data-number="1"]')
    assert page.evaluate("document.activeElement.dataset.number") == "1"
    page.click("#menu-button")
    page.click("#continue")
    assert in_view(page, '#choices button[data-number="1"]')
    shot(page, f"continue-{width}")


# ---- 10. New game asks, and keeps the earlier game ------------------------------------------------


def test_new_game_over_a_game_in_progress_asks_and_keeps_it(open_page, story):
    page = open_page()
    page.click("#new-game")
    assert not page.is_visible("#confirm")  # nothing to lose yet: no question
    play(page, 1, 2)
    before = page.evaluate(f"localStorage.getItem('{PREFIX}autosave')")
    page.click("#menu-button")
    page.click("#new-game")
    assert page.is_visible("#confirm")
    words = page.text_content("#confirm-text")
    assert "This game (Chapter 1: The Interpreter" in words and "will be kept as autosave-1" in words
    shot(page, "new-game-asks")
    page.click("#confirm-no")  # keep playing: nothing changed
    assert page.evaluate(f"localStorage.getItem('{PREFIX}autosave')") == before
    page.click("#new-game")
    page.click("#confirm-yes")
    assert page.evaluate(f"localStorage.getItem('{PREFIX}autosave-1')") == before
    assert json.loads(page.evaluate(f"localStorage.getItem('{PREFIX}autosave')"))["path"] == []
    assert "kept as autosave-1" in page.text_content("#notice")
    page.click("#load-button")
    assert page.is_visible("#saves .slot:has-text('autosave-1')")


def test_a_fourth_earlier_game_says_which_one_it_drops(open_page):
    page = open_page()
    for _ in range(4):
        page.click("#new-game")
        if page.is_visible("#confirm"):
            page.click("#confirm-yes")
        play(page, 1)
        page.click("#menu-button")
    page.click("#new-game")
    assert "the oldest" in page.text_content("#confirm-text") and "will no longer be kept" in page.text_content(
        "#confirm-text"
    )


# ---- 11. notices never cover the story or a control ---------------------------------------------


def overlaps(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def test_at_360_px_a_notice_covers_no_button_and_no_story(open_page):
    page = open_page(width=360, height=740)
    page.click("#new-game")
    play(page, 1, 1)
    for act in ("undo", "save"):
        if act == "undo":
            page.click("#undo")
        else:
            page.click("#save-button")
            page.fill("#save-name", "my-game")
            page.click("#save-form button[type=submit]")
        assert page.is_visible("#notice")
        n = rect(page, "#notice")
        others = page.eval_on_selector_all(
            "button:not([hidden]), .passage p, .chosen",
            "es => es.filter(e => e.offsetParent).map(e => { const r = e.getBoundingClientRect(); "
            "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })",
        )
        assert not [o for o in others if overlaps(n, o)], act
        shot(page, f"notice-{act}-360")


# ---- 12. an invalid save name is explained in words ---------------------------------------------


def test_a_refused_save_name_is_explained_as_the_terminal_explains_it(open_page):
    page = open_page()
    page.click("#new-game")
    page.click("#save-button")
    page.fill("#save-name", "-")
    page.click("#save-form button[type=submit]")
    assert page.is_visible("#saves")
    assert page.text_content("#save-error") == f"'-' cannot be a save name: {SAVE_NAME_RULE}"
    shot(page, "save-name-refused")
    page.fill("#save-name", "Café")  # letters of any alphabet are letters
    page.click("#save-form button[type=submit]")
    assert not page.is_visible("#saves")
    assert page.evaluate(f"localStorage.getItem('{PREFIX}café')")


# ---- 13. the top bar says where you are ---------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 360])
def test_the_top_bar_names_the_chapter_the_place_and_the_date(open_page, width):
    page = open_page(width=width, height=740)
    page.click("#new-game")
    assert page.is_visible("#bar-title")
    bar = " ".join(page.text_content("#bar-title").split())
    assert bar == "Chapter 1: The Interpreter \u00b7 Riyadh, al-Malaz \u00b7 12 June 1980"
    play(page, 1)
    bar = " ".join(page.text_content("#bar-title").split())
    assert "Ministry of Defense and Aviation, Riyadh" in bar and "12 June 1980" in bar
    shot(page, f"bar-{width}")


# ---- 14. endings: hints only for chapters reached --------------------------------------------------


def test_the_endings_screen_hints_only_for_chapters_reached(open_page, story):
    page = open_page()
    page.click("#new-game")
    play(page, 1, 2, 2, 1)  # chapter 1's short route to an ending (The Ledger at Khafji)
    page.click("#menu-button")
    page.click("#endings-button")
    body = page.text_content("#endings-body")
    assert "Not found yet" not in body
    assert "12 endings left: hints for them" in body
    for ch in story.chapters[1:]:
        assert f"Chapter {story.chapters.index(ch) + 1}: {ch.title}Not reached yet: " in body
        for n in ch.nodes.values():
            if n.ending:
                assert n.ending.hint not in body and n.ending.title not in body
    shot(page, "endings")


# ---- 15. the dossier knows what you know -----------------------------------------------------------


def test_the_journals_dossier_names_no_one_not_yet_met(open_page, story):
    page = open_page()
    page.evaluate("chronicleReader.startAt('tehran-1999')")
    page.keyboard.press("j")
    body = page.text_content("#journal-body")
    assert "Shirin Rostami" not in body and "Nothing yet" in body
    page.click("#journal [data-close]")
    page.evaluate("chronicleReader.startAt('syrian-front-1984')")
    for _ in range(6):
        page.keyboard.press("1")
    page.keyboard.press("j")
    dossier = page.text_content("#journal-body .dossier")
    assert "Al-Rawi's trust" in dossier and "(since " in dossier and "Your annex" not in dossier
    s = rt.start(story, "syrian-front-1984")
    for _ in range(6):
        s = rt.choose(story, s, rt.available(story, s)[0])
    assert "1 of 2" in dossier
