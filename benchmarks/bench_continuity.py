"""What the continuity check costs: `check` of the same story with and without assertions.

    python benchmarks/bench_continuity.py       # prints the figures
    make bench                                  # with every other benchmark

The story is the layered shape with 4 story-wide flags (which `check` explores
whole, see generate.py). The annotated copy gives every node a conditional text
part that asserts a story fact where its `holds` is true and, in its `else`,
denies it where it is false (so it checks clean, and every (node, part, fact)
is evaluated in every state). The figures are CPU seconds of `check_story`,
best of RUNS, and the states it explored (the same in both: the flags the
assertions read are story-wide, and so already kept by exploration).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
NODES = 1000
RUNS = 3


def _annotate(root: Path) -> None:
    """Story facts over the 4 flags, and one asserting part per node."""
    history = root / "story" / "history.yaml"
    facts = "\nstory_facts:\n" + "".join(
        f"  - id: held-{k}\n    date: 1980\n    statement: Synthetic story fact {k} holds.\n    holds: not b0{k}\n"
        for k in range(4)
    )
    history.write_text(history.read_text(encoding="utf-8") + facts, encoding="utf-8")
    count = 0
    for path in sorted((root / "chapters").glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").split("\n")
        out = []
        i = 0
        while i < len(lines):
            line = lines[i]
            m = re.match(r"^    text: >-$", line)
            if not m:
                out.append(line)
                i += 1
                continue
            prose = []
            i += 1
            while i < len(lines) and lines[i].startswith("      "):
                prose.append(lines[i].strip())
                i += 1
            k = count % 4
            count += 1
            out += [
                "    text:",
                f"      - {' '.join(prose)!r}",
                f"      - if: not b0{k}",
                "        text: It still holds.",
                f"        asserts: [held-{k}]",
                f"        else: {{text: It does not hold now., denies: [held-{k}]}}",
            ]
        path.write_text("\n".join(out), encoding="utf-8")


def _check_seconds(root: Path) -> tuple[float, int]:
    from engine.check import check_story
    from engine.compile import load_story

    story = load_story(root)
    best, states = None, 0
    for _ in range(RUNS):
        t0 = time.process_time()
        report = check_story(story)
        dt = time.process_time() - t0
        assert report.complete and not [d for d in report.diagnostics if d.code == "continuity"]
        best = dt if best is None else min(best, dt)
        states = report.states
    return best, states


def run() -> list[tuple[str, float, str]]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from generate import generate

    with tempfile.TemporaryDirectory(prefix="chronicle-bench-continuity-") as tmp:
        plain = Path(tmp) / "plain"
        generate(plain, nodes=NODES, bool_flags=4)
        annotated = Path(tmp) / "annotated"
        generate(annotated, nodes=NODES, bool_flags=4)
        _annotate(annotated)
        a, states_a = _check_seconds(plain)
        b, states_b = _check_seconds(annotated)
    return [
        (f"check, {NODES:,} nodes, 4 flags, no assertions ({states_a:,} states)", a, "s cpu"),
        (f"check, same story, an asserting part per node ({states_b:,} states)", b, "s cpu"),
        ("continuity check's share of check", (b - a) / b * 100 if b else 0.0, "%"),
    ]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"  {name}: {value:.3f} {unit}" if unit != "%" else f"  {name}: {value:.0f}{unit}")
