"""`chronicle export web OUT/`: a self-contained static site that plays the story.

The site is five files, with nothing fetched from anywhere:

    index.html    the reader's page
    story.js      the compiled story (`chronicle export json`), as one assignment
                  `window.CHRONICLE_STORY = {...};` so that it loads from file:// too
                  (browsers refuse fetch() of a local file, but run a local script)
    runtime.js    the JavaScript runtime (engine/runtime.py's twin), as `window.Chronicle`
    reader.js     the page's code, which plays the story with runtime.js
    style.css     the stylesheet (light and dark, following the system)
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .. import files
from ..model import Story
from .compiled import to_json

ASSETS = Path(__file__).resolve().parent.parent / "web"
FILES = ("index.html", "story.js", "runtime.js", "reader.js", "style.css")


@dataclass(frozen=True)
class Site:
    folder: Path
    sizes: dict  # file name -> bytes

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


def story_script(story: Story) -> str:
    text = json.dumps(to_json(story), ensure_ascii=False, separators=(",", ":"))
    # Inside a <script> file nothing can close a tag, but keep "</" out anyway so the same
    # text could be inlined in a page without its story text ending the script.
    text = text.replace("</", "<\\/")
    return "window.CHRONICLE_STORY = " + text + ";\n"


def page(story: Story) -> str:
    """index.html with the story's title filled in (escaped): the page reads well before the script runs."""
    text = files.read_text(ASSETS / "index.html")
    return text.replace("<title>Chronicle</title>", f"<title>{html.escape(story.title)}</title>", 1)


def export_web(story: Story, out: str | os.PathLike) -> Site:
    """Write the site into `out` (created if needed; other files there are left alone)."""
    folder = Path(out)
    files.make_folder(folder)
    contents = {
        "index.html": page(story),
        "story.js": story_script(story),
        "runtime.js": files.read_text(ASSETS / "runtime.js"),
        "reader.js": files.read_text(ASSETS / "reader.js"),
        "style.css": files.read_text(ASSETS / "style.css"),
    }
    sizes = {}
    for name, text in contents.items():
        sizes[name] = files.write(folder / name, text)
    return Site(folder, sizes)
