"""One chapter through the passes: its own flags (declarations), its period and covers, every
expression (expressions), the visit counters after the flags, its nodes (nodes), the scene and
returns each node gets from its neighbours, and the graph checks (graph)."""

from __future__ import annotations

from ..dates import DateError, parse_date
from ..diagnostics import did_you_mean
from ..model import Chapter, Fact, Flag, Node, frozen_map
from ..yamlload import Document
from . import declare, expressions, graph, nodes
from .reporter import Reporter


def compile_chapter(
    out: Reporter, doc: Document, story_flags: list[Flag], facts: dict[str, Fact] | None, *, resume: bool = False
) -> Chapter | None:
    """The chapter in `doc`, or None when it has errors (they are reported). `resume`: story.yaml
    says `calls: resume`."""
    data = doc.data
    cid = data["id"]
    before = out.errors()
    taken = {f.name: f for f in story_flags}
    local = declare.flags(out, doc, ("flags",), data.get("flags") or {}, "chapter", len(story_flags), taken)
    layout = tuple(story_flags) + tuple(local)
    raw_nodes: dict = data["nodes"]
    period = _period(out, doc, facts)
    fact_ref = declare.fact_ref(out, doc, facts)
    covers = tuple(data.get("covers") or ())
    for i, fid in enumerate(covers):
        fact_ref(fid, ("covers", i), "the chapter covers")

    # Every expression parsed first, so seen() targets are known before bits are given out.
    found = expressions.parse_chapter(out, doc, raw_nodes, layout, expressions.countable(raw_nodes))
    flag_by_name = {f.name: f for f in layout}
    layout, counters, counter_slot = expressions.counter_layout(found.visit_caps, layout)
    cx = nodes.ChapterContext(
        doc=doc,
        cid=cid,
        parsed=found.parsed,
        flags=flag_by_name,
        node_ids=set(raw_nodes),
        fact_ref=fact_ref,
        facts=facts,
        covers=covers,
        period=period,
        counter_slot=counter_slot,
        resume=resume,
    )
    built: dict[str, Node] = {nid: nodes.node(out, cx, nid, n) for nid, n in raw_nodes.items()}

    start = data["start"]
    if start not in built:
        out.report(
            "unknown-node",
            f"the chapter starts at '{start}', which is not a node here",
            doc.pos(("start",)),
            did_you_mean(start, built),
        )
    if out.errors() > before:
        return None

    graph.fill_returns(built)
    graph.fill_scene(built, start)
    ch = Chapter(
        id=cid,
        title=data["title"],
        period=period,
        covers=covers,
        flags=tuple(local),
        layout=layout,
        start=start,
        nodes=frozen_map(built),
        seen_bits=frozen_map(found.seen_bits),
        file=doc.file,
        pos=doc.pos(()),
        counters=frozen_map(counters),
    )
    graph.chapter_graph(out, ch)
    return ch


def _period(out: Reporter, doc: Document, facts: dict | None):
    """The chapter's (from, to) dates, or None (reported when a documented story needs one)."""
    data = doc.data
    if data.get("period") is None:
        if nodes.documented(facts):
            out.report(
                "bad-date",
                "the chapter has no `period:`, which a story with documented history needs",
                doc.pos(("id",)),
                "say which span of time the chapter covers: `period: {from: 1980-06, to: 1980-12}`",
            )
        return None
    try:
        period = (
            parse_date(data["period"]["from"], allow_span=False),
            parse_date(data["period"]["to"], allow_span=False),
        )
    except DateError as exc:
        out.report("bad-date", f"period: {exc}", doc.pos(("period",)))
        return None
    if period[1].last < period[0].first:
        out.report("bad-date", "the chapter's period ends before it begins", doc.pos(("period",)))
    return period
