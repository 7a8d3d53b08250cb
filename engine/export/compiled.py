"""The compiled story as versioned JSON: writing it (reading it back is engine.link's).

The JSON is written by walking the model's frozen dataclasses generically, so a
field added to `engine.model` or a node added to the expression tree
(`engine.expr`) flows into the export without touching this module:

- a dataclass becomes an object tagged with its class name: {"$": "Choice", ...};
- fields left at their default are omitted, and so are fields declared
  `compare=False` (compiled closures, source offsets inside expressions):
  they are derived, never part of what a story means;
- tuples become arrays, mappings become objects, positions (fields named `pos` or
  `*_pos`) become "file:line:col".

`engine.link` reverses the walk (arrays back to tuples, objects to read-only maps,
tagged objects to their dataclass) and links the closures, with the same function
that links a story compiled from YAML, so a story loaded from JSON plays exactly
as the one compiled from YAML. Its names are re-exported here for the writers'
callers: `load`, `from_json`, `CompiledFormatError`, `FORMAT`, `VERSION`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from .. import dates
from ..diagnostics import Pos
from ..link import (
    CLASSES,
    CLOSURES,
    FORMAT,
    MAX_BYTES,
    TAGS,
    VERSION,
    CompiledFormatError,
    content_hash,
    decode,
    default_of,
    fields,
    from_json,
    load,
)
from ..model import Story

__all__ = [
    "CLASSES",
    "CLOSURES",
    "FORMAT",
    "MAX_BYTES",
    "VERSION",
    "CompiledFormatError",
    "content_hash",
    "decode",
    "dumps",
    "encode",
    "from_json",
    "load",
    "to_json",
]


def encode(value: Any) -> Any:
    """A model value as plain JSON data (see the module docstring)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Pos):
        return str(value)
    if dataclasses.is_dataclass(value):
        cls = type(value)
        out: dict[str, Any] = {"$": TAGS[cls]}
        for f in fields(cls):
            v = getattr(value, f.name)
            d = default_of(f)
            if d is not dataclasses.MISSING and v == d and type(v) is type(d):
                continue
            out[f.name] = encode(v)
        if isinstance(value, dates.DateSpan):
            out["human"] = value.human()  # derived, for readers that cannot format dates themselves
        return out
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if callable(value):
        raise TypeError("closures are not exported; mark the field compare=False")
    raise TypeError(f"cannot export a {type(value).__name__}")


def to_json(story: Story) -> dict:
    """The compiled story as one versioned JSON document."""
    body = encode(story)
    return {"format": FORMAT, "version": VERSION, "content_hash": content_hash(body), "story": body}


def dumps(story: Story, *, indent: int | None = None) -> str:
    data = to_json(story)
    if indent is None:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=indent)
