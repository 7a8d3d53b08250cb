"""What the server answers: one plain function per request, over a `Workspace`.

Positions are the protocol's (0-based line and column). Each function returns lsprotocol values
(or None), and none of them writes a file: a rename or a code action is a `WorkspaceEdit` that
the editor applies, or not.
"""

from __future__ import annotations

import json
import keyword
import re
from functools import cache
from pathlib import Path
from typing import Any

from lsprotocol import types as T
from pygls.uris import from_fs_path

from .index import FACT_KEYS, NODE_KEYS, FileIndex, Occ, Span
from .workspace import STORY_FILE, Workspace, kind_of

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
FLAG_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
FIRST_LINES = 3  # lines of a node's text shown on hover


def uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def rng(s: Span) -> T.Range:
    return T.Range(T.Position(s.line, s.col), T.Position(s.end_line, s.end_col))


def loc(path: Path, s: Span) -> T.Location:
    return T.Location(uri(path), rng(s))


# ---- resolving a name to its declaration ---------------------------------------------


def occ_at(ws: Workspace, path: Path, line: int, col: int) -> tuple[FileIndex, Occ] | None:
    ix = ws.index(path)
    if ix is None:
        return None
    o = ix.at(line, col)
    return (ix, o) if o is not None else None


def flag_home(ws: Workspace, path: Path, name: str) -> Path | None:
    """The file that declares the flag `name` as seen from `path`: the chapter's own, else story.yaml."""
    ix = ws.index(path)
    if ix is not None and ix.kind == "chapter" and name in ix.flags:
        return path
    story = ws.index(ws.root / STORY_FILE)
    if story is not None and name in story.flags:
        return ws.root / STORY_FILE
    return None


def history(ws: Workspace) -> tuple[Path, FileIndex] | None:
    for p in ws.files():
        if kind_of(ws.root, p) == "history":
            ix = ws.index(p)
            if ix is not None:
                return p, ix
    return None


def chapter_path(ws: Workspace, chapter_id: str) -> Path | None:
    p = ws.chapter_file(chapter_id)
    return p if ws.text(p) is not None else None


def definition_of(ws: Workspace, path: Path, o: Occ) -> tuple[Path, Span] | None:
    if o.kind == "node" or o.kind == "choice":
        ix = ws.index(path)
        name = o.name.split(".", 1)[0]
        if ix is not None and name in ix.nodes:
            return path, ix.nodes[name].span
        return None
    if o.kind == "flag":
        home = flag_home(ws, path, o.name)
        hix = ws.index(home) if home else None
        return (home, hix.flags[o.name].span) if home and hix else None
    if o.kind == "fact":
        h = history(ws)
        if h and o.name in h[1].facts:
            return h[0], h[1].facts[o.name].span
        return None
    if o.kind == "chapter":
        p = chapter_path(ws, o.name)
        if p is None:
            return None
        cix = ws.index(p)
        for c in cix.occs if cix else []:
            if c.kind == "chapter" and c.role == "def":
                return p, c.span
        return p, Span(0, 0, 0, 0)
    return None


def references_of(ws: Workspace, path: Path, o: Occ) -> list[tuple[Path, Occ]]:
    """Every occurrence of the name under the cursor, its declaration included."""
    if o.kind in ("node", "choice"):
        ix = ws.index(path)
        name = o.name.split(".", 1)[0]
        return [(path, x) for x in (ix.occs if ix else []) if x.kind == "node" and x.name == name]
    out = []
    if o.kind == "flag":
        home = flag_home(ws, path, o.name)
        if home is None:
            scope = [path]
        elif kind_of(ws.root, home) == "chapter":
            scope = [home]
        else:  # story-wide: everywhere but the chapters that declare their own flag of that name
            scope = []
            for p, ix in ws.indexes().items():
                if not (ix.kind == "chapter" and o.name in ix.flags):
                    scope.append(p)
        for p in scope:
            ix = ws.index(p)
            out += [(p, x) for x in (ix.occs if ix else []) if x.kind == "flag" and x.name == o.name]
        return out
    for p, ix in ws.indexes().items():
        out += [(p, x) for x in ix.occs if x.kind == o.kind and x.name == o.name]
    return out


# ---- definition, references, rename ----------------------------------------------


def definition(ws: Workspace, path: Path, line: int, col: int) -> T.Location | None:
    got = occ_at(ws, path, line, col)
    if got is None:
        return None
    d = definition_of(ws, path, got[1])
    return loc(*d) if d else None


def references(ws: Workspace, path: Path, line: int, col: int, include_decl: bool = True) -> list[T.Location]:
    got = occ_at(ws, path, line, col)
    if got is None:
        return []
    refs = references_of(ws, path, got[1])
    return [loc(p, o.span) for p, o in refs if include_decl or o.role != "def"]


class RenameRefused(Exception):
    """A rename the server will not make (the message says why)."""


def prepare_rename(ws: Workspace, path: Path, line: int, col: int) -> T.Range | None:
    got = occ_at(ws, path, line, col)
    if got is None or got[1].kind not in ("node", "flag", "fact"):
        return None
    return rng(got[1].span)


def rename(ws: Workspace, path: Path, line: int, col: int, new: str) -> T.WorkspaceEdit:
    got = occ_at(ws, path, line, col)
    if got is None:
        raise RenameRefused("there is no node, flag or fact here to rename")
    o = got[1]
    if o.kind == "chapter":
        raise RenameRefused("a chapter's id is its file name: rename the file and its entry in `chapters:`")
    if o.kind not in ("node", "flag", "fact"):
        raise RenameRefused("only node ids, flags and fact ids can be renamed")
    if o.kind == "flag":
        if not FLAG_RE.match(new) or keyword.iskeyword(new) or new in ("true", "false", "seen", "visits"):
            raise RenameRefused(f"'{new}' is not a flag name (lower_snake_case, like 'asked_americans')")
    elif not ID_RE.match(new) or len(new) > 64:
        raise RenameRefused(f"'{new}' is not an id (lower-case letters and digits, words joined by '-')")
    name = o.name.split(".", 1)[0] if o.kind == "node" else o.name
    if new == name:
        return T.WorkspaceEdit(changes={})
    taken = _taken(ws, path, o.kind, name, new)
    if taken:
        raise RenameRefused(taken)
    changes: dict[str, list[T.TextEdit]] = {}
    for p, x in references_of(ws, path, o):
        changes.setdefault(uri(p), []).append(T.TextEdit(rng(x.span), new))
    return T.WorkspaceEdit(changes=changes)


def _taken(ws: Workspace, path: Path, kind: str, old: str, new: str) -> str | None:
    if kind == "node":
        ix = ws.index(path)
        if ix is not None and new in ix.nodes:
            return f"this chapter already has a node '{new}'"
    elif kind == "fact":
        h = history(ws)
        if h and new in h[1].facts:
            return f"the history already has a fact '{new}'"
    elif kind == "flag":
        home = flag_home(ws, path, old)
        for p, ix in ws.indexes().items():
            if new in ix.flags and (ix.kind == "story" or home is None or p == home or ix.kind == "chapter"):
                if ix.kind == "story" or p == home or kind_of(ws.root, home or path) == "story":
                    return f"'{new}' is already a flag ({p.relative_to(ws.root).as_posix()})"
    return None


# ---- symbols ---------------------------------------------------------------------------


def document_symbols(ws: Workspace, path: Path) -> list[T.DocumentSymbol]:
    ix = ws.index(path)
    if ix is None:
        return []
    out = []
    nodes = sorted(ix.nodes.values(), key=lambda n: n.span.line)
    total = len(ix.text.split("\n"))
    for i, n in enumerate(nodes):
        end = nodes[i + 1].span.line - 1 if i + 1 < len(nodes) else total - 1
        full = T.Range(T.Position(n.span.line, 0), T.Position(max(end, n.span.line), 0))
        out.append(
            T.DocumentSymbol(
                name=n.id,
                kind=T.SymbolKind.Event if n.info.get("ending") else T.SymbolKind.Function,
                range=_cover(full, n.span),
                selection_range=rng(n.span),
                detail=_where(n.info),
            )
        )
    for f in ix.flags.values():
        out.append(
            T.DocumentSymbol(
                name=f.name,
                kind=T.SymbolKind.Variable,
                range=rng(f.span),
                selection_range=rng(f.span),
                detail=_flag_type(f.info),
            )
        )
    for fact in ix.facts.values():
        out.append(
            T.DocumentSymbol(
                name=fact.id,
                kind=T.SymbolKind.Constant,
                range=rng(fact.span),
                selection_range=rng(fact.span),
                detail=str(fact.info.get("date", "")),
            )
        )
    return out


def _cover(full: T.Range, s: Span) -> T.Range:
    end = max((full.end.line, full.end.character), (s.end_line, s.end_col))
    return T.Range(T.Position(s.line, 0), T.Position(*end))


def _symbol(name: str, kind: T.SymbolKind, where: T.Location, container: str) -> T.SymbolInformation:
    return T.SymbolInformation(name=name, kind=kind, location=where, container_name=container)


def workspace_symbols(ws: Workspace, query: str) -> list[T.SymbolInformation]:
    q = query.lower()
    out = []
    for p, ix in ws.indexes().items():
        where = p.relative_to(ws.root).as_posix()
        for n in ix.nodes.values():
            if q in n.id.lower():
                out.append(_symbol(n.id, T.SymbolKind.Function, loc(p, n.span), where))
        for f in ix.flags.values():
            if q in f.name.lower():
                out.append(_symbol(f.name, T.SymbolKind.Variable, loc(p, f.span), where))
        for fact in ix.facts.values():
            if q in fact.id.lower():
                out.append(_symbol(fact.id, T.SymbolKind.Constant, loc(p, fact.span), where))
    return out


# ---- hover -----------------------------------------------------------------------------


def hover(ws: Workspace, path: Path, line: int, col: int, diagnostics: list[dict] | None = None) -> T.Hover | None:
    parts = []
    span = None
    got = occ_at(ws, path, line, col)
    if got is not None:
        ix, o = got
        span = o.span
        text = _hover_name(ws, path, ix, o)
        if text:
            parts.append(text)
    codes = [d for d in diagnostics or [] if _diag_covers(d, line, col)]
    code_here = _allow_code_at(ws, path, line, col)
    for code in dict.fromkeys([d["code"] for d in codes] + ([code_here] if code_here else [])):
        entry = code_entry(code)
        if entry:
            parts.append(entry)
    if not parts:
        return None
    return T.Hover(T.MarkupContent(T.MarkupKind.Markdown, "\n\n---\n\n".join(parts)), rng(span) if span else None)


def code_entry(code: str) -> str | None:
    from engine.codes import CODES

    c = CODES.get(code)
    if c is None:
        return None
    return f"**{c.code}** ({c.area}): {c.summary}.\n\nFix: {c.fix}."


def _allow_code_at(ws: Workspace, path: Path, line: int, col: int) -> str | None:
    text = ws.text(path) or ""
    rows = text.split("\n")
    if line >= len(rows):
        return None
    row = rows[line]
    if "allow" not in row and not row.strip().startswith("-"):
        return None
    for m in re.finditer(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z]+", row):
        if (
            m.start() <= col <= m.end()
            and "allow" in row[: m.start()]
            or (m.start() <= col <= m.end() and _under_allow(rows, line))
        ):
            from engine.codes import CODES

            if m.group(0) in CODES:
                return m.group(0)
    return None


def _under_allow(rows: list[str], line: int) -> bool:
    row = rows[line]
    if not row.strip().startswith("-"):
        return False
    ind = len(row) - len(row.lstrip())
    for k in range(line - 1, max(line - 30, -1), -1):
        r = rows[k]
        if not r.strip() or r.strip().startswith("#"):
            continue
        i = len(r) - len(r.lstrip())
        if i < ind or (i == ind and not r.strip().startswith("-")):
            return r.strip().startswith("allow:")
    return False


def _diag_covers(d: dict, line: int, col: int) -> bool:
    r = d.get("range")
    if not r:
        return False
    return (r[0], r[1]) <= (line, col) <= (r[2], r[3])


def _hover_name(ws: Workspace, path: Path, ix: FileIndex, o: Occ) -> str | None:
    if o.kind in ("node", "choice"):
        return _hover_node(ws, path, ix, o.name.split(".", 1)[0])
    if o.kind == "flag":
        return _hover_flag(ws, path, o.name)
    if o.kind == "fact":
        return _hover_fact(ws, o.name)
    if o.kind == "chapter":
        p = chapter_path(ws, o.name)
        cix = ws.index(p) if p else None
        if cix is None or not isinstance(cix.data, dict) and cix.data is not None:
            return f"chapter **{o.name}** (no file chapters/{o.name}.yaml)"
        data = _data(ws, p)
        period = data.get("period") or {}
        when = f", {period.get('from')} to {period.get('to')}" if isinstance(period, dict) and period else ""
        return f"chapter **{o.name}**: {data.get('title', '')}{when}; {len(cix.nodes)} nodes"
    return None


def _data(ws: Workspace, path: Path | None) -> dict:
    ix = ws.index(path) if path else None
    if ix is None:
        return {}
    if ix.data is None:
        import yaml

        from .index import Loader, plain

        try:
            root = yaml.compose(ix.text, Loader=Loader)
            ix.data = plain(root) if root is not None else {}
        except yaml.YAMLError:
            ix.data = {}
    return ix.data if isinstance(ix.data, dict) else {}


def _where(info: dict) -> str:
    bits = [str(info[k]) for k in ("place", "date") if info.get(k) is not None]
    return ", ".join(bits)


def _first_lines(info: dict) -> str:
    text = info.get("text")
    if isinstance(text, list):
        text = next((t if isinstance(t, str) else t.get("text") for t in text if t), "")
    if not isinstance(text, str):
        return ""
    lines = [ln.strip() for ln in text.strip().split("\n") if ln.strip()]
    out = " ".join(lines[:FIRST_LINES])
    return out[:300] + ("…" if len(out) > 300 or len(lines) > FIRST_LINES else "")


def _hover_node(ws: Workspace, path: Path, ix: FileIndex, nid: str) -> str:
    n = ix.nodes.get(nid)
    if n is None:
        return f"**{nid}**: no node of that id in this chapter"
    info = n.info
    head = f"node **{nid}**"
    where = _where(info)
    if where:
        head += f" — {where}"
    if isinstance(info.get("ending"), dict):
        e = info["ending"]
        head += f"\n\nending ({e.get('kind', '')}): {e.get('title', '')}"
    lines = [head]
    first = _first_lines(info)
    if first:
        lines.append(f"> {first}")
    ways = [x for x in ix.occs if x.kind == "node" and x.name == nid and x.role == "ref"]
    if ways:
        ins = []
        for x in ways:
            if x.key == "start":
                ins.append("the chapter's start")
            elif x.key in ("goto", "call", "next"):
                ins.append(f"{x.key} from {x.where}")
        if ins:
            lines.append("ways in: " + ", ".join(dict.fromkeys(ins)))
    return "\n\n".join(lines)


def _flag_type(info: dict) -> str:
    t = info.get("type", "?")
    if t == "int":
        lo, hi = info.get("min"), info.get("max")
        if lo is not None or hi is not None:
            return f"int {'' if lo is None else lo}..{'' if hi is None else hi}"
    if t == "enum":
        return "enum " + "|".join(str(v) for v in info.get("values") or [])
    return str(t)


def _hover_flag(ws: Workspace, path: Path, name: str) -> str:
    home = flag_home(ws, path, name)
    if home is None:
        return f"**{name}**: no flag of that name is declared (in this chapter's `flags:` or story/story.yaml's)"
    f = ws.index(home).flags[name]  # type: ignore[union-attr]
    info = f.info
    scope = "story-wide" if kind_of(ws.root, home) == "story" else "chapter"
    lines = [f"flag **{name}**: {_flag_type(info)}, default `{json.dumps(info.get('default'))}` ({scope})"]
    if info.get("doc"):
        lines.append(str(info["doc"]))
    sets, reads = [], []
    for p, x in references_of(ws, path, Occ("flag", name, f.span, "ref")):
        label = x.where or p.relative_to(ws.root).as_posix()
        if kind_of(ws.root, p) == "chapter" and x.where:
            label = f"{p.stem}:{x.where}"
        if x.role == "set":
            sets.append(label)
        elif x.role == "ref":
            reads.append(label)
    lines.append("set by: " + (", ".join(dict.fromkeys(sets)) or "nothing"))
    lines.append("read in: " + (", ".join(dict.fromkeys(reads)) or "nothing"))
    return "\n\n".join(lines)


def _hover_fact(ws: Workspace, fid: str) -> str:
    h = history(ws)
    if h is None or fid not in h[1].facts:
        return f"**{fid}**: no fact of that id in story/history.yaml"
    fact = h[1].facts[fid]
    info = fact.info
    kind = "story fact" if fact.story else "fact"
    lines = [f"{kind} **{fid}** ({info.get('date', '?')})", str(info.get("statement", ""))]
    if info.get("holds"):
        lines.append(f"holds: `{info['holds']}`")
    else:
        lines.append("holds: always (no `holds`: nothing can break it)")
    src = info.get("source")
    if isinstance(src, dict) and src.get("quote"):
        lines.append(f"source ¶{src.get('paragraph', '?')}: “{src['quote']}”")
    breaking = []
    for p, ix in ws.indexes().items():
        for x in ix.occs:
            if x.kind == "fact" and x.name == fid and x.key == "diverges":
                breaking.append(f"{p.stem}:{x.where}")
    lines.append("broken by the endings: " + (", ".join(breaking) if breaking else "none"))
    return "\n\n".join(lines)


# ---- completion ------------------------------------------------------------------------

_KEY_ON_LINE = re.compile(r"(?:^|[\s{,\[-])([a-z_]+)\s*:\s+(?=[^:]*$)")


def completion(ws: Workspace, path: Path, line: int, col: int) -> list[T.CompletionItem]:
    kind = kind_of(ws.root, path)
    text = ws.text(path)
    if kind is None or text is None:
        return []
    rows = text.split("\n")
    if line >= len(rows):
        return []
    prefix = rows[line][:col]
    word = re.search(r"[A-Za-z0-9_.-]*$", prefix).group(0)  # type: ignore[union-attr]
    edit_range = T.Range(T.Position(line, col - len(word)), T.Position(line, col))
    ix = ws.index(path)

    m = re.search(r"\b(seen|visits)\s*\(\s*[\"']([\w.-]*)$", prefix)
    if m:
        return _nodes(ix, edit_range, choices=m.group(1) == "visits")
    key = _key_of(rows, line, prefix)
    if key == "choices" and kind == "chapter":  # a choice on one line: `- Knock. -> porch if lit do ...`
        if re.search(r"(?<!\S)->\s+[\w-]*$", prefix):
            return _nodes(ix, edit_range)
        if re.search(r"(?<!\S)->\s.*(?<!\S)(if|do)\s", prefix):
            return _flags_or_values(ws, path, prefix, edit_range)
    if key is None and re.match(r"^\s*(-\s+)?[a-z_]*$", prefix):
        return _keys(ws, kind, rows, line, prefix, edit_range)
    if key in NODE_KEYS and kind == "chapter":
        return _nodes(ix, edit_range)
    if key in FACT_KEYS:
        return _facts(ws, edit_range)
    if key == "chapters" and kind == "story":
        return _chapters(ws, edit_range)
    if key in ("if", "enabled", "do", "holds") or (key in ("text", "say", "else") and _in_part(prefix)):
        return _flags_or_values(ws, path, prefix, edit_range)
    if _in_part(prefix):
        return _flags_or_values(ws, path, prefix, edit_range)
    return []


def _key_of(rows: list[str], line: int, prefix: str) -> str | None:
    """The key whose value the cursor is in: the nearest `key:` to its left on the line, or for a
    `- item` of a block list, the key the list belongs to."""
    keys = list(_KEY_ON_LINE.finditer(prefix))
    if keys:
        return keys[-1].group(1)
    m = re.match(r"^(\s*)-\s+", prefix)
    if m:
        ind = len(m.group(1))
        for k in range(line - 1, max(line - 200, -1), -1):
            r = rows[k]
            s = r.strip()
            if not s or s.startswith("#"):
                continue
            i = len(r) - len(r.lstrip())
            if i < ind or (i == ind and not s.startswith("-")):
                km = re.match(r"^(?:-\s+)?([a-z_]+)\s*:\s*$", s)
                return km.group(1) if km else None
    if "{" in prefix:
        return "text"
    return None


def _in_part(prefix: str) -> bool:
    """Is the cursor inside an unclosed `{...}` part of a text?"""
    depth = 0
    for ch in prefix:
        if ch == "{":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
    return depth > 0


def _item(label, kind, detail="", doc="", edit_range=None, insert=None, sort=None) -> T.CompletionItem:
    return T.CompletionItem(
        label=label,
        kind=kind,
        detail=detail or None,
        documentation=T.MarkupContent(T.MarkupKind.Markdown, doc) if doc else None,
        text_edit=T.TextEdit(edit_range, insert if insert is not None else label) if edit_range else None,
        sort_text=sort,
        filter_text=label,
    )


def _nodes(ix: FileIndex | None, r: T.Range, choices: bool = False) -> list[T.CompletionItem]:
    if ix is None:
        return []
    out = [
        _item(n.id, T.CompletionItemKind.Reference, _where(n.info), _first_lines(n.info), r) for n in ix.nodes.values()
    ]
    if choices:
        out += [
            _item(o.name, T.CompletionItemKind.Reference, "a choice's visit count", "", r)
            for o in ix.occs
            if o.kind == "choice"
        ]
    return out


def _facts(ws: Workspace, r: T.Range) -> list[T.CompletionItem]:
    h = history(ws)
    if h is None:
        return []
    return [
        _item(
            f.id,
            T.CompletionItemKind.Constant,
            f"{'story fact, ' if f.story else ''}{f.info.get('date', '')}",
            str(f.info.get("statement", "")),
            r,
        )
        for f in h[1].facts.values()
    ]


def _chapters(ws: Workspace, r: T.Range) -> list[T.CompletionItem]:
    out = []
    for p in ws.files():
        if kind_of(ws.root, p) == "chapter":
            data = _data(ws, p)
            out.append(_item(p.stem, T.CompletionItemKind.File, str(data.get("title", "")), "", r))
    return out


def _flags_or_values(ws: Workspace, path: Path, prefix: str, r: T.Range) -> list[T.CompletionItem]:
    flags = _visible_flags(ws, path)
    m = re.search(r"\b([a-z][a-z0-9_]*)\s*(==|!=|=)\s*([\"']?)([\w-]*)$", prefix)
    if m and m.group(1) in flags and flags[m.group(1)].get("type") == "enum":
        quote = m.group(3)
        start = T.Position(r.end.line, r.end.character - len(m.group(4)))
        vr = T.Range(start, r.end)
        return [
            _item(str(v), T.CompletionItemKind.EnumMember, f"a value of {m.group(1)}", "", vr, v if quote else f'"{v}"')
            for v in flags[m.group(1)].get("values") or []
        ]
    return [
        _item(name, T.CompletionItemKind.Variable, _flag_type(info), str(info.get("doc", "")), r)
        for name, info in flags.items()
    ]


def _visible_flags(ws: Workspace, path: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    story = ws.index(ws.root / STORY_FILE)
    if story is not None:
        out.update({n: f.info for n, f in story.flags.items()})
    ix = ws.index(path)
    if ix is not None and ix.kind == "chapter":
        out.update({n: f.info for n, f in ix.flags.items()})
    return out


# ---- schema keys -------------------------------------------------------------------------


@cache
def schema(kind: str) -> dict:
    from .. import files

    return json.loads(files.read_text(SCHEMAS / f"{kind}.schema.json"))


def _resolve(root: dict, s: Any, depth: int = 0) -> list[dict]:
    """The alternatives a subschema stands for, $refs followed and anyOf/oneOf/allOf flattened."""
    if not isinstance(s, dict) or depth > 12:
        return []
    if "$ref" in s and isinstance(s["$ref"], str) and s["$ref"].startswith("#/$defs/"):
        target = root.get("$defs", {}).get(s["$ref"].split("/")[-1])
        return _resolve(root, target, depth + 1) + ([s] if s.get("properties") else [])
    out = [s]
    for kw in ("anyOf", "oneOf", "allOf"):
        for sub in s.get(kw, []):
            out += _resolve(root, sub, depth + 1)
    return out


def schema_at(kind: str, path: list) -> list[dict]:
    root = schema(kind)
    here = _resolve(root, root)
    for step in path:
        nxt: list[dict] = []
        for s in here:
            if step == "*":
                nxt += _resolve(root, s.get("items"))
            else:
                props = s.get("properties", {})
                if step in props:
                    nxt += _resolve(root, props[step])
                elif isinstance(s.get("additionalProperties"), dict):
                    nxt += _resolve(root, s["additionalProperties"])
        here = nxt
    return here


def yaml_path(rows: list[str], line: int, prefix: str) -> list:
    """The keys (and '*' for list items) leading to the mapping the cursor's key is written in."""
    m = re.match(r"^(\s*)((?:-\s+)*)", prefix)
    assert m is not None
    col = len(m.group(1)) + len(m.group(2))
    path: list = []
    if m.group(2):
        path.append("*")
        col = len(m.group(1))
        in_list = True
    else:
        in_list = False
    for k in range(line - 1, -1, -1):
        r = rows[k]
        s = r.strip()
        if not s or s.startswith("#"):
            continue
        ind = len(r) - len(r.lstrip())
        km = re.match(r"^(\s*)((?:-\s+)*)([A-Za-z0-9_-]+)\s*:(.*)$", r)
        dash = km.group(2) if km else re.match(r"^(\s*)((?:-\s+)*)", r).group(2)  # type: ignore[union-attr]
        key_col = ind + len(dash)
        if dash and ind < col and key_col == col and not in_list:
            path.append("*")  # our key is a sibling of this item's first key
            col, in_list = ind, True
            continue
        if km and (key_col < col or (in_list and key_col == col and not dash)):
            path.append(km.group(3))
            col, in_list = key_col, False
            if dash:
                path.append("*")
                col, in_list = ind, True
        if col == 0 and not in_list:
            break
    return list(reversed(path))


def _keys(ws: Workspace, kind: str, rows: list[str], line: int, prefix: str, r: T.Range) -> list[T.CompletionItem]:
    path = yaml_path(rows, line, prefix)
    seen: dict[str, T.CompletionItem] = {}
    for s in schema_at(kind, path):
        for name, sub in (s.get("properties") or {}).items():
            if name in seen:
                continue
            doc = ""
            for alt in [sub] + _resolve(schema(kind), sub):
                doc = doc or alt.get("description", "")
            seen[name] = _item(name, T.CompletionItemKind.Property, "", doc, r, f"{name}: ")
    return list(seen.values())


# ---- code actions ---------------------------------------------------------------------------


def code_actions(ws: Workspace, path: Path, r: T.Range, diagnostics: list[T.Diagnostic]) -> list[T.CodeAction]:
    out: list[T.CodeAction] = []
    text = ws.text(path)
    if text is None:
        return out
    rows = text.split("\n")
    for d in diagnostics:
        data = d.data if isinstance(d.data, dict) else {}
        hint = data.get("hint") or ""
        code = d.code
        m = re.search(r"did you mean '([^']+)'", hint)
        if m:
            target = _name_span(ws, path, d, data)
            if target is not None:
                out.append(_fix(f"Change to '{m.group(1)}'", path, target, m.group(1), d, preferred=True))
        if code == "unknown-flag":
            m2 = re.search(r'write "([^"]+)"', hint)
            if m2:
                target = _name_span(ws, path, d, data, name=m2.group(1))
                if target is not None:
                    out.append(_fix(f'Quote the value: "{m2.group(1)}"', path, target, f'"{m2.group(1)}"', d, True))
            elif name := data.get("name") or _quoted(d.message):
                act = _declare(ws, path, rows, str(name), d)
                if act:
                    out.append(act)
        if code == "continuity" and "asserts" in d.message:
            act = _scaffold(ws, path, rows, d)
            if act:
                out.append(act)
    out += _choice_ids(ws, path, rows, r)
    return out


def _quoted(message: str) -> str | None:
    m = re.search(r"unknown flag '([a-z][a-z0-9_]*)'", message)
    return m.group(1) if m else None


def _fix(title, path, span: Span, new: str, d, preferred=False) -> T.CodeAction:
    return T.CodeAction(
        title=title,
        kind=T.CodeActionKind.QuickFix,
        diagnostics=[d],
        is_preferred=preferred,
        edit=T.WorkspaceEdit(changes={uri(path): [T.TextEdit(rng(span), new)]}),
    )


def _name_span(ws: Workspace, path: Path, d: T.Diagnostic, data: dict, name: str | None = None) -> Span | None:
    """The exact range of the misspelt name a diagnostic is about: the name quoted in its message,
    found among the file's names at or just after the diagnostic's line."""
    ix = ws.fresh(path)
    names = [name] if name else re.findall(r"'([^']+)'", d.message)
    line = d.range.start.line
    if ix is not None and ix.ok:
        for o in ix.occs:
            if o.name in names and line <= o.span.line <= line + 40 and o.role != "def":
                return o.span
    # no index (broken YAML): the word on the diagnostic's own line
    rows = (ws.text(path) or "").split("\n")
    if line < len(rows):
        for n in names:
            k = rows[line].find(n, d.range.start.character)
            if k >= 0:
                return Span(line, k, line, k + len(n))
    return None


def _declare(ws: Workspace, path: Path, rows: list[str], name: str, d) -> T.CodeAction | None:
    ix = ws.index(path)
    if ix is None or not FLAG_RE.match(name):
        return None
    kind = kind_of(ws.root, path)
    used = "\n".join(rows)
    ftype = "int" if re.search(rf"\b{re.escape(name)}\s*[-+]=", used) else "bool"
    default = "0" if ftype == "int" else "false"
    decl = f"{name}: {{type: {ftype}, default: {default}, doc: TODO say what {name} means}}"
    where = "this chapter" if kind == "chapter" else "the story"
    if ix.flags:
        last = max(f.span.line for f in ix.flags.values())
        first = min(ix.flags.values(), key=lambda f: f.span.line)
        ind = " " * first.span.col
        end = last + 1
        while end < len(rows) and rows[end].startswith(ind + " ") and rows[end].strip():
            end += 1
        edit = T.TextEdit(T.Range(T.Position(end, 0), T.Position(end, 0)), f"{ind}{decl}\n")
    else:
        at = next((i for i, r in enumerate(rows) if re.match(r"^(start|nodes|chapters):", r)), len(rows))
        edit = T.TextEdit(T.Range(T.Position(at, 0), T.Position(at, 0)), f"flags:\n  {decl}\n")
    return T.CodeAction(
        title=f"Declare flag '{name}' in {where}",
        kind=T.CodeActionKind.QuickFix,
        diagnostics=[d],
        edit=T.WorkspaceEdit(changes={uri(path): [edit]}),
    )


def _scaffold(ws: Workspace, path: Path, rows: list[str], d) -> T.CodeAction | None:
    """`if:`/`else:` around a text part that asserts a fact where it can be broken: the fact's
    `holds` as the condition, and an `else:` to write."""
    fid = re.search(r"fact '([^']+)'", d.message)
    h = history(ws)
    if not fid or h is None or fid.group(1) not in h[1].facts:
        return None
    holds = h[1].facts[fid.group(1)].info.get("holds")
    if not holds:
        return None
    line = d.range.start.line
    if line >= len(rows):
        return None
    row = rows[line]
    m = re.match(r"^(\s*)(-\s+)?(text|asserts)\s*:", row)
    if not m:
        return None
    ind = " " * (len(m.group(1)) + len(m.group(2) or ""))
    if m.group(2):  # `- text: ...`: the condition goes first in the item
        new = f"{m.group(1)}{m.group(2)}if: {_yaml_str(holds)}\n{ind}" + row[len(m.group(1)) + len(m.group(2)) :]
    else:
        new = f"{ind}if: {_yaml_str(holds)}\n{row}"
    end = line + 1
    while end < len(rows) and rows[end].startswith(ind) and not rows[end].startswith(ind + "- ") and rows[end].strip():
        if re.match(rf"^{ind}[a-z_]+:", rows[end]) and not rows[end].startswith(ind + " "):
            if rows[end].strip().startswith(("text:", "asserts:", "denies:")):
                end += 1
                continue
            break
        end += 1
    other = f"{ind}else: TODO what is shown where {fid.group(1)} is broken\n"
    edits = [
        T.TextEdit(T.Range(T.Position(line, 0), T.Position(line, len(row))), new),
        T.TextEdit(T.Range(T.Position(end, 0), T.Position(end, 0)), other),
    ]
    return T.CodeAction(
        title=f"Show this only where '{fid.group(1)}' holds (add if: and else:)",
        kind=T.CodeActionKind.QuickFix,
        diagnostics=[d],
        edit=T.WorkspaceEdit(changes={uri(path): edits}),
    )


def _yaml_str(s: str) -> str:
    return json.dumps(s) if re.search(r"[:#{}\[\],&*!|>'\"%@`]", s) or s != s.strip() else s


def _choice_ids(ws: Workspace, path: Path, rows: list[str], r: T.Range) -> list[T.CodeAction]:
    """`id:` for a choice that shares its destination with a sibling: its save key is then
    `@target#2`, which changes when the siblings are reordered; an `id:` keeps it."""
    ix = ws.fresh(path)
    if ix is None or not ix.ok or ix.kind != "chapter":
        return []
    here = [c for c in ix.choices if c.span.line <= r.start.line <= c.span.end_line]
    if not here:
        return []
    c = here[-1]
    if c.info.get("id"):
        return []
    siblings = [x for x in ix.choices if x.node == c.node]
    target = c.info.get("goto") or c.info.get("call")
    if sum(1 for x in siblings if (x.info.get("goto") or x.info.get("call")) == target) < 2:
        return []
    slug = _slug(str(c.info.get("text", "")) or f"choice-{c.index + 1}")
    existing = {x.info.get("id") for x in siblings}
    base, n = slug, 2
    while slug in existing:
        slug, n = f"{base}-{n}", n + 1
    if c.line:  # `- Knock. -> porch`: an id needs the long form, written as a flow mapping in its place
        keys = [f"{k}: {_yaml_str(str(c.info[k]))}" for k in ("text", "call", "goto", "if") if k in c.info]
        keys += ["canon: true"] if c.info.get("canon") else []
        keys += ["do: [" + ", ".join(_yaml_str(e) for e in c.info["do"]) + "]"] if c.info.get("do") else []
        whole = T.Range(T.Position(c.span.line, c.span.col), T.Position(c.span.end_line, c.span.end_col))
        edit = T.TextEdit(whole, "{" + ", ".join(keys + [f"id: {slug}"]) + "}")
    elif c.flow:  # `- {text: ..., goto: x}`: before the closing brace
        at = T.Position(c.span.end_line, max(c.span.end_col - 1, 0))
        edit = T.TextEdit(T.Range(at, at), f", id: {slug}")
    else:  # a block mapping: a line of its own, under the choice's first key
        below = T.Position(c.span.line + 1, 0)
        edit = T.TextEdit(T.Range(below, below), f"{' ' * c.span.col}id: {slug}\n")
    return [
        T.CodeAction(
            title=f"Give this choice an id ('{slug}'), so saves keep it when its siblings move",
            kind=T.CodeActionKind.RefactorRewrite,
            edit=T.WorkspaceEdit(changes={uri(path): [edit]}),
        )
    ]


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:4]
    return "-".join(words) or "choice"


# ---- lenses and commands ----------------------------------------------------------------------

TRY = "chronicle.tryFromHere"
BROKEN = "the story does not compile: fix its errors first"
WHY = "chronicle.why"


def code_lenses(ws: Workspace, path: Path) -> list[T.CodeLens]:
    ix = ws.index(path)
    if ix is None or ix.kind != "chapter" or not ix.chapter_id:
        return []
    out = []
    for n in ix.nodes.values():
        r = rng(Span(n.span.line, n.span.col, n.span.line, n.span.end_col))
        args = [str(ws.root), ix.chapter_id, n.id]
        out.append(T.CodeLens(r, T.Command(title="▶ try from here", command=TRY, arguments=args)))
        out.append(T.CodeLens(r, T.Command(title="why (how is this reached?)", command=WHY, arguments=args)))
    return out


def play_command(root: str, chapter: str, node: str) -> str:
    return f"chronicle play --story {root} --chapter {chapter} --at {node}"


def _story(ws: Workspace):
    story = ws.last.story if ws.last is not None and ws.last.story is not None else None
    if story is None:
        story = ws.compile().story
    return story


def try_from_here(ws: Workspace, chapter: str, node: str) -> dict:
    """The scene at `node` as play shows it on arriving there with the chapter's starting values,
    its choices, and the command that plays on from there in a terminal."""
    from engine.runtime import PlayError, start
    from engine.transcript import scene_lines

    command = play_command(str(ws.root), chapter, node)
    story = _story(ws)
    if story is None:
        return {"title": f"{chapter}:{node}", "text": BROKEN, "command": command}
    try:
        state = start(story, chapter, node)
        text = "\n".join(scene_lines(story, state)).rstrip()
    except (PlayError, KeyError) as exc:
        text = f"cannot start there: {exc}"
    return {"title": f"{chapter}:{node}", "text": f"{text}\n\nplay on from here: {command}", "command": command}


def why_text(ws: Workspace, chapter: str, node: str) -> dict:
    """`chronicle why CHAPTER:NODE`: the shortest way there, or what blocks it."""
    from engine.authoring import AuthoringError
    from engine.authoring.why import render_text, why

    command = f"chronicle why --story {ws.root} {chapter}:{node}"
    story = _story(ws)
    if story is None:
        return {"title": f"why {chapter}:{node}", "text": BROKEN, "command": command}
    try:
        ans = why(story, f"{chapter}:{node}", story_arg=str(ws.root))
        text = render_text(ans).rstrip()
    except AuthoringError as exc:
        text = exc.message
    return {"title": f"why {chapter}:{node}", "text": text, "command": command}
