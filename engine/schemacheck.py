"""The compiled schema check: valid or not, in plain Python, without jsonschema.

Each shipped schema is compiled once into closures that only answer "valid or
not". schema.py uses them to accept a valid document fast (and words errors
with jsonschema only for an invalid one); the cache re-checks every document it
hands out with them, so a forged cache entry cannot skip the schema. Importing
this module does not import jsonschema (about a tenth of a second).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from . import files

KINDS = ("chapter", "story", "history")  # the files authors write
OUTPUT_KINDS = ("compiled",)  # files Chronicle writes (`chronicle export json`)
_DIR = Path(__file__).resolve().parent / "schemas"


def schema_path(kind: str) -> Path:
    """The shipped schema file for ``kind`` (chapter, story or history)."""
    if kind not in KINDS + OUTPUT_KINDS:
        raise ValueError(f"no schema for {kind!r}; the kinds are {', '.join(KINDS + OUTPUT_KINDS)}")
    return _DIR / f"{kind}.schema.json"


@functools.cache
def schema_for(kind: str) -> dict:
    """The schema for ``kind`` as a dict (cached; do not modify it)."""
    return json.loads(files.read_text(schema_path(kind)))


@functools.cache
def cached_regex(pattern: str) -> re.Pattern:
    # ECMA 262 '$' (without the m flag) matches only at the very end; Python's also
    # matches before a final newline, which would let "majlis\n" pass as an id.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


# jsonschema walks every value of a large chapter through several layers of
# Python per keyword, which takes seconds for 10,000 nodes. So each schema is also
# compiled (below) into plain closures that only answer "valid or not"; a valid
# document is accepted on that answer alone. For an invalid one, jsonschema runs
# as usual, to word the errors, except that it does not descend into a value the
# compiled check accepts (it would find nothing there). tests/test_schema.py
# checks that both agree, on the real files and on random mutations of them.
COMPILED_CHECKS: dict[int, Any] = {}  # id(subschema) -> compiled check; the schemas are cached forever


# ---- the compiled check ----------------------------------------------------------

_ANNOTATIONS = frozenset(
    (
        "title",
        "description",
        "examples",
        "default",
        "$comment",
        "$schema",
        "$id",
        "$defs",
        "errorMessage",
        "patternErrorMessage",
        "x-chronicle-names",  # which of the story's own names go here (`chronicle schema --install` fills examples)
        "deprecated",
        "readOnly",
        "writeOnly",
    )
)
_TYPES = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
    "number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


_TRUE, _FALSE = object(), object()  # stand-ins that no JSON value equals


def _unbool(x):
    return _TRUE if x is True else _FALSE if x is False else x


def json_equal(a, b) -> bool:
    """JSON equality as jsonschema sees it: true is not 1, 1 is 1.0."""
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return False
    return _unbool(a) == _unbool(b)


def _unique(items: list) -> bool:
    if all(type(x) is str for x in items):
        return len(set(items)) == len(items)
    return not any(json_equal(items[i], items[j]) for i in range(len(items)) for j in range(i))


def compile_all(root: dict) -> None:
    """Compile ``root`` and every subschema in it, registering each in COMPILED_CHECKS."""
    if id(root) in COMPILED_CHECKS:
        return
    defs = root.get("$defs", {})
    compiled: dict[int, Any] = {}

    def ref_target(ref: str):
        prefix = "#/$defs/"
        if not ref.startswith(prefix) or ref[len(prefix) :] not in defs:
            raise ValueError(f"schema: unsupported $ref {ref!r} (only #/$defs/NAME)")
        return defs[ref[len(prefix) :]]

    def comp(schema) -> Any:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        key = id(schema)
        if key in compiled:
            return compiled[key]
        # Late binding allows recursive $refs.
        cell: list = []
        compiled[key] = lambda x: cell[0](x)
        fn = build(schema)
        cell.append(fn)
        compiled[key] = fn
        COMPILED_CHECKS[key] = fn
        return fn

    def build(s: dict):
        checks: list = []
        unknown = set(s) - _ANNOTATIONS - _KEYWORDS
        if unknown:
            raise ValueError(f"schema: the compiled check does not support {sorted(unknown)}")
        if "$ref" in s:
            checks.append(comp(ref_target(s["$ref"])))
        if "type" in s:
            t = s["type"]
            preds = [_TYPES[x] for x in ([t] if isinstance(t, str) else t)]
            if len(preds) == 1:
                checks.append(preds[0])
            else:
                checks.append(lambda x, preds=tuple(preds): any(p(x) for p in preds))
        if "enum" in s:
            values = s["enum"]
            checks.append(lambda x, values=values: any(json_equal(x, v) for v in values))
        if "const" in s:
            c = s["const"]
            checks.append(lambda x, c=c: json_equal(x, c))
        # objects
        props = {k: comp(v) for k, v in s.get("properties", {}).items()}
        required = list(s.get("required", ()))
        aP = s.get("additionalProperties", True)
        pats = [cached_regex(p) for p in s.get("patternProperties", {})]
        if pats:
            raise ValueError("schema: patternProperties is not supported by the compiled check")
        extra = comp(aP)
        names = comp(s["propertyNames"]) if "propertyNames" in s else None
        min_props = s.get("minProperties")
        if props or required or aP is not True or names or min_props is not None:

            def obj(
                x,
                props=props,
                required=required,
                extra=extra,
                names=names,
                min_props=min_props,
                any_extra=aP is not True,
            ):
                if not isinstance(x, dict):
                    return True
                for r in required:
                    if r not in x:
                        return False
                if min_props is not None and len(x) < min_props:
                    return False
                for k, v in x.items():
                    f = props.get(k)
                    if f is not None:
                        if not f(v):
                            return False
                    elif any_extra and not extra(v):
                        return False
                    if names is not None and not names(k):
                        return False
                return True

            checks.append(obj)
        # arrays
        if "items" in s or "minItems" in s or s.get("uniqueItems"):
            item = comp(s.get("items", True))
            min_items = s.get("minItems", 0)
            unique = bool(s.get("uniqueItems"))

            def arr(x, item=item, min_items=min_items, unique=unique):
                if not isinstance(x, list):
                    return True
                if len(x) < min_items:
                    return False
                for v in x:
                    if not item(v):
                        return False
                return not unique or _unique(x)

            checks.append(arr)
        # strings
        if "minLength" in s:
            n = s["minLength"]
            checks.append(lambda x, n=n: not isinstance(x, str) or len(x) >= n)
        if "maxLength" in s:
            n = s["maxLength"]
            checks.append(lambda x, n=n: not isinstance(x, str) or len(x) <= n)
        if "pattern" in s:
            rx = cached_regex(s["pattern"])
            checks.append(lambda x, rx=rx: not isinstance(x, str) or rx.search(x) is not None)
        # numbers
        if "minimum" in s:
            m = s["minimum"]
            checks.append(lambda x, m=m: not _TYPES["number"](x) or x >= m)
        if "maximum" in s:
            m = s["maximum"]
            checks.append(lambda x, m=m: not _TYPES["number"](x) or x <= m)
        # combinators
        for sub in s.get("allOf", ()):
            checks.append(comp(sub))
        if "anyOf" in s:
            subs = [comp(x) for x in s["anyOf"]]
            checks.append(lambda x, subs=subs: any(f(x) for f in subs))
        if "oneOf" in s:
            subs = [comp(x) for x in s["oneOf"]]
            checks.append(lambda x, subs=subs: sum(1 for f in subs if f(x)) == 1)
        if "not" in s:
            neg = comp(s["not"])
            checks.append(lambda x, neg=neg: not neg(x))
        if "if" in s:
            cond = comp(s["if"])
            then = comp(s.get("then", True))
            other = comp(s.get("else", True))
            checks.append(lambda x, cond=cond, then=then, other=other: then(x) if cond(x) else other(x))
        elif "then" in s or "else" in s:
            comp(s.get("then", True)), comp(s.get("else", True))  # registered; no effect without "if"

        if not checks:
            return lambda x: True
        if len(checks) == 1:
            return checks[0]

        def every(x, checks=tuple(checks)):
            for c in checks:
                if not c(x):
                    return False
            return True

        return every

    for d in defs.values():
        comp(d)
    comp(root)


_KEYWORDS = frozenset(
    (
        "$ref",
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "propertyNames",
        "minProperties",
        "items",
        "minItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
    )
)


def conforms(data: Any, kind: str) -> bool:
    """Does `data` satisfy the shipped schema for `kind`?"""
    schema = schema_for(kind)
    compile_all(schema)
    return COMPILED_CHECKS[id(schema)](data)
