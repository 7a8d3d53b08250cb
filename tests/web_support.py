"""Driving the exported web site in headless Chromium (Debian's, through Playwright).

Browser tests call `chromium_or_skip()` at import: without Playwright or Chromium the
module is skipped with one line saying what to install (`.ci/run` installs Chromium, so
CI always runs them). Every page is opened from file:// and any request for anything
else is refused and recorded: the site must need no network at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHRONICLE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_or_skip() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser tests need Playwright: .venv/bin/pip install -e '.[test]'", allow_module_level=True)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("browser tests need Chromium: apt-get install -y chromium", allow_module_level=True)


class Browser:
    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

    def page(
        self, url: str, *, width: int = 1280, height: int = 900, dark: bool = False, storage=None, home: str = "file://"
    ):
        ctx = self.browser.new_context(
            viewport={"width": width, "height": height}, color_scheme="dark" if dark else "light"
        )
        page = ctx.new_page()
        page.errors = []  # uncaught exceptions and console errors, checked by tests
        page.requests = []  # anything other than file:// the page tried to load
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)

        def refuse(route):
            page.requests.append(route.request.url)
            route.abort()

        page.route(lambda url: not url.startswith(home), refuse)  # only the site itself
        page.goto(url)
        page.wait_for_function("window.chronicleReader !== undefined")
        return page

    def close(self):
        self.browser.close()
        self._pw.stop()


# The page's tests share these: one browser, the real story and its exported site, per module.


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def story():
    from engine import load_story

    return load_story(Path(__file__).resolve().parent.parent)


@pytest.fixture(scope="module")
def site(story, tmp_path_factory):
    from engine.export.web import export_web

    return export_web(story, tmp_path_factory.mktemp("site")).folder


def url_of(folder: Path) -> str:
    return (Path(folder).resolve() / "index.html").as_uri()
