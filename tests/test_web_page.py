"""The reader's page in a real browser: title screen, keyboard, undo, journal, endings,
saves in localStorage, the narrow layout, the dark theme, and text never read as HTML.

Screenshots of the first page and of an ending, at 1280 and 360 px wide, are saved under
build/screenshots/ for people to look at.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web_support import browser, chromium_or_skip, site, story, url_of  # noqa: F401  (fixtures)

chromium_or_skip()

from conftest import chapter, no_cache, write_story  # noqa: E402
from test_transcripts import ENTRIES, ROOT, path_for  # noqa: E402

from engine import load_story  # noqa: E402
from engine import runtime as rt  # noqa: E402
from engine.export.web import export_web  # noqa: E402
from engine.savefile import to_json as save_json  # noqa: E402

SHOTS = ROOT / "build" / "screenshots"


@pytest.fixture
def open_page(browser, site):
    """open_page(width=..., dark=...) -> a fresh page of the site (its own empty localStorage)."""
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


def text(page, selector):
    return page.eval_on_selector(selector, "e => e.textContent")


def choices(page):
    return page.eval_on_selector_all("#choices button .label", "bs => bs.map(b => b.textContent)")


def test_title_screen_offers_a_new_game_and_names_the_story(open_page, story):
    page = open_page()
    assert page.title() == story.title
    assert text(page, "h1") == story.title
    assert page.get_attribute("html", "lang") == "en"
    assert page.is_visible("#new-game")
    assert not page.is_visible("#continue")  # nothing saved yet
    page.click("#new-game")
    first = rt.start(story)
    assert text(page, ".card-title") == story.chapters[0].title
    assert page.eval_on_selector_all("section.passage p.para", "ps => ps.map(p => p.textContent)") == rt.node_text(
        story, first
    )
    assert choices(page) == [c.text for c in rt.available(story, first)]


def test_number_keys_tab_and_enter_choose(open_page, story):
    page = open_page()
    page.click("#new-game")
    s = rt.start(story)
    page.keyboard.press("1")
    s = rt.choose(story, s, rt.available(story, s)[0])
    assert choices(page) == [c.text for c in rt.available(story, s)]
    # Tab reaches the choice buttons; Enter presses the focused one.
    page.focus('#choices button[data-number="1"]')
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.number") == "2"
    page.keyboard.press("Enter")
    s = rt.choose(story, s, rt.available(story, s)[1])
    assert (
        text(page, "p.chosen:last-of-type .chosen-text")
        == rt.node_of(story, rt.replay(story, rt.start(story), s.path)[-2]).choices[s.path[-1]].text
    )
    assert choices(page) == [c.text for c in rt.available(story, s)]


def test_undo_steps_back_and_autosave_continues_after_reload(open_page, story):
    page = open_page()
    page.click("#new-game")
    page.keyboard.press("1")
    after_one = choices(page)
    page.keyboard.press("2")
    page.click("#undo")
    assert choices(page) == after_one
    page.keyboard.press("u")
    assert page.is_disabled("#undo")
    page.keyboard.press("1")
    page.reload()
    page.wait_for_function("window.chronicleReader !== undefined")
    assert page.is_visible("#continue")
    page.click("#continue")
    assert choices(page) == after_one


def test_named_saves_load_and_are_the_terminals_save_format(open_page, story):
    page = open_page()
    page.click("#new-game")
    page.keyboard.press("1")
    page.keyboard.press("2")
    want = choices(page)
    page.click("#save-button")
    page.fill("#save-name", "Before-the-Coast")
    page.click("#save-form button[type=submit]")
    assert not page.is_visible("#saves")
    raw = page.evaluate("localStorage.getItem('chronicle:hammer-and-crescent:before-the-coast')")
    data = json.loads(raw)
    # The terminal's loader takes the browser's save: one format for both.
    from engine.savefile import from_json

    loaded = from_json(story, data)
    assert [c.text for c in rt.available(story, loaded.states[-1])] == want
    page.click("#menu-button")
    page.click("#load")
    page.click("#saves .slot:has-text('before-the-coast')")
    assert choices(page) == want


def test_a_terminal_save_plays_on_in_the_browser_and_bad_saves_are_refused(open_page, story):
    page = open_page()
    first, numbers = path_for(story, ENTRIES[0])
    states = rt.replay_numbers(story, first, numbers[:3])
    good = save_json(story, states)
    altered = dict(good, path=good["path"][:-1])  # the position no longer follows from the choices
    other = dict(good, story="Another Story")
    newer = dict(good, version=99)
    for name, data in [("good", good), ("altered", altered), ("other", other), ("newer", newer)]:
        page.evaluate(
            "([k, v]) => localStorage.setItem(k, v)", [f"chronicle:hammer-and-crescent:{name}", json.dumps(data)]
        )
    page.evaluate("localStorage.setItem('chronicle:hammer-and-crescent:broken', '{not json')")
    assert page.evaluate("chronicleReader.resume('good')") is True
    assert choices(page) == [c.text for c in rt.available(story, states[-1])]
    for name, why in [
        ("altered", "altered"),
        ("other", "another story"),
        ("newer", "newer Chronicle"),
        ("broken", "damaged"),
    ]:
        assert page.evaluate(f"chronicleReader.resume('{name}')") is False
        assert why in text(page, "#notice")
        assert choices(page) == [c.text for c in rt.available(story, states[-1])]  # play goes on untouched


def test_an_ending_shows_the_history_it_broke_and_the_journal_the_events_lived(open_page, story):
    entry = next(e for e in ENTRIES if e.get("ending") and not e.get("canon"))
    first, numbers = path_for(story, entry)
    states = rt.replay_numbers(story, first, numbers)
    ending = rt.node_of(story, states[-1]).ending
    page = open_page()
    page.evaluate(
        "([c, n, f]) => chronicleReader.startAt(c, n, f)", [first.chapter, first.node, rt.flag_values(story, first)]
    )
    for n in numbers:
        page.keyboard.press(str(n))
    assert text(page, ".ending-title") == ending.title
    told = [f"{rt.told_broken(story.facts[f])} ({story.facts[f].date.human()})" for f in ending.diverges]
    assert sorted(page.eval_on_selector_all(".diverged li", "ls => ls.map(l => l.textContent)")) == sorted(told)
    nxt = story.next_chapter(first.chapter)
    assert choices(page) == [f"Go on to Chapter {story.chapters.index(nxt) + 1}: {nxt.title}"]
    page.keyboard.press("j")
    assert page.is_visible("#journal")
    journal = text(page, "#journal-body")
    for fact, _s in rt.records(story, states):
        assert fact.statement in journal
    assert f"Ending: {ending.title}" in journal
    page.keyboard.press("Escape")
    page.keyboard.press("1")
    assert text(page, ".card-title") == nxt.title


def test_the_last_ending_shows_the_epilogue(open_page, story):
    entry = next(e for e in ENTRIES if e["chapter"] == story.chapters[-1].id and e.get("canon"))
    first, numbers = path_for(story, entry)
    page = open_page()
    page.evaluate(
        "([c, n, f]) => chronicleReader.startAt(c, n, f)", [first.chapter, first.node, rt.flag_values(story, first)]
    )
    for n in numbers:
        page.keyboard.press(str(n))
    assert text(page, ".epilogue-title") == "Epilogue"
    final = rt.replay_numbers(story, first, numbers)[-1]
    assert page.eval_on_selector_all(".epilogue p.para", "ps => ps.map(p => p.textContent)") == rt.epilogue_text(
        story, final
    )
    assert text(page, ".the-end") == "The End"
    assert choices(page) == ["Play again from the beginning", "Back to the title screen"]


def _save_shots(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.mark.parametrize("width,height", [(1280, 800), (360, 740)])
def test_screenshots_of_the_first_page_and_an_ending(open_page, story, width, height):
    page = open_page(width=width, height=height)
    _save_shots(page, f"title-{width}")
    page.click("#new-game")
    _save_shots(page, f"first-page-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off the side
    entry = next(e for e in ENTRIES if e.get("ending") and not e.get("canon"))
    first, numbers = path_for(story, entry)
    page.evaluate(
        "([c, n, f]) => chronicleReader.startAt(c, n, f)", [first.chapter, first.node, rt.flag_values(story, first)]
    )
    for n in numbers:
        page.keyboard.press(str(n))
    page.eval_on_selector("aside.ending", "e => e.scrollIntoView({block: 'center'})")
    _save_shots(page, f"ending-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for shot in ("title", "first-page", "ending"):
        assert (SHOTS / f"{shot}-{width}.png").stat().st_size > 1000


def test_dark_theme_follows_the_system(open_page):
    light = open_page().evaluate("getComputedStyle(document.body).backgroundColor")
    dark_page = open_page(dark=True)
    dark = dark_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light != dark
    _save_shots(dark_page, "title-1280-dark")
    lum = [int(x) for x in dark.strip("rgb()").split(",")[:3]]
    assert sum(lum) < 200  # a dark background


def test_semantic_markup_for_screen_readers(open_page):
    page = open_page()
    page.click("#new-game")
    assert page.query_selector("main") and page.query_selector("nav[aria-label]")
    assert page.get_attribute("#log", "aria-live") == "polite"
    assert page.query_selector("h2.card-title")
    # Every button has an accessible name.
    assert page.evaluate("Array.from(document.querySelectorAll('button')).every(b => b.textContent.trim())")


def test_story_text_is_shown_as_text_never_as_html(browser, tmp_path):
    evil = '<img src=x onerror="window.pwned=1"><b>bold</b> & "quotes"'
    root = write_story(
        tmp_path / "evil",
        {
            "one": chapter(
                "one",
                {
                    "start": {"text": evil, "choices": [{"text": evil, "goto": "end", "canon": True}]},
                    "end": {"text": "Done.", "ending": {"kind": "canon", "title": evil}},
                },
            )
        },
        title="<script>window.pwned=2</script>Evil",
    )
    with no_cache():
        story = load_story(root)
    page = browser.page(url_of(export_web(story, tmp_path / "site").folder))
    try:
        assert text(page, "h1") == "<script>window.pwned=2</script>Evil"
        assert page.title() == "<script>window.pwned=2</script>Evil"
        page.click("#new-game")
        assert text(page, "section.passage p.para") == evil
        assert choices(page) == [evil]
        page.keyboard.press("1")
        assert text(page, ".ending-title") == evil
        assert page.query_selector("#log img") is None and page.query_selector("#log b") is None
        assert page.evaluate("window.pwned") is None
        assert not page.errors
    finally:
        page.context.close()


def test_a_story_the_player_cannot_read_says_so(browser, site, tmp_path):
    import shutil

    copy = Path(shutil.copytree(site, tmp_path / "newer"))
    from engine.export import compiled

    js = (copy / "story.js").read_text(encoding="utf-8")
    written = f'"version":{compiled.VERSION},'
    assert written in js
    (copy / "story.js").write_text(js.replace(written, '"version":99,', 1), encoding="utf-8")
    page = browser.page(url_of(copy))
    try:
        assert "newer Chronicle" in text(page, "#title-byline")
        assert not page.is_visible("#new-game")
    finally:
        page.context.close()


def test_endings_found_are_kept_across_games_with_hints_for_the_rest(open_page, story):
    entry = next(e for e in ENTRIES if e["chapter"] == "syrian-front-1984" and e.get("ending"))
    first, numbers = path_for(story, entry)
    ending = rt.node_of(story, rt.replay_numbers(story, first, numbers)[-1]).ending
    page = open_page()
    assert not page.is_visible("#endings-button")
    page.evaluate(
        "([c, n, f]) => chronicleReader.startAt(c, n, f)", [first.chapter, first.node, rt.flag_values(story, first)]
    )
    for n in numbers:
        press_number(page, n)
    page.click("#undo")  # the record stays: an ending once found is found
    page.reload()
    page.wait_for_function("window.chronicleReader !== undefined")
    page.click("#endings-button")
    register = text(page, "#endings-body")
    assert ending.title in register
    ch = story.chapter(first.chapter)
    total = sum(1 for c in story.chapters for n in c.nodes.values() if n.ending)
    assert text(page, "#endings-count") == f"You have found 1 of {total} endings."
    hints = [n.ending.hint for n in ch.nodes.values() if n.ending and n.ending.hint and n.ending.title != ending.title]
    assert hints and all(h in register for h in hints)
    unfound = [
        n.ending.title for c in story.chapters for n in c.nodes.values() if n.ending and n.ending.title != ending.title
    ]
    assert not any(t in register for t in unfound)  # titles of endings not found stay hidden


def press_number(page, n):
    if n <= 9:
        page.keyboard.press(str(n))
    else:
        page.click(f'#choices button[data-number="{n}"]')


def test_the_journal_shows_the_dossier_of_flags_marked_show(browser, tmp_path):
    root = write_story(
        tmp_path / "dossier",
        {
            "one": chapter(
                "one",
                {
                    "start": {
                        "text": "Begin.",
                        "choices": [
                            {"text": "Be brave.", "do": ["nerve += 2", "calm = false"], "goto": "start"},
                            {"text": "Go.", "goto": "end", "canon": True, "if": "nerve > 0 or calm"},
                        ],
                    },
                    "end": {"text": "Done.", "ending": {"kind": "canon", "title": "Done"}},
                },
                flags={
                    "nerve": {
                        "type": "int",
                        "default": 1,
                        "min": 0,
                        "max": 5,
                        "doc": "Nerve",
                        "show": {"label": "Your nerve", "as": "bar"},
                    },
                    "calm": {
                        "type": "bool",
                        "default": True,
                        "doc": "Calm",
                        "show": {"label": "Composure", "as": "word", "words": {"true": "steady", "false": "shaken"}},
                    },
                },
            )
        },
    )
    with no_cache():
        story = load_story(root)
    page = browser.page(url_of(export_web(story, tmp_path / "site").folder))
    try:
        page.click("#new-game")
        page.keyboard.press("1")
        page.keyboard.press("j")
        assert page.eval_on_selector_all(".dossier dt", "ds => ds.map(d => d.textContent)") == [
            "Your nerve",
            "Composure",
        ]
        assert page.get_attribute(".dossier meter", "value") == "3"
        assert "3 of 5" in text(page, ".dossier")
        assert "shaken" in text(page, ".dossier")
        assert not page.errors
    finally:
        page.context.close()


def test_the_site_plays_from_a_static_web_server_too(browser, site):
    """Any static host serves the same five files; nothing in the page depends on file://."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        page = browser.page(home + "index.html", home=home)
        page.click("#new-game")
        page.keyboard.press("1")
        assert page.query_selector("p.chosen") and not page.errors and not page.requests
        page.context.close()
    finally:
        server.shutdown()
        server.server_close()


def test_the_tour_plays_its_constructs_and_a_choices_words_come_before_a_new_date(browser, tmp_path):
    """The tour uses every construct (calls among them); in the page, as in the transcript, what a
    choice says belongs to the moment of choosing: it comes before the line of the new date."""
    tour = load_story(ROOT / "tests" / "stories" / "tour")
    page = browser.page(url_of(export_web(tour, tmp_path / "site").folder))
    try:
        page.click("#new-game")
        press_number(page, 3)  # write up the log: a call that resumes at the tower's choices
        last = page.eval_on_selector_all(".passage", "ps => ps[ps.length - 1].textContent")
        assert "You open the log at a clean page." in last
        assert "The wind has not let up." not in last and "Wind hammers" not in last  # the tower is not shown again
        assert "History:" not in last  # nor its record: the tower did not happen again
        assert choices(page)[:2] == ["Trim the wick.", "Ring the village for help."]
        for n in (1, 1, 1):  # trim the wick, pour in the oil, keep watch till dawn
            press_number(page, n)
        order = page.eval_on_selector_all(
            ".passage:last-of-type > p", "ps => ps.map(p => [p.className, p.textContent])"
        )
        said = order.index(["para", "You pull the chair to the window."])
        scene = next(i for i, (cls, _t) in enumerate(order) if cls == "scene")
        assert said < scene and "13 October 1901" in order[scene][1]
        assert not page.errors
    finally:
        page.context.close()


def test_a_story_without_history_never_speaks_of_it_in_the_journal(browser, tmp_path):
    from test_ink import plain_story

    root = plain_story(tmp_path, None)
    with no_cache():
        story = load_story(root)
    page = browser.page(url_of(export_web(story, tmp_path / "site").folder))
    try:
        page.click("#new-game")
        press_number(page, 2)
        page.keyboard.press("j")
        journal = text(page, "#journal").lower()
        assert "choices that led here" in journal
        assert "history" not in journal and "documented" not in journal, journal
        assert not page.errors
    finally:
        page.context.close()


def test_a_return_with_nothing_to_return_to_says_why_the_story_stops(browser, tmp_path):
    from test_calls import RETURN_BY_GOTO

    root = write_story(tmp_path / "calls", {"one": chapter("one", RETURN_BY_GOTO)})
    with no_cache():
        story = load_story(root)
    page = browser.page(url_of(export_web(story, tmp_path / "site").folder))
    try:
        page.click("#new-game")
        press_number(page, 3)  # a call: the office returns to the hall
        assert choices(page) == ["Into the office.", "Out.", "Ask."]
        press_number(page, 1)  # by goto: nothing to return to
        assert choices(page) == []
        assert "no call to return to" in text(page, "#choices-label")
        assert not page.errors
    finally:
        page.context.close()
