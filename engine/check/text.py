"""text-never-shown: conditional text (a block part or an inline `{cond: a | b}`) whose
condition comes out the same in every reachable state that shows it, so one of its two
texts is never read.

The explored states are exact for every flag a choice can still read, and a condition
over those is judged state by state. A flag that only text reads is reset to its default
where no choice needs it (that is what keeps exploration small), so a condition reading
one is judged by the dataflow analysis instead: the values each flag may hold at the
node, an over-approximation, so a condition it finds always true (or always false) is
so in play. The check is sound (it never reports a text some playthrough shows) but
does not claim to find every such text. A choice's own text is judged in the states that
offer the choice; a choice's `say:` and the options of sequences are not judged.
"""

from __future__ import annotations

from .. import inline as il
from ..diagnostics import Diagnostic, report
from ..expr import compile_expr, names_in
from .dataflow import analyse, possible_values, start_env
from .states import scan_node, start_values


def text_findings(ex, rp) -> list[Diagnostic]:
    g, ch = ex.graph, ex.chapter
    slots = {f.name: f.slot for f in ch.layout}
    wanted: dict = {}
    for ni, nid in enumerate(g.ids):
        node = ch.nodes[nid]
        if any(p.condition is not None or p.inline or p.else_inline for p in node.text) or any(
            c.label is not None for c in node.choices
        ):
            wanted[ni] = []
    if not wanted:
        return []

    def questions(sx):  # the first state of each set of states some text is judged over
        enc = sx.enc
        out: list = []

        def branches(ni, segs, ctx):
            _branch_questions(enc, out, ni, segs, ctx)

        for ni in wanted:
            node, here = ch.nodes[g.ids[ni]], sx.at(ni)
            out.append((ni, here))
            for part in node.text:
                main = else_ = here
                if part.condition is not None:
                    c = enc.pred(part.condition)
                    main, else_ = here & c, here & ~c
                    out.extend(((ni, main), (ni, else_)))
                for ctx in (main, else_) if part.condition is not None else (here,):
                    branches(ni, part.inline, ctx)
                    branches(ni, part.else_inline, ctx)
            for mv in sx.moves[ni]:
                c = mv.choice
                if c.label is not None:
                    out.append((ni, here & mv.guard))
                    branches(ni, c.label.inline, here & mv.guard)
        return out

    vs: dict[int, tuple] = {}  # state id -> (values, seen), unpacked once
    for sid in scan_node(ex, wanted, questions):
        key = ex.keys[sid]
        if key[0] in wanted:
            wanted[key[0]].append(sid)
            vs[sid] = (key[1], key[2])
    out: list[Diagnostic] = []
    df = None
    for ni, sids in wanted.items():
        if not sids:
            continue
        node = ch.nodes[g.ids[ni]]
        dead = set(g.dead[ni])

        def judged(tree, dead=dead) -> bool:
            return not any(slots[n] in dead for n in names_in(tree))

        def constant(tree, node=node):
            """True/False when the dataflow proves the condition always so at this node, else None."""
            nonlocal df
            if df is None:
                n_story = len(rp.story.flags)
                df = analyse(rp.story, ch, start_env(rp.story, ch, start_values(ex, n_story)))
            env = df.env.get(node.id)
            p = possible_values(tree, env, slots, ch.layout) if env is not None else None
            return next(iter(p)) if p in ({True}, {False}) else None

        for j, part in enumerate(node.text):
            shown_main, shown_else = sids, []
            if part.condition is not None and judged(part.condition):
                truth = [bool(part.test(*vs[s])) for s in sids]
                shown_main = [s for s, t in zip(sids, truth) if t]
                shown_else = [s for s, t in zip(sids, truth) if not t]
                if not shown_main or not shown_else:
                    out.append(
                        _part_never_shown(
                            node, j, part, bool(shown_main), "in every state that reaches it", rp.command(ex, sids[0])
                        )
                    )
            elif part.condition is not None:
                always = constant(part.condition)
                if always is not None:
                    out.append(_part_never_shown(node, j, part, always, _PROVED, rp.command(ex, sids[0])))
                shown_else = sids if part.else_inline else []
            out += _inline(ex, rp, node, part.inline, shown_main, vs, slots, judged, constant)
            out += _inline(ex, rp, node, part.else_inline, shown_else, vs, slots, judged, constant)
        for c in node.choices:
            if c.label is None:
                continue
            offered = [s for s in sids if c.test is None or c.test(*vs[s])]
            where = (f"the text of choice {c.index + 1} of node '{node.id}'", c.label.pos or c.pos)
            out += _inline(ex, rp, node, c.label.inline, offered, vs, slots, judged, constant, where)
    return out


def _branch_questions(enc, out: list, ni: int, segs, ctx) -> None:
    """The sets an inline branch is judged over, under context `ctx` (a BDD), for `scan`."""
    for x in segs or ():
        if isinstance(x, il.Branch):
            c = enc.pred(x.cond)
            out.extend(((ni, ctx & c), (ni, ctx & ~c)))
            for sub in (ctx, ctx & c, ctx & ~c):
                _branch_questions(enc, out, ni, x.then, sub)
                _branch_questions(enc, out, ni, x.other, sub)


def _inline(ex, rp, node, segs, sids, vs, slots, judged, constant, where=None) -> list[Diagnostic]:
    """`where`: (what to call the text, its position); a node's own text by default. `vs`: state
    id -> (values, seen)."""
    out: list[Diagnostic] = []
    if not segs or not sids:
        return out
    what, pos = where or (f"node '{node.id}'", node.pos)
    bits = ex.chapter.seen_bits
    for x in segs:
        if isinstance(x, il.Branch):
            if not judged(x.cond):
                always = constant(x.cond)
                if always is not None:
                    out.append(_branch_never_shown(what, x, always, _PROVED, pos, rp.command(ex, sids[0])))
                out += _inline(ex, rp, node, x.then, sids, vs, slots, judged, constant, where)
                out += _inline(ex, rp, node, x.other, sids, vs, slots, judged, constant, where)
                continue
            test = compile_expr(x.cond, slots, bits)
            yes: list = []
            no: list = []
            for s in sids:
                (yes if test(*vs[s]) else no).append(s)
            if not yes or not no:
                out.append(
                    _branch_never_shown(
                        what, x, bool(yes), "in every state that shows it", pos, rp.command(ex, sids[0])
                    )
                )
            out += _inline(ex, rp, node, x.then, yes, vs, slots, judged, constant, where)
            out += _inline(ex, rp, node, x.other, no, vs, slots, judged, constant, where)
    return out


_PROVED = "wherever play reaches it"  # (judged by the dataflow analysis, not state by state)


def _part_never_shown(node, j: int, part, always: bool, how: str, replay: str | None) -> Diagnostic:
    """A text part whose `if` is `always` true or false (`how`: where that was found so)."""
    what = (
        "its text is never shown"
        if not always
        else "its `else` text is never shown"
        if part.else_text
        else "the condition decides nothing"
    )
    return _never_shown(
        f"in node '{node.id}', text part {j + 1}: {what}, as `{part.condition_src}` is {str(always).lower()} {how}",
        part.pos or node.pos,
        replay,
    )


def _branch_never_shown(what: str, x, always: bool, how: str, pos, replay: str | None) -> Diagnostic:
    """An inline `{cond: a | b}` whose condition is `always` true or false."""
    return _never_shown(
        f"in {what}, the inline part `{{{x.src}: ...}}` always shows its {'first' if always else 'second'} "
        f"text: `{x.src}` is {str(always).lower()} {how}",
        pos,
        replay,
    )


def _never_shown(message: str, pos, replay: str | None) -> Diagnostic:
    return report("text-never-shown", message, pos, "change the condition, or write the text plainly", replay=replay)
