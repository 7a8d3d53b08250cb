"""JSON Schema validation of loaded documents, with errors written for a writer.

The schemas (draft 2020-12) ship in ``engine/schemas/``; editors use them too
(each story file names its schema in a ``yaml-language-server`` comment), so
every key carries a ``description`` and ``examples``, and the messages that a
generic validator would word badly are given in the schemas themselves, with
the ``errorMessage`` / ``patternErrorMessage`` keywords that VS Code and
yaml-language-server understand. Here they become diagnostics such as::

    chapters/riyadh-1980.yaml:12:5: error[schema]: unknown key 'colour' in this node (allowed: date, place, ...)

Validation is strict where jsonschema is lenient: an integer is an ``int`` (not
``2.0``, not ``true``), and ``$`` in a pattern means the end of the text (ECMA
262), not "before a final newline" (Python).
"""

from __future__ import annotations

import functools

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine import files
from engine.diagnostics import Diagnostic
from engine.schemacheck import COMPILED_CHECKS, KINDS, cached_regex, compile_all, schema_for, schema_path
from engine.schemawords import explain
from engine.yamlload import Document

__all__ = ["KINDS", "schema_for", "schema_text", "schema_path", "validate"]


def schema_text(kind: str) -> str:
    """The shipped schema as pretty JSON (without a final newline), for ``chronicle schema KIND``."""
    return files.read_text(schema_path(kind)).rstrip("\n")


# ---- a strict validator -----------------------------------------------------


def _is_int(checker, instance) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(checker, instance) -> bool:
    return isinstance(instance, (int, float)) and not isinstance(instance, bool)


def _pattern(validator, pattern, instance, schema):
    if isinstance(instance, str) and not cached_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _skip(sub, value) -> bool:
    check = COMPILED_CHECKS.get(id(sub))
    return check is not None and check(value)


def _properties(validator, properties, instance, schema):
    if not isinstance(instance, dict):
        return
    for prop, sub in properties.items():
        if prop in instance and not _skip(sub, instance[prop]):
            yield from validator.descend(instance[prop], sub, path=prop, schema_path=prop)


def _additional(validator, aP, instance, schema):
    if isinstance(aP, dict) and isinstance(instance, dict):
        props = schema.get("properties", {})
        pats = [cached_regex(p) for p in schema.get("patternProperties", {})]
        for k, value in instance.items():
            if k in props or any(p.search(k) for p in pats) or _skip(aP, value):
                continue
            yield from validator.descend(value, aP, path=k)
    else:
        yield from _BASE_KEYWORDS["additionalProperties"](validator, aP, instance, schema)


def _items(validator, items, instance, schema):
    if isinstance(items, dict) and isinstance(instance, list) and "prefixItems" not in schema:
        for i, value in enumerate(instance):
            if not _skip(items, value):
                yield from validator.descend(value, items, path=i)
    else:
        yield from _BASE_KEYWORDS["items"](validator, items, instance, schema)


_BASE_KEYWORDS = dict(Draft202012Validator.VALIDATORS)
_STRICT_TYPES = Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_int, "number": _is_number})

# The reference validator: standard draft 2020-12, made strict on integers and '$'.
_Strict = jsonschema.validators.extend(
    Draft202012Validator, validators={"pattern": _pattern}, type_checker=_STRICT_TYPES
)
# The same, skipping values the compiled check accepts.
_Pruned = jsonschema.validators.extend(
    _Strict, validators={"properties": _properties, "additionalProperties": _additional, "items": _items}
)


@functools.cache
def _validator(kind: str):
    schema = schema_for(kind)  # tests/test_schema.py checks it against the metaschema
    compile_all(schema)
    return _Pruned(schema)


def _reference_validator(kind: str):
    """Plain (strict) jsonschema, without the compiled shortcut; for tests."""
    return _Strict(schema_for(kind))


# ---- validation ---------------------------------------------------------------


def validate(doc: Document, kind: str) -> list[Diagnostic]:
    """Every way ``doc`` breaks the ``kind`` schema, as diagnostics ([] when valid)."""
    validator = _validator(kind)
    if COMPILED_CHECKS[id(validator.schema)](doc.data):
        return []
    out: list[Diagnostic] = []
    seen: set = set()
    for err in validator.iter_errors(doc.data):
        for d in explain(err, doc):
            k = (d.pos, d.message)
            if k not in seen:
                seen.add(k)
                out.append(d)
    out.sort(key=lambda d: (d.pos.line, d.pos.col, d.message) if d.pos else (0, 0, d.message))
    return out
