"""Integer division by zero: `x // y` and `x % y` where `y` can be 0 in a reachable state.

A literal zero divisor is refused by the compiler; a divisor that reads flags is
checked here, over the explored states, with the same short-circuits play uses
(`y > 0 and x // y > 2` never divides by zero). Play itself turns a zero division
into 0, so a finding is a mistake in the story, never a crash.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, report
from ..expr import ARITH_FN, CMP_FN, Arith, BoolOp, Compare, Lit, Neg, Not, Seen, Var, subtrees
from ..model import AUTO, clamp
from .states import scan_node


def risky(tree) -> bool:
    """Does the expression divide by something that is not a literal?"""
    return tree is not None and any(
        isinstance(x, Arith) and x.op in ("//", "%") and not isinstance(x.right, Lit) for x in subtrees(tree)
    )


class _Zero(Exception):
    pass


def _eval(e, vals, seen, slots, bits):
    """evaluate(), but a division by zero raises instead of giving 0."""
    if isinstance(e, Lit):
        return e.value
    if isinstance(e, Var):
        return vals[slots[e.name]]
    if isinstance(e, Seen):
        return (seen & bits.get(e.node, 0)) != 0
    if isinstance(e, Not):
        return not _eval(e.operand, vals, seen, slots, bits)
    if isinstance(e, Neg):
        return -_eval(e.operand, vals, seen, slots, bits)
    if isinstance(e, BoolOp):
        if e.op == "and":
            return all(_eval(x, vals, seen, slots, bits) for x in e.operands)
        return any(_eval(x, vals, seen, slots, bits) for x in e.operands)
    if isinstance(e, Compare):
        return CMP_FN[e.op](_eval(e.left, vals, seen, slots, bits), _eval(e.right, vals, seen, slots, bits))
    if isinstance(e, Arith):
        a, b = _eval(e.left, vals, seen, slots, bits), _eval(e.right, vals, seen, slots, bits)
        if e.op in ("//", "%") and b == 0:
            raise _Zero
        return ARITH_FN[e.op](a, b)
    raise TypeError(e)


def division_findings(ex, rp) -> list[Diagnostic]:
    g, ch = ex.graph, ex.chapter
    suspects: dict[int, list] = {}
    for ni, ts in enumerate(g.transitions):
        for t in ts:
            effects = [e for _s, _f, e in t.effects if e is not None]  # (a call's push has none)
            if risky(t.choice.guard) or any(risky(e.expr.value) for e in effects):
                suspects.setdefault(ni, []).append((t, effects))
    if not suspects:
        return []
    slots = {f.name: f.slot for f in ch.layout}
    bits = dict(ch.seen_bits)

    def questions(sx):  # where each suspect move divides by zero, in its condition or an effect
        out = []
        for ni in suspects:
            for mv in sx.moves[ni]:
                enc = sx.enc
                c = mv.choice.guard
                z = enc.zero(c) if c is not None else enc.false
                for j, st in enumerate(mv.steps):
                    if st.effect is None or not risky(st.effect.expr.value):
                        continue
                    u = enc.zero(st.effect.expr.value)
                    for prev in reversed(mv.steps[:j]):
                        u = enc.preimage(u, prev)
                    z |= u & mv.guard
                out.append((ni, z))
        return out

    out, reported = [], set()
    for sid in scan_node(ex, suspects, questions):  # breadth-first: the first found is the nearest
        ni, vals, seen, _rec = ex.keys[sid]
        for t, effects in suspects.get(ni, ()):
            if (ni, t.choice.index) in reported:
                continue
            where = None
            try:
                where = t.choice.needs
                if t.choice.guard is not None and not _eval(t.choice.guard, vals, seen, slots, bits):
                    continue
                lst = list(vals)
                for e in effects:
                    where = e.src
                    x = _eval(e.expr.value, lst, seen, slots, bits)
                    cur = lst[e.slot]
                    x = x if e.expr.op == "=" else cur + x if e.expr.op == "+=" else cur - x
                    lst[e.slot] = clamp(x, e.min, e.max)
            except _Zero:
                reported.add((ni, t.choice.index))
                auto = t.choice.index == AUTO
                # The replay goes on to take the choice only when play offers it there: a condition
                # that divides by zero is worked out as play does it (the division gives 0), and
                # `10 // y > 1` is then false, so the replay stops at the state that shows the problem.
                offered = not auto and (t.test is None or t.test(vals, seen))
                what = (
                    f"on the way from node '{g.ids[ni]}' to '{g.ids[t.target]}'"
                    if auto
                    else f"in choice {t.choice.index + 1} of node '{g.ids[ni]}'"
                )
                out.append(
                    report(
                        "divide-by-zero",
                        f"`{where}` divides by zero {what} (play would use 0)",
                        t.choice.pos,
                        "guard the division, e.g. `y > 0 and x // y > 1`, or keep the divisor's flag above 0",
                        replay=rp.command(ex, sid, ex.number_of(sid, t.choice.index) if offered else None),
                    )
                )
    return out
