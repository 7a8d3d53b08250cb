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

import weakref
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from ..diagnostics import Diagnostic, Pos, report
from ..expr import BoolOp, Expr, Lit, Not, names_in
from ..model import Chapter, Fact, Node, Story
from . import claims
from .states import first_state, scan_endings, scan_node


@dataclass(frozen=True)
class Site:
    """Words that state facts: one text part's `text`, its `else`, or one choice."""

    node: str  # node id, or "" for the epilogue
    # "text part 2 of node 'x'", "the `else` of text part 2 of node 'x'", "choice 1 of node 'x'", "epilogue part 3"
    what: str
    pos: Pos | None
    shown: Callable[[tuple, int], bool]  # (values, seen) -> are these words shown?
    shown_expr: Expr  # the same, as an expression (for the dataflow fallback)
    asserts: tuple
    denies: tuple
    # A claim found by a fact's `mentions` (claims.py): the words as shown; else None (a mark).
    mention: str | None = None
    after: Callable | None = None  # for a `say:`: values -> values after its choice's effects
    exempt: bool = False  # `allow: [mention]`: judged only to see that the allow is needed
    allow_where: tuple | None = None  # (description, pos) of that allow
    extra_reads: frozenset = frozenset()  # for a `say:`: what its choice's effects read
    unmarked: bool = False  # found by the fact's own words, not its `mentions`: a warning
    after_effects: tuple = ()  # for a `say:`: those effects (model Effects), for the symbolic explorer

    @property
    def facts(self) -> tuple:
        return self.asserts + self.denies

    @property
    def key(self) -> tuple:
        """Names the words in findings: one finding per (site, fact)."""
        return (self.node, self.what, str(self.pos) if self.mention is not None else "")


def _negated(test: Callable[[tuple, int], bool]) -> Callable[[tuple, int], bool]:
    """The `else` of a part is shown exactly when the part's own test is false."""
    return lambda v, s: not test(v, s)


def _always(_v, _s) -> bool:
    return True


def sites(node: Node, story: Story | None = None) -> list[Site]:
    """Every place in `node` whose words assert or deny a fact: the marked ones, and (given the
    story) every match of a fact's `mentions`. Worked out once per (story, node): exploration
    (`reads`) and the check both ask, and matching the mentions is the costly part."""
    if story is None:
        return _node_sites(node, None)
    hit = _SITES.get(id(story))
    if hit is None or hit[0]() is not story:
        hit = _SITES[id(story)] = (weakref.ref(story), {})
        weakref.finalize(story, _SITES.pop, id(story), None)
    memo = hit[1]
    mine = memo.get(id(node))
    if mine is None or mine[0] is not node:
        mine = memo[id(node)] = (node, _node_sites(node, story))
    return list(mine[1])


_SITES: dict[int, tuple] = {}  # id(story) -> (a weak reference to it, {id(node): (node, its sites)})


def _node_sites(node: Node, story: Story | None) -> list[Site]:
    out = _part_sites(node.id, node.text, "text part {} of node '" + node.id + "'")
    if story is not None:
        ch = story.chapter(node.chapter)
        out += _claim_sites(story, claims.node_texts(node), ch.slots, ch.seen_bits)
    for c in node.choices:
        if c.asserts or c.denies:
            out.append(
                Site(
                    node.id,
                    f"choice {c.index + 1} of node '{node.id}'",
                    c.pos,
                    c.test or _always,
                    c.guard if c.guard is not None else Lit(True),
                    c.asserts,
                    c.denies,
                )
            )
    return out


def epilogue_sites(story: Story) -> list[Site]:
    out = _part_sites("", story.epilogue_parts, "epilogue part {}")
    out += _claim_sites(story, claims.epilogue_texts(story), {f.name: f.slot for f in story.flags}, {})
    return out


def intro_sites(story: Story) -> list[Site]:
    text = claims.intro_text(story)
    if text is None:
        return []
    return _claim_sites(story, [text], {f.name: f.slot for f in story.flags}, {})


def _claim_sites(story: Story, texts: list, slots, seen_bits) -> list[Site]:
    out: list[Site] = []
    mentions, own = claims.mention_rules(story), claims.own_words(story)
    if not mentions and not own:
        return out
    for text in texts:
        found = [(c, False) for c in claims.claims_in(story, text, mentions)] if mentions else []
        if own:
            found += [(c, True) for c in claims.claims_in(story, text, own)]
        for c, unmarked in found:
            after, extra = None, frozenset[str]()
            if text.after is not None:
                effects = text.after.all_effects
                after = lambda v, s, effects=effects: claims.apply(effects, v, s)  # noqa: E731
                extra = frozenset(n for e in effects for n in names_in(e.expr.value))
            out.append(
                Site(
                    text.node,
                    text.what,
                    c.pos,
                    claims.shown_test(c, slots, seen_bits),
                    claims.shown_expr(c),
                    (c.fact,) if not c.negative else (),
                    (c.fact,) if c.negative else (),
                    mention=c.words,
                    after=after,
                    exempt=text.exempt,
                    allow_where=text.allow_where,
                    extra_reads=extra,
                    unmarked=unmarked,
                    after_effects=text.after.all_effects if text.after is not None else (),
                )
            )
    return out


def _part_sites(node_id: str, parts, label: str) -> list[Site]:
    out = []
    for j, part in enumerate(parts):
        what = label.format(j + 1)
        if part.asserts or part.denies:
            if part.test is None:
                out.append(Site(node_id, what, part.pos, _always, Lit(True), part.asserts, part.denies))
            else:
                out.append(Site(node_id, what, part.pos, part.test, part.condition, part.asserts, part.denies))
        if (part.else_asserts or part.else_denies) and part.test is not None:
            test = part.test
            out.append(
                Site(
                    node_id,
                    f"the `else` of {what}",
                    part.else_pos or part.pos,
                    _negated(test),
                    Not(part.condition),
                    part.else_asserts,
                    part.else_denies,
                )
            )
    return out


def reads(story: Story, node: Node) -> set[str]:
    """Flags the continuity check reads at `node`: exploration keeps them alive there."""
    names: set[str] = set()
    for site in sites(node, story):
        names |= names_in(site.shown_expr)
        names |= site.extra_reads
        for fid in site.facts:
            fact = story.facts.get(fid)
            if fact is not None and fact.holds is not None:
                names |= names_in(fact.holds)
    return names


def has_assertions(story: Story) -> bool:
    return any(sites(n, story) for ch in story.chapters for n in ch.nodes.values())


# ---- the exact check, over explored states ---------------------------------------------------


def explored_findings(story: Story, ex, rp, reported: set | None = None, used: set | None = None) -> list[Diagnostic]:
    """Every (site, fact) that some explored state shows in disagreement with history,
    with the shortest such state's replay (states are in breadth-first order).
    `reported` collects (site key, fact) of each finding; `used`, the `allow: [mention]`
    that exempted one (their (description, pos))."""
    g, ch = ex.graph, ex.chapter
    checks: list = [None] * len(g.ids)
    any_site = False
    for ni, nid in enumerate(g.ids):
        rows = _rows(story, sites(ch.nodes[nid], story))
        if rows:
            checks[ni] = rows
            any_site = True
    if not any_site:
        return []
    out: list[Diagnostic] = []
    reported = set() if reported is None else reported
    used = set() if used is None else used
    # The hot loop: per state at a node with assertions, one `holds` per (words, fact) and, only
    # where history disagrees with the words, one condition (are they shown here?).
    fast: list = [None] * len(checks)
    for ni, rows in enumerate(checks):
        if rows is not None:
            fast[ni] = tuple(
                (site.shown, fact.holds_fn, want, site.key + (fact.id,), site, fact, site.after)
                for site, fact, want in rows
            )

    def questions(sx):  # where each site's words disagree with history (a `say:`'s, after its effects)
        enc = sx.enc
        out = []
        for ni, rows in enumerate(checks):
            for site, fact, want in rows or ():
                holds = enc.pred(fact.holds) if fact.holds is not None else enc.true
                steps = [enc.effect_step(_first_draw(e), enc.caps) for e in site.after_effects]
                for st in reversed(steps):
                    holds = enc.preimage(holds, st)
                out.append((ni, enc.pred(site.shown_expr) & (~holds if want else holds)))
        return out

    for sid in scan_node(ex, [ni for ni, rows in enumerate(checks) if rows is not None], questions):
        key = ex.keys[sid]
        rows = fast[key[0]]
        if rows is None:
            continue
        vals = key[1]
        for shown, holds, want, k, site, fact, after in rows:
            hv = vals if after is None else after(vals, key[2])
            if (holds is None or bool(holds(hv, 0))) == want or k in reported or not shown(vals, key[2]):
                continue
            if site.exempt:
                used.add(site.allow_where)
                continue
            reported.add(k)
            out.append(_finding(story, ch, site, fact, want, hv, rp.command(ex, sid)))
    return out


def _rows(story: Story, site_list: list[Site]) -> list[tuple]:
    return [(site, story.facts[fid], True) for site in site_list for fid in site.asserts] + [
        (site, story.facts[fid], False) for site in site_list for fid in site.denies
    ]


def _check_state(story, ch, rows, vals, seen, ex, sid, rp, reported, out, every_flag=False, used=None) -> None:
    holds: dict[str, bool] = {}  # fact id -> does it hold in `vals` (rows share facts)
    for site, fact, want in rows:
        h = holds.get(fact.id)
        if h is None:
            h = holds[fact.id] = fact.holds_in(vals)
        if h == want or not site.shown(vals, seen):
            continue
        k = site.key + (fact.id,)
        if k in reported:
            continue
        if site.exempt:
            if used is not None:
                used.add(site.allow_where)
            continue
        reported.add(k)
        # the epilogue reads flags the ending's own replay would not keep: keep every start value
        out.append(_finding(story, ch, site, fact, want, vals, rp.command(ex, sid, every_flag=every_flag)))


def epilogue_findings(story: Story, ex, rp, reported: set | None = None, used: set | None = None) -> list[Diagnostic]:
    """The epilogue's parts at every state the last chapter can end in (`ex` is its exploration)."""
    rows = _rows(story, epilogue_sites(story))
    if not rows or ex is None:
        return []
    out: list[Diagnostic] = []
    reported = set() if reported is None else reported

    def questions(sx):  # ending states where the epilogue's words disagree with history
        enc = sx.enc
        ends = sx.ending_set()
        out = []
        for site, fact, want in rows:
            holds = enc.pred(fact.holds) if fact.holds is not None else enc.true
            bad = enc.pred(site.shown_expr) & (~holds if want else holds)
            out.append({ni: u & bad for ni, u in ends.items()})
        return out

    judged: set = set()  # the values already judged: the same values show the same words, reported once
    for sid in scan_endings(ex, questions):
        vals = ex.keys[sid][1]
        if vals in judged:
            continue
        judged.add(vals)
        _check_state(story, ex.chapter, rows, vals, 0, ex, sid, rp, reported, out, True, used)
    return out


def intro_findings(story: Story, ex, rp) -> list[Diagnostic]:
    """The intro, shown once before the first chapter, with the story-wide flags at their
    defaults (`ex`: the first chapter's exploration, for the replay)."""
    rows = _rows(story, intro_sites(story))
    first = first_state(ex) if ex is not None else None
    if not rows or first is None:
        return []
    out: list[Diagnostic] = []
    vals = story.story_defaults
    _check_state(story, ex.chapter, rows, vals, 0, ex, first, rp, set(), out)
    return out


def epilogue_unproven(story: Story, end_env: tuple | None, reported: set) -> list[str]:
    """The dataflow fallback for the epilogue, over the story-wide value sets at the last endings."""
    if end_env is None:
        return []
    return _unproven_sites(story, epilogue_sites(story), end_env, list(story.flags), reported)


def _finding(story: Story, ch: Chapter, site: Site, fact: Fact, want: bool, vals: tuple, replay: str) -> Diagnostic:
    kind = "story fact" if fact.story else "fact"
    if want:
        why = f"its `holds` ({fact.holds_src}) is false when {_values(ch, fact, vals)}"
        msg = f"{site.what} asserts {kind} '{fact.id}', but it can be shown where that fact is broken: {why}"
        hint = (
            f"show these words only where '{fact.id}' holds (an `if:` reading the flags above), with an `else:` "
            "that tells this branch's history"
        )
    else:
        if fact.holds is None:
            why = "it has no `holds`, so nothing can break it"
        else:
            why = f"its `holds` ({fact.holds_src}) is true when {_values(ch, fact, vals)}"
        msg = f"{site.what} denies {kind} '{fact.id}', but it can be shown where that fact holds: {why}"
        hint = (
            f"show these words only where '{fact.id}' is broken (an `if:` reading the flags above)"
            if fact.holds is not None
            else f"give '{fact.id}' a `holds`, or drop it from `denies`"
        )
    if site.unmarked:
        return report(
            "unmarked-claim",
            f'{site.what} says "{site.mention}", in the words of {kind} \'{fact.id}\' ("{fact.statement}"), '
            f"and carries no mark, but it can be shown where that fact is broken: {why}",
            site.pos,
            f"if the words claim '{fact.id}', give it `mentions:` (or mark the part `asserts`/`denies`) and show "
            "them only where it holds; if they do not, give the fact the `mentions:` that do, or `allow: [mention]`",
            replay=replay,
        )
    if site.mention is not None:
        said = f"{site.what} says \"{site.mention}\", which claims {kind} '{fact.id}'"
        if want:
            msg = f"{said} (its `mentions`), but it can be shown where that fact is broken: {why}"
        else:
            msg = f"{said} did not happen (its `mentions_not`), but it can be shown where that fact holds: {why}"
        hint += "; or, if the words are meant (a hypothetical, a rumour), `allow: [mention]` on their part"
    return report("continuity", msg, site.pos, hint, replay=replay)


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


def unproven(story: Story, ch: Chapter, df, reported: AbstractSet[tuple]) -> list[str]:
    """What the fallback cannot prove: (site, fact) pairs for which some combination of the
    flags' possible values at the node shows the words while history disagrees.
    `reported` holds (node, site, fact) of what the explored states already showed wrong."""
    out = []
    for nid, node in ch.nodes.items():
        if nid in df.env:  # a node the fallback never reaches is proved unreachable
            out += _unproven_sites(story, sites(node, story), df.env[nid], list(ch.layout), reported)
    return out


def _unproven_sites(story: Story, site_list: list[Site], env: tuple, layout: list, reported: AbstractSet) -> list[str]:
    from .dataflow import possible_values  # the fallback's own evaluator over value sets

    slots = {f.name: f.slot for f in layout}
    out = []
    for site, fact, want in _rows(story, site_list):
        if site.key + (fact.id,) in reported or site.exempt or site.unmarked:
            continue
        holds = fact.holds if fact.holds is not None else Lit(True)
        wrong = BoolOp("and", (site.shown_expr, Not(holds) if want else holds))
        p = possible_values(wrong, env, slots, layout) if site.after is None else None  # (a `say:`: after effects)
        if p is None or True in p:
            out.append(f"{site.what} {'asserts' if want else 'denies'} '{fact.id}' only where history agrees")
    return out


def _first_draw(e):
    """A draw at its lowest value, as claims.apply judges a `say:` after it."""
    r = e.draws_from
    return e if r is None else e.fixed(r[0])
