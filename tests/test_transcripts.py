"""Golden transcripts: the canonical path of each chapter and one divergent path,
played through the real CLI code and compared line by line with tests/transcripts/.

Every chapter gets its canonical transcript, and every chapter with a divergent ending a
divergent one, without anyone listing them: tests/transcripts/paths.yaml only says which
ending to play where the first divergent ending (in file order) is not the one wanted.
So a new chapter needs no entry: on a developer's machine its first run writes its golden
files and says so (a warning: read them, commit them); in CI (CHRONICLE_CI) a missing
golden file fails, as a snapshot tool's CI mode does.

The chapter's number in the card line (`== Chapter 2: Title ==`) is the one place a
transcript depends on the chapters around it; it is compared as the chapter's number now,
so inserting a chapter before it does not turn the later chapters' transcripts red.

Re-bless after an intended change: `make bless`, then read `git diff tests/transcripts/`.
"""

from __future__ import annotations

import io
import os
import re
import warnings
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
IN_CI = bool(os.environ.get("CHRONICLE_CI"))
_CARD = re.compile(r"\A== Chapter \d+: ")
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


def expected(story, entry, here: Path = HERE) -> str | None:
    """The golden transcript of `entry`, its card line numbered as the chapter is numbered now
    (None when there is no golden file yet)."""
    golden = here / f"{_name(entry)}.txt"
    if not golden.exists():
        return None
    number = [c.id for c in story.chapters].index(entry["chapter"]) + 1
    return _CARD.sub(f"== Chapter {number}: ", golden.read_text(encoding="utf-8"), count=1)


def compare_with_golden(story, entry, text: str, here: Path = HERE, in_ci: bool = IN_CI, bless: bool = BLESS) -> None:
    """Assert `text` is `entry`'s golden transcript; write it first when blessing, or when it is
    new and this is not CI."""
    golden = here / f"{_name(entry)}.txt"
    rel = golden.relative_to(here.parent.parent) if golden.is_relative_to(ROOT) else golden
    if bless or (not golden.exists() and not in_ci):
        new = not golden.exists()
        golden.write_text(text, encoding="utf-8")
        if new and not bless:
            warnings.warn(f"wrote a new golden transcript {rel}: read it, and commit it", stacklevel=2)
    want = expected(story, entry, here)
    assert want is not None, f"no golden transcript {rel} for chapter '{entry['chapter']}' yet: {BLESS_HINT}"
    assert text == want, f"{rel} differs from what the story now prints; if the change is intended, {BLESS_HINT}"


@pytest.mark.parametrize("entry", ENTRIES, ids=_name)
def test_transcript_matches_golden(story, entry):
    compare_with_golden(story, entry, transcript(story, entry))


def test_a_chapter_inserted_before_leaves_the_later_transcripts_green(story, tmp_path):
    """Issue 26.5: inserting a chapter renumbers the ones after it; their transcripts still
    match (the card line is compared as the chapter's number now), and the new chapter's
    golden files are written on a developer's machine and demanded in CI."""
    import shutil

    root = tmp_path / "story"
    shutil.copytree(ROOT / "story", root / "story")
    shutil.copytree(ROOT / "chapters", root / "chapters")
    (root / "chapters" / "prelude.yaml").write_text(PRELUDE, encoding="utf-8")
    manifest = (root / "story" / "story.yaml").read_text(encoding="utf-8")
    first = story.chapters[0].id
    manifest = re.sub(rf"(?m)^chapters: \[{re.escape(first)},", f"chapters: [prelude, {first},", manifest, count=1)
    (root / "story" / "story.yaml").write_text(manifest, encoding="utf-8")
    longer = load_story(root)
    assert [c.id for c in longer.chapters][:2] == ["prelude", first]
    for entry in [e for e in ENTRIES if e["chapter"] == first]:
        text = transcript(longer, entry)
        assert text.startswith("== Chapter 2: ")
        compare_with_golden(longer, entry, text, bless=False)  # never rewrites the real golden files
    entry = {"chapter": "prelude", "canon": True}
    here = tmp_path / "tests" / "transcripts"
    here.mkdir(parents=True)
    with pytest.raises(AssertionError, match="no golden transcript .*prelude--canon.txt"):
        compare_with_golden(longer, entry, transcript(longer, entry), here, in_ci=True, bless=False)
    with pytest.warns(UserWarning, match="wrote a new golden transcript"):
        compare_with_golden(longer, entry, transcript(longer, entry), here, in_ci=False, bless=False)
    assert (here / "prelude--canon.txt").read_text(encoding="utf-8").startswith("== Chapter 1: A Prelude ==")
    compare_with_golden(longer, entry, transcript(longer, entry), here, in_ci=True, bless=False)  # now it is there


PRELUDE = """\
id: prelude
title: A Prelude
period: {from: "1979", to: "1979"}
start: dawn
nodes:
  dawn:
    text: Before any of it, a morning like the others.
    choices:
      - text: Go to work.
        goto: work
        canon: true
  work:
    text: The day passes.
    ending: {kind: canon, title: An Ordinary Day}
"""


def test_a_derived_divergent_path_is_the_same_wherever_exploration_stops(story):
    """Exploration is breadth-first, so the first path it finds to an ending is a shortest one
    and later states never replace it: an exploration cut short by any bound just after the
    ending is found derives the very path the complete one does (issue 28: derived transcripts
    must not depend on a bound). Where a bound cuts before the ending, path_for fails loudly."""
    for entry in ENTRIES:
        if entry.get("canon"):
            continue
        first, numbers = path_for(story, entry)
        ch = story.chapter(entry["chapter"])
        start = [first.values[: len(story.flags)]]
        full = explore(story, ch, start)
        target = full.graph.index[entry["ending"]]
        cut = explore(story, ch, start, max_states=full.first_at_node[target] + 1)
        assert not cut.complete and cut.stopped_by == "states"
        assert cut.path(cut.first_at_node[target])[1] == numbers, _name(entry)
