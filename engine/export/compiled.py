"""The compiled story as versioned JSON, and back.

The JSON is written by walking the model's frozen dataclasses generically, so a
field added to `engine.model` or a node added to the expression tree
(`engine.expr`) flows into the export without touching this module:

- a dataclass becomes an object tagged with its class name: {"$": "Choice", ...};
- fields left at their default are omitted, and so are fields declared
  `compare=False` (compiled closures, source offsets inside expressions):
  they are derived, never part of what a story means;
- tuples become arrays, mappings become objects, positions (fields named `pos` or
  `*_pos`) become "file:line:col".

Loading reverses the walk (arrays back to tuples, objects to read-only maps,
tagged objects to their dataclass) and then compiles the closures again from
the expression trees, with the same `engine.expr` functions the compiler uses,
so a story loaded from JSON plays exactly as the one compiled from YAML.

The document:

    {"format": "chronicle-compiled", "version": 2, "content_hash": "<sha256 of the story object>",
     "story": {"$": "Story", "title": ..., "chapters": [...], "flags": [...], "facts": {...}, ...}}
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from .. import dates, diagnostics, expr, files, model
from ..diagnostics import Pos
from ..model import Story, frozen_map
from . import verify

FORMAT = "chronicle-compiled"
# 2: subroutines (`Choice.returns_to`, `Node.returns`, `Story.max_call_depth`) and inline parts in
# a choice's text (`Choice.label`), which a reader of version 1 would play as plain gotos and
# literal braces. A reader of 2 reads 1 as it always did.
VERSION = 2
MAX_BYTES = 256 * 1024 * 1024  # a compiled story larger than this is refused, not read

# What a story means does not include where it was compiled, the warnings its compile found, or its files.
_LEFT_OUT = {("Story", "root"), ("Story", "warnings"), ("Story", "sources")}


class CompiledFormatError(ValueError):
    """A file that is not a compiled story this engine can play; the message is for a person."""


def _modules() -> list:
    """The modules whose dataclasses make up a compiled story (inline text once it exists)."""
    mods = [model, expr, dates, diagnostics]
    try:
        mods.append(importlib.import_module("engine.inline"))
    except ModuleNotFoundError:
        pass
    return mods


def _classes() -> dict[str, type]:
    """Every dataclass of the model, the expression tree, dates, positions and inline text, by tag.

    A class is tagged with its name; when an earlier module already has a class of that name
    (engine.expr.Effect after engine.model.Effect), with "module.Name" ("expr.Effect")."""
    out: dict[str, type] = {}
    for module in _modules():
        short = module.__name__.rsplit(".", 1)[-1]
        for name, obj in vars(module).items():
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__:
                out[name if name not in out else f"{short}.{name}"] = obj
    return out


CLASSES = _classes()
_TAG = {cls: name for name, cls in CLASSES.items()}


def _fields(cls) -> list[dataclasses.Field]:
    name = _TAG[cls]
    return [f for f in dataclasses.fields(cls) if f.compare and (name, f.name) not in _LEFT_OUT]


def _default_of(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


# ---- writing -------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A model value as plain JSON data (see the module docstring)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Pos):
        return str(value)
    if dataclasses.is_dataclass(value):
        cls = type(value)
        out: dict[str, Any] = {"$": _TAG[cls]}
        for f in _fields(cls):
            v = getattr(value, f.name)
            d = _default_of(f)
            if d is not dataclasses.MISSING and v == d and type(v) is type(d):
                continue
            out[f.name] = encode(v)
        if isinstance(value, dates.DateSpan):
            out["human"] = value.human()  # derived, for readers that cannot format dates themselves
        return out
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, (dict, MappingProxyType)) or isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if callable(value):
        raise TypeError("closures are not exported; mark the field compare=False")
    raise TypeError(f"cannot export a {type(value).__name__}")


def content_hash(story_data: dict) -> str:
    canonical = json.dumps(story_data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def to_json(story: Story) -> dict:
    """The compiled story as one versioned JSON document."""
    body = encode(story)
    return {"format": FORMAT, "version": VERSION, "content_hash": content_hash(body), "story": body}


def dumps(story: Story, *, indent: int | None = None) -> str:
    data = to_json(story)
    if indent is None:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=indent)


# ---- reading -------------------------------------------------------------------------------


def decode(data: Any, where: str = "story") -> Any:
    """Plain JSON data back into model values (closures not yet compiled)."""
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
        for f in _fields(cls):
            if f.name in data:
                v = data[f.name]
                is_pos = f.name == "pos" or f.name.endswith("_pos")  # positions travel as "file:line:col"
                kwargs[f.name] = _pos(v) if is_pos and isinstance(v, str) else decode(v, f"{where}.{f.name}")
            elif _default_of(f) is dataclasses.MISSING:
                raise CompiledFormatError(f"{where}: a {tag} without its '{f.name}'")
        for f in dataclasses.fields(cls):  # derived fields (closures) are rebuilt after decoding
            if (not f.compare or (tag, f.name) in _LEFT_OUT) and _default_of(f) is dataclasses.MISSING:
                kwargs[f.name] = None
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


@dataclasses.dataclass(frozen=True)
class _Where:
    """What compiling a closure needs to know about where it sits."""

    slots: Mapping[str, int]
    seen_bits: Mapping[str, int]
    count_slot: int | None = None  # the enclosing node's visit count (inline sequences read it)

    def expr(self, tree):
        return expr.compile_expr(tree, self.slots, self.seen_bits)


def _inline(segs, where: _Where):
    from .. import inline

    # A sequence names the count it follows in its own tree (engine.inline.Seq.count).
    return inline.compile(segs, where.expr)


# The closures a compiled story carries, and how each is rebuilt from its tree:
# (class, closure field) -> (tree field, builder(tree, where)). A test holds this
# table to every compare=False field of the model.
CLOSURES: dict[tuple[str, str], tuple[str, Callable]] = {
    ("Choice", "test"): ("condition", lambda t, w: w.expr(t)),
    ("TextPart", "test"): ("condition", lambda t, w: w.expr(t)),
    ("TextPart", "render"): ("inline", _inline),
    ("TextPart", "else_render"): ("else_inline", _inline),
    ("Effect", "fn"): ("expr", lambda t, w: expr.compile_effect_value(t, w.slots, w.seen_bits)),
    ("Fact", "holds_fn"): ("holds", lambda t, w: w.expr(t)),
}
_LEAVES = (dates.DateSpan, Pos)


def _compile(value: Any, where: _Where) -> Any:
    """Rebuild every closure below `value` (dataclasses are replaced, not mutated)."""
    if isinstance(value, tuple):
        return tuple(_compile(v, where) for v in value)
    if isinstance(value, MappingProxyType):
        return frozen_map({k: _compile(v, where) for k, v in value.items()})
    if (
        not dataclasses.is_dataclass(value)
        or isinstance(value, _LEAVES)
        or type(value).__module__ in (expr.__name__, "engine.inline")
    ):
        return value
    value = cast(Any, value)  # a model dataclass instance (is_dataclass would also admit a class)
    name = _TAG[type(value)]
    if name == "Chapter":  # a chapter's expressions read its own layout of slots and seen bits
        where = _Where({f.name: f.slot for f in value.layout}, value.seen_bits)
    elif name == "Node":
        where = dataclasses.replace(where, count_slot=where.slots.get(f'visits("{value.id}")'))
    changes = {}
    for f in _fields(type(value)):
        v = getattr(value, f.name)
        nv = _compile(v, where)
        if nv is not v:
            changes[f.name] = nv
    for (cname, fn_field), (tree_field, build) in CLOSURES.items():
        if cname == name and hasattr(value, fn_field):
            tree = changes.get(tree_field, getattr(value, tree_field))
            changes[fn_field] = build(tree, where) if tree is not None else None
    return dataclasses.replace(value, **changes) if changes else value


def from_json(data: Any, root: str = "") -> Story:
    """A playable Story from a compiled-story document; CompiledFormatError says what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
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
    try:
        story = verify.checked(body, decode)  # the schema, then every cross-reference (see verify.py)
    except verify.Damaged as exc:
        raise CompiledFormatError(f"the compiled story is damaged: {exc}") from None
    # Story-level expressions (facts' holds, the epilogue's parts) read the story-wide flags only.
    story = _compile(story, _Where({f.name: f.slot for f in story.flags}, {}))
    return dataclasses.replace(story, root=root)


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
