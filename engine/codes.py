"""The catalogue of diagnostic codes: one entry per code, the single source of
their meaning. AUTHORING.md's table of codes is generated from it, and every
code has a minimal failing fixture under tests/fixtures/codes/<code>/.

Each area of the engine keeps its own section; add a code to your area's
section, in the same form.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    area: str  # load | schema | compile | explore | canon | play
    summary: str  # what the problem is, in one line
    fix: str  # what to do about it, in one line


def _section(area: str, *entries: tuple[str, str, str]) -> dict[str, Code]:
    return {c: Code(c, area, s, f) for c, s, f in entries}


# ---- load: reading files and YAML (engine/source.py) --------------------------
LOAD = _section(
    "load",
    ("file-missing", "a file the story needs does not exist or cannot be read", "create the file, or fix the path in story/story.yaml"),
    ("yaml-encoding", "the file is not UTF-8 text", "save the file as UTF-8"),
    ("yaml-empty", "the file is empty", "write the document, or delete the file"),
    ("yaml-syntax", "the YAML cannot be parsed", "fix the YAML at the position shown; check indentation and quoting"),
    ("yaml-duplicate-key", "a key appears twice in one mapping", "keep one of the two; YAML would silently drop the first"),
    ("yaml-tag", "a non-standard YAML tag such as !!python/object", "remove the tag; story files hold plain data only"),
    ("yaml-alias-limit", "too many aliases, or aliases that expand too far", "write the values out, or use fewer anchors"),
    ("yaml-depth", "the document is nested too deeply", "flatten the structure; stories never need this depth"),
    ("yaml-multi-document", "the file holds more than one YAML document", "keep one document per file (remove the extra ---)"),
)

# ---- schema: JSON Schema validation (engine/schema.py) -------------------------
SCHEMA = _section(
    "schema",
    ("schema", "the file does not match its JSON Schema", "follow the message; `chronicle schema chapter` prints the schema"),
)

# ---- compile: names, expressions, types (engine/compiler.py, engine/expr.py) --
COMPILE = _section(
    "compile",
)

# ---- explore / canon: what `chronicle check` proves (engine/check/) ------------
CHECK = _section(
    "explore",
)

CODES: dict[str, Code] = {**LOAD, **SCHEMA, **COMPILE, **CHECK}
