"""Canon and divergence: the canonical path against the documented history.

* following `canon: true` from the story's start is possible at every step and
  reaches a `canon` ending in every chapter;
* it records every fact the chapter covers, in date order, and each fact's
  `holds` stays true from its record to the end of the story;
* at every reachable ending, every covered fact whose `holds` is false is
  listed in the ending's `diverges` (no branch contradicts history silently),
  and a listed fact that holds in every state reaching the ending is flagged.
"""

from __future__ import annotations

import shlex

from .. import canonpath
from .. import runtime as rt
from ..diagnostics import Diagnostic, report
from ..model import Story
from .states import scan_endings


def check_canon(story: Story, explorations: dict, rp) -> list:
    out: list[Diagnostic] = []
    if not any(not f.story for f in story.facts.values()):
        return out  # a story without documented history has no canon to follow
    out += _canonical_path(story, getattr(rp, "story_arg", None))
    for ch in story.chapters:
        recorded_anywhere = {f for n in ch.nodes.values() for f in n.records}
        for fid in ch.covers:
            if fid not in recorded_anywhere:
                out.append(
                    report(
                        "covered-not-recorded",
                        f"chapter '{ch.id}' covers '{fid}' but no node records it",
                        ch.pos,
                        f"add `records: [{fid}]` to the node where it happens",
                    )
                )
        if not any(n.ending and n.ending.kind == "canon" for n in ch.nodes.values()):
            out.append(
                report(
                    "canon-ending",
                    f"chapter '{ch.id}' has no canon ending",
                    ch.pos,
                    "mark the ending history took `kind: canon`",
                )
            )
        ex = explorations.get(ch.id)
        if ex is not None:
            out += _divergence(story, ex, rp)
    return out


def _canonical_path(story: Story, story_arg: str | None = None) -> list:
    out = []
    recorded: list[tuple[str, str]] = []  # (fact id, chapter)
    try:
        for leg in canonpath.legs(story):
            out += _leg_findings(story, leg, recorded, story_arg)
    except rt.PlayError:
        pass
    return out


def _leg_findings(story: Story, leg: canonpath.Leg, recorded: list[tuple[str, str]], story_arg: str | None) -> list:
    """What one chapter's stretch of the canonical path owes: to reach a canon ending, and on
    the way to record the facts the chapter covers, in date order, never undone later."""
    out = []
    ch, state = leg.chapter, leg.last
    node = rt.node_of(story, state)
    cmd = "chronicle play" + (f" --story {shlex.quote(story_arg)}" if story_arg else "") + f" --canon --chapter {ch.id}"
    if leg.broken:
        if leg.broken == "loop":
            msg, hint = (
                f"the canonical path of '{ch.id}' loops without reaching an ending",
                "mark a canonical choice that leads out of the loop",
            )
        elif leg.broken == "deep":
            c = leg.marked_choice(story)
            assert c is not None  # "deep" means the marked choice is a call
            msg, hint = (
                f"the canonical choice of node '{node.id}' ('{c.text}') calls '{c.target}' with "
                f"{story.max_call_depth} calls already waiting, deeper than `max_call_depth` allows",
                "return from the calls on the canonical path before calling again",
            )
        elif leg.broken == "unavailable":
            c = leg.marked_choice(story)
            assert c is not None  # "unavailable" means a choice is marked, but its condition is false
            msg, hint = (
                f"the canonical choice of node '{node.id}' ('{c.text}') is not available on the canonical path",
                f"its condition `{c.condition_src}` is false here",
            )
        else:
            msg, hint = (
                f"node '{node.id}' is on the canonical path but no choice is marked `canon: true`",
                "mark the choice history took",
            )
        out.append(report("canon-broken", msg, node.pos, hint, replay=cmd))
        return out
    # the `next:` nodes play went through on the way to each state record too
    chapter_records = [fid for s in leg.states for nid in s.passed + (s.node,) for fid in ch.nodes[nid].records]
    ending = node.ending
    assert ending is not None, "an unbroken leg ends at an ending"
    if ending.kind != "canon":
        out.append(
            report(
                "canon-ending",
                f"the canonical path of '{ch.id}' ends at '{node.id}', a {ending.kind} ending",
                ending.pos,
                "the canonical path must end at `kind: canon`",
                replay=cmd,
            )
        )
    for fid in ch.covers:
        if fid not in chapter_records and fid in story.facts:
            out.append(
                report(
                    "canon-missing-fact",
                    f"the canonical path of '{ch.id}' never records '{fid}', which the chapter covers",
                    ch.pos,
                    "record it on a node of the canonical path",
                    replay=cmd,
                )
            )
    for a, b in zip(chapter_records, chapter_records[1:]):
        fa, fb = story.facts[a], story.facts[b]
        if fb.date.before(fa.date):
            out.append(
                report(
                    "canon-order",
                    f"the canonical path of '{ch.id}' records '{b}' ({fb.date}) after '{a}' ({fa.date})",
                    ch.pos,
                    "record facts in the order they happened",
                    replay=cmd,
                )
            )
    recorded += [(f, ch.id) for f in chapter_records]
    # every recorded fact's `holds` stays true to the end of the chapter and beyond
    for fid, where in recorded:
        fact = story.facts[fid]
        if fact.holds_fn is not None and not fact.holds_fn(state.values, 0):
            out.append(
                report(
                    "canon-holds",
                    f"'{fid}' is recorded on the canonical path of '{where}', but its "
                    f"`holds` ({fact.holds_src}) is false at the end of '{ch.id}'",
                    fact.pos,
                    "the canonical path must not undo documented history",
                    replay=cmd,
                )
            )
    return out


def _divergence(story: Story, ex, rp) -> list:
    out = []
    ch = ex.chapter
    covered = []  # (fact, its holds test) for each covered fact history can break
    for fid in ch.covers:
        fact = story.facts.get(fid)
        if fact is not None and fact.holds_fn is not None:
            covered.append((fact, fact.holds_fn))
    undeclared_reported = set()
    holds_somewhere: dict[tuple, bool] = {}

    def questions(sx):  # each ending reached with a covered fact broken
        enc = sx.enc
        return [(ni, ~enc.pred(fact.holds)) for ni in sx.ending_set() for fact, _fn in covered]

    for sid in scan_endings(ex, questions):
        ni, vals, _seen, _rec = ex.keys[sid]
        node = ch.nodes[ex.graph.ids[ni]]
        for fact, holds_fn in covered:
            holds = bool(holds_fn(vals, 0))
            key = (node.id, fact.id)
            holds_somewhere[key] = holds_somewhere.get(key, False) or not holds
            if not holds and fact.id not in node.ending.diverges and key not in undeclared_reported:
                undeclared_reported.add(key)
                out.append(
                    report(
                        "divergence-undeclared",
                        f"ending '{node.id}' is reached with '{fact.id}' broken ({fact.holds_src} is false), "
                        "but the ending does not list it in `diverges`",
                        node.ending.pos,
                        f"add {fact.id} to `diverges` (and make the ending divergent), or keep history on the way here",
                        replay=rp.command(ex, sid),
                    )
                )
    # Holding in every state explored proves the listed fact unbreakable here only when every
    # state was explored (otherwise the dataflow fallback says what it can prove).
    exact = ex.exact and ex.complete
    for ni, nid in enumerate(ex.graph.ids):
        node = ch.nodes[nid]
        if not node.ending or ni not in ex.first_at_node or not exact:
            continue
        for fid in node.ending.diverges:
            listed = story.facts.get(fid)
            if listed is None or listed.holds_fn is None:
                continue
            if not holds_somewhere.get((nid, fid), False):
                out.append(
                    report(
                        "divergence-unused",
                        f"ending '{nid}' lists '{fid}' in `diverges`, but '{fid}' holds in every state that reaches it",
                        node.ending.pos,
                        "set the flag that breaks it on the way here, or drop it from `diverges`",
                    )
                )
    return out
