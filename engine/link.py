"""The linker: the plain compiled story -> the runnable Story. The compiled JSON is the boundary.

The compiler (engine.compile) emits a *plain* Story: every name resolved, every expression a
tree, and no closure in it; it is exactly what `chronicle export json` writes (engine.export
.compiled encodes it field by field). `make_runnable` links it: it compiles each expression
tree to the closure play calls (`Choice.test`, `TextPart.test/render/else_render`, `Effect.fn`,
`Fact.holds_fn`; the table is `CLOSURES`), each over its chapter's layout of slots and seen()
bits. A compiled JSON document goes through the same function: `from_json` checks the envelope
(format, version, content hash: `validate`), decodes it into the plain Story while engine.verify
holds it to its schema and every cross-reference (the one place a loaded story is verified),
and links it.
So the Python runtime, `play --story FILE.json` and the checker all run what `make_runnable` built, and
the JavaScript runtime's `load` (engine/web/runtime.js) mirrors `from_json` step for step.

`make_runnable` fills the closures into the objects in place (they are frozen dataclasses, but nobody
has seen them yet: the compiler's and the decoder's fresh objects, never a Story in use), so a
story of 10,000 nodes is not copied to be linked.

The document:

    {"format": "chronicle-compiled", "version": 2, "content_hash": "<sha256 of the story object>",
     "story": {"$": "Story", "title": ..., "chapters": [...], "flags": [...], "facts": {...}, ...}}
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import dates, diagnostics, expr, files, inline, model, verify
from .diagnostics import Pos
from .model import Choice, Effect, Story, TextPart, frozen_map

FORMAT = "chronicle-compiled"
# 2: subroutines (`Choice.returns_to`, `Node.returns`, `Story.max_call_depth`) and inline parts in
# a choice's text (`Choice.label`), which a reader of version 1 would play as plain gotos and
# literal braces. A reader of 2 reads 1 as it always did.
# 3: flow that moves on by itself along branches (`Node.branches`: a conditional `next:`, a call
# from flow) and calls that resume where they were made (`Choice.resumes`), which a reader of 2
# would stop at or play as re-entering; and greyed-out choices (`Choice.enabled`) and fallback
# choices (`Choice.fallback`), which a reader of 2 would offer as plain choices (a fallback as one
# with no text). A reader of 3 reads 1 and 2 as it always did.
VERSION = 3
MAX_BYTES = 256 * 1024 * 1024  # a compiled story larger than this is refused, not read

# What a story means does not include where it was compiled, the warnings its compile found, or its files.
LEFT_OUT = {("Story", "root"), ("Story", "warnings"), ("Story", "sources")}

# The closures a runnable story carries, each compiled from a tree beside it:
# (class, closure field) -> tree field. A test holds this table to every compare=False field
# of the model, and another to every closure being there after linking, wherever it sits.
CLOSURES: dict[tuple[str, str], str] = {
    ("Choice", "test"): "condition",  # compiled from `guard` (see model.guards)
    ("Choice", "guard"): "condition",  # a tree `link` builds from the choice's and its siblings'
    ("Choice", "shows"): "condition",
    ("TextPart", "test"): "condition",
    ("TextPart", "render"): "inline",
    ("TextPart", "else_render"): "else_inline",
    ("Effect", "fn"): "expr",
    ("Fact", "holds_fn"): "holds",
}

UNLINKED: Any = None  # what a closure field holds until `link` fills it


class CompiledFormatError(ValueError):
    """A file that is not a compiled story this engine can play; the message is for a person."""


def _classes() -> dict[str, type]:
    """Every dataclass of the model, the expression tree, dates, positions and inline text, by tag.

    A class is tagged with its name; when an earlier module already has a class of that name
    (engine.expr.Effect after engine.model.Effect), with "module.Name" ("expr.Effect")."""
    out: dict[str, type] = {}
    for module in (model, expr, dates, diagnostics, inline):
        short = module.__name__.rsplit(".", 1)[-1]
        for name, obj in vars(module).items():
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__:
                out[name if name not in out else f"{short}.{name}"] = obj
    return out


CLASSES = _classes()
TAGS = {cls: name for name, cls in CLASSES.items()}


def fields(cls) -> list[dataclasses.Field]:
    """The fields of a class that the compiled form carries (no closures, no LEFT_OUT)."""
    name = TAGS[cls]
    return [f for f in dataclasses.fields(cls) if f.compare and (name, f.name) not in LEFT_OUT]


def default_of(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def content_hash(story_data: dict) -> str:
    """The hash of a story object as plain data (canonical JSON), which the document carries."""
    canonical = json.dumps(story_data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ---- linking: closures from trees ----------------------------------------------------------


def make_runnable(story: Story) -> Story:
    """Give every expression of the plain `story` its closure (see the module docstring); returns it."""
    # Story-level expressions (facts' holds, the epilogue's parts) read the story-wide flags only.
    slots = {f.name: f.slot for f in story.flags}
    for fact in story.facts.values():
        _fill(fact, "holds_fn", expr.compile_expr(fact.holds, slots, {}) if fact.holds is not None else None)
    for part in story.epilogue_parts:
        _text_part(part, slots, {})
    for ch in story.chapters:
        slots = {f.name: f.slot for f in ch.layout}  # a chapter's expressions read its own layout
        bits = ch.seen_bits
        for node in ch.nodes.values():
            for part in node.text:
                _text_part(part, slots, bits)
            for eff in node.enter:
                _effect(eff, slots, bits)
            for group in (node.choices, node.branches):
                for c, guard in zip(group, model.guards(group)):
                    _choice(c, guard, slots, bits)
    return story


def _fill(obj, name: str, value) -> None:
    object.__setattr__(obj, name, value)  # a fresh object nobody has seen (see the module docstring)


_NEVER = expr.Lit(False)


def _choice(c: Choice, guard, slots: Mapping[str, int], bits: Mapping[str, int]) -> None:
    shows = expr.compile_expr(c.condition, slots, bits) if c.condition is not None else None
    if c.fallback:  # never listed
        shows = expr.compile_expr(_NEVER, slots, bits)
    _fill(c, "guard", guard)
    _fill(c, "shows", shows)
    if guard is c.condition:
        _fill(c, "test", shows)  # (a plain choice: one closure for both)
    else:
        _fill(c, "test", expr.compile_expr(guard, slots, bits) if guard is not None else None)
    for eff in c.effects:
        _effect(eff, slots, bits)
    if c.count is not None:
        _effect(c.count, slots, bits)
    if c.say is not None:
        _text_part(c.say, slots, bits)
    if c.label is not None:
        _text_part(c.label, slots, bits)


def _effect(eff: Effect, slots: Mapping[str, int], bits: Mapping[str, int]) -> None:
    _fill(eff, "fn", expr.compile_effect_value(eff.expr, slots, bits))


def _text_part(p: TextPart, slots: Mapping[str, int], bits: Mapping[str, int]) -> None:
    def closure(tree):
        return expr.compile_expr(tree, slots, bits)

    _fill(p, "test", closure(p.condition) if p.condition is not None else None)
    # A sequence names the count it follows in its own tree (engine.inline.Seq.count).
    _fill(p, "render", inline.compile(p.inline, closure) if p.inline is not None else None)
    _fill(p, "else_render", inline.compile(p.else_inline, closure) if p.else_inline is not None else None)


# ---- reading a compiled document -----------------------------------------------------------


def decode(data: Any, where: str = "story") -> Any:
    """Plain JSON data back into model values, with their closures not yet linked."""
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, list):
        return tuple(decode(v, f"{where}[{i}]") for i, v in enumerate(data))
    if isinstance(data, dict):
        tag = data.get("$")
        if tag is None:
            return frozen_map({k: decode(v, f"{where}.{k}") for k, v in data.items()})
        cls = CLASSES.get(tag) if isinstance(tag, str) else None
        if cls is None:
            shown = tag if isinstance(tag, str) else json.dumps(tag)[:40]
            raise CompiledFormatError(
                f"{where}: '{shown}' is not something this engine knows (the story was exported by a newer Chronicle?)"
            )
        kwargs = {}
        for f in fields(cls):
            if f.name in data:
                v = data[f.name]
                is_pos = f.name == "pos" or f.name.endswith("_pos")  # positions travel as "file:line:col"
                kwargs[f.name] = _pos(v) if is_pos and isinstance(v, str) else decode(v, f"{where}.{f.name}")
            elif default_of(f) is dataclasses.MISSING:
                raise CompiledFormatError(f"{where}: a {tag} without its '{f.name}'")
        for f in dataclasses.fields(cls):  # closures are linked after decoding
            if (not f.compare or (tag, f.name) in LEFT_OUT) and default_of(f) is dataclasses.MISSING:
                kwargs[f.name] = UNLINKED
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise CompiledFormatError(f"{where}: {exc}") from None
    raise CompiledFormatError(f"{where}: unexpected {type(data).__name__}")


def _pos(text: str) -> Pos:
    parts = text.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return Pos(parts[0], int(parts[1]), int(parts[2]))
    return Pos(text)


def validate(data: dict) -> None:
    """A compiled document's envelope (format, version, content hash), checked before anything
    in it is read; CompiledFormatError says what is wrong. (The story inside is then held to its
    schema and every cross-reference by engine.verify, as `from_json` decodes it.)"""
    if data.get("format") != FORMAT:
        raise CompiledFormatError('this is not a compiled Chronicle story (no "format": "chronicle-compiled")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CompiledFormatError(f"the compiled story's format version ({version!r}) is damaged")
    if version > VERSION:
        raise CompiledFormatError(
            f"this story was exported by a newer Chronicle (format {version}; "
            f"this one reads up to {VERSION}); update Chronicle to play it"
        )
    body = data.get("story")
    if not isinstance(body, dict) or body.get("$") != "Story":
        raise CompiledFormatError('the compiled story has no "story" object')
    if data.get("content_hash") != content_hash(body):
        raise CompiledFormatError(
            "the compiled story's content hash does not match its contents; the file was damaged or edited by hand"
        )


def from_json(data: Any, root: str = "") -> Story:
    """A runnable Story from a compiled-story document; CompiledFormatError says what is wrong."""
    if not isinstance(data, dict):
        raise CompiledFormatError('this is not a compiled Chronicle story (no "format": "chronicle-compiled")')
    validate(data)
    try:
        story = verify.checked(data["story"], decode)  # the schema, then every cross-reference (verify.py)
    except verify.Damaged as exc:
        raise CompiledFormatError(f"the compiled story is damaged: {exc}") from None
    return make_runnable(dataclasses.replace(story, root=root))


def load(path: str | os.PathLike) -> Story:
    """Load a compiled story file; CompiledFormatError ("file:line:col: what is wrong") when it cannot be used."""
    shown = str(path)
    try:
        text = files.read_text(path, limit=MAX_BYTES)
    except files.FileError as exc:
        raise CompiledFormatError(f"{shown}: cannot read the compiled story: {exc.why}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CompiledFormatError(f"{shown}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise CompiledFormatError(f"{shown}:1:1: nested too deeply to be a compiled story") from None
    try:
        return from_json(data, root=str(Path(path).resolve().parent))
    except CompiledFormatError as exc:
        raise CompiledFormatError(f"{shown}:1:1: {exc}") from None
    except RecursionError:
        raise CompiledFormatError(f"{shown}:1:1: nested too deeply to be a compiled story") from None


def is_compiled(path: str | os.PathLike) -> bool:
    """Does `--story` name a compiled story file (rather than a story folder)?"""
    p = Path(path)
    return p.suffix == ".json" and not p.is_dir()
