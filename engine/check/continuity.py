"""Continuity: every path agrees with the history it has made.

A text part (or its `else`, or a choice's text) may say which facts its words
state as true (`asserts`) and which as broken on this branch (`denies`). The
words are shown in a state when the part's condition says so; the fact holds
there when its `holds` (over story-wide flags) is true. Continuity means:

  * a part is never shown while a fact it asserts is broken, and
  * a part is never shown while a fact it denies holds.

The exact check runs over the states exploration already enumerated, per
(node, part), so it costs one pass over the states of the nodes that carry
assertions. Those nodes keep the flags their parts and facts read alive (see
`reads`), so a state's values there are the values play really has.

When exploration is incomplete, the dataflow fallback proves what it can for
the rest (a part whose condition and the fact's `holds` cannot disagree for
any combination of the flags' possible values) and lists the others as unproven.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..diagnostics import Diagnostic, Pos, error
from ..expr import BoolOp, Expr, Lit, Not, names_in
from ..model import Chapter, Fact, Node, Story


@dataclass(frozen=True)
class Site:
    """Words that state facts: one text part's `text`, its `else`, or one choice."""

    node: str
    what: str  # "text part 2", "the `else` of text part 2", "choice 1"
    pos: Pos | None
    shown: Callable[[tuple, int], bool]  # (values, seen) -> are these words shown?
    shown_expr: Expr  # the same, as an expression (for the dataflow fallback)
    asserts: tuple
    denies: tuple

    @property
    def facts(self) -> tuple:
        return self.asserts + self.denies


def _always(_v, _s) -> bool:
    return True


def sites(node: Node) -> list[Site]:
    """Every place in `node` whose words assert or deny a fact."""
    out = []
    for j, part in enumerate(node.text):
        if part.asserts or part.denies:
            if part.test is None:
                out.append(Site(node.id, f"text part {j + 1}", part.pos, _always, Lit(True), part.asserts, part.denies))
            else:
                out.append(Site(node.id, f"text part {j + 1}", part.pos, part.test, part.condition,
                                part.asserts, part.denies))
        if (part.else_asserts or part.else_denies) and part.test is not None:
            test = part.test
            out.append(Site(node.id, f"the `else` of text part {j + 1}", part.else_pos or part.pos,
                            lambda v, s, test=test: not test(v, s), Not(part.condition),
                            part.else_asserts, part.else_denies))
    for c in node.choices:
        if c.asserts or c.denies:
            out.append(Site(node.id, f"choice {c.index + 1}", c.pos, c.test or _always,
                            c.condition if c.condition is not None else Lit(True), c.asserts, c.denies))
    return out


def reads(story: Story, node: Node) -> set[str]:
    """Flags the continuity check reads at `node`: exploration keeps them alive there."""
    names: set[str] = set()
    for site in sites(node):
        names |= names_in(site.shown_expr)
        for fid in site.facts:
            fact = story.facts.get(fid)
            if fact is not None and fact.holds is not None:
                names |= names_in(fact.holds)
    return names


def has_assertions(story: Story) -> bool:
    return any(sites(n) for ch in story.chapters for n in ch.nodes.values())


# ---- the exact check, over explored states ---------------------------------------------------

def explored_findings(story: Story, ex, rp, reported: set | None = None) -> list[Diagnostic]:
    """Every (site, fact) that some explored state shows in disagreement with history,
    with the shortest such state's replay (states are in breadth-first order).
    `reported` collects (node, site, fact) of each finding."""
    g, ch = ex.graph, ex.chapter
    checks: list = [None] * len(g.ids)
    any_site = False
    for ni, nid in enumerate(g.ids):
        rows = []
        for site in sites(ch.nodes[nid]):
            for fid in site.asserts:
                rows.append((site, story.facts[fid], True))
            for fid in site.denies:
                rows.append((site, story.facts[fid], False))
        if rows:
            checks[ni] = rows
            any_site = True
    if not any_site:
        return []
    out = []
    reported = set() if reported is None else reported
    for sid, key in enumerate(ex.keys):
        rows = checks[key[0]]
        if rows is None:
            continue
        vals, seen = key[1], key[2]
        for site, fact, want in rows:
            if fact.holds_in(vals) == want or not site.shown(vals, seen):
                continue
            k = (site.node, site.what, fact.id)
            if k in reported:
                continue
            reported.add(k)
            out.append(_finding(story, ch, site, fact, want, vals, rp.command(ex, sid)))
    return out


def _finding(story: Story, ch: Chapter, site: Site, fact: Fact, want: bool, vals: tuple, replay: str) -> Diagnostic:
    kind = "story fact" if fact.story else "fact"
    if want:
        why = f"its `holds` ({fact.holds_src}) is false when {_values(ch, fact, vals)}"
        msg = (f"{site.what} of node '{site.node}' asserts {kind} '{fact.id}', but it can be shown where that fact "
               f"is broken: {why}")
        hint = (f"show these words only where '{fact.id}' holds (an `if:` reading the flags above), with an `else:` "
                "that tells this branch's history")
    else:
        if fact.holds is None:
            why = "it has no `holds`, so nothing can break it"
        else:
            why = f"its `holds` ({fact.holds_src}) is true when {_values(ch, fact, vals)}"
        msg = (f"{site.what} of node '{site.node}' denies {kind} '{fact.id}', but it can be shown where that fact "
               f"holds: {why}")
        hint = (f"show these words only where '{fact.id}' is broken (an `if:` reading the flags above)"
                if fact.holds is not None else f"give '{fact.id}' a `holds`, or drop it from `denies`")
    return error("continuity", msg, site.pos, hint, replay=replay)


def _values(ch: Chapter, fact: Fact, vals: tuple) -> str:
    names = sorted(names_in(fact.holds)) if fact.holds is not None else []
    shown = []
    for name in names:
        f = ch.flag(name)
        if f is not None:
            v = vals[f.slot]
            shown.append(f"{name}={('true' if v else 'false') if isinstance(v, bool) else v}")
    return ", ".join(shown) or "every flag is at its default"


# ---- the dataflow fallback ---------------------------------------------------------------------

def unproven(story: Story, ch: Chapter, df, reported: set[tuple]) -> list[str]:
    """What the fallback cannot prove: (site, fact) pairs for which some combination of the
    flags' possible values at the node shows the words while history disagrees.
    `reported` holds (node, fact) pairs the explored states already showed to be wrong."""
    from .dataflow import _possible  # the fallback's own evaluator over value sets
    slots = {f.name: f.slot for f in ch.layout}
    out = []
    for nid, node in ch.nodes.items():
        if nid not in df.env:
            continue  # proved unreachable
        for site in sites(node):
            for fid, want in [(f, True) for f in site.asserts] + [(f, False) for f in site.denies]:
                if (nid, site.what, fid) in reported:
                    continue
                fact = story.facts[fid]
                holds = fact.holds if fact.holds is not None else Lit(True)
                wrong = BoolOp("and", (site.shown_expr, Not(holds) if want else holds))
                p = _possible(wrong, df.env[nid], slots, ch.layout)
                if p is None or True in p:
                    verb = "asserts" if want else "denies"
                    out.append(f"{site.what} of '{nid}' {verb} '{fid}' only where history agrees")
    return out
