"""Columns as the client counts them.

The features count a column in characters (code points), as Python strings do. LSP counts in the
position encoding agreed at `initialize`: UTF-16 code units unless the client offers another
(LSP 3.17 `positionEncodings`). The two differ on a line holding a character outside the Basic
Multilingual Plane (an emoji counts 2 in UTF-16), and, in UTF-8, on every non-ASCII character
(an Arabic name in the prose). `to_client` and `from_client` convert every Position inside a
request's params or a result, each against the line of its own document, so no feature has to
know the encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
from lsprotocol import types as T

_WIDTH = {"utf-8": (1, "utf-8"), "utf-16": (2, "utf-16-le")}  # bytes per unit, codec; utf-32 is code points


def units_of(line: str, col: int, encoding: str) -> int:
    """Characters before `col` counted in the client's units."""
    if encoding not in _WIDTH or line.isascii():
        return col
    width, codec = _WIDTH[encoding]
    return len(line[:col].encode(codec, "surrogatepass")) // width


def col_of(line: str, units: int, encoding: str) -> int:
    """The character column `units` client units into `line` (inside a character: the next one)."""
    if encoding not in _WIDTH or line.isascii():
        return units
    width, codec = _WIDTH[encoding]
    count = 0
    for i, ch in enumerate(line):
        if count >= units:
            return i
        count += len(ch.encode(codec, "surrogatepass")) // width
    return len(line)


def convert(obj, uri: str | None, encoding: str, lines_of: Callable[[str], Sequence[str] | None], *, out: bool) -> None:
    """Rewrite, in place, every T.Position reachable from `obj` (attrs objects, lists, dicts keyed
    by URI as in WorkspaceEdit.changes), `out` to the client's units, else from them. A Position
    belongs to the nearest enclosing document: a Location's `uri`, a `text_document`'s, a dict's
    URI key, else `uri`. Each object is converted once, though a Range may be shared."""
    if encoding not in _WIDTH:
        return
    seen: set[int] = set()

    def walk(o, u):
        if o is None or isinstance(o, str | int | float | bool) or id(o) in seen:
            return
        seen.add(id(o))
        if isinstance(o, list | tuple):
            for x in o:
                walk(x, u)
            return
        if isinstance(o, dict):
            for k, v in o.items():
                walk(v, k if isinstance(k, str) and ":" in k else u)
            return
        if not attrs.has(type(o)):
            return
        if isinstance(o, T.Position):
            lines = lines_of(u) if u else None
            if lines is not None and 0 <= o.line < len(lines):
                line = lines[o.line].rstrip("\r\n")
                o.character = units_of(line, o.character, encoding) if out else col_of(line, o.character, encoding)
            return
        own = getattr(o, "uri", None) or getattr(o, "target_uri", None)
        doc = getattr(o, "text_document", None)
        if not isinstance(own, str) and doc is not None:
            own = getattr(doc, "uri", None)
        here = own if isinstance(own, str) else u
        for f in attrs.fields(type(o)):
            walk(getattr(o, f.name), here)

    walk(obj, uri)
