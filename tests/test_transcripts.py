"""Golden transcripts: the canonical path of each chapter and one divergent path,
played through the real CLI code and compared line by line with tests/transcripts/.

Every chapter gets its canonical transcript, and every chapter with a divergent ending a
divergent one, without anyone listing them: tests/transcripts/paths.yaml only says which
ending to play where the first divergent ending (in file order) is not the one wanted.
So a new chapter needs no entry; its first run asks for `make bless`, naming the file.

Re-bless after an intended change: `make bless`, then read `git diff tests/transcripts/`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import yaml

from engine import load_story
from engine import runtime as rt
from engine.canonpath import canon_states
from engine.check.explore import explore
from engine.transcript import TextPlayer

HERE = Path(__file__).parent / "transcripts"
ROOT = Path(__file__).parent.parent
BLESS = os.environ.get("CHRONICLE_BLESS") == "1"
BLESS_HINT = (
    "run `make bless` (or CHRONICLE_BLESS=1 .venv/bin/python -m pytest tests/test_transcripts.py), "
    "then read `git diff tests/transcripts/`"
)


def _entries() -> list[dict]:
    """paths.yaml's entries, then a canonical and a divergent one for every chapter it leaves out."""
    listed = yaml.safe_load((HERE / "paths.yaml").read_text())["transcripts"] or []
    story = load_story(ROOT)
    out = list(listed)
    for ch in story.chapters:
        mine = [e for e in listed if e["chapter"] == ch.id]
        if not any(e.get("canon") for e in mine):
            out.append({"chapter": ch.id, "canon": True})
        divergent = [nid for nid, n in ch.nodes.items() if n.ending and n.ending.kind == "divergent"]
        if divergent and not any(e.get("ending") in divergent for e in mine):
            out.append({"chapter": ch.id, "ending": divergent[0]})
    return out


ENTRIES = _entries()


def _name(entry) -> str:
    return f"{entry['chapter']}--{'canon' if entry.get('canon') else entry['ending']}"


def numbers_along(story, states):
    return [
        rt.number_of(story, a, rt.node_of(story, a).choices[b.path[-1]])
        for a, b in zip(states, states[1:])
        if b.path[-1] != rt.CONTINUE
    ]


def path_for(story, entry):
    """(first state, choice numbers) for an entry."""
    states, problem = canon_states(story, entry["chapter"])
    assert problem is None, problem
    mine = [s for s in states if s.chapter == entry["chapter"]]
    if entry.get("canon"):
        return mine[0], numbers_along(story, mine)
    first = mine[0]
    ch = story.chapter(entry["chapter"])
    ex = explore(story, ch, [first.values[: len(story.flags)]])
    target = ex.graph.index[entry["ending"]]
    assert target in ex.first_at_node, f"ending {entry['ending']} is not reachable from the canonical start"
    _start, numbers, _ = ex.path(ex.first_at_node[target])
    return first, numbers


def transcript(story, entry) -> str:
    first, numbers = path_for(story, entry)
    out = io.StringIO()
    queue = list(numbers)
    TextPlayer(story, out).run(first, lambda s: queue.pop(0) if queue else None, lambda: False)
    return out.getvalue()


@pytest.fixture(scope="module")
def story():
    return load_story(ROOT)


def test_every_chapter_has_a_canonical_and_a_divergent_transcript(story):
    for ch in story.chapters:
        mine = [e for e in ENTRIES if e["chapter"] == ch.id]
        assert any(e.get("canon") for e in mine), f"no canonical transcript for {ch.id}"
        if any(n.ending and n.ending.kind == "divergent" for n in ch.nodes.values()):
            divergent = [e for e in mine if e.get("ending") and ch.nodes[e["ending"]].ending.kind == "divergent"]
            assert divergent, f"no divergent transcript for {ch.id}"


def test_paths_yaml_names_real_chapters_and_endings(story):
    for e in yaml.safe_load((HERE / "paths.yaml").read_text())["transcripts"] or []:
        assert story.has_chapter(e["chapter"]), f"tests/transcripts/paths.yaml: there is no chapter '{e['chapter']}'"
        if e.get("ending"):
            node = story.chapter(e["chapter"]).nodes.get(e["ending"])
            assert node is not None and node.ending, (
                f"tests/transcripts/paths.yaml: '{e['ending']}' is not an ending of {e['chapter']}"
            )


@pytest.mark.parametrize("entry", ENTRIES, ids=_name)
def test_transcript_matches_golden(story, entry):
    text = transcript(story, entry)
    golden = HERE / f"{_name(entry)}.txt"
    if BLESS:
        golden.write_text(text, encoding="utf-8")
    rel = golden.relative_to(ROOT)
    assert golden.exists(), f"no golden transcript {rel} for chapter '{entry['chapter']}' yet: {BLESS_HINT}"
    assert text == golden.read_text(encoding="utf-8"), (
        f"{rel} differs from what the story now prints; if the change is intended, {BLESS_HINT}"
    )
