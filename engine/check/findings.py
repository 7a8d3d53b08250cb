"""What exploration and the dataflow fallback find in one chapter, as diagnostics: dead ends,
traps, unreachable endings and choices, indistinct choices, dates running backwards, facts
referred to before they happen, int bounds, and what stays unproven when exploration stopped."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from .. import calls
from ..diagnostics import Diagnostic, Pos, report
from ..expr import names_in
from ..model import AUTO, Story
from . import continuity
from .division import division_findings, risky
from .explore import (
    BOUND_WORDS,
    Exploration,
    bound_option,
)
from .replay import Replayer, show_value
from .states import scan_node, trap_witnesses
from .text import text_findings


def exploration_findings(
    story: Story, ex: Exploration, rp: Replayer, earlier_facts: set[str], exact: bool = True
) -> list[Diagnostic]:
    """Findings from the explored states. Findings of absence (never reached, never
    available, traps) are proofs only when `exact`: every reachable state was explored."""
    g, ch = ex.graph, ex.chapter
    out: list[Diagnostic] = []
    if ex.complete and not exact:
        out.append(
            report(
                "explore-incomplete",
                f"'{ch.id}' was explored from only the start states found before an earlier chapter's "
                "exploration stopped at its bound; what is proven is listed below",
                ch.pos,
                f"raise {bound_option(ex.cut_by)} so the earlier chapter is explored whole",
            )
        )
    if not ex.complete:
        bound = BOUND_WORDS.get(ex.stopped_by or "states", "bound")
        option = bound_option(ex.stopped_by)
        out.append(
            report(
                "explore-incomplete",
                f"exploration of '{ch.id}' stopped at the {bound} after {len(ex.keys):,} states; "
                "findings below marked 'proved by dataflow' hold, and what stays unproven is listed",
                ch.pos,
                f"raise {option}, or merge flags that multiply states (e.g. ints with wide ranges)",
            )
        )
    for ni, sid in sorted(ex.softlocks.items()):
        node = ch.nodes[g.ids[ni]]
        if node.returns:
            out.append(
                report(
                    "return-empty",
                    f"play reaches node '{node.id}', which returns, without a call to return to "
                    "(it came by `goto`, not `call:`)",
                    node.pos,
                    f"reach '{node.id}' only through `call:`, or give the way that comes by `goto` a node of its own",
                    replay=rp.command(ex, sid),
                )
            )
            continue
        vals = ", ".join(
            f"{k}={show_value(v)}"
            for k, v in ex.values_of(sid).items()
            if any(c.guard is not None and k in names_in(c.guard) for c in node.choices)
        )
        _n, v, seen, _r = ex.keys[sid]
        grey = [c for c in node.choices if c.greyable and (c.shows is None or c.shows(v, seen))]
        what = (
            f"every choice shown is greyed out ({', '.join(f'{c.index + 1}: `{c.enabled_src}`' for c in grey)} false)"
            if grey
            else "no choice is available"
        )
        out.append(
            report(
                "soft-lock",
                f"in node '{node.id}' {what}" + (f" when {vals}" if vals else ""),
                node.pos,
                "add a choice with no condition, or make the conditions cover every case",
                replay=rp.command(ex, sid),
            )
        )
    if exact:
        seen_trap_nodes = set()
        for sid in trap_witnesses(ex):
            ni = ex.keys[sid][0]
            here = ch.nodes[g.ids[ni]]
            if ni in seen_trap_nodes or here.flows:
                # play never stops at a `next:` node, nor at a returning node in a trapped state (it has
                # a call to answer there, or the state would be stuck, not trapped): the trap is named
                # where play does stop
                continue
            seen_trap_nodes.add(ni)
            node = ch.nodes[g.ids[ni]]
            out.append(
                report(
                    "trap",
                    f"from node '{node.id}' in this state no ending can be reached: play loops forever",
                    node.pos,
                    "give the loop a way out that is always available",
                    replay=rp.command(ex, sid, every_flag=True),
                )
            )
    out += _call_depth_findings(story, ex, rp)
    for ov in ex.overflows.values():
        eff = ov.effect
        f = ch.layout[eff.slot]
        if ov.value < eff.min:
            bound = f"min {f.min}" if f.min is not None else f"lowest value an int flag can hold ({eff.min})"
        else:
            bound = f"max {f.max}" if f.max is not None else f"largest value an int flag can hold ({eff.max})"
        out.append(
            report(
                "int-bounds",
                f"`{eff.src}` takes {f.name} to {ov.value}, past its {bound}",
                eff.pos,
                "guard the choice with a condition, or widen the flag's bounds",
                replay=rp.command(ex, ov.state, ov.number, then_draws=ov.draws),
            )
        )
    for ni, nid in enumerate(g.ids):
        node = ch.nodes[nid]
        if ni not in ex.first_at_node:
            if not exact:
                continue
            if node.ending:
                out.append(
                    report(
                        "ending-unreached",
                        f"ending '{nid}' ({node.ending.title}) is never reached in play",
                        node.ending.pos,
                        "look at the conditions of the choices that lead here",
                    )
                )
            else:
                out.append(
                    report(
                        "node-unreached",
                        f"node '{nid}' is reached by no real playthrough "
                        "(the choices leading here are never available)",
                        node.pos,
                        "look at the conditions of the choices that lead here",
                    )
                )
            continue
        if node.ending or not exact:
            continue
        for c in node.choices:
            if (ni, c.index) not in ex.offered:
                out.append(
                    never_available(
                        nid, c, "in every state that reaches this node", rp.command(ex, ex.first_at_node[ni])
                    )
                )
    if exact:
        out += _branch_findings(ex, rp)
    out += _date_findings(ex, rp)
    out += division_findings(ex, rp)
    if exact:
        out += text_findings(ex, rp)
    out += _indistinct_findings(ex, rp)
    out += _ref_findings(story, ex, rp, earlier_facts)
    return out


def _branch_findings(ex: Exploration, rp: Replayer) -> list[Diagnostic]:
    """A branch of a conditional `next:` that no reachable state takes (its `if` false, or an
    earlier branch holding, wherever its node is reached): dead flow, as a choice never available."""
    g, ch = ex.graph, ex.chapter
    branchy = [ni for ni, nid in enumerate(g.ids) if ch.nodes[nid].branches and ni in ex.first_at_node]
    if not branchy:
        return []
    wanted = set(branchy)

    def questions(sx):  # (the symbolic explorer's sets: the states where each branch is the one taken)
        return [(ni, mv.guard) for ni in branchy for mv in sx.moves[ni]]

    taken: set[tuple[int, int]] = set()
    for sid in scan_node(ex, branchy, questions):
        ni, vals, seen, _rec = ex.keys[sid]
        if ni not in wanted:
            continue
        for pos, t in enumerate(g.transitions[ni]):
            if t.test is None or t.test(vals, seen):
                taken.add((ni, pos))
                break
    out = []
    for ni in branchy:
        nid = g.ids[ni]
        for pos, b in enumerate(ch.nodes[nid].branches):
            if (ni, pos) in taken:
                continue
            why = (
                f"`{b.condition_src}` is false, or an earlier branch holds, in every state that reaches it"
                if b.condition_src
                else "an earlier branch holds in every state that reaches it"
            )
            out.append(
                report(
                    "branch-never-taken",
                    f"branch {pos + 1} of node '{nid}''s `next:` is never taken: {why}",
                    b.pos,
                    "fix its condition or the earlier ones, or remove the branch",
                    replay=rp.command(ex, ex.first_at_node[ni]),
                )
            )
    return out


def never_available(nid: str, c, where: str, replay: str | None = None) -> Diagnostic:
    """A choice play can never take (its `if:` and `enabled:` never both true), or a fallback
    that never fires (another choice can always be taken, or its own `if:` is false)."""
    if c.fallback:
        own = f", or `{c.condition_src}` is false," if c.condition_src else ""
        return report(
            "fallback-never",
            f"the fallback of node '{nid}' (choice {c.index + 1}) never fires: "
            f"another choice can be taken{own} {where}",
            c.pos,
            "remove the fallback, or let the other choices' conditions leave a case it can catch",
            replay=replay,
        )
    return report(
        "choice-never-available",
        f"choice {c.index + 1} of node '{nid}' ('{c.text}') is never available: `{c.needs}` is false {where}",
        c.pos,
        "fix the condition, or set the flags it needs on the way here",
        replay=replay,
    )


def _call_depth_findings(story: Story, ex: Exploration, rp: Replayer) -> list[Diagnostic]:
    """A call offered where the stack is already `max_call_depth` deep would go deeper than play
    may: named once per choice, from the nearest state that offers it so."""
    ss = calls.stack_slot(ex.chapter)
    if ss is None:
        return []
    depth, g = story.max_call_depth, ex.graph

    def questions(sx):  # (the symbolic explorer's sets: a call offered with the stack full)
        full = sx.enc.full_stack()
        return [(ni, full & mv.guard) for ni, mvs in enumerate(sx.moves) for mv in mvs if mv.choice.returns_to]

    calling = [ni for ni in range(len(g.ids)) if any(t.choice.returns_to is not None for t in g.transitions[ni])]
    out, reported = [], set()
    for sid in scan_node(ex, calling, questions):  # breadth-first: the first found is the nearest
        ni, vals, seen, _rec = ex.keys[sid]
        if len(vals[ss]) < depth:
            continue
        for pos, t in enumerate(g.transitions[ni]):
            c = t.choice
            if c.returns_to is None or (ni, pos) in reported or (t.test is not None and not t.test(vals, seen)):
                continue
            reported.add((ni, pos))
            flow = c.index == AUTO  # a call from flow (a node's `call:`, or a branch of its `next:`)
            who = f"node '{g.ids[ni]}'" if flow else f"choice {c.index + 1} of node '{g.ids[ni]}'"
            out.append(
                report(
                    "call-depth",
                    f"{who} calls '{c.target}' with {depth} calls already "
                    f"waiting to return, deeper than `max_call_depth` ({depth}) allows",
                    c.pos,
                    "return before calling again (a call that can repeat itself needs a way out that returns), "
                    "or raise `max_call_depth` in story/story.yaml",
                    replay=rp.command(ex, sid) if flow else rp.command(ex, sid, ex.number_of(sid, c.index)),
                )
            )
    return out


def _indistinct_findings(ex: Exploration, rp: Replayer) -> list[Diagnostic]:
    """Two choices offered together that lead to the same node with the same effects:
    whichever the player picks, nothing afterwards can differ. The later one is named."""
    g = ex.graph
    suspects = set()
    for ni in range(len(g.ids)):
        keys = [
            (t.target, t.choice.returns_to, tuple(e.src for e in t.choice.all_effects), t.draws)
            for t in g.transitions[ni]
        ]
        if len(set(keys)) < len(keys):
            suspects.add(ni)
    if not suspects:
        return []

    def questions(sx):  # a choice offered with an earlier one of the same key
        out = []
        for ni in suspects:
            mvs = sx.moves[ni]
            for j, mv in enumerate(mvs):
                tj = g.transitions[ni][j]
                k = (tj.target, mv.choice.returns_to, tuple(e.src for e in mv.choice.all_effects), tj.draws)
                earlier = sx.enc.false
                for i in range(j):
                    t = g.transitions[ni][i]
                    if (t.target, t.choice.returns_to, tuple(e.src for e in t.choice.all_effects), t.draws) == k:
                        earlier |= mvs[i].guard
                out.append((ni, mv.guard & earlier))
        return out

    out, reported = [], set()
    for sid in scan_node(ex, suspects, questions):  # breadth-first order: the first state found is the nearest
        key = ex.keys[sid]
        ni = key[0]
        if ni not in suspects:
            continue
        seen_key: dict = {}
        for t in g.transitions[ni]:
            if t.test is not None and not t.test(key[1], key[2]):
                continue
            k = (t.target, t.choice.returns_to, tuple(e.src for e in t.choice.all_effects), t.draws)
            if k in seen_key and (ni, t.choice.index) not in reported:
                reported.add((ni, t.choice.index))
                a = seen_key[k]
                out.append(
                    report(
                        "choice-indistinct",
                        f"choices {a + 1} and {t.choice.index + 1} of node '{g.ids[ni]}' are offered together and both "
                        f"go to '{g.ids[t.target]}' with the same effects, "
                        "so which one the player takes changes nothing",
                        t.choice.pos,
                        "give one of them an effect or a different destination, or merge them",
                        replay=rp.command(ex, sid),
                    )
                )
            seen_key[k] = t.choice.index
    return out


def _date_findings(ex: Exploration, rp: Replayer) -> list[Diagnostic]:
    """Dates never run backwards along real transitions, however many undated nodes lie between.

    For each node, the latest date play can have shown before arriving there (and the
    dated node that showed it) is found over the transitions exploration really took;
    a dated node earlier than that runs backwards."""
    g, ch = ex.graph, ex.chapter
    succ: dict[int, set[int]] = {}
    for a, b in ex.edges:
        succ.setdefault(a, set()).add(b)
    shown: dict[int, tuple] = {}  # node -> (first day of the latest date shown on leaving it, dated node)
    for ni in range(len(g.ids)):
        d = ch.nodes[g.ids[ni]].date
        if d is not None:
            shown[ni] = (d.first, ni)
    arriving: dict[int, tuple] = {}  # node -> the latest (date, dated node) any way in has shown
    work = list(shown)
    while work:
        a = work.pop()
        for b in succ.get(a, ()):
            if a not in shown:
                continue
            if b not in arriving or shown[a][0] > arriving[b][0]:
                arriving[b] = shown[a]
                if ch.nodes[g.ids[b]].date is None and (b not in shown or shown[a][0] > shown[b][0]):
                    shown[b] = shown[a]
                    work.append(b)
    out = []
    for b, (first, source) in sorted(arriving.items()):
        nb, ns = ch.nodes[g.ids[b]], ch.nodes[g.ids[source]]
        if nb.date is not None and nb.date.last < first:
            replay = _replay_into(ex, rp, b, source, shown)
            out.append(
                report(
                    "date-backwards",
                    f"node '{nb.id}' ({nb.date}) can come after '{ns.id}' ({ns.date}) but is dated earlier",
                    nb.pos,
                    "in-world dates never run backwards: fix one of the dates",
                    replay=replay,
                )
            )
    return out


def _replay_into(ex: Exploration, rp: Replayer, b: int, source: int, shown: dict) -> str | None:
    """A replay that enters node b from a node carrying `source`'s date (shortest such state first)."""
    carriers = {n for n, (_d, src) in shown.items() if src == source}

    def questions(sx):  # a carrier offering a way into b
        sets: dict = {}
        for m in carriers:
            for mv in sx.moves[m]:
                if mv.target == b:
                    sets[m] = sets[m] | mv.guard if m in sets else mv.guard
        return [sets]

    for sid in scan_node(ex, carriers, questions):
        key = ex.keys[sid]
        if key[0] not in carriers:
            continue
        for t in ex.graph.transitions[key[0]]:
            if t.target == b and (t.test is None or t.test(key[1], key[2])):
                if t.choice.index == AUTO:  # a `next:` node: play goes on by itself
                    return rp.command(ex, sid)
                return rp.command(ex, sid, ex.number_of(sid, t.choice.index))
    return None


def _ref_findings(story: Story, ex: Exploration, rp: Replayer, earlier_facts: set[str]) -> list[Diagnostic]:
    g, ch = ex.graph, ex.chapter
    out = []
    period_start = ch.period[0] if ch.period else None
    for ni, nid in enumerate(g.ids):
        node = ch.nodes[nid]
        if not node.refs or ni not in ex.first_at_node:
            continue
        when = node.shown_date or period_start
        for fid in node.refs:
            fact = story.facts[fid]
            if fid in earlier_facts or (when is not None and fact.date.on_or_before(when)):
                continue
            bit = g.tracked_facts.get(fid)
            bad = None

            def questions(sx, ni=ni, bit=bit):  # a state here without the fact recorded
                var = sx.enc.rec_var.get(bit) if bit else None
                return [(ni, ~sx.enc.bdd.var(var) if var else sx.enc.true)]

            for sid in scan_node(ex, (ni,), questions):
                key = ex.keys[sid]
                if key[0] == ni and (bit is None or not key[3] & bit):
                    bad = sid
                    break
            if bad is not None:
                how = "it is not recorded earlier on this path" if bit else "no node of this chapter records it"
                out.append(
                    report(
                        "ref-not-past",
                        f"node '{nid}' speaks of '{fid}' ({fact.date}), but {how} and it is not "
                        f"dated before the node ({when})",
                        node.pos,
                        "record the fact on every way here first, or stop referring to it",
                        replay=rp.command(ex, bad),
                    )
                )
    return out


def dataflow_findings(
    story: Story,
    ex: Exploration,
    df,
    earlier_facts: AbstractSet[str] = frozenset(),
    broken_words: AbstractSet = frozenset(),
) -> list[Diagnostic]:
    """What the dataflow fallback proves, and exactly what stays unproven."""
    ch = ex.chapter
    out: list[Diagnostic] = []
    for nid in df.unreached:
        node = ch.nodes[nid]
        code, what = (
            ("ending-unreached", f"ending '{nid}' ({node.ending.title})")
            if node.ending
            else ("node-unreached", f"node '{nid}'")
        )
        out.append(
            report(
                code,
                f"{what} is never reached in play (proved by dataflow)",
                node.pos,
                "look at the conditions of the choices that lead here",
            )
        )
    for nid, c in df.never_available:
        out.append(never_available(nid, c, "for every value its flags can have here (proved by dataflow)"))
    for nid, fact in df.divergence_errors:
        node = ch.nodes[nid]
        out.append(
            report(
                "divergence-undeclared",
                f"ending '{nid}' is always reached with '{fact.id}' broken "
                f"({fact.holds_src} is false), but does not list it in `diverges` (proved by dataflow)",
                _ending_pos(node),
                f"add {fact.id} to `diverges`",
            )
        )
    for nid, fact in df.divergence_unused:
        out.append(
            report(
                "divergence-unused",
                f"ending '{nid}' lists '{fact.id}' in `diverges`, but '{fact.id}' "
                "holds in every state that reaches it (proved by dataflow)",
                _ending_pos(ch.nodes[nid]),
                "set the flag that breaks it on the way here, or drop it from `diverges`",
            )
        )
    unproven = []
    unproven += [
        f"'{n}' always has a call to return to" if ch.nodes[n].returns else f"no soft-lock at '{n}'"
        for n in df.unproven_softlock
    ]
    if not df.calls_bounded:
        unproven.append(f"calls never nest deeper than max_call_depth ({story.max_call_depth})")
    unproven += [f"`{e.src}` in '{n}' stays within bounds" for n, c, e in df.unproven_bounds]
    unproven += [f"no loop without a way out through '{n}'" for n in df.unproven_traps]
    unproven += [f"'{f.id}' holds at ending '{n}'" for n, f in df.unproven_divergence]
    # refs and dates are checked along explored states only: what those could not cover stays open
    period_start = ch.period[0] if ch.period else None
    for nid, node in ch.nodes.items():
        if nid not in df.env:
            continue
        when = node.shown_date or period_start
        for fid in node.refs:
            fact = story.facts[fid]
            if fid not in earlier_facts and not (when is not None and fact.date.on_or_before(when)):
                unproven.append(f"'{fid}' is in the past wherever '{nid}' speaks of it")
    unproven += continuity.unproven(story, ch, df, broken_words)
    if any(n.date is not None for n in ch.nodes.values()):
        unproven.append("dates never run backwards (checked only along the transitions explored)")
    if any(risky(e.expr.value) for n in ch.nodes.values() for e in n.enter) or any(
        risky(c.guard) or any(risky(e.expr.value) for e in c.effects) for n in ch.nodes.values() for c in n.choices
    ):
        unproven.append("no division by zero (checked only in the states explored)")
    if unproven:
        shown = "; ".join(unproven[:20]) + (f"; and {len(unproven) - 20} more" if len(unproven) > 20 else "")
        out.append(
            report(
                "unproven",
                f"not proven for '{ch.id}' (exploration incomplete, dataflow too coarse): {shown}",
                ch.pos,
                f"raise {bound_option(ex.cut_by)} to explore the chapter whole",
                extra={"unproven": unproven},
            )
        )
    return out


def _ending_pos(node) -> Pos | None:
    """Where a node's ending is written (the node itself, should it have none)."""
    return node.ending.pos if node.ending is not None else node.pos
