"""Where each name is written in one story file, with exact ranges, for the editor.

`index_text(text, kind)` reads a chapter, the manifest or the history as YAML (PyYAML's safe
composer: plain data, no tags run) and lists every occurrence of an author's name:

    node     a key under `nodes:` (its definition), `start:`, `goto:`, `call:`, `next:`, the
             node after `->` in a choice written on one line, `seen("x")` and
             `visits("x")` / `visits("x.choice")` in any expression
    flag     a key under `flags:` (definition), a name in `if:`, `do:`, `holds:` and in the
             `{...}` parts of any text (`do:` targets are marked as sets)
    fact     `id:` of a fact in history.yaml (definition), the ids in `asserts`, `denies`,
             `records`, `refs`, `covers`, `diverges`
    chapter  a chapter's own `id:` (definition), an entry of the manifest's `chapters:`

A file that is not valid YAML gives an index with `ok=False` and no occurrences; the server
keeps the last good one for navigation and reads the cursor's line for completion.
Ranges are 0-based (line, column) pairs, as the protocol counts, columns in code points.
"""

from __future__ import annotations

import bisect
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .. import inline as il
from ..choiceline import ChoiceLineError
from ..choiceline import parse as parse_line

try:  # libyaml's composer when present: a 10 MB paste is composed in a second, not a minute
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

NODE_KEYS = ("goto", "call", "next", "start")
FACT_KEYS = ("asserts", "denies", "records", "refs", "covers", "diverges")
EXPR_KEYS = ("if", "enabled", "holds")
TEXT_KEYS = ("text", "say", "else", "intro", "epilogue")
NOT_FLAGS = set(keyword.kwlist) | {"true", "false", "seen", "visits"}
MAX_INDEX_CHARS = 4 * 1024 * 1024  # larger buffers are not indexed (the compiler still reports them)

_TOKEN = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_][A-Za-z0-9_]*")
_BRACE = re.compile(r"\{\{|\}\}|[{}]")
_CALL = re.compile(r"\b(seen|visits)\s*\(\s*([\"'])([^\"'\n]*)\2")


@dataclass(frozen=True)
class Span:
    line: int
    col: int
    end_line: int
    end_col: int

    def contains(self, line: int, col: int) -> bool:
        return (self.line, self.col) <= (line, col) <= (self.end_line, self.end_col)


@dataclass(frozen=True)
class Occ:
    kind: str  # node | flag | fact | chapter | choice
    name: str
    span: Span
    role: str  # def | ref | set
    where: str | None = None  # the node it is written in (chapter files), or None
    key: str = ""  # the key whose value holds it (goto, if, asserts, ...)


@dataclass
class FlagDef:
    name: str
    span: Span
    info: dict  # type, default, doc, min, max, values as written


@dataclass
class FactDef:
    id: str
    span: Span
    info: dict  # statement, date, holds, source, ... as written
    story: bool = False  # under story_facts:


@dataclass
class NodeDef:
    id: str
    span: Span
    info: dict  # the node's mapping as written


@dataclass
class ChoiceDef:
    node: str
    index: int  # in the node's list of choices
    span: Span  # the whole choice mapping
    info: dict  # as written
    flow: bool  # written `{text: ..., goto: ...}` on one line
    line: bool = False  # written as one line, `- Knock. -> porch` (`info` is then its long form)


@dataclass
class FileIndex:
    kind: str  # chapter | story | history
    ok: bool
    text: str = ""
    data: Any = None
    chapter_id: str | None = None
    occs: list[Occ] = field(default_factory=list)
    nodes: dict[str, NodeDef] = field(default_factory=dict)
    flags: dict[str, FlagDef] = field(default_factory=dict)
    facts: dict[str, FactDef] = field(default_factory=dict)
    chapters: list[str] = field(default_factory=list)  # the manifest's list, in order
    choices: list[ChoiceDef] = field(default_factory=list)
    scalars: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)  # start -> end of each token
    error: str | None = None

    def at(self, line: int, col: int) -> Occ | None:
        """The occurrence under the cursor."""
        for o in self.occs:
            if o.span.contains(line, col):
                return o
        return None

    def node_at(self, line: int) -> str | None:
        """The node whose definition is the last one at or before `line` (chapter files)."""
        best, best_line = None, -1
        for n in self.nodes.values():
            if best_line < n.span.line <= line:
                best, best_line = n.id, n.span.line
        return best


class _Lines:
    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def pos(self, index: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, index) - 1
        return i, index - self.starts[i]


def index_text(text: str, kind: str) -> FileIndex:
    """Every name in `text` (a file of `kind`: chapter, story or history)."""
    if len(text) > MAX_INDEX_CHARS:
        return FileIndex(kind, False, text, error="too large to index")
    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as exc:
        return FileIndex(kind, False, text, error=str(exc).splitlines()[0] if str(exc) else "bad YAML")
    except (ValueError, RecursionError, MemoryError):  # pragma: no cover - defensive
        return FileIndex(kind, False, text, error="bad YAML")
    idx = FileIndex(kind, True, text)
    if root is None:
        return idx
    try:
        _Walker(idx, text).walk(root, ())
    except RecursionError:  # a document nested thousands deep: no names worth finding
        return FileIndex(kind, False, text, error="nested too deeply")
    return idx


def plain(node) -> Any:
    """The node as plain data (scalars as text, except true/false/null and whole numbers)."""
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                out[k.value] = plain(v)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [plain(v) for v in node.value]
    v = node.value
    if node.style is None and node.tag.endswith((":bool", ":null", ":int")):
        low = v.lower()
        if low in ("true", "false"):
            return low == "true"
        if low in ("null", "~", ""):
            return None
        try:
            return int(v)
        except ValueError:
            return v
    return v


class _Walker:
    def __init__(self, idx: FileIndex, text: str):
        self.idx = idx
        self.text = text
        self.lines = _Lines(text)
        self.node: str | None = None  # the node being walked (chapter files)

    def span(self, node) -> Span:
        a, b = node.start_mark, node.end_mark
        return Span(a.line, a.column, b.line, b.column)

    def sub(self, start: int, end: int) -> Span:
        (l0, c0), (l1, c1) = self.lines.pos(start), self.lines.pos(end)
        return Span(l0, c0, l1, c1)

    def add(self, kind: str, name: str, span: Span, role: str = "ref", key: str = "") -> None:
        self.idx.occs.append(Occ(kind, name, span, role, self.node, key))

    def walk(self, node, path: tuple) -> None:
        kind = self.idx.kind
        if isinstance(node, yaml.ScalarNode):
            self.scalar(node, path)
            return
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, path + (i,))
            if kind == "story" and path == ("chapters",):
                self.idx.chapters = [v.value for v in node.value if isinstance(v, yaml.ScalarNode)]
            return
        if not isinstance(node, yaml.MappingNode):
            return
        if kind == "chapter" and self.node and len(path) == 4 and path[2] == "choices" and isinstance(path[3], int):
            info = plain(node)
            self.idx.choices.append(ChoiceDef(self.node, path[3], self.span(node), info, node.flow_style is True))
        if kind == "history" and len(path) == 2 and path[0] in ("facts", "story_facts"):
            self.fact(node, path[0] == "story_facts")
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                continue
            ks = self.span(k)
            self.idx.scalars[(ks.line, ks.col)] = (ks.end_line, ks.end_col)
            key = k.value
            if path == ("flags",) or (kind == "chapter" and path == ("flags",)):
                info = plain(v)
                self.idx.flags[key] = FlagDef(key, ks, info if isinstance(info, dict) else {})
                self.add("flag", key, ks, "def")
            if kind == "chapter" and path == ("nodes",):
                self.node = key
                info = plain(v)
                self.idx.nodes[key] = NodeDef(key, ks, info if isinstance(info, dict) else {})
                self.add("node", key, ks, "def")
            self.walk(v, path + (key,))
            if kind == "chapter" and path == ("nodes",):
                self.node = None

    def fact(self, node, story: bool) -> None:
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "id" and isinstance(v, yaml.ScalarNode):
                info = plain(node)
                s = self.span(v)
                self.idx.facts[v.value] = FactDef(v.value, s, info if isinstance(info, dict) else {}, story)
                self.add("fact", v.value, s, "def", "id")

    def scalar(self, node, path: tuple) -> None:
        s = self.span(node)
        self.idx.scalars[(s.line, s.col)] = (s.end_line, s.end_col)
        if not path:
            return
        keys = [p for p in path if isinstance(p, str)]
        key = keys[-1] if keys else ""
        kind, value = self.idx.kind, node.value
        if kind == "chapter" and self.node and len(path) == 4 and path[2] == "choices" and isinstance(path[3], int):
            self.choice_line(node, path[3])
        elif kind == "chapter" and path == ("id",):
            self.idx.chapter_id = value
            self.add("chapter", value, s, "def", "id")
        elif kind == "story" and len(path) == 2 and path[0] == "chapters":
            self.add("chapter", value, s, "ref", "chapters")
        elif key in NODE_KEYS and path[-1] == key and kind == "chapter":
            self.add("node", value, s, "ref", key)
        elif key in FACT_KEYS and isinstance(path[-1], int):
            self.add("fact", value, s, "ref", key)
        elif key in FACT_KEYS and path[-1] == key and value:  # `asserts: one-fact` written without brackets
            self.add("fact", value, s, "ref", key)
        elif key in EXPR_KEYS and path[-1] == key:
            self.expression(node, key)
        elif key == "do":
            self.expression(node, "do", effect=True)
        elif key == "id" and kind == "chapter" and "choices" in keys and self.node:
            self.add("choice", f"{self.node}.{value}", s, "def", "id")
        elif key in TEXT_KEYS or (kind == "story" and path[0] == "epilogue"):
            self.inline(node)

    def choice_line(self, node, index: int) -> None:
        """A choice written on one line: its node ids, the flags of its condition and effects,
        the inline parts of its text."""
        self.inline(node)
        base, src = self.source(node)
        try:
            line = parse_line(src)
        except ChoiceLineError:
            return
        assert self.node is not None
        self.idx.choices.append(ChoiceDef(self.node, index, self.span(node), line.mapping(), False, True))
        for key, part in (("call", line.call), ("goto", line.goto)):
            if part is not None:
                self.add("node", part.src, self.sub(base + part.at, base + part.at + len(part.src)), "ref", key)
        if line.cond is not None:
            self.expr_in(base + line.cond.at, line.cond.src, "if")
        for e in line.effects:
            self.expr_in(base + e.at, e.src, "do", effect=True)

    def source(self, node) -> tuple[int, str]:
        """The scalar's characters as written in the file, with YAML's quoting escapes blanked out
        (offsets kept), and the index they start at."""
        a, b = node.start_mark.index, node.end_mark.index
        raw = self.text[a:b]
        if node.style == '"':
            raw = raw.replace('\\"', ' "')
        elif node.style == "'":
            raw = raw.replace("''", " '")
        if node.style in ('"', "'") and len(raw) >= 2:
            return a + 1, raw[1:-1]
        return a, raw

    def expression(self, node, key: str, effect: bool = False) -> None:
        base, src = self.source(node)
        self.expr_in(base, src, key, effect)

    def expr_in(self, base: int, src: str, key: str, effect: bool = False) -> None:
        for m in _CALL.finditer(src):
            name = m.group(3)
            node_part = name.split(".", 1)[0]
            start = base + m.start(3)
            self.add("node", node_part, self.sub(start, start + len(node_part)), "ref", m.group(1))
        first = True
        for m in _TOKEN.finditer(src):
            tok = m.group(0)
            if tok[0] in "\"'":
                continue
            if tok in NOT_FLAGS:
                first = False
                continue
            if src[m.end() : m.end() + 1] == "(":
                continue
            role = "set" if effect and first and re.match(r"\s*[-+]?=(?!=)", src[m.end() :]) else "ref"
            first = False
            self.add("flag", tok, self.sub(base + m.start(), base + m.end()), role, key)

    def inline(self, node) -> None:
        base, src = self.source(node)
        for start, end in _parts(src):
            body = src[start + 1 : end]
            if body.startswith(("&", "!", "~")) or il.is_stopping(body):  # a sequence: its options' parts
                for s2, e2 in _parts(body):
                    self._part(base + start + 1, body[s2 : e2 + 1], s2)
                continue
            self._part(base, src[start : end + 1], start)

    def _part(self, base: int, part: str, at: int) -> None:
        """One `{...}` part starting at index `at` of the scalar: its expression, and its branches'
        own parts."""
        body = part[1:-1]
        cut = _top_colon(body)
        expr = body if cut is None else body[:cut]
        self.expr_in(base + at + 1, expr, "text")
        if cut is not None:
            rest = body[cut + 1 :]
            for s2, e2 in _parts(rest):
                self._part(base + at + 1 + cut + 1, rest[s2 : e2 + 1], s2)


def _parts(src: str) -> list[tuple[int, int]]:
    """(start, end) indexes of the outermost `{...}` parts in `src` (`{{` and `}}` are literal)."""
    out: list[tuple[int, int]] = []
    if "{" not in src:
        return out
    depth, start = 0, 0
    for m in _BRACE.finditer(src):
        tok, i = m.group(0), m.start()
        if len(tok) == 2 and depth == 0:
            continue  # a literal brace
        if tok[0] == "{":
            if depth == 0:
                start = i
            depth += len(tok)
        elif depth:
            depth -= 1
            if depth == 0:
                out.append((start, i + len(tok) - 1))
            elif len(tok) == 2:
                depth -= 1
                if depth == 0:
                    out.append((start, i + 1))
    return out


def _top_colon(body: str) -> int | None:
    depth, quote = 0, None
    for i, ch in enumerate(body):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == ":" and depth == 0:
            return i
        elif ch == "|" and depth == 0:
            return None
    return None
