"""Story folder -> Story: the compiler, a driver running its passes in order.

  0. load          (engine.loader) every file read once, checked against its schema, hashed;
                   file-level problems: a missing file, a chapter's id, an unlisted chapter
  1. declarations  (declare) the story-wide flags, the facts, and the epilogue's text
                   (nodes.epilogue) over those flags
  2. per chapter   (chapter) its own flags (declare); every expression site parsed and
                   type-checked once (expressions), seen() bits and visit counters given out;
                   each node built (nodes); each node's scene and returns (graph.fill_*);
                   the graph checks: unreachable nodes, returns nothing calls, `next:` rings,
                   nodes no ending is reached from (graph.chapter_graph)
  3. story         flags nothing reads (graph.flag_use), then the plain Story: trees, no
                   closures, exactly what `chronicle export json` writes
  4. link          (link.make_runnable) every tree compiled to its closure: the runnable Story, as
                   a compiled JSON story is made runnable

Every problem becomes a Diagnostic (`reporter`); nothing stops at the first one. A file whose
schema check fails is not compiled further, and a chapter with errors is left out, so one
mistake is reported once; the chapters that did compile can still make a `Partial` story.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import link, loader
from ..diagnostics import ChronicleError, Diagnostic, has_errors, sort_key
from ..gcpause import paused_gc
from ..model import DEFAULT_MAX_CALL_DEPTH, Flag, Story, frozen_map
from . import declare, graph, nodes
from .chapter import compile_chapter
from .reporter import Reporter


@dataclass(frozen=True)
class Partial:
    """The chapters that compiled, when others did not."""

    story: Story  # holding only the chapters that compiled, in play order
    broken: tuple  # ids of the chapters that did not, in play order
    after_gap: frozenset  # ids of compiled chapters that come after a broken one (their start states are unknown)


def compile_story(root: str | os.PathLike) -> tuple[Story | None, list[Diagnostic]]:
    """Compile the story in `root`. Returns (story or None, every diagnostic)."""
    story, diags, _partial = compile_story_partial(root)
    return story, diags


def load_story(root: str | os.PathLike) -> Story:
    """Compile the story in `root`, or raise ChronicleError with every error found."""
    story, diags = compile_story(root)
    if story is None or has_errors(diags):
        raise ChronicleError(sorted((d for d in diags if d.is_error), key=sort_key))
    return story


def compile_story_partial(root: str | os.PathLike) -> tuple[Story | None, list[Diagnostic], Partial | None]:
    """As `compile_story`, and when only some chapters fail to load or compile (the manifest
    and the history are sound), also the story made of the chapters that did compile, so a
    check can still prove what it can about them."""
    # Compiling builds many small objects and no garbage cycles worth collecting;
    # pausing the cyclic collector saves it rescanning them (a third of the time).
    with paused_gc():
        files = loader.load(Path(root))
        out = Reporter(files.diags, files.texts)
        if files.manifest is None:
            return None, out.diags, None
        manifest = files.manifest
        story_flags = declare.flags(out, manifest, ("flags",), manifest.data.get("flags") or {}, "story", 0)
        if files.history is not None:
            facts: dict | None = declare.facts(out, files.history, story_flags, files.paragraphs)
        else:
            facts = None if files.has_history else {}  # a history that did not load: facts unknown
        epilogue = nodes.epilogue(out, manifest, story_flags, facts)
        resume = manifest.data.get("calls") == "resume"
        chapters = [
            c
            for doc in files.chapters
            if (c := compile_chapter(out, doc, story_flags, facts, resume=resume)) is not None
        ]
        if has_errors(out.diags) or facts is None:
            return None, out.diags, _partial(files, out, chapters, story_flags, facts, epilogue)
        graph.flag_use(out, story_flags, chapters, facts, epilogue)
        return _story(files, out, chapters, story_flags, facts, epilogue), out.diags, None


def _story(
    files: loader.Loaded, out: Reporter, chapters: list, story_flags: list[Flag], facts: dict, epilogue: tuple
) -> Story:
    assert files.manifest is not None
    manifest = files.manifest
    data = manifest.data
    story = Story(
        title=data["title"],
        root=str(files.root),
        chapters=tuple(chapters),
        flags=tuple(story_flags),
        facts=frozen_map(facts),
        content_hash=files.content_hash,
        byline=data.get("byline"),
        intro=data.get("intro"),
        epilogue=data["epilogue"] if isinstance(data.get("epilogue"), str) else None,
        epilogue_parts=epilogue,
        warnings=tuple(d for d in out.diags if not d.is_error),
        style=frozen_map(data.get("style") or {}),
        style_pos=manifest.pos(("style",)),
        max_call_depth=data.get("max_call_depth", DEFAULT_MAX_CALL_DEPTH),
        intro_pos=manifest.pos(("intro",)) if data.get("intro") is not None else None,
        sources=frozen_map(files.texts),
    )
    return link.make_runnable(story)


def _partial(
    files: loader.Loaded, out: Reporter, chapters: list, story_flags: list[Flag], facts: dict | None, epilogue: tuple
) -> Partial | None:
    """The story of the chapters that compiled, when every error lies in some chapter file."""
    if facts is None or not chapters:
        return None
    chapter_files = files.chapter_files
    if any(d.is_error and (d.pos is None or d.pos.file not in chapter_files) for d in out.diags):
        return None
    good = {c.id for c in chapters}
    broken = tuple(dict.fromkeys(cid for cid in files.chapter_ids if cid not in good))
    after, gap = set(), False
    for cid in dict.fromkeys(files.chapter_ids):
        gap = gap or cid not in good
        if gap and cid in good:
            after.add(cid)
    return Partial(_story(files, out, chapters, story_flags, facts, epilogue), broken, frozenset(after))
