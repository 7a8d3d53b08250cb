"""The web player: time to the first story text, and the JavaScript runtime's speed.

    python benchmarks/bench_web.py          # prints the figures
    make bench                              # with every other benchmark

Figures (needs Playwright and Debian's Chromium; says so and stops without them):

  site size            `chronicle export web` of the real story, all four files
  first text           from opening index.html (file://, a fresh browser context each
                       time, so nothing is cached in memory) to the title screen showing
                       the story's title and intro, and to the first scene's prose when
                       the reader presses New game at once; median of RUNS, in-page
                       clock (performance.now(), which starts at navigation)
  JS choices/s         random play (a random available choice at every step, on to the
                       next chapter at an ending, from the start again after the last)
                       through the JS runtime in Chromium on the 10,000-node generated
                       story of `make bench`; and in Node.js when it is installed
  Python choices/s     the same loop through engine.runtime, for the ratio
Targets from issue 13: first text under 300 ms; JS at least 500,000 choices a second.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

RUNS = 7
NODES = 10_000
CHOICES = 2_000_000  # per JS measurement
PY_CHOICES = 200_000

_LOOP_JS = """
function chronicleBench(C, story, n, seed) {
  var x = seed | 0 || 1;
  function rnd() { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; }
  var s = C.start(story), taken = 0, t0 = performance.now();
  while (taken < n) {
    if (C.isEnding(story, s)) { s = C.isFinal(story, s) ? C.start(story) : C.advance(story, s); continue; }
    var av = C.available(story, s);
    s = C.choose(story, s, av[(rnd() * av.length) | 0]);
    taken++;
  }
  return [taken, (performance.now() - t0) / 1000];
}
"""

_FIRST_TEXT = """
(() => {
  window.__marks = {};
  const seen = () => {
    const h = document.getElementById('title-name'), intro = document.getElementById('title-intro');
    if (!window.__marks.title && intro && intro.textContent && h && !h.textContent.startsWith('Loading')) {
      window.__marks.title = performance.now();
      document.getElementById('new-game').click();
    }
    if (!window.__marks.prose && document.querySelector('#log p.para')) window.__marks.prose = performance.now();
  };
  new MutationObserver(seen).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


def _python_cps(story, n: int, seed: int = 1) -> float:
    from engine import runtime as rt

    rnd = random.Random(seed).random
    s, taken = rt.start(story), 0
    t0 = time.perf_counter()
    while taken < n:
        node = rt.node_of(story, s)
        if node.ending is not None:
            s = rt.start(story) if story.next_chapter(s.chapter) is None else rt.advance(story, s)
            continue
        av = rt.available(story, s)
        s = rt.choose(story, s, av[int(rnd() * len(av))])
        taken += 1
    return taken / (time.perf_counter() - t0)


def _node_cps(story_json: Path) -> tuple[float, float] | None:
    """(choices per wall second, per CPU second) in Node.js; None without node."""
    node = shutil.which("node")
    if not node:
        return None
    script = (
        f"const C = require({json.dumps(str(ROOT / 'engine' / 'web' / 'chronicle.js'))});\n"
        f"const doc = JSON.parse(require('fs').readFileSync({json.dumps(str(story_json))}, 'utf8'));\n"
        f"{_LOOP_JS}\nconst story = C.load(doc); chronicleBench(C, story, 200000, 7);\n"
        f"const c0 = process.cpuUsage(); const r = chronicleBench(C, story, {CHOICES}, 1);\n"
        f"const c = process.cpuUsage(c0); console.log(r[0] / r[1], r[0] / ((c.user + c.system) / 1e6));\n"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        return None
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def run() -> list[tuple[str, float, str]]:
    from web_support import CHROMIUM, Browser

    try:
        import playwright  # noqa: F401
    except ImportError:
        return [("skipped", 0, "(Playwright is not installed)")]
    if not os.access(CHROMIUM, os.X_OK):
        return [("skipped", 0, "(Chromium is not installed: apt-get install -y chromium)")]
    from generate import generate

    from engine import load_story
    from engine.export.compiled import dumps
    from engine.export.web import export_web

    out: list[tuple[str, float, str]] = []
    tmp = Path(tempfile.mkdtemp(prefix="chronicle-bench-web-"))
    browser = Browser()
    try:
        site = export_web(load_story(ROOT), tmp / "site")
        out.append(
            (
                "real story site size",
                site.total / 1e6,
                f"MB ({site.sizes['story.js']:,} bytes of story.js; target < 1.5)",
            )
        )
        url = (site.folder / "index.html").as_uri()
        titles, proses = [], []
        for _ in range(RUNS):
            ctx = browser.browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            page.add_init_script(_FIRST_TEXT)
            page.goto(url)
            page.wait_for_function("window.__marks && window.__marks.prose")
            marks = page.evaluate("window.__marks")
            titles.append(marks["title"])
            proses.append(marks["prose"])
            ctx.close()
        out.append(
            ("first text: title screen (title and intro)", statistics.median(titles), "ms (median; target < 300)")
        )
        out.append(
            ("first text: first scene's prose, New game pressed at once", statistics.median(proses), "ms (median)")
        )

        root = generate(tmp / "gen", nodes=NODES)
        gen = load_story(root)
        gen_site = export_web(gen, tmp / "gen-site")
        page = browser.page((gen_site.folder / "index.html").as_uri())
        page.add_script_tag(content=_LOOP_JS)
        page.evaluate("chronicleBench(Chronicle, chronicleReader.story, 200000, 7)")  # warm the JIT
        rates = []
        for seed in (1, 2, 3):
            taken, secs = page.evaluate(f"chronicleBench(Chronicle, chronicleReader.story, {CHOICES}, {seed})")
            rates.append(taken / secs)
        page.context.close()
        out.append(
            (
                f"JS runtime in Chromium, random play, {NODES:,} nodes",
                statistics.median(rates),
                "choices/s (median of 3; target >= 500,000; inkjs ~35,000)",
            )
        )
        story_json = tmp / "gen.json"
        story_json.write_text(dumps(gen), encoding="utf-8")
        node_rate = _node_cps(story_json)
        if node_rate is not None:
            out.append((f"JS runtime in Node.js, random play, {NODES:,} nodes", node_rate[0], "choices/s (wall)"))
            out.append(
                (
                    f"JS runtime in Node.js, random play, {NODES:,} nodes",
                    node_rate[1],
                    "choices per CPU second (steadier on a busy machine)",
                )
            )
        c0 = time.process_time()
        py = _python_cps(gen, PY_CHOICES)
        out.append(("Python runtime, same loop", PY_CHOICES / (time.process_time() - c0), "choices per CPU second"))
        out.append((f"Python runtime (engine.runtime), same loop, {NODES:,} nodes", py, "choices/s"))
        out.append(("JS in Chromium / Python", statistics.median(rates) / py, "x"))
    finally:
        browser.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name}: {value:,.3f} {unit}" if isinstance(value, float) else f"{name}: {value} {unit}")
