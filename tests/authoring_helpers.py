"""Helpers for the authoring tests: the real CLI in a subprocess, and structural
parsers for the Mermaid and DOT that `chronicle graph` writes."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "tests" / "fixtures" / "lighthouse"  # a frozen copy of tests/stories/tour (see its README)
FIXTURES = ROOT / "tests" / "fixtures" / "codes"


def chronicle(*args, cwd=None, env=None, timeout=60) -> subprocess.CompletedProcess:
    """Run `python -m engine ARGS` and return the finished process (text mode)."""
    return subprocess.run(
        [sys.executable, "-m", "engine", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
        env=env,
    )


def run_command_line(line: str, cwd=None) -> subprocess.CompletedProcess:
    """Run a `chronicle ...` command line as printed by the tools (e.g. a replay command)."""
    argv = shlex.split(line)
    assert argv[0] == "chronicle", line
    return chronicle(*argv[1:], cwd=cwd)


def copy_tour(dest: Path) -> Path:
    shutil.copytree(LIGHTHOUSE, dest)
    return dest


# ---- Mermaid ---------------------------------------------------------------------------------

MERMAID_RESERVED = {
    "end",
    "subgraph",
    "graph",
    "flowchart",
    "style",
    "class",
    "classDef",
    "click",
    "linkStyle",
    "direction",
    "default",
}
_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_LABEL = r'"[^"\n]*"'
_SHAPES = [
    (r"\(\[", r"\]\)", "stadium"),
    (r"\{\{", r"\}\}", "hexagon"),
    (r"\[", r"\]", "box"),
    (r">", r"\]", "flag"),
    (r"\(\(", r"\)\)", "circle"),
    (r"\(", r"\)", "round"),
]


@dataclass
class Mermaid:
    nodes: dict = field(default_factory=dict)  # id -> (shape, label)
    edges: list = field(default_factory=list)  # (src, arrow, label or None, dst)
    classes: dict = field(default_factory=dict)  # class -> [ids]
    subgraphs: list = field(default_factory=list)  # (id, label)


def unescape_mermaid(label: str) -> str:
    def ent(m):
        name = m.group(1)
        if name.isdigit():
            return chr(int(name))
        return {"quot": '"', "amp": "&", "lt": "<", "gt": ">"}[name]

    return re.sub(r"#([a-z]+|[0-9]+);", ent, label)


def parse_mermaid(text: str) -> Mermaid:
    """A strict structural check of the Mermaid flowchart subset `chronicle graph` writes.

    Every line must be one known statement; labels are double-quoted with no raw
    quote, bracket, pipe or angle bracket inside (Mermaid entity codes instead);
    ids are not keywords; subgraphs close; edges and classes name declared nodes."""
    lines = text.splitlines()
    assert lines and re.fullmatch(r"flowchart (TD|TB|LR|RL|BT)", lines[0]), lines[:1]
    m = Mermaid()
    depth = 0
    pending = []
    for n, raw in enumerate(lines[1:], 2):
        line = raw.strip()
        where = f"line {n}: {raw!r}"
        if not line or line.startswith("%%"):
            continue
        for label in re.findall(_LABEL, line):
            inner = label[1:-1].replace("<br/>", "")
            assert not set(inner) & set("<>|[]{}`"), f"{where}: a raw character Mermaid may read, inside a label"
        if line == "end":
            depth -= 1
            assert depth >= 0, where
            continue
        if line.startswith("direction "):
            assert re.fullmatch(r"direction (TD|TB|LR|RL|BT)", line), where
            continue
        g = re.fullmatch(rf"subgraph ({_ID})\[({_LABEL})\]", line)
        if g:
            assert g.group(1) not in MERMAID_RESERVED, where
            m.subgraphs.append((g.group(1), unescape_mermaid(g.group(2)[1:-1])))
            depth += 1
            continue
        g = re.fullmatch(rf"classDef ({_ID}) ([a-z-]+:[^ ,;]+(?:,[a-z-]+:[^,;]+)*)", line)
        if g:
            continue
        g = re.fullmatch(rf"class ({_ID}(?:,{_ID})*) ({_ID})", line)
        if g:
            m.classes.setdefault(g.group(2), []).extend(g.group(1).split(","))
            continue
        g = re.fullmatch(rf"({_ID}) (-->|==>|-\.->)(?:\|({_LABEL})\|)? ({_ID})", line)
        if g:
            label = g.group(3)
            pending.append(
                (g.group(1), g.group(2), unescape_mermaid(label[1:-1]) if label else None, g.group(4), where)
            )
            continue
        for a, b, shape in _SHAPES:
            g = re.fullmatch(rf"({_ID}){a}({_LABEL}){b}", line)
            if g:
                assert g.group(1) not in MERMAID_RESERVED, where
                assert g.group(1) not in m.nodes, f"{where}: node declared twice"
                m.nodes[g.group(1)] = (shape, unescape_mermaid(g.group(2)[1:-1]))
                break
        else:
            raise AssertionError(f"not a Mermaid statement chronicle writes: {where}")
    assert depth == 0, "a subgraph is not closed"
    for src, arrow, label, dst, where in pending:
        assert src in m.nodes and dst in m.nodes, f"{where}: edge to an undeclared node"
        m.edges.append((src, arrow, label, dst))
    for cls, ids in m.classes.items():
        for i in ids:
            assert i in m.nodes, f"class {cls} names undeclared node {i}"
    return m


# ---- DOT ---------------------------------------------------------------------------------------

_DOT_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<arrow>->|--)|(?P<id>[A-Za-z_][A-Za-z0-9_.]*|-?\d+(?:\.\d+)?)'
    r"|(?P<punct>[{}\[\];,=])|(?P<bad>\S))",
    re.S,
)


@dataclass
class Dot:
    nodes: dict = field(default_factory=dict)  # name -> attrs
    edges: list = field(default_factory=list)  # (src, dst, attrs)
    clusters: list = field(default_factory=list)


def _dot_tokens(text: str):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        mt = _DOT_TOKEN.match(text, pos)
        if not mt or mt.group("bad"):
            raise AssertionError(f"bad DOT at {pos}: {text[pos : pos + 40]!r}")
        kind = mt.lastgroup
        val = mt.group(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), val[1:-1])
            kind = "id"
        out.append((kind, val))
        pos = mt.end()
    return out


def parse_dot(text: str) -> Dot:
    """A strict recursive-descent parser for the DOT subset `chronicle graph` writes."""
    toks = _dot_tokens(text)
    i = 0
    d = Dot()

    def peek(k=0):
        return toks[i + k] if i + k < len(toks) else (None, None)

    def take(kind=None, value=None):
        nonlocal i
        t = peek()
        assert t[0] is not None, "DOT ends too early"
        assert kind is None or t[0] == kind, f"expected {kind}, got {t}"
        assert value is None or t[1] == value, f"expected {value!r}, got {t}"
        i += 1
        return t[1]

    def attrs():
        out = {}
        take("punct", "[")
        while peek() != ("punct", "]"):
            k = take("id")
            take("punct", "=")
            out[k] = take("id")
            if peek() == ("punct", ","):
                take()
        take("punct", "]")
        return out

    def stmts():
        while peek() != ("punct", "}"):
            t = peek()
            if t == ("id", "subgraph"):
                take()
                d.clusters.append(take("id"))
                take("punct", "{")
                stmts()
                take("punct", "}")
            elif t[1] in ("graph", "node", "edge") and peek(1) == ("punct", "["):
                take()
                attrs()
            else:
                a = take("id")
                if peek() == ("punct", "="):
                    take()
                    take("id")
                elif peek()[0] == "arrow":
                    assert take("arrow") == "->", "a digraph's edges are ->"
                    b = take("id")
                    d.edges.append((a, b, attrs() if peek() == ("punct", "[") else {}))
                else:
                    d.nodes[a] = attrs() if peek() == ("punct", "[") else {}
            if peek() == ("punct", ";"):
                take()

    take("id", "digraph")
    if peek()[0] == "id":
        take("id")
    take("punct", "{")
    stmts()
    take("punct", "}")
    assert i == len(toks), "text after the graph"
    for a, b, _ in d.edges:
        assert a in d.nodes and b in d.nodes, f"edge {a} -> {b} names an undeclared node"
    return d


def no_dot_env(tmp: Path) -> dict:
    """An environment in which `dot` cannot be found."""
    empty = tmp / "empty-path"
    empty.mkdir(exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = str(empty)
    return env


def cli(*args) -> tuple[int, str, str]:
    """Run the chronicle command in this process (faster than a subprocess, for variants of a
    case the subprocess tests already cover end to end). Returns (exit code, stdout, stderr)."""
    import contextlib
    import io

    from engine.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()
