"""`chronicle stats`: per chapter, how big it is, how long it reads, how long play lasts,
and where each flag is read and written.

  * words: the node text only (every part, conditional ones and their `else`
    included); a word is a run of letters or digits, joined by ' or - (so
    "don't" and "al-Karim" are one word each);
  * reading time: words / 230 words per minute;
  * shortest and longest path to an ending, in choices, over the explored states
    (real play: conditions and effects applied, from every state the chapter can
    start in). Longest is the longest playthrough found that never repeats a
    state: exact when no state can come round again, and then `loops` is false.
    When play can return to a state it was in (a loop), `loops` is set: a
    playthrough can then go on as long as the player likes, and longest is the
    longest one that closes no loop (found by dropping the edges a depth-first
    search sees close one). When exploration is incomplete, both are measured
    on the graph of nodes instead (conditions ignored), and `basis` says so;
  * flags: where each is read (conditions, conditional text, effect values) and
    written (effects), by node id; story-wide flags a fact's `holds` reads are
    also read by "history", and `read_later` names the later chapters that read
    a story-wide flag (a flag written and read nowhere after is noted "never read").
"""

from __future__ import annotations

import textwrap
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from .. import expr as ex
from .. import inline as il
from ..check.choices import count_words
from ..check.explore import DEFAULT_MAX_MEMORY_MIB, DEFAULT_MAX_SECONDS, DEFAULT_MAX_STATES
from ..check.graphwalk import post_order
from ..check.reach import explore_story, inexact_words
from ..model import Chapter, Story, successors

WORDS_PER_MINUTE = 230


@dataclass
class FlagUse:
    name: str
    scope: str  # story | chapter
    type: str  # as declared, e.g. "int 0..3"
    read: list = field(default_factory=list)  # node ids (and "history")
    written: list = field(default_factory=list)  # node ids
    read_later: list = field(default_factory=list)  # story-wide flags: the later chapters that read it


@dataclass
class ChapterStats:
    id: str
    title: str
    nodes: int
    choices: int
    endings: dict  # kind -> count
    words: int
    shortest: int | None  # choices to the nearest ending; None when no ending is reached
    longest: int | None
    loops: bool
    basis: str  # "states" | "graph"
    flags: list  # FlagUse
    # Covered facts no ending of this chapter can break (no `holds`, or it is true in every
    # ending state explored): the history this chapter fixes. None when exploration was incomplete.
    fixed: list | None = None
    inexact: str | None = None  # why the basis is the graph when exploring (Reach.why_inexact)

    @property
    def reading_minutes(self) -> float:
        return self.words / WORDS_PER_MINUTE

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "nodes": self.nodes,
            "choices": self.choices,
            "endings": self.endings,
            "words": self.words,
            "reading_minutes": round(self.reading_minutes, 2),
            "shortest": self.shortest,
            "longest": self.longest,
            "loops": self.loops,
            "basis": self.basis,
            "stopped_by": self.inexact,
            "flags": {
                f.name: {"scope": f.scope, "type": f.type, "read": f.read, "written": f.written}
                | ({"read_later": f.read_later} if f.scope == "story" else {})
                for f in self.flags
            },
            "fixed_facts": self.fixed,
        }


def chapter_words(ch: Chapter) -> int:
    return sum(count_words(p.text) + count_words(p.else_text) for n in ch.nodes.values() for p in n.text)


def flag_uses(story: Story, ch: Chapter) -> list[FlagUse]:
    uses = {f.name: FlagUse(f.name, f.scope, f.describe()) for f in ch.layout}
    for nid, node in ch.nodes.items():
        read, written = set(), set()
        for part in node.text:
            if part.condition is not None:
                read |= ex.names_in(part.condition)
            for tree in il.text_exprs(part):  # inline parts read too: `{flag: a | b}`, `{flag}`
                read |= ex.names_in(tree)
        for b in node.branches:  # a conditional `next:` reads what its branches test
            if b.condition is not None:
                read |= ex.names_in(b.condition)
        for c in node.choices:
            if c.condition is not None:
                read |= ex.names_in(c.condition)
            for said in (c.label, c.say):
                for tree in il.text_exprs(said) if said is not None else ():
                    read |= ex.names_in(tree)
            for e in c.effects:
                read |= ex.names_in(e.expr)
                written.add(e.expr.target)
        for n in read:
            uses[n].read.append(nid)
        for n in written:
            uses[n].written.append(nid)
    history_reads = set()
    for fact in story.facts.values():
        if fact.holds is not None:
            history_reads |= ex.names_in(fact.holds)
    for f in story.flags:
        if f.name in history_reads:
            uses[f.name].read.append("history")
    # story-wide flags this chapter never touches are left out; its own flags always shown
    return [u for u in uses.values() if u.scope == "chapter" or (u.written or set(u.read) - {"history"})]


# ---- path lengths -------------------------------------------------------------------------


def _lengths(n: int, succ_start, succ, starts: list[int], is_end) -> tuple[int | None, int | None, bool]:
    """(shortest, longest, loops) of paths from any start to an ending, in a graph of n
    vertices given as CSR arrays (the successors of v are succ[succ_start[v]:succ_start[v + 1]]).

    Longest leaves out the back edges of a depth-first search (the edges that close a
    loop), so it is the longest path that closes no loop."""
    from collections import deque

    dist = [-1] * n
    q: deque[int] = deque()
    for s in starts:
        if dist[s] < 0:
            dist[s] = 0
            q.append(s)
    shortest = None
    while q:
        v = q.popleft()
        if is_end(v):
            shortest = dist[v] if shortest is None else min(shortest, dist[v])
            continue
        for k in range(succ_start[v], succ_start[v + 1]):
            w = succ[k]
            if dist[w] < 0:
                dist[w] = dist[v] + 1
                q.append(w)
    # Play stops at an ending, so the walk does not go on from one.
    post, back = post_order(n, succ_start, succ, starts, stop=is_end)
    longest = [-1] * n  # choices from v to an ending, -1 when none is reached
    for v in post:  # successors first: each edge that closes no loop leads to a finished vertex
        if is_end(v):
            longest[v] = 0
            continue
        best = -1
        for j in range(succ_start[v], succ_start[v + 1]):
            w = succ[j]
            if (v, w) not in back and longest[w] >= 0 and longest[w] + 1 > best:
                best = longest[w] + 1
        longest[v] = best
    loops = bool(back)
    ls = [longest[s] for s in starts if longest[s] >= 0]
    return shortest, (max(ls) if ls else None), loops


def _csr(adj: list[list[int]]) -> tuple[list[int], list[int]]:
    start, flat = [0], []
    for out in adj:
        flat.extend(out)
        start.append(len(flat))
    return start, flat


def chapter_stats(story: Story, ch: Chapter, exp=None) -> ChapterStats:
    endings = {"canon": 0, "personal": 0, "divergent": 0}
    for n in ch.nodes.values():
        if n.ending:
            k = n.ending.kind or "unmarked"  # stories without history: none, or good/bad/neutral
            endings[k] = endings.get(k, 0) + 1
    if exp is not None and exp.complete:
        start_states = [s for s in range(len(exp.keys)) if exp.parent[s] < 0]
        ends = set(exp.ending_states)
        shortest, longest, loops = _lengths(len(exp.keys), exp.succ_start, exp.succ, start_states, ends.__contains__)
        basis = "states"
    else:
        ids = list(ch.nodes)
        index = {n: i for i, n in enumerate(ids)}
        adj = [[index[t] for t in successors(ch.nodes[n])] for n in ids]  # `next:` moves on too
        starts_, flat = _csr(adj)
        shortest, longest, loops = _lengths(
            len(ids), starts_, flat, [index[ch.start]], lambda v: ch.nodes[ids[v]].is_ending
        )
        basis = "graph"
    return ChapterStats(
        ch.id,
        ch.title,
        len(ch.nodes),
        sum(len(n.choices) for n in ch.nodes.values()),
        endings,
        chapter_words(ch),
        shortest,
        longest,
        loops,
        basis,
        flag_uses(story, ch),
        fixed_facts(story, ch, exp) if basis == "states" else None,
    )


def fixed_facts(story: Story, ch: Chapter, exp) -> list[str]:
    """Covered facts that no ending of the chapter can break, over its explored ending states."""
    ends = [exp.keys[s][1] for s in exp.ending_states]
    return [fid for fid in ch.covers if fid in story.facts and all(story.facts[fid].holds_in(v) for v in ends)]


def story_stats(
    story: Story,
    chapter: str | None = None,
    *,
    explore: bool = True,
    max_states: int = DEFAULT_MAX_STATES,
    max_memory_mib: float = DEFAULT_MAX_MEMORY_MIB,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> list[ChapterStats]:
    reach = (
        explore_story(
            story, until=chapter, max_states=max_states, max_memory_mib=max_memory_mib, max_seconds=max_seconds
        )
        if explore
        else None
    )
    out = []
    exact = True  # every chapter so far explored whole, so this one started from every state it can
    for ch in story.chapters:
        exp = reach.exploration(ch.id) if reach else None
        usable = exp is not None and exact and exp.complete
        exact = usable
        if chapter is not None and ch.id != chapter:
            continue
        st = chapter_stats(story, ch, exp if usable else None)
        st.inexact = None if usable or reach is None else reach.why_inexact(story, ch.id)
        out.append(st)
    story_names = {f.name for f in story.flags}
    readers: dict[str, list[str]] = {n: [] for n in story_names}
    for ch in story.chapters:
        for u in flag_uses(story, ch):
            if u.scope == "story" and set(u.read) - {"history"}:
                readers[u.name].append(ch.id)
    order = [c.id for c in story.chapters]
    for st in out:
        for u in st.flags:
            if u.scope == "story":
                u.read_later = [c for c in readers[u.name] if order.index(c) > order.index(st.id)]
    return out


# ---- rendering -------------------------------------------------------------------------------


def _minutes(m: float) -> str:
    return f"{m:.1f} min"


def _path(n: int | None) -> str:
    return "-" if n is None else str(n)


def render_text(story: Story, stats: list[ChapterStats]) -> str:
    head = ["chapter", "nodes", "choices", "endings c/p/d", "words", "reading", "shortest", "longest", "basis"]
    rows = []
    for s in stats:
        e = s.endings
        rows.append(
            [
                s.id,
                str(s.nodes),
                str(s.choices),
                f"{e['canon']}/{e['personal']}/{e['divergent']}",
                f"{s.words:,}",
                _minutes(s.reading_minutes),
                _path(s.shortest),
                _path(s.longest) + (" +loops" if s.loops else ""),
                s.basis,
            ]
        )
    if len(stats) > 1:
        tot = {k: sum(s.endings[k] for s in stats) for k in ("canon", "personal", "divergent")}
        words = sum(s.words for s in stats)
        rows.append(
            [
                "total",
                str(sum(s.nodes for s in stats)),
                str(sum(s.choices for s in stats)),
                f"{tot['canon']}/{tot['personal']}/{tot['divergent']}",
                f"{words:,}",
                _minutes(words / WORDS_PER_MINUTE),
                "",
                "",
                "",
            ]
        )
    out = [f"{story.title}: {len(stats)} chapter{'s' if len(stats) != 1 else ''}", ""]
    out += _table(head, rows, right={1, 2, 4, 5, 6, 7})
    out.append("")
    out += textwrap.wrap(
        f"endings c/p/d: canon/personal/divergent. reading: at {WORDS_PER_MINUTE} words a minute. "
        "shortest/longest: choices from the chapter's start to an ending, over the explored states (basis "
        "states) or the node graph (basis graph); longest repeats no state. +loops: play can also come back "
        "to a state it was in, and so go on as long as the player likes.",
        88,
    )
    for s in stats:
        if s.inexact:
            out += textwrap.wrap(
                f"{s.id} is measured on the graph: {inexact_words(s.inexact)}.",
                88,
                subsequent_indent="  ",
                break_on_hyphens=False,  # keep an option such as --max-memory whole
            )
    out.append("")
    out.append("History no ending can break (covered facts whose `holds` is true at every ending, or that have none):")
    for s in stats:
        fixed = "(not known: exploration incomplete)" if s.fixed is None else ", ".join(s.fixed) or "none"
        out += textwrap.wrap(
            f"{s.id}: {fixed}", 88, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False
        )
    for s in stats:
        out.append("")
        out.append(f"{s.id}: flags")
        if not s.flags:
            out.append("  (none used)")
            continue
        frows = []
        for f in s.flags:
            note = ""
            if f.read_later:
                note = "read later in " + ", ".join(f.read_later)
            elif not f.read:
                note = "never read"
            elif not f.written and f.scope == "chapter":
                note = "never written"
            frows.append([f.name, f.scope, f.type, ", ".join(f.read) or "-", ", ".join(f.written) or "-", note])
        out += [
            "  " + line
            for line in _table(
                ["flag", "scope", "type", "read at", "written at", ""], frows, wrap={3: 34, 4: 34, 5: 30}
            )
        ]
    return "\n".join(out).rstrip() + "\n"


def _table(
    head: list[str], rows: list[list[str]], right: AbstractSet[int] = frozenset(), wrap: dict | None = None
) -> list[str]:
    """Columns padded to their widest cell; a column in `wrap` (index -> width) is wrapped
    at that width, so a row may take several lines."""
    wrap = wrap or {}
    split = [
        [
            textwrap.wrap(c, wrap[i], break_long_words=False, break_on_hyphens=False) or [""] if i in wrap else [c]
            for i, c in enumerate(r)
        ]
        for r in rows
    ]
    widths = [max([len(head[i])] + [len(x) for cells in split for x in cells[i]]) for i in range(len(head))]

    def fmt(r):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        return "  ".join(cells).rstrip()

    lines = [fmt(head)]
    for cells in split:
        for k in range(max(len(c) for c in cells)):
            lines.append(fmt([c[k] if k < len(c) else "" for c in cells]))
    return lines


def render_json(story: Story, stats: list[ChapterStats]) -> dict:
    words = sum(s.words for s in stats)
    return {
        "version": 1,
        "story": story.title,
        "words_per_minute": WORDS_PER_MINUTE,
        "chapters": [s.to_json() for s in stats],
        "total": {
            "nodes": sum(s.nodes for s in stats),
            "choices": sum(s.choices for s in stats),
            "endings": {k: sum(s.endings[k] for s in stats) for k in ("canon", "personal", "divergent")},
            "words": words,
            "reading_minutes": round(words / WORDS_PER_MINUTE, 2),
        },
    }
