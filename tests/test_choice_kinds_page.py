"""The page with greyed-out and fallback choices (tests/stories/gate), in Chromium: a greyed-out
choice is a disabled button that keeps its number (its key does nothing), and a fallback is
taken by itself with its words shown. A screenshot goes to build/screenshots/reader-greyed.png."""

from __future__ import annotations

import pytest
from web_support import browser, chromium_or_skip, url_of  # noqa: F401  (fixtures)

chromium_or_skip()

from conftest import ROOT, no_cache  # noqa: E402

from engine import load_story  # noqa: E402
from engine.export.web import export_web  # noqa: E402

SHOTS = ROOT / "build" / "screenshots"

_CHOICES = """() => Array.from(document.querySelectorAll('#choices button')).map((b) => [
  b.dataset.number, b.querySelector('.label').textContent, b.disabled, b.classList.contains('greyed')])"""


@pytest.fixture(scope="module")
def gate_page(browser, tmp_path_factory):
    with no_cache():
        story = load_story(ROOT / "tests" / "stories" / "gate")
    p = browser.page(url_of(export_web(story, tmp_path_factory.mktemp("gate-site")).folder))
    yield p
    assert not p.errors and not p.requests
    p.context.close()


def _new_game(page):
    page.evaluate("() => chronicleReader.startAt(null, null, {})")
    page.wait_for_selector("#choices button")


def test_a_greyed_out_choice_is_a_disabled_button_that_keeps_its_number(gate_page):
    page = gate_page
    _new_game(page)
    page.keyboard.press("2")  # walk up to the guard
    page.wait_for_function("document.querySelectorAll('#choices button').length === 2")
    assert page.evaluate(_CHOICES) == [
        ["1", "Push past him.", True, True],
        ["2", "Ask him kindly.", False, False],
    ]
    assert page.text_content("#choices-label") == "What do you do?"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reader-greyed.png"))
    page.keyboard.press("1")  # greyed out: nothing happens
    assert page.evaluate("() => chronicleReader.current().node") == "guard"
    page.keyboard.press("2")
    assert page.evaluate("() => chronicleReader.current().node") == "asked"


def test_the_fallback_is_taken_by_itself_with_its_words(gate_page):
    page = gate_page
    _new_game(page)
    page.keyboard.press("1")  # ring the bell: courage 1
    page.keyboard.press("2")  # the guard: only "Push past him." is shown, greyed out
    page.wait_for_selector("aside.ending")
    assert page.evaluate("() => chronicleReader.current().node") == "through"
    paras = page.evaluate(
        "() => Array.from(document.querySelectorAll('section.passage p.para')).map((p) => p.textContent)"
    )
    assert paras[-3:] == ["The guard looks you over.", "He shrugs and lets you by.", "The gate swings shut behind you."]
