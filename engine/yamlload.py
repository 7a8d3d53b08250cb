"""YAML -> plain values, with the position of every value kept.

Story files are read with PyYAML's *event stream* and turned into plain Python
values (dict, list, str, int, float, bool, None) by a small iterative builder,
so that

* nothing is ever constructed by an unsafe loader (only standard tags);
* scalars are typed the YAML 1.2 core way, not the 1.1 way: ``yes``/``no``/
  ``on``/``off`` stay text, and so do dates such as ``1980-08-02``;
* duplicate keys, odd tags, alias bombs, runaway nesting and extra documents
  are reported as diagnostics (with file, line and column) rather than silently
  accepted;
* every value's position is kept in ``Document.marks``, keyed by its path of
  keys and list indices, so later passes can say *where* a problem is.

The builder never recurses, so a file nested 10,000 levels deep is refused with
``yaml-depth`` as soon as the 65th level opens.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from engine import files
from engine.diagnostics import ChronicleError, Diagnostic, Pos, report
from engine.gcpause import paused_gc

__all__ = [
    "Document",
    "load_file",
    "load_text",
    "read_problem",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_ALIASES",
    "MAX_EXPANDED",
]

Loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

MAX_BYTES = 32 * 1024 * 1024  # files larger than this are refused
MAX_DEPTH = 64  # nesting of mappings and lists
MAX_ALIASES = 100  # alias uses (*name) per document
MAX_EXPANDED = 1_000_000  # nodes that alias uses add, all told


Path = tuple  # a tuple of str keys and int indices


@dataclass
class Document:
    """One YAML file as plain values, with positions.

    ``marks[path]`` is the (line, col) of the value at ``path``; ``key_marks[path]``
    is the (line, col) of the mapping key whose value is at ``path``. Both are
    1-based. Values inside an aliased subtree have no marks of their own; ``pos``
    falls back to the alias.
    """

    file: str
    data: Any
    # dicts when read from YAML; the cache's TreeMarks (a read-only Mapping) when read from the cache
    marks: Mapping[tuple, tuple[int, int]] = field(default_factory=dict, repr=False)
    key_marks: Mapping[tuple, tuple[int, int]] = field(default_factory=dict, repr=False)

    def pos(self, path: Iterable = ()) -> Pos:
        """Position of the value at ``path``, else of its nearest ancestor that has one."""
        path = tuple(path)
        marks = self.marks
        for i in range(len(path), -1, -1):
            m = marks.get(path[:i] if i < len(path) else path)
            if m is not None:
                return Pos(self.file, m[0], m[1])
        return Pos(self.file)

    def key_pos(self, path: Iterable) -> Pos:
        """Position of the key for ``path``, else falls back to ``pos(path)``."""
        path = tuple(path)
        m = self.key_marks.get(path)
        if m is not None:
            return Pos(self.file, m[0], m[1])
        return self.pos(path)


# ---- reading --------------------------------------------------------------------


def load_file(path: str | os.PathLike, display: str | None = None, raw: bytes | None = None) -> Document:
    """Read (unless `raw`, the bytes files.read_bytes gave, is passed) and parse one YAML file;
    raise ChronicleError on any problem."""
    name = display if display is not None else os.fspath(path)
    if raw is None:
        try:
            raw = files.read_bytes(path, limit=MAX_BYTES, shown=name)
        except files.FileError as e:
            raise ChronicleError(read_problem(e, name)) from None
    return load_text(raw, name)


def read_problem(exc: files.FileError, name: str) -> Diagnostic:
    """The diagnostic for a story file that files.read_bytes refused."""
    if isinstance(exc, files.TooLarge):
        return _too_large(name, exc.size)
    if isinstance(exc, files.Missing):
        return report("file-missing", f"there is no file {name}", Pos(name))
    return report("file-missing", str(exc), Pos(exc.path if exc.folder else name))


def load_text(text: str | bytes, file: str) -> Document:
    """Parse YAML text (str, or bytes that must be UTF-8); raise ChronicleError on any problem."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
        if len(raw) > MAX_BYTES:
            raise ChronicleError(_too_large(file, len(raw)))
        text = _decode(raw, file)
    else:
        if len(text) > MAX_BYTES or (
            len(text) > MAX_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES
        ):
            raise ChronicleError(_too_large(file, len(text.encode("utf-8", "surrogatepass"))))
    if text.startswith("\ufeff"):
        text = text[1:]
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line, col = _line_col(text, bad.start())
        ch = bad.group()
        raise ChronicleError(
            report(
                "yaml-character",
                f"the file holds a character YAML does not allow: U+{ord(ch):04X}",
                Pos(file, line, col),
                f'delete it, or write it as an escape ("\\u{ord(ch):04x}") inside double quotes',
            )
        )
    # Building ~200,000 small containers triggers the cyclic collector again and
    # again for nothing (nothing here makes cycles); pausing it saves a fifth.
    with paused_gc():
        return _Builder(file).build(text)


def _too_large(file: str, size: int) -> Diagnostic:
    mib = MAX_BYTES // (1024 * 1024)
    return report(
        "file-too-large",
        f"the file is {size:,} bytes, over the {mib} MiB a story file may hold",
        Pos(file),
        "split it into several chapters",
    )


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        start = e.start
        line = raw.count(b"\n", 0, start) + 1
        line_start = raw.rfind(b"\n", 0, start) + 1
        prefix = raw[line_start:start].decode("utf-8", "replace")
        if line == 1 and prefix.startswith("\ufeff"):
            prefix = prefix[1:]
        col = len(prefix) + 1
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            what = "the file is UTF-16 text, not UTF-8"
        else:
            what = f"the file is not UTF-8 text (byte 0x{raw[start]:02X} cannot start or continue a character here)"
        raise ChronicleError(
            report("yaml-encoding", what, Pos(file, line, col), "save the file as UTF-8 in your editor")
        ) from None


# YAML's printable set (YAML 1.1 section 5.1, as PyYAML and libyaml enforce it).
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


# ---- scalars --------------------------------------------------------------------

_Y = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (_Y + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))
_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_MAX_INT_CHARS = 40  # more than any number a story holds, in any base
_INT_ANY_RE = re.compile(r"[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOAT = {
    ".inf": float("inf"),
    ".Inf": float("inf"),
    ".INF": float("inf"),
    "+.inf": float("inf"),
    "+.Inf": float("inf"),
    "+.INF": float("inf"),
    "-.inf": float("-inf"),
    "-.Inf": float("-inf"),
    "-.INF": float("-inf"),
    ".nan": float("nan"),
    ".NaN": float("nan"),
    ".NAN": float("nan"),
}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_MAYBE_TYPED = frozenset("0123456789+-.tTfFnN~")


def _plain(v: str) -> Any:
    """Type a plain (unquoted, untagged) scalar the YAML 1.2 core way."""
    if not v:
        return None
    if v[0] not in _MAYBE_TYPED:
        return v
    if v in _NULLS:
        return None
    b = _BOOLS.get(v)
    if b is not None:
        return b
    if _INT_RE.match(v):
        return int(v)  # may raise ValueError for absurdly long numbers
    if _FLOAT_RE.match(v):
        return float(v)
    return v


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_Y) :] if tag.startswith(_Y) else tag


def _tagged(tag: str, v: str) -> Any:
    """A scalar with an explicit standard tag; raise ValueError when it does not fit."""
    if tag == _STR or tag == "!":
        return v
    if tag == _INT:
        if _INT_ANY_RE.match(v):
            if len(v) > _MAX_INT_CHARS:
                # int() of hex or octal is not bound by Python's 4,300-digit limit, but printing it is
                raise ValueError(f"this whole number is {len(v):,} characters long, far too large for a story")
            return int(v, 0) if ("o" in v or "x" in v) else int(v)
        raise ValueError(f"{v!r} is not a whole number, but it is tagged !!int")
    if tag == _FLOAT:
        if _FLOAT_RE.match(v):
            return float(v)
        if v in _SPECIAL_FLOAT:
            return _SPECIAL_FLOAT[v]
        raise ValueError(f"{v!r} is not a number, but it is tagged !!float")
    if tag == _BOOL:
        if v in _BOOLS:
            return _BOOLS[v]
        raise ValueError(f"{v!r} is not true or false, but it is tagged !!bool")
    if tag == _NULL:
        if v in _NULLS:
            return None
        raise ValueError(f"{v!r} is not null, but it is tagged !!null")
    raise KeyError(tag)


# ---- building -------------------------------------------------------------------

_NO_KEY = object()


class _Limit(Exception):
    """A problem that stops the build (depth, aliases, extra documents)."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Diagnostic] = []
        self._reported_empty: set = set()  # (mapping, empty key) already blamed for duplicates

    def _pos(self, mark) -> Pos:
        if mark is None:
            return Pos(self.file)
        return Pos(self.file, mark.line + 1, mark.column + 1)

    def build(self, text: str) -> Document:
        file = self.file
        problems = self.problems
        marks: dict[tuple, tuple[int, int]] = {}
        key_marks: dict[tuple, tuple[int, int]] = {}
        # anchor name -> (value, size, height, key text or None); height 0 for scalars
        anchors: dict[str, tuple[Any, int, int, str | None]] = {}
        open_anchors: set[str] = set()  # anchors of collections still being built
        aliases = 0
        expanded = 0
        documents = 0
        root: Any = None
        root_empty = False
        # One frame per open mapping or list, a list for speed:
        #   [container, path, is_map, pending_key, key_lc, size, height, anchor, start_lc, as_key]
        # pending_key is _NO_KEY while a mapping waits for its next key; size counts
        # the values below (aliases expanded); height is the nesting below, 1 for flat.
        stack: list[list] = []
        plain = _plain
        NO_KEY = _NO_KEY

        loader = Loader(text)
        get_event = loader.get_event
        try:
            while True:
                ev = get_event()
                cls = ev.__class__

                if cls is ScalarEvent:
                    mark = ev.start_mark
                    lc = (mark.line + 1, mark.column + 1)
                    v = ev.value
                    tag = ev.tag
                    if stack:
                        top = stack[-1]
                        if top[2]:
                            if top[3] is NO_KEY:  # a key: always text, as written
                                top[5] += 1
                                if tag is not None or ev.anchor is not None:
                                    value = self._scalar(ev, mark, root=False)
                                    if ev.anchor is not None:
                                        anchors[ev.anchor] = (value, 1, 0, v)
                                if v in top[0]:
                                    self._duplicate(top, v, lc, key_marks)
                                else:
                                    top[4] = lc
                                top[3] = v
                                continue
                            path = top[1] + (top[3],)
                        else:
                            path = top[1] + (len(top[0]),)
                    else:
                        top = None
                        path = ()
                    if tag is None and ev.implicit[0] and ev.anchor is None and top is not None:
                        try:
                            value = plain(v)
                        except ValueError:
                            value = self._scalar(ev, mark, root=False)
                    else:
                        value = self._scalar(ev, mark, root=top is None)
                        if ev.anchor is not None:
                            anchors[ev.anchor] = (value, 1, 0, v)
                    marks[path] = lc
                    if top is None:
                        root = value
                        root_empty = tag is None and ev.implicit[0] and not v
                        continue
                    top[5] += 1
                    if top[2]:
                        key_marks[path] = top[4]
                        top[0][top[3]] = value
                        top[3] = NO_KEY
                    else:
                        top[0].append(value)

                elif cls is MappingStartEvent or cls is SequenceStartEvent:
                    mark = ev.start_mark
                    lc = (mark.line + 1, mark.column + 1)
                    if len(stack) >= MAX_DEPTH:
                        raise _Limit(self._too_deep(mark))
                    as_key = False
                    if stack:
                        top = stack[-1]
                        if top[2]:
                            if top[3] is NO_KEY:
                                as_key = True
                                path = top[1] + (f"<key at {lc[0]}:{lc[1]}>",)
                            else:
                                path = top[1] + (top[3],)
                        else:
                            path = top[1] + (len(top[0]),)
                    else:
                        path = ()
                    is_map = cls is MappingStartEvent
                    tag = ev.tag
                    if tag is not None and tag != "!" and tag != (_MAP if is_map else _SEQ):
                        problems.append(self._bad_tag(tag, mark))
                    marks[path] = lc
                    anchor = ev.anchor
                    if anchor is not None:
                        anchors.pop(anchor, None)  # a redefinition hides the old one
                        open_anchors.add(anchor)
                    stack.append([{} if is_map else [], path, is_map, NO_KEY, None, 1, 1, anchor, lc, as_key])

                elif cls is MappingEndEvent or cls is SequenceEndEvent:
                    frame = stack.pop()
                    value, size, height, anchor = frame[0], frame[5], frame[6], frame[7]
                    if anchor is not None:
                        open_anchors.discard(anchor)
                        anchors[anchor] = (value, size, height, None)
                    if not stack:
                        root = value
                        continue
                    top = stack[-1]
                    top[5] += size
                    if height >= top[6]:
                        top[6] = height + 1
                    if frame[9]:
                        self._complex_key(top, frame[8])
                    elif top[2]:
                        key_marks[frame[1]] = top[4]
                        top[0][top[3]] = value
                        top[3] = NO_KEY
                    else:
                        top[0].append(value)

                elif cls is AliasEvent:
                    mark = ev.start_mark
                    lc = (mark.line + 1, mark.column + 1)
                    name = ev.anchor
                    entry = anchors.get(name)
                    if entry is None:
                        if name in open_anchors:
                            raise _Limit(
                                report(
                                    "yaml-alias-limit",
                                    f"alias *{name} is used inside the value it names, which would never end",
                                    Pos(file, *lc),
                                    "write the value out instead",
                                )
                            )
                        problems.append(
                            report(
                                "yaml-syntax",
                                f"alias *{name} names no anchor &{name} above it",
                                Pos(file, *lc),
                                "define the anchor (&name) before using it, "
                                "or quote the text if '*' was meant literally",
                            )
                        )
                        entry = (None, 1, 0, "")
                    value, size, height, keytext = entry
                    aliases += 1
                    expanded += size
                    if aliases > MAX_ALIASES:
                        raise _Limit(
                            report(
                                "yaml-alias-limit",
                                f"more than {MAX_ALIASES} aliases (*name) in one file",
                                Pos(file, *lc),
                                "write the values out, or use fewer aliases",
                            )
                        )
                    if expanded > MAX_EXPANDED:
                        raise _Limit(
                            report(
                                "yaml-alias-limit",
                                f"aliases expand to more than {MAX_EXPANDED:,} values (a 'billion laughs' file?)",
                                Pos(file, *lc),
                                "write the values out, or use fewer aliases",
                            )
                        )
                    if len(stack) + height > MAX_DEPTH:
                        raise _Limit(self._too_deep(mark))
                    if not stack:
                        marks[()] = lc
                        root = value
                        continue
                    top = stack[-1]
                    top[5] += size
                    if height >= top[6]:
                        top[6] = height + 1
                    if top[2]:
                        if top[3] is NO_KEY:
                            if keytext is None:
                                self._complex_key(top, lc)
                            elif keytext in top[0]:
                                self._duplicate(top, keytext, lc, key_marks)
                                top[3] = keytext
                            else:
                                top[3] = keytext
                                top[4] = lc
                            continue
                        path = top[1] + (top[3],)
                        marks[path] = lc
                        key_marks[path] = top[4]
                        top[0][top[3]] = value
                        top[3] = NO_KEY
                    else:
                        marks[top[1] + (len(top[0]),)] = lc
                        top[0].append(value)

                elif cls is DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise _Limit(self._multi(ev))

                elif cls is StreamEndEvent:
                    break
        except _Limit as stop:
            problems.append(stop.diagnostic)
            raise ChronicleError(_sorted(problems)) from None
        except yaml.MarkedYAMLError as e:
            problems.append(self._syntax(e, text))
            raise ChronicleError(_sorted(problems)) from None
        except yaml.YAMLError as e:  # e.g. a ReaderError, which has no mark
            problems.append(report("yaml-syntax", f"the YAML cannot be read: {e}", Pos(file)))
            raise ChronicleError(_sorted(problems)) from None
        finally:
            loader.dispose()

        if documents == 0 or root_empty:
            problems.append(
                report("yaml-empty", "the file holds no YAML document (it is empty, or only comments)", Pos(file, 1, 1))
            )
        if problems:
            raise ChronicleError(_sorted(problems))
        return Document(file, root, marks, key_marks)

    # -- helpers ---------------------------------------------------------------

    def _scalar(self, ev, mark, root: bool) -> Any:
        """Type a scalar (the slow path: tags, anchors, odd numbers); record problems."""
        v = ev.value
        tag = ev.tag
        if tag is None:
            if not ev.implicit[0]:
                return v  # quoted or block text
            try:
                return _plain(v)
            except ValueError:
                self.problems.append(
                    report(
                        "yaml-syntax",
                        f"this number has {len(v)} digits, too many to read",
                        self._pos(mark),
                        "put it in quotes if it is meant as text",
                    )
                )
                return v
        try:
            return _tagged(tag, v)
        except KeyError:
            self.problems.append(self._bad_tag(tag, mark))
        except ValueError as e:
            self.problems.append(report("yaml-tag", str(e), self._pos(mark), "remove the tag, or fix the value"))
        return None

    def _duplicate(self, top: list, key: str, lc: tuple[int, int], key_marks: dict) -> None:
        first = key_marks.get(top[1] + (key,))
        where = f" (first on line {first[0]})" if first else ""
        # A key with no value between the two is the usual cause: a block's own key indented
        # too far (`  signed:` written `    signed:`), so the keys under it land in the
        # mapping above. Say that once, instead of "keep one" for every key it swallowed.
        keys = list(top[0])
        after = keys[keys.index(key) + 1 :] if key in keys else []
        empty = next((k for k in reversed(after) if top[0][k] is None and isinstance(k, str)), None)
        if empty is not None:
            marker = (id(top), empty)
            if marker in self._reported_empty:
                top[4] = first or lc
                return
            self._reported_empty.add(marker)
            at = key_marks.get(top[1] + (empty,))
            line = f" on line {at[0]}" if at else ""
            self.problems.append(
                report(
                    "yaml-duplicate-key",
                    f"key '{key}' appears twice in this mapping{where}: '{empty}'{line} has no value, so the "
                    f"keys below it are read as part of this mapping",
                    Pos(self.file, *lc),
                    f"if '{empty}' starts a block of its own, indent it like its siblings (less than the keys "
                    "under it); delete nothing",
                )
            )
            top[4] = first or lc
            return
        self.problems.append(
            report(
                "yaml-duplicate-key",
                f"key '{key}' appears twice in this mapping{where}",
                Pos(self.file, *lc),
                "keep one of the two; YAML would silently drop the first",
            )
        )
        # The second value still replaces the first, as in any YAML loader (the
        # file is refused anyway); the key keeps its first position.
        top[4] = first or lc

    def _complex_key(self, top: list, lc: tuple[int, int]) -> None:
        self.problems.append(
            report(
                "yaml-key",
                "a mapping key is itself a list or a mapping",
                Pos(self.file, *lc),
                "keys are plain text; check for a stray '?', '[' or '{'",
            )
        )
        top[3] = f"<key at {lc[0]}:{lc[1]}>"
        top[4] = lc

    def _bad_tag(self, tag: str, mark) -> Diagnostic:
        return report(
            "yaml-tag",
            f"the tag {_show_tag(tag)} is not allowed: story files hold plain data only",
            self._pos(mark),
            "remove the tag (standard tags !!str !!int !!float !!bool !!null !!map !!seq are fine)",
        )

    def _too_deep(self, mark) -> Diagnostic:
        return report(
            "yaml-depth",
            f"the document is nested more than {MAX_DEPTH} levels deep",
            self._pos(mark),
            "flatten the structure; stories never need this depth",
        )

    def _multi(self, ev) -> Diagnostic:
        return report(
            "yaml-multi-document",
            "a second YAML document starts here; a story file holds exactly one",
            self._pos(ev.start_mark),
            "remove the extra '---' line (and what follows it, or move it to its own file)",
        )

    def _syntax(self, e: yaml.MarkedYAMLError, text: str) -> Diagnostic:
        mark = e.problem_mark or e.context_mark
        pos = self._pos(mark) if mark is not None else Pos(self.file)
        problem = e.problem or "the YAML cannot be parsed"
        if "maximum nesting depth" in problem:
            # newer libyaml stops runaway nesting itself, before our own depth limit sees it
            return self._too_deep(mark)
        if "cannot start any token" in problem and mark is not None:
            # libyaml does not say which character; name it.
            ch = _char_at(text, mark.line, mark.column)
            if ch == "\t":
                problem = "found a tab character that violates indentation"
            elif ch:
                problem = f"found character {ch!r} that cannot start any token"
        message = _plain_problem(problem)
        cm = e.context_mark
        if e.context and cm is not None and mark is not None and (cm.line, cm.column) != (mark.line, mark.column):
            what = _CONTEXTS.get(e.context.replace("while ", "").strip())
            if what:
                message += f"; the {what} began at line {cm.line + 1}, column {cm.column + 1}"
        return report("yaml-syntax", message, pos, _syntax_hint(problem))


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 0-based line and column, or ''."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    i = start + column
    return text[i] if i < len(text) and text[i] != "\n" else ""


# PyYAML's and libyaml's wording, and what a writer would call it.
_PROBLEMS = [
    ("mapping values are not allowed", "a ':' here would start a mapping, and one cannot start here"),
    ("did not find expected key", "this does not fit the mapping around it (a new key was expected here)"),
    (
        "expected <block end>, but found '<scalar>'",
        "this does not fit the mapping around it (a new key was expected here)",
    ),
    ("expected <block end>", "this line is not indented like the lines above it"),
    (
        "did not find expected '-' indicator",
        "this line is not indented like the list above it (a '- ' item was expected)",
    ),
    ("a tab character that violates indentation", "a tab character is used to indent"),
    ("found character '\\t' that cannot start any token", "a tab character is used to indent"),
    ("found character that cannot start any token", "a value cannot start with this character"),
    ("found unexpected end of stream", "the file ends before this is closed"),
    ("did not find expected ',' or ']'", "a ']' (or a ',' before the next item) is missing"),
    ("expected ',' or ']'", "a ']' (or a ',' before the next item) is missing"),
    ("did not find expected ',' or '}'", "a '}' (or a ',' before the next entry) is missing"),
    ("expected ',' or '}'", "a '}' (or a ',' before the next entry) is missing"),
    ("could not find expected ':'", "a ':' is missing after this key"),
    ("found undefined tag handle", "this tag uses an unknown '!handle!'"),
]

_CONTEXTS = {
    "parsing a block mapping": "mapping",
    "parsing a block collection": "list",
    "parsing a flow sequence": "[...] list",
    "parsing a flow mapping": "{...} mapping",
    "scanning a quoted scalar": "quoted text",
    "scanning a double-quoted scalar": "quoted text",
    "scanning a single-quoted scalar": "quoted text",
    "scanning a block scalar": "block of text",
    "scanning a simple key": "key",
    "parsing a flow node": "value",
    "parsing a block node": "value",
}

_TOKENS = [
    ("<block end>", "the end of the indented block"),
    ("<block mapping start>", "a new indented mapping"),
    ("<block sequence start>", "a new indented list"),
    ("<flow mapping end>", "'}'"),
    ("<flow sequence end>", "']'"),
    ("<flow mapping start>", "'{'"),
    ("<flow sequence start>", "'['"),
    ("<document start>", "'---'"),
    ("<document end>", "'...'"),
    ("<stream end>", "the end of the file"),
    ("<scalar>", "text"),
    ("<alias>", "an alias (*name)"),
    ("<anchor>", "an anchor (&name)"),
    ("<tag>", "a tag"),
    ("<block entry>", "a list item ('-')"),
    ("<flow entry>", "','"),
    ("<key>", "a key"),
    ("<value>", "':'"),
]


_CANNOT_START = re.compile(r"found character (.+) that cannot start any token")


def _plain_problem(problem: str) -> str:
    for needle, words in _PROBLEMS:
        if needle in problem:
            return words
    m = _CANNOT_START.search(problem)
    if m:
        return f"a value cannot start with {m.group(1)} here"
    for a, b in _TOKENS:
        problem = problem.replace(f"'{a}'", b).replace(a, b)
    return problem.strip()


def _syntax_hint(problem: str) -> str:
    p = problem.lower()
    if "tab" in p or "\\t" in p:
        return "indent with spaces, never tabs"
    if "mapping values are not allowed" in p:
        return "text containing ': ' must be put in quotes; otherwise check the indentation"
    if "block end" in p or "expected key" in p or "indicator" in p:
        return "check the indentation: the items of one mapping or list must line up"
    if "cannot start any token" in p:
        return "text starting with this character must be put in quotes"
    if "end of stream" in p or "stream end" in p:
        return "a quote or bracket is opened and never closed"
    return "fix the YAML at the position shown; check indentation and quoting"


def _sorted(problems: list[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic):
        p = d.pos
        return (p.line if p else 0, p.col if p else 0)

    return sorted(problems, key=key)
