"""The page against hostile data (issue 31 points 7 and 10), in headless Chromium.

Whatever localStorage holds (saves hand-edited or from another version, other programs' keys,
garbage), the page loads with no uncaught error, its title screen complete, an odd save listed
as damaged and the rest still loading; damaged compiled data is refused with a sentence. The web
fuzz fills localStorage at random (hypothesis) and holds every load to that.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import TOUR, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import ARGS, CHROMIUM, chromium_or_skip, url_of

chromium_or_skip()

from engine import runtime as rt  # noqa: E402
from engine.compile import load_story  # noqa: E402
from engine.export.compiled import content_hash  # noqa: E402
from engine.export.web import export_web  # noqa: E402
from engine.savefile import to_json as save_json  # noqa: E402

PREFIX = "chronicle:the-lighthouse-keeper:"


@pytest.fixture(scope="module")
def tour():
    return load_story(TOUR)


@pytest.fixture(scope="module")
def site(tour, tmp_path_factory):
    return export_web(tour, tmp_path_factory.mktemp("tour-site")).folder


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield b
    b.close()
    pw.stop()


def open_with(chromium, folder: Path, storage: dict):
    """The site with localStorage holding `storage` before any of its scripts runs."""
    ctx = chromium.new_context()
    ctx.add_init_script(
        "(function (items) { if (sessionStorage.getItem('seeded')) return; sessionStorage.setItem('seeded', '1');"
        " localStorage.clear(); Object.keys(items).forEach(function (k) { localStorage.setItem(k, items[k]); }); })("
        + json.dumps(storage)
        + ");"
    )
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.route(lambda url: not url.startswith("file://"), lambda route: route.abort())
    page.goto(url_of(folder))
    page.wait_for_function("window.chronicleReader !== undefined")
    return page


def title_complete(page, title: str) -> None:
    assert page.text_content("#title-name") == title
    assert page.is_visible("#new-game")
    assert not page.is_hidden("#title-screen")


def a_save(tour, numbers=(1,)):
    first = rt.start(tour)
    return save_json(tour, rt.replay_numbers(tour, first, list(numbers)))


def test_saves_with_odd_fields_are_listed_as_damaged_and_the_rest_still_load(chromium, site, tour):
    good = a_save(tour)
    storage = {
        PREFIX + "good": json.dumps(dict(good, saved="2026-01-01T00:00:00Z")),
        PREFIX + "number": json.dumps(dict(good, saved=12)),
        PREFIX + "boolean": json.dumps(dict(good, saved=True)),
        PREFIX + "summary": json.dumps(dict(good, summary=[1, 2])),
        PREFIX + "list": "[1, 2, 3]",
        PREFIX + "endings": json.dumps({"format": "chronicle-endings", "version": 1, "found": {"storm/x": {}}}),
    }
    page = open_with(chromium, site, storage)
    try:
        title_complete(page, tour.title)
        assert page.is_visible("#load") and page.is_visible("#endings-button")
        page.click("#load")
        listed = page.eval_on_selector_all("#saves-body .slot", "bs => bs.map(b => b.textContent)")
        assert len(listed) == 5
        assert sum("damaged" in x for x in listed) == 4
        page.click("#saves-body .slot >> text=good")
        assert page.is_visible("#play")
        # the in-game Load opens the list too, and a damaged save is refused with a sentence
        page.click("#load-button")
        assert page.is_visible("#saves")
        assert page.evaluate("chronicleReader.resume('number')") is False
        assert "damaged" in page.text_content("#notice")
        assert not page.errors, page.errors
    finally:
        page.context.close()


def test_a_save_naming_a_chapter_called_constructor_is_refused_in_words(chromium, site, tour):
    save = a_save(tour)
    for field in ("chapter", "node"):
        bad = json.loads(json.dumps(save))
        bad["start"][field] = "constructor"
        page = open_with(chromium, site, {PREFIX + "odd": json.dumps(bad)})
        try:
            assert page.evaluate("chronicleReader.resume('odd')") is False
            notice = page.text_content("#notice")
            assert "constructor" in notice and "is not a function" not in notice and "undefined" not in notice
            assert not page.errors, page.errors
        finally:
            page.context.close()


def test_damaged_compiled_data_is_refused_with_what_is_wrong(chromium, site, tmp_path):
    copy = Path(shutil.copytree(site, tmp_path / "damaged"))
    js = (copy / "story.js").read_text(encoding="utf-8")
    head, body = js.split("=", 1)
    data = json.loads(body.strip().rstrip(";").replace("<\\/", "</"))
    data["story"]["chapters"][0]["nodes"]["tower"]["choices"][0]["target"] = "nowhere"
    data["content_hash"] = content_hash(data["story"])
    (copy / "story.js").write_text(head + "= " + json.dumps(data) + ";\n", encoding="utf-8")
    page = open_with(chromium, copy, {})
    try:
        byline = page.text_content("#title-byline")
        assert "damaged" in byline and "nowhere" in byline
        assert not page.is_visible("#new-game")
        assert not page.errors, page.errors
    finally:
        page.context.close()


# ---- the web fuzz --------------------------------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=8,
)
FIELDS = ["format", "version", "story", "story_hash", "start", "path", "state", "saved", "summary", "chapter", "node"]


@st.composite
def hostile_value(draw, good: str):
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.text(max_size=40))
    if kind == 1:
        return json.dumps(draw(JSONISH))
    save = json.loads(good)
    for _ in range(draw(st.integers(1, 4))):  # a real save with fields changed
        target = save
        if draw(st.booleans()) and isinstance(save.get("start"), dict):
            target = save["start"]
        target[draw(st.sampled_from(FIELDS))] = draw(JSONISH | st.sampled_from(["constructor", "__proto__", "storm"]))
    return json.dumps(save)


NAMES = st.sampled_from(
    ["autosave", "endings", "mine", "constructor", "__proto__", "toString", "hasOwnProperty", "autosave-1", "", "a b"]
) | st.text(max_size=12)


WEB_FUZZ = int(os.environ.get("CHRONICLE_WEB_FUZZ_EXAMPLES", "0") or 0) or examples(24)  # `make fuzz`: 300


@settings(
    max_examples=WEB_FUZZ,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_web_fuzz_any_local_storage_leaves_the_title_screen_whole(chromium, site, tour, data):
    good = json.dumps(a_save(tour, (1, 1)))
    storage = {}
    for _ in range(data.draw(st.integers(0, 6))):
        name = data.draw(NAMES)
        key = data.draw(st.sampled_from([PREFIX + name, name, "chronicle:" + name]))
        storage[key] = data.draw(hostile_value(good))
    page = open_with(chromium, site, storage)
    try:
        title_complete(page, tour.title)
        if page.is_visible("#load"):
            page.click("#load")
            for i in range(len(page.query_selector_all("#saves-body .slot"))):
                page.evaluate(f"document.querySelectorAll('#saves-body .slot')[{i}].click()")
                page.evaluate("chronicleReader.showSaves('load')")
        if page.is_visible("#endings-button"):
            page.evaluate("chronicleReader.showEndings()")
        page.evaluate("chronicleReader.showTitle()")
        if page.is_visible("#continue"):
            page.evaluate("chronicleReader.resume('autosave')")
        assert not page.errors, (storage, page.errors)
        TRIED.append(len(storage))
    finally:
        page.context.close()


TRIED: list = []


def test_report_how_many_pages_were_tried():
    """(Runs after the web fuzz: its count, printed for `make fuzz`.)"""
    if os.environ.get("CHRONICLE_WEB_FUZZ_EXAMPLES"):
        print(f"\nweb fuzz: {len(TRIED):,} pages loaded with {sum(TRIED):,} hostile localStorage entries")
