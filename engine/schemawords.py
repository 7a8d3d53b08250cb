"""Schema errors written for a writer: one jsonschema `ValidationError` -> diagnostics.

A generic validator says "Additional properties are not allowed ('colour' was unexpected)";
this module says "unknown key 'colour' in this node (allowed: date, place, ...)", with the
position of the key, a "did you mean" for a near miss, and the schemas' own `errorMessage`
and `patternErrorMessage` where an author wrote one. `engine.schema` decides what is
invalid; this module only words it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from engine.diagnostics import Diagnostic, did_you_mean, report
from engine.schemacheck import json_equal
from engine.yamlload import Document


def explain(err: ValidationError, doc: Document) -> Iterable[Diagnostic]:
    schema = err.schema if isinstance(err.schema, dict) else {}
    path = tuple(err.absolute_path)
    v = err.validator
    inst = err.instance
    custom = schema.get("errorMessage")

    if custom and v not in ("required", "additionalProperties"):
        yield _custom(custom, inst, doc, path, v)
        return

    branches = err.validator_value if v == "anyOf" else None
    if isinstance(inst, dict) and isinstance(branches, list) and all(set(b) == {"required"} for b in branches):
        # {anyOf: [{required: [goto]}, {required: [call]}]}: one of these keys is needed
        names = [b["required"][0] for b in branches]
        descs = [f"{n}: {d}" for n in names if (d := _describe_key(err, n))]
        yield report(
            "schema",
            f"{_a(_noun(schema, path))} needs " + " or ".join(f"'{n}'" for n in names),
            doc.key_pos(path),
            "; or ".join(descs) or None,
        )
        return

    if err.context:
        best = best_match(err.context)
        if best is not None:
            yield from explain(best, doc)
            return

    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = list(schema.get("properties", {}))
        pats = [re.compile(p) for p in schema.get("patternProperties", {})]
        what = _noun(schema, path)
        for k in inst:
            if k in schema.get("properties", {}) or any(p.search(k) for p in pats):
                continue
            hint = did_you_mean(k, allowed)
            if hint is None and inst[k] is None and " " in k.strip():
                # {doc: one, two} reads as {doc: one, 'two': null}
                hint = (
                    "is this the end of a text with a ',' in it? inside {...} a ',' ends the value: "
                    "put the whole text in quotes"
                )
            elif hint is None:
                hint = "remove it, or check its indentation"
            yield report(
                "schema",
                f"unknown key '{k}' in this {what} (allowed: {', '.join(allowed)})",
                doc.key_pos(path + (k,)),
                hint,
            )
        return

    if v == "required" and isinstance(inst, dict):
        for name in _value(err):
            if name in inst:
                continue
            what = _noun(schema, path)
            desc = _describe_key(err, name)
            yield report(
                "schema",
                f"{_a(what)} needs '{name}'",
                doc.key_pos(path),
                f"{name}: {desc}" if desc else None,
            )
        return

    if v == "pattern":
        msg = schema.get("patternErrorMessage") or f"not in the expected form (the pattern {err.validator_value})"
        if "propertyNames" in err.absolute_schema_path and isinstance(inst, str):
            # A key of a mapping (a node id, a flag name): point at the key.
            yield report("schema", f"{_show(inst)} is {msg}", doc.key_pos(path + (inst,)), _hint_for(msg))
        else:
            yield report("schema", f"{_show(inst)} is {msg}", doc.pos(path), _hint_for(msg))
        return

    if v == "maxLength" and isinstance(inst, str):
        # ids become file names: a very long one would fail deep inside the file system instead
        what = (
            f"{_show(inst[:40])}... ({len(inst):,} characters) is longer than the "
            f"{err.validator_value} characters allowed"
        )
        where = doc.key_pos(path + (inst,)) if "propertyNames" in err.absolute_schema_path else doc.pos(path)
        yield report("schema", what, where, "use a shorter name")
        return

    if v == "type":
        yield _type_error(err, schema, doc, path)
        return

    if v == "enum":
        values = _value(err)
        yield report(
            "schema",
            f"{_show(inst)} is not one of: {', '.join(_show_bare(x) for x in values)}",
            doc.pos(path),
            did_you_mean(inst, [str(x) for x in values]) if isinstance(inst, str) else None,
        )
        return

    if v == "const":
        yield report("schema", f"expected {_show(err.validator_value)} here, found {_show(inst)}", doc.pos(path))
        return

    name = _name(path)
    if v == "minItems":
        n = err.validator_value
        yield report(
            "schema",
            f"{name} needs at least {n} item{'s' if n != 1 else ''}, "
            f"found {len(inst) if isinstance(inst, list) else 0}",
            doc.pos(path),
            "add an item, or remove the key",
        )
        return
    if v == "uniqueItems" and isinstance(inst, list):
        for i, x in enumerate(inst):
            first = next((j for j in range(i) if json_equal(inst[j], x)), None)
            if first is not None:
                yield report(
                    "schema",
                    f"{_show(x)} appears twice in {name} (items {first + 1} and {i + 1})",
                    doc.pos(path + (i,)),
                    "remove the repeat",
                )
        return
    if v == "minLength":
        yield report("schema", f"{name} is empty", doc.pos(path), "write something, or remove the key")
        return
    if v == "minProperties":
        yield report("schema", f"{name} is empty; it needs at least {err.validator_value} entry", doc.pos(path))
        return
    if v in ("minimum", "exclusiveMinimum"):
        yield report("schema", f"{name} must be at least {err.validator_value}, found {_show(inst)}", doc.pos(path))
        return
    if v in ("maximum", "exclusiveMaximum"):
        yield report("schema", f"{name} must be at most {err.validator_value}, found {_show(inst)}", doc.pos(path))
        return
    if v == "not":
        yield report("schema", f"{name} is not allowed here", doc.key_pos(path))
        return
    yield report("schema", f"{err.message} (at {name})", doc.pos(path))


def _custom(msg: str, inst: Any, doc: Document, path: tuple, validator) -> Diagnostic:
    if msg.startswith("not "):
        return report("schema", f"{_show(inst)} is {msg}", doc.pos(path), _hint_for(msg, inst))
    # A sentence of its own, about a key that should not be there.
    return report("schema", msg, doc.key_pos(path), "remove it" if validator == "not" else None)


def _value(err: ValidationError) -> Any:
    """The failed keyword's value in the schema (jsonschema types it as possibly unset; an error
    from a keyword always has one)."""
    return err.validator_value


def _type_error(err: ValidationError, schema: dict, doc: Document, path: tuple) -> Diagnostic:
    expected = _value(err)
    types = [expected] if isinstance(expected, str) else list(expected)
    words = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
    title = schema.get("title")
    if title and len(types) == 1:
        plain = _TYPE_WORDS.get(types[0], types[0]).removeprefix("a ")
        if types[0] == "array" and "list" in title:
            want = _a(title)  # "a list of ids"
        elif title.endswith("s"):
            want = f"{title} ({plain})"  # "flags (mapping)"
        else:
            want = f"{_a(title)} ({plain})"  # "an id (text)", "a node (mapping)"
    else:
        want = words
    inst = err.instance
    hint = None
    if "string" in types and isinstance(inst, (bool, int, float)):
        kind = "a true/false value" if isinstance(inst, bool) else "a number"
        hint = f"YAML reads {_show(inst)} as {kind}; put it in quotes if it is meant as text: '{_yaml_text(inst)}'"
    elif inst is None:
        hint = "the value is empty: write it after the ':'"
    elif "array" in types and isinstance(inst, (str, int, float, bool)):
        hint = "write a list as [a, b] or as lines starting with '- '"
    elif "boolean" in types and isinstance(inst, str) and inst.lower() in ("yes", "no", "on", "off", "y", "n"):
        hint = "write true or false (yes/no are read as text)"
    return report("schema", f"expected {want} here, found {_found(inst)}", doc.pos(path), hint)


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _found(inst: Any) -> str:
    if inst is None:
        return "nothing"
    if isinstance(inst, bool):
        return "true" if inst else "false"
    if isinstance(inst, int):
        return f"the number {inst}"
    if isinstance(inst, float):
        return f"the number {inst!r}"
    if isinstance(inst, str):
        if inst and len(inst) <= 30 and "\n" not in inst:
            return f"the text '{inst}'"
        return "text"
    if isinstance(inst, dict):
        return "a mapping"
    if isinstance(inst, list):
        return "a list"
    return type(inst).__name__


def _yaml_text(inst: Any) -> str:
    if isinstance(inst, bool):
        return "true" if inst else "false"
    return str(inst)


def _show(inst: Any) -> str:
    if isinstance(inst, str):
        s = inst if len(inst) <= 60 else inst[:57] + "..."
        return "'" + s.replace("\n", "\\n") + "'"
    if isinstance(inst, bool):
        return "true" if inst else "false"
    if inst is None:
        return "an empty value"
    if isinstance(inst, (int, float)):
        return repr(inst)
    return _found(inst)


def _show_bare(x: Any) -> str:
    return x if isinstance(x, str) else _show(x)


def _name(path: tuple) -> str:
    """How to name the value at ``path`` in a message: its key, or its place in a list."""
    for i in range(len(path) - 1, -1, -1):
        p = path[i]
        if isinstance(p, str):
            tail = path[i + 1 :]
            if not tail:
                return f"'{p}'"
            return f"item {tail[0] + 1} of '{p}'" if len(tail) == 1 else f"'{p}'"
    return "the document"


def _noun(schema: dict, path: tuple) -> str:
    title = schema.get("title")
    if title:
        return title
    if path and isinstance(path[-1], str):
        return f"'{path[-1]}' mapping"
    return "mapping"


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _describe_key(err: ValidationError, name: str) -> str | None:
    """The description of property ``name`` in the object schema the error came from."""
    props = (err.schema if isinstance(err.schema, dict) else {}).get("properties", {})
    sub = props.get(name)
    if isinstance(sub, dict) and sub.get("description"):
        return sub["description"]
    return None


def _hint_for(msg: str, inst: Any = None) -> str | None:
    if "date" in msg and isinstance(inst, float):
        return "YAML read this as a number; write the date in quotes, like '1980-08'"
    return None
