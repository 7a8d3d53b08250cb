"""`chronicle graph`: each chapter's map as Mermaid, Graphviz DOT or SVG.

The map is built once (`build_maps`) and written by the renderers:

  * nodes are labelled with their id and in-world date; the start node has a
    heavier border and a ▶; endings are shaped by kind (canon: a rounded double
    box / Mermaid stadium, personal: a hexagon, divergent: an arrow-flag shape)
    and coloured (green, blue, red);
  * a node whose text asserts or denies facts says which (`asserts a, b`,
    `denies c`), and a divergent ending the facts it `diverges` from;
  * every choice is an edge labelled with its number in the node's list, its
    condition (`if ...`), its effects (`do ...`) and the facts its text asserts
    or denies; the canonical path (the `canon: true` choices followed from the start as play
    follows them, `engine.canonpath`) is drawn heavier;
  * nodes that `chronicle check` finds something wrong with are outlined in
    red, dashed, with the diagnostic codes in the label (`⚠ soft-lock`);
  * with every chapter, each ending has a dotted edge into the next chapter's
    start;
  * a call (`call:`) is a dashed edge into the called node, labelled "call, back to X";
    a returning node has a dotted edge labelled "return" to each place a call returns to;
    `next:` is a plain, unlabelled edge;
  * with the choice analysis (`stats --choices`), flavour choices are dashed edges
    and the nodes of corridors (runs of single-choice nodes) are shaded grey.

Mermaid labels are quoted and escaped with Mermaid's entity codes, so a map can
sit in a Markdown file (`-o map.md` writes one fenced block per chapter).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field

from .. import canonpath
from .. import runtime as rt
from ..diagnostics import Diagnostic
from ..model import Chapter, Node, Story
from . import AuthoringError

KIND_MARK = {"canon": "canon", "personal": "personal", "divergent": "divergent"}
COLOURS = {  # fill, stroke
    "canon": ("#d4edda", "#2e7d32"),
    "personal": ("#dbe9f7", "#1f5fa8"),
    "divergent": ("#f8d7da", "#b3261e"),
}
FLAG_STROKE = "#d32f2f"
CORRIDOR_FILL = "#e6e6e6"


@dataclass
class MapNode:
    key: str  # "chapter/node"
    node: Node
    label: list  # lines
    kind: str  # node | canon | personal | divergent
    start: bool = False
    findings: list = field(default_factory=list)  # Diagnostics about this node
    corridor: bool = False  # one of a run of single-choice nodes (shaded)


@dataclass
class MapEdge:
    src: str
    dst: str
    label: str
    canon_path: bool = False
    chapter_link: bool = False
    flavour: bool = False  # nothing later can tell this choice from a sibling (dashed)
    call: bool = False  # a subroutine call (`call:`): dashed, labelled "call"
    back: bool = False  # a returning node's way back to where a call returns (dotted, "return")


@dataclass
class ChapterMap:
    chapter: Chapter
    number: int  # 1-based position in play order
    nodes: list
    edges: list
    findings: list = field(default_factory=list)  # Diagnostics about the chapter as a whole


# ---- building the map ----------------------------------------------------------------------


def canonical_edges(story: Story) -> dict[str, set[tuple[str, int]]]:
    """Per chapter, (node id, choice index) of each choice on the canonical path, as play follows
    it (`engine.canonpath`, the walk `check` proves): from the story's start, and for a chapter the
    path does not reach (an earlier one breaks), from the chapter's own start."""
    out: dict[str, set[tuple[str, int]]] = {}
    try:
        reached = list(canonpath.legs(story))
    except rt.PlayError:
        reached = []
    walked = {leg.chapter.id: leg for leg in reached}
    for ch in story.chapters:
        leg = walked.get(ch.id)
        if leg is None:
            try:
                leg = canonpath.walk(story, rt.start(story, ch.id))
            except rt.PlayError:
                continue
        out[ch.id] = {(a.node, b.path[-1]) for a, b in zip(leg.states, leg.states[1:])}
    return out


def choice_label(c, with_text: bool = False, width: int = 40) -> str:
    parts = [str(c.index + 1)]
    if with_text:
        t = " ".join(c.text.split())
        parts[0] += ". " + (t if len(t) <= width else t[: width - 1] + "…")
    if c.condition_src:
        parts.append("if " + " ".join(c.condition_src.split()))
    if c.effects:
        parts.append("do " + "; ".join(e.src for e in c.effects))
    if c.asserts:
        parts.append("asserts " + ", ".join(c.asserts))
    if c.denies:
        parts.append("denies " + ", ".join(c.denies))
    return " · ".join(parts)


def said_label(node: Node) -> list[str]:
    """What a node's text states, a line per text part that asserts or denies a fact.

    A part shown under a condition says so (`if …: asserts a`), and its `else` says the
    opposite branch (`else: denies a`), so the label never merges what two branches claim."""
    out = []
    for p in node.text:
        cond = " ".join(p.condition_src.split()) if p.condition_src else None
        said = _said(p.asserts, p.denies)
        if said:
            out.append(f"if {cond}: {said}" if cond else said)
        else_said = _said(p.else_asserts, p.else_denies)
        if else_said:
            out.append(f"unless {cond}: {else_said}" if cond else f"else: {else_said}")
    return list(dict.fromkeys(out))


def _said(asserts: tuple, denies: tuple) -> str:
    parts = []
    if asserts:
        parts.append("asserts " + ", ".join(asserts))
    if denies:
        parts.append("denies " + ", ".join(denies))
    return " · ".join(parts)


def findings_by_node(story: Story, diagnostics: list[Diagnostic]) -> tuple[dict, dict]:
    """Map diagnostics to (chapter id, node id) by position, else by the node ids their message names.

    Returns ({(chapter, node): [Diagnostic]}, {chapter: [Diagnostic]}) - the second for
    findings about a chapter as a whole."""
    by_node: dict = {}
    by_chapter: dict = {}
    files = {}
    for ch in story.chapters:
        starts = sorted((n.pos.line, nid) for nid, n in ch.nodes.items() if n.pos and n.pos.line)
        files[ch.file] = (ch, starts)
    for d in diagnostics:
        hit = None
        if d.pos and d.pos.file in files:
            ch, starts = files[d.pos.file]
            line = d.pos.line
            before = [nid for ln, nid in starts if ln <= line]
            if line and before:
                hit = (ch.id, before[-1])
            else:
                named = [t for t in re.findall(r"'([a-z0-9-]+)'", d.message) if t in ch.nodes]
                hit = (ch.id, named[0]) if named else None
                if hit is None:
                    by_chapter.setdefault(ch.id, []).append(d)
                    continue
        else:
            for ch in story.chapters:
                if f"'{ch.id}'" in d.message:
                    named = [t for t in re.findall(r"'([a-z0-9-]+)'", d.message) if t in ch.nodes and t != ch.id]
                    if named:
                        hit = (ch.id, named[0])
                    else:
                        by_chapter.setdefault(ch.id, []).append(d)
                    break
        if hit:
            by_node.setdefault(hit, []).append(d)
    return by_node, by_chapter


def build_maps(
    story: Story,
    chapter: str | None = None,
    diagnostics: list[Diagnostic] | None = None,
    with_text: bool = False,
    choices: list | None = None,
) -> list[ChapterMap]:
    """`choices`: the choice analysis (`engine.check.choices.analyse_choices`), to dash flavour
    choices and shade corridors; without it neither is drawn."""
    if chapter is not None and not story.has_chapter(chapter):
        raise AuthoringError(
            f"there is no chapter '{chapter}' (chapters: {', '.join(c.id for c in story.chapters)})", 2
        )
    by_node, by_chapter = findings_by_node(story, diagnostics or [])
    canon_by_chapter = canonical_edges(story)
    maps = []
    for number, ch in enumerate(story.chapters, 1):
        if chapter is not None and ch.id != chapter:
            continue
        canon = canon_by_chapter.get(ch.id, set())
        analysis = next((cc for cc in choices or () if cc.id == ch.id), None)
        flavour = {(c.node, c.index - 1) for c in analysis.choices if c.flavour} if analysis else set()
        corridor = {n for cor in analysis.corridors for n in cor.nodes} if analysis else set()
        nodes, edges = [], []
        for nid, node in ch.nodes.items():
            date = node.date or node.shown_date
            label = [("▶ " if nid == ch.start else "") + nid]
            if date:
                label.append(str(date))
            kind = "node"
            if node.ending:
                # an ending without history's kinds (none, or good/bad/neutral) is drawn as a plain ending
                kind = node.ending.kind if node.ending.kind in COLOURS else "ending"
                label.append(f"{node.ending.title} ({node.ending.kind})" if node.ending.kind else node.ending.title)
                if node.ending.diverges:
                    label.append("diverges " + ", ".join(node.ending.diverges))
            label += said_label(node)
            found = by_node.get((ch.id, nid), [])
            if found:
                label.append("⚠ " + ", ".join(dict.fromkeys(d.code for d in found)))
            nodes.append(MapNode(f"{ch.id}/{nid}", node, label, kind, nid == ch.start, found, nid in corridor))
            for c in node.choices:
                how = choice_label(c, with_text)
                if c.returns_to is not None:
                    how = f"call, back to {c.returns_to} · {how}"
                edges.append(
                    MapEdge(
                        f"{ch.id}/{nid}",
                        f"{ch.id}/{c.target}",
                        how,
                        canon_path=(nid, c.index) in canon,
                        flavour=(nid, c.index) in flavour,
                        call=c.returns_to is not None,
                    )
                )
            if node.next is not None:  # play goes on without a click: a plain, unlabelled edge
                edges.append(MapEdge(f"{ch.id}/{nid}", f"{ch.id}/{node.next}", ""))
            for b in node.branches:  # a conditional `next:`: an edge per branch, labelled with its `if`
                how = "otherwise" if b.condition_src is None and len(node.branches) > 1 else b.condition_src or ""
                if b.returns_to is not None:
                    how = f"call, back to {b.returns_to}" + (f" · {how}" if how else "")
                edges.append(MapEdge(f"{ch.id}/{nid}", f"{ch.id}/{b.target}", how, call=b.returns_to is not None))
            for back in node.return_to:  # and back from a call, to each place one returns to
                edges.append(MapEdge(f"{ch.id}/{nid}", f"{ch.id}/{back}", "return", back=True))
        maps.append(ChapterMap(ch, number, nodes, edges, by_chapter.get(ch.id, [])))
    if chapter is None:
        for a, b in zip(maps, maps[1:]):
            for n in a.nodes:
                if n.node.ending:
                    a.edges.append(MapEdge(n.key, f"{b.chapter.id}/{b.chapter.start}", "", chapter_link=True))
    return maps


def chapter_title(m: ChapterMap) -> str:
    t = f"{m.number}. {m.chapter.title} ({m.chapter.id})"
    if m.findings:
        t += " ⚠ " + ", ".join(dict.fromkeys(d.code for d in m.findings))
    return t


# ---- Mermaid ---------------------------------------------------------------------------------

_MM_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    "`": "#96;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
}


def mermaid_escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label: entity codes for anything Mermaid might read."""
    text = " ".join(text.split())
    return "".join(_MM_ENTITIES.get(ch, ch) for ch in text)


def mermaid_id(key: str) -> str:
    # ids are [a-z0-9-]; '-' becomes '_', '/' becomes '__', and the 'n_' prefix keeps Mermaid
    # from reading a leading 'o' or 'x' as an arrow head, or a bare 'end' as a keyword.
    return "n_" + key.replace("-", "_").replace("/", "__")


def _mm_label(lines: list[str]) -> str:
    return '"' + "<br/>".join(mermaid_escape(x) for x in lines) + '"'


_MM_SHAPES = {
    "node": ("[", "]"),
    "canon": ("([", "])"),
    "personal": ("{{", "}}"),
    "divergent": (">", "]"),
    "ending": ("([", "])"),
}


def render_mermaid(maps: list[ChapterMap], title: str | None = None) -> str:
    out = ["flowchart TD"]
    if title:
        out.append(f"  %% {' '.join(title.split())}")
    classes: dict[str, list[str]] = {
        "start": [],
        "corridor": [],
        "canon": [],
        "personal": [],
        "divergent": [],
        "flagged": [],
    }
    keys = {n.key for m in maps for n in m.nodes}
    links = []
    for m in maps:
        sub = "ch_" + m.chapter.id.replace("-", "_")
        boxed = len(maps) > 1 or bool(m.findings)  # a lone chapter is boxed only to show its findings
        if boxed:
            out.append(f"  subgraph {sub}[{_mm_label([chapter_title(m)])}]")
            out.append("    direction TB")
            ind = "    "
        else:
            out.append(f"  %% {mermaid_escape(chapter_title(m))}")
            ind = "  "
        for n in m.nodes:
            a, b = _MM_SHAPES[n.kind]
            out.append(f"{ind}{mermaid_id(n.key)}{a}{_mm_label(n.label)}{b}")
            if n.start:
                classes["start"].append(mermaid_id(n.key))
            if n.kind in COLOURS:
                classes[n.kind].append(mermaid_id(n.key))
            if n.findings:
                classes["flagged"].append(mermaid_id(n.key))
            if n.corridor:
                classes["corridor"].append(mermaid_id(n.key))
        if boxed:
            out.append("  end")
        links += m.edges
    for e in links:
        if e.src not in keys or e.dst not in keys:
            continue
        a, b = mermaid_id(e.src), mermaid_id(e.dst)
        arrow = (
            "==>" if e.canon_path and not e.chapter_link else "-.->" if e.chapter_link or e.flavour or e.call else "-->"
        )
        if e.back:
            arrow = "-.->"
        label = f'|"{mermaid_escape(e.label)}"|' if e.label else ""
        out.append(f"  {a} {arrow}{label} {b}")
    out.append("  classDef start stroke-width:3px")
    if classes["corridor"]:
        out.append(f"  classDef corridor fill:{CORRIDOR_FILL}")
    for kind, (fill, stroke) in COLOURS.items():
        out.append(f"  classDef {kind} fill:{fill},stroke:{stroke},stroke-width:2px")
    out.append(f"  classDef flagged stroke:{FLAG_STROKE},stroke-width:3px,stroke-dasharray:5 3")
    for cls, ids in classes.items():
        if ids:
            out.append(f"  class {','.join(ids)} {cls}")
    return "\n".join(out) + "\n"


def render_markdown(maps: list[ChapterMap]) -> str:
    """One heading and one fenced Mermaid block per chapter."""
    out = []
    for m in maps:
        out.append(f"## {m.number}. {m.chapter.title} (`{m.chapter.id}`)\n")
        if m.findings:
            out.append(
                "`chronicle check` findings about the chapter: "
                + ", ".join(f"`{c}`" for c in dict.fromkeys(d.code for d in m.findings))
                + "\n"
            )
        single = ChapterMap(m.chapter, m.number, m.nodes, [e for e in m.edges if not e.chapter_link], m.findings)
        out.append("```mermaid\n" + render_mermaid([single]) + "```\n")
    return "\n".join(out)


# ---- DOT ---------------------------------------------------------------------------------------


def dot_quote(text: str) -> str:
    """A DOT double-quoted string; newlines become centred line breaks."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r\n", "\n").replace("\n", "\\n") + '"'


_DOT_SHAPES = {
    "node": {"shape": "box", "style": "rounded"},
    "canon": {"shape": "box", "style": "rounded,filled", "peripheries": "2"},
    "personal": {"shape": "hexagon", "style": "filled"},
    "divergent": {"shape": "cds", "style": "filled"},
    "ending": {"shape": "box", "style": "rounded", "peripheries": "2"},
}


def _dot_attrs(attrs: dict) -> str:
    return ", ".join(f"{k}={v if re.fullmatch(r'[0-9.]+', v) else dot_quote(v)}" for k, v in attrs.items())


def render_dot(maps: list[ChapterMap], title: str | None = None) -> str:
    out = ["digraph chronicle {"]
    out.append(f'  graph [rankdir=TB, fontname="Helvetica", labelloc=t, label={dot_quote(title or "")}];')
    out.append('  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded"];')
    out.append('  edge [fontname="Helvetica", fontsize=9];')
    keys = {n.key for m in maps for n in m.nodes}
    links = []
    for m in maps:
        out.append(f"  subgraph {dot_quote('cluster_' + m.chapter.id)} {{")
        out.append(f"    label={dot_quote(chapter_title(m))};")
        if m.findings:
            out.append(f"    fontcolor={dot_quote(FLAG_STROKE)};")
        for n in m.nodes:
            attrs = {"label": "\n".join(n.label), **_DOT_SHAPES[n.kind]}
            if n.kind in COLOURS:
                attrs["fillcolor"], attrs["color"] = COLOURS[n.kind]
            if n.start:
                attrs["penwidth"] = "2.5"
            if n.corridor:
                attrs["style"] += ",filled"
                attrs["fillcolor"] = CORRIDOR_FILL
            if n.findings:
                attrs["color"] = FLAG_STROKE
                attrs["penwidth"] = "2.5"
                attrs["style"] += ",dashed"
                attrs["tooltip"] = "\n".join(f"{d.code}: {d.message}" for d in n.findings)
            out.append(f"    {dot_quote(n.key)} [{_dot_attrs(attrs)}];")
        out.append("  }")
        links += m.edges
    for e in links:
        if e.src not in keys or e.dst not in keys:
            continue
        edge_attrs = []
        if e.label:
            edge_attrs.append(f"label={dot_quote(e.label)}")
        if e.canon_path:
            edge_attrs.append('penwidth=3, color="#2e7d32"')
        if e.chapter_link:
            edge_attrs.append('style=dotted, color="#888888", arrowhead=empty')
        if e.flavour or e.call:
            edge_attrs.append("style=dashed")
        if e.back:
            edge_attrs.append('style=dotted, color="#555555"')
        shown = f" [{', '.join(edge_attrs)}]" if edge_attrs else ""
        out.append(f"  {dot_quote(e.src)} -> {dot_quote(e.dst)}{shown};")
    out.append("}")
    return "\n".join(out) + "\n"


def render_svg(dot_text: str) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise AuthoringError(
            "SVG needs Graphviz's `dot` program, which is not installed. On Debian or Ubuntu: "
            "`sudo apt-get install graphviz` (the package is graphviz). Or write DOT with "
            "`--format dot` and render it elsewhere, or use `--format mermaid`."
        )
    try:
        done = subprocess.run([dot, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AuthoringError(f"running Graphviz's dot failed: {exc}") from None
    if done.returncode != 0:
        raise AuthoringError("Graphviz's dot refused the graph: " + done.stderr.decode("utf-8", "replace").strip())
    return done.stdout
