"""The nodes pass: each node of a chapter built from its YAML and the trees the expressions pass
parsed, one small function per part (its effects on entering, date, text, choices, ending or
way on, records and refs), and the epilogue's text parts, built the same way. What it builds is
plain: trees, no closures (engine.link compiles those once the story is whole).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import expr as ex
from ..dates import DateError, DateSpan, parse_date
from ..diagnostics import did_you_mean
from ..link import UNLINKED
from ..model import AUTO, ENDING_KINDS, Choice, Effect, Ending, Fact, Flag, Node, TextPart
from ..yamlload import Document
from .declare import INT_LIMIT, fact_ref
from .expressions import condition, effects_at, text_parts, text_path
from .reporter import Reporter

MAX_HINT = 120  # characters: an ending's hint is one line in the list of endings


@dataclass(frozen=True)
class ChapterContext:
    """What compiling one node needs to know of its chapter, gathered once per chapter."""

    doc: Document  # the chapter file, for positions
    cid: str  # the chapter's id
    parsed: dict[tuple, Any]  # path in the document -> parsed expression tree (or inline segments)
    flags: dict[str, Flag]  # flag name -> declaration (story-wide and the chapter's own)
    node_ids: set[str]  # every node id of the chapter
    fact_ref: Callable[[str, tuple, str], bool]  # checks a fact id, reporting an unknown one
    facts: dict[str, Fact] | None  # fact id -> Fact (None when the history did not load)
    covers: tuple  # the fact ids the chapter covers
    period: Any  # the chapter's (from, to) dates, or None when they did not parse
    counter_slot: dict[str, int]  # node id -> slot of its visit count, for nodes something counts
    resume: bool = False  # story.yaml `calls: resume`: a call from a choice without `goto` resumes its node

    def inline(self, path: tuple):
        """The inline segments of the text at `path`, or None."""
        return self.parsed.get(("inline",) + path)

    def effect(self, src: str, epath: tuple, tree) -> Effect:
        flag = self.flags[tree.target]
        lo, hi = flag.min, flag.max
        if flag.type == "int":  # without bounds, still a 32-bit whole number: `x = x * x` cannot run away
            lo = -INT_LIMIT - 1 if lo is None else lo
            hi = INT_LIMIT if hi is None else hi
        return Effect(
            expr=tree,
            src=src,
            slot=flag.slot,
            fn=UNLINKED,
            min=lo,
            max=hi,
            pos=self.doc.pos(epath),
        )

    def effects(self, base: tuple, do) -> list[Effect]:
        """The effects of the `do:` under `base` that parsed."""
        return [
            self.effect(src, epath, self.parsed[epath])
            for epath, src in effects_at(base, do)
            if self.parsed.get(epath) is not None
        ]


def documented(facts: dict | None) -> bool:
    """Does the story have documented history (facts from a source, not only the fiction's own)?"""
    return any(not f.story for f in (facts or {}).values())


def count_effect(target: str, slot: int) -> Effect:
    """`visits("target") += 1`, applied on entering the node (or taking the choice)."""
    name = ex.visits_name(target)
    return Effect(
        expr=ex.Effect(name, "+=", ex.Lit(1)),
        src=f"{name} += 1",
        slot=slot,
        fn=UNLINKED,
        min=0,
        max=INT_LIMIT,
    )


def node(out: Reporter, cx: ChapterContext, nid: str, n: dict) -> Node:
    """Node `nid` of the chapter, from its YAML mapping `n`."""
    base = ("nodes", nid)
    count_slot = cx.counter_slot.get(nid)
    enter = [count_effect(nid, count_slot)] if count_slot is not None else []
    enter += cx.effects(base, n.get("do"))
    date = _date(out, cx, nid, n)
    text = tuple(_text(out, cx, nid, n))
    choices = tuple(_choices(out, cx, nid, n))
    ending = _ending(out, cx, nid, n) if n.get("ending") is not None else None
    if ending is None:
        _way_on(out, cx, nid, n)
    branches = _branches(cx, nid, n) if ending is None and not n.get("return") else ()
    return Node(
        id=nid,
        chapter=cx.cid,
        text=text,
        choices=choices,
        ending=ending,
        date=date,
        place=n.get("place"),
        records=_records(out, cx, nid, n, date),
        refs=_refs(cx, nid, n),
        pos=cx.doc.key_pos(base),
        enter=tuple(enter),
        next=n.get("next") if isinstance(n.get("next"), str) and not branches else None,
        allow=tuple(n.get("allow") or ()),
        returns=bool(n.get("return")) and ending is None and not n.get("choices") and n.get("next") is None,
        branches=branches,
    )


def _branches(cx: ChapterContext, nid: str, n: dict) -> tuple:
    """A conditional `next:` (a list) as its branches, and a node's `call:` (with `next: NODE`) as
    one branch that calls and carries on there; () for a plain `next:` or none."""
    doc, base = cx.doc, ("nodes", nid)
    if n.get("call") is not None:
        if not isinstance(n.get("next"), str):
            return ()
        return (
            Choice(
                index=AUTO, text="", target=n["call"], returns_to=n["next"], pos=doc.pos(base + ("call",)), key="@call"
            ),
        )
    if not isinstance(n.get("next"), list):
        return ()
    out = []
    for k, b in enumerate(n["next"]):
        bpath = base + ("next", k)
        call = b.get("call")
        out.append(
            Choice(
                index=AUTO,
                text="",
                target=call if call is not None else b["goto"],
                returns_to=b.get("goto") if call is not None else None,
                condition=cx.parsed.get(bpath + ("if",)),
                condition_src=b.get("if"),
                pos=doc.pos(bpath),
                key=f"#{k + 1}",
            )
        )
    return tuple(out)


def _date(out: Reporter, cx: ChapterContext, nid: str, n: dict):
    if n.get("date") is None:
        return None
    doc, period, base = cx.doc, cx.period, ("nodes", nid)
    date = None
    try:
        date = parse_date(n["date"], allow_span=False)
    except DateError as exc:
        out.report("bad-date", f"node '{nid}': {exc}", doc.pos(base + ("date",)))
    if date and period and not date.overlaps(DateSpan(period[0].first, period[1].last, "")):
        out.report(
            "date-outside-period",
            f"node '{nid}' is dated {date}, outside the chapter's period {period[0]} to {period[1]}",
            doc.pos(base + ("date",)),
            "fix the date, or widen `period`",
        )
    return date


def _text(out: Reporter, cx: ChapterContext, nid: str, n: dict) -> list[TextPart]:
    base, text = ("nodes", nid), n.get("text")
    parts = []
    for j, part in enumerate(text_parts(text)):
        ppath = text_path(base, text, j)
        if isinstance(part, str):
            parts.append(TextPart(text=part, inline=cx.inline(ppath), text_pos=cx.doc.pos(ppath)))
            continue
        tree = cx.parsed.get(ppath + ("if",))
        what = f"text part {j + 1} of node '{nid}'"
        parts.append(text_part(out, cx.doc, ppath, part, tree, cx.fact_ref, what, cx.inline))
    return parts


def _choices(out: Reporter, cx: ChapterContext, nid: str, n: dict) -> list[Choice]:
    doc, base = cx.doc, ("nodes", nid)
    choices = []
    canon_seen = fallback_seen = None
    key_of = choice_keys(out, doc, base, nid)
    for k, c in enumerate(n.get("choices") or ()):
        cpath = base + ("choices", k)
        choices.append(_choice(out, cx, nid, k, c, key_of))
        if c.get("fallback"):
            if fallback_seen is not None:
                out.report(
                    "fallback-twice",
                    f"node '{nid}' has two fallback choices (choices {fallback_seen + 1} and {k + 1})",
                    doc.pos(cpath + ("fallback",)),
                    "play takes one choice by itself when nothing else can be taken: keep one `fallback: true`",
                )
            fallback_seen = k
        if c.get("canon"):
            if canon_seen is not None:
                out.report(
                    "canon-ambiguous",
                    f"node '{nid}' marks both choice {canon_seen + 1} and choice {k + 1} as canon",
                    doc.pos(cpath + ("canon",)),
                    "history took one road: mark one choice `canon: true`",
                )
            canon_seen = k
    return choices


def _choice(out: Reporter, cx: ChapterContext, nid: str, k: int, c: dict, key_of) -> Choice:
    doc, cpath = cx.doc, ("nodes", nid, "choices", k)
    for way, verb in (("goto", "goes to"), ("call", "calls")):
        if c.get(way) is not None and c[way] not in cx.node_ids:
            out.report(
                "unknown-node",
                f"choice {k + 1} of node '{nid}' {verb} '{c[way]}', which is not a node here",
                doc.pos(cpath + (way,)),
                did_you_mean(c[way], cx.node_ids),
            )
    # A call enters the called node and comes back to `goto` (else here) when it returns.
    target = c["call"] if c.get("call") is not None else c["goto"]
    returns_to = (c.get("goto") or nid) if c.get("call") is not None else None
    # with `calls: resume`, a call without `goto` comes back to this node's choices, not into it
    resumes = cx.resume and c.get("call") is not None and c.get("goto") is None
    cond = cx.parsed.get(cpath + ("if",))
    asserts, denies = assertions(out, doc, cpath, c, cx.fact_ref, f"choice {k + 1} of node '{nid}'")
    say = None
    if c.get("say") is not None:
        say = TextPart(text=c["say"], inline=cx.inline(cpath + ("say",)), pos=doc.pos(cpath + ("say",)))
    label = None
    segs = cx.inline(cpath + ("text",))
    if segs is not None:
        label = TextPart(text=c["text"], inline=segs, pos=doc.pos(cpath + ("text",)))
    key = f"{nid}.{c['id']}" if c.get("id") is not None else None
    return Choice(
        index=k,
        text=c.get("text", ""),  # (a fallback has none: it is never shown)
        target=target,
        returns_to=returns_to,
        resumes=resumes,
        label=label,
        condition=cond,
        condition_src=c.get("if"),
        effects=tuple(cx.effects(cpath, c.get("do"))),
        canon=bool(c.get("canon")),
        pos=doc.pos(cpath),
        asserts=asserts,
        denies=denies,
        id=c.get("id"),
        say=say,
        count=count_effect(key, cx.counter_slot[key]) if key in cx.counter_slot else None,
        allow=tuple(c.get("allow") or ()),
        key=key_of(k, c.get("id"), target, returns_to),
        text_pos=doc.pos(cpath + ("text",)),
        enabled=cx.parsed.get(cpath + ("enabled",)),
        enabled_src=c.get("enabled"),
        fallback=bool(c.get("fallback")),
    )


def choice_keys(
    out: Reporter, doc: Document, base: tuple, nid: str
) -> Callable[[int, str | None, str, str | None], str]:
    """The key of each choice of node `nid` in turn (see model.Choice): its id, else `@target`
    (`#2`, `#3`... for later siblings going the same way). Two choices of a node with one id
    is an error. (Given as each choice is built: a copy per choice cost a tenth of a compile.)"""
    ids: dict = {}
    same_way: dict = {}

    def key(index: int, cid: str | None, target: str, returns_to: str | None) -> str:
        if cid is not None:
            if cid in ids:
                out.report(
                    "duplicate-id",
                    f"node '{nid}' has two choices with id '{cid}' (choices {ids[cid] + 1} and {index + 1})",
                    doc.pos(base + ("choices", index, "id")),
                    "give each choice of a node its own id: saves name the steps they took by it",
                )
            ids[cid] = index
            return cid
        # a call is known by the node it calls and, when it comes back elsewhere, where
        # (`@map>road`): `call: map` and `call: map, goto: road` are different ways on
        way = target + (f">{returns_to}" if returns_to not in (None, nid) else "")
        n = same_way[way] = same_way.get(way, 0) + 1
        return f"@{way}" + (f"#{n}" if n > 1 else "")

    return key


def _ending(out: Reporter, cx: ChapterContext, nid: str, n: dict) -> Ending:
    doc, facts, base = cx.doc, cx.facts, ("nodes", nid)
    e = n["ending"]
    epath = base + ("ending",)
    diverges = tuple(e.get("diverges") or ())
    for i, fid in enumerate(diverges):
        if cx.fact_ref(fid, epath + ("diverges", i), f"ending '{nid}' diverges from") and fid not in cx.covers:
            out.report(
                "diverges-not-covered",
                f"ending '{nid}' diverges from '{fid}', which this chapter does not cover",
                doc.pos(epath + ("diverges", i)),
                f"add '{fid}' to the chapter's `covers`, or drop it here",
            )
        elif e.get("kind") == "divergent" and facts is not None and fid in facts and facts[fid].holds_src is None:
            out.report(
                "diverges-unbreakable",
                f"ending '{nid}' diverges from '{fid}', but that fact has no `holds`, so no branch can break it",
                doc.pos(epath + ("diverges", i)),
                f"give '{fid}' a `holds` over the story-wide flag this branch sets, or drop it here",
            )
    kind = e.get("kind")
    is_documented = documented(facts)
    if is_documented and kind not in ENDING_KINDS:
        out.report(
            "ending-kind",
            f"ending '{nid}' needs a kind: canon, personal or divergent"
            if kind is None
            else f"ending '{nid}' is `{kind}`, a kind for stories without history",
            doc.pos(epath + (("kind",) if kind else ())),
            "a story with documented history says how each ending stands to it: canon, personal or divergent",
        )
    if not is_documented and facts is not None and kind in ENDING_KINDS:  # (None: the history did not load)
        out.report(
            "ending-kind",
            f"ending '{nid}' is `{kind}`, but this story has no documented history",
            doc.pos(epath + ("kind",)),
            "use good, bad or neutral, or leave the kind out",
        )
    if kind in ("canon", "personal") and diverges:
        out.report(
            "ending-kind",
            f"a {e['kind']} ending keeps history, so it cannot list `diverges`",
            doc.pos(epath + ("kind",)),
            "make it `kind: divergent`, or remove `diverges`",
        )
    if kind == "divergent" and not diverges:
        out.report(
            "ending-kind",
            f"divergent ending '{nid}' does not say which facts it changes",
            doc.pos(epath + ("kind",)),
            "list the covered facts this branch breaks under `diverges:`",
        )
    # an ending ends the chapter: nothing may go on from it
    for key, code, what in (
        ("choices", "ending-with-choices", "offers choices"),
        ("return", "return-misplaced", "has `return: true`"),
        ("next", "next-with-choices", "goes on with `next:`"),
        ("call", "call-misplaced", "calls with `call:`"),
    ):
        if n.get(key):
            out.report(
                code,
                f"node '{nid}' is an ending but also {what}",
                doc.key_pos(base + (key,)),
                f"an ending ends the chapter: remove `{key}` or `ending`",
            )
    hint = e.get("hint")
    if hint is not None and ("\n" in hint.strip() or len(hint) > MAX_HINT):
        out.report(
            "ending-hint",
            f"the hint for ending '{nid}' must be one line of at most {MAX_HINT} characters, "
            f"since it is shown in the list of endings",
            doc.pos(epath + ("hint",)),
            "shorten it to a single line that nudges without giving the ending away",
        )
    return Ending(
        kind=kind,
        title=e["title"],
        diverges=diverges,
        pos=doc.pos(epath),
        hint=hint.strip() if hint else None,
        title_pos=doc.pos(epath + ("title",)),
    )


def _way_on(out: Reporter, cx: ChapterContext, nid: str, n: dict) -> None:
    """A node that is not an ending goes on: by returning, by `next:` (one node, or branches), or
    by its choices, and only one; a node's `call:` goes with a `next:` that names one node."""
    doc, base = cx.doc, ("nodes", nid)
    if n.get("call") is not None:
        if n.get("return") or n.get("choices") or not isinstance(n.get("next"), str):
            why = (
                "also returns"
                if n.get("return")
                else "also offers choices"
                if n.get("choices")
                else "has branches in its `next:`"
                if isinstance(n.get("next"), list)
                else "has no `next:`"
            )
            out.report(
                "call-misplaced",
                f"node '{nid}' calls '{n['call']}', but {why}: "
                "play needs one node to carry on at when the call returns",
                doc.key_pos(base + ("call",)),
                "give the node `next: NODE` (where play carries on after the call), or put the call on a choice "
                "(or in a branch of `next:`, with its own `goto`)",
            )
        _known(out, cx, n["call"], f"node '{nid}' calls", base + ("call",))
    if n.get("return"):
        for other, what in (("choices", "choices"), ("next", "`next:`")):
            if n.get(other):
                out.report(
                    "return-misplaced",
                    f"node '{nid}' has both `return: true` and {what}",
                    doc.key_pos(base + (other,)),
                    "a returning node goes back to its caller without a click, so it offers no choices "
                    "and has no `next:`: remove one of them",
                )
    elif n.get("next") is not None:
        if n.get("choices"):
            out.report(
                "next-with-choices",
                f"node '{nid}' has both choices and `next:`",
                doc.key_pos(base + ("next",)),
                "`next:` continues without a click, so the node offers no choices: remove one of them",
            )
        if isinstance(n["next"], str):
            _known(out, cx, n["next"], f"node '{nid}' goes on to", base + ("next",))
        else:
            _branches_ok(out, cx, nid, n["next"])
    elif not n.get("choices"):
        out.report(
            "no-choices",
            f"node '{nid}' has no choices and is not an ending, so play would stop here",
            doc.key_pos(base),
            "add `choices:`, or make it an ending with `ending: {kind: personal, title: ...}`",
        )


def _known(out: Reporter, cx: ChapterContext, target: str, what: str, path: tuple) -> None:
    if target not in cx.node_ids:
        out.report(
            "unknown-node",
            f"{what} '{target}', which is not a node here",
            cx.doc.pos(path),
            did_you_mean(target, cx.node_ids),
        )


def _branches_ok(out: Reporter, cx: ChapterContext, nid: str, branches: list) -> None:
    """A conditional `next:`: every branch names nodes here, a call carries on somewhere, and the
    last branch (and only the last) has no `if`, so play always finds exactly one way on."""
    doc, base = cx.doc, ("nodes", nid, "next")
    for k, b in enumerate(branches):
        bpath = base + (k,)
        for way, verb in (("goto", "goes to"), ("call", "calls")):
            if b.get(way) is not None:
                _known(out, cx, b[way], f"branch {k + 1} of node '{nid}' {verb}", bpath + (way,))
        if b.get("call") is not None and b.get("goto") is None:
            out.report(
                "call-misplaced",
                f"branch {k + 1} of node '{nid}' calls '{b['call']}' but has no `goto` to carry on at when it returns",
                doc.key_pos(bpath + ("call",)),
                "add `goto: NODE`: where play goes on after the call",
            )
        if b.get("if") is None and k < len(branches) - 1:
            out.report(
                "next-fallback",
                f"branch {k + 2} of node '{nid}' can never be taken: "
                f"branch {k + 1} has no `if`, so it is always taken first",
                doc.pos(base + (k + 1,)),
                "the first branch whose `if` holds is taken: move the branch without `if` to the end",
            )
            return
    if branches and branches[-1].get("if") is not None:
        out.report(
            "next-fallback",
            f"the last branch of node '{nid}''s `next:` has an `if`, so when no branch holds play has no way on",
            doc.pos(base + (len(branches) - 1,)),
            "end the list with a branch without `if` (`- goto: NODE`): it is taken when no other holds",
        )


def _records(out: Reporter, cx: ChapterContext, nid: str, n: dict, date) -> tuple:
    doc, facts, period, base = cx.doc, cx.facts, cx.period, ("nodes", nid)
    records = tuple(n.get("records") or ())
    for i, fid in enumerate(records):
        if cx.fact_ref(fid, base + ("records", i), f"node '{nid}' records") and facts is not None:
            fact = facts[fid]
            if date and not fact.date.overlaps(date):
                out.report(
                    "record-date",
                    f"node '{nid}' (dated {date}) records '{fid}', which is dated {fact.date}",
                    doc.pos(base + ("records", i)),
                    "a fact is recorded where it happens: fix the node's date or move the record",
                )
            if period and not fact.date.overlaps(DateSpan(period[0].first, period[1].last, "")):
                out.report(
                    "record-outside-period",
                    f"node '{nid}' records '{fid}' ({fact.date}), outside the chapter's period",
                    doc.pos(base + ("records", i)),
                    "record it in the chapter whose period holds it, or widen `period`",
                )
    return records


def _refs(cx: ChapterContext, nid: str, n: dict) -> tuple:
    refs = tuple(n.get("refs") or ())
    for i, fid in enumerate(refs):
        cx.fact_ref(fid, ("nodes", nid, "refs", i), f"node '{nid}' refers to")
    return refs


def assertions(out: Reporter, doc: Document, path: tuple, part: dict, check_fact, what: str) -> tuple[tuple, tuple]:
    """The `asserts` and `denies` of a text part, an `else` or a choice: names resolved, and
    no fact both asserted and denied by the same words."""
    found = []
    for key, verb in (("asserts", "asserts"), ("denies", "denies")):
        ids = tuple(part.get(key) or ())
        for i, fid in enumerate(ids):
            check_fact(fid, path + (key, i), f"{what} {verb}")
        found.append(ids)
    asserts, denies = found
    for i, fid in enumerate(denies):
        if fid in asserts:
            out.report(
                "asserts-conflict",
                f"{what} both asserts and denies '{fid}'",
                doc.pos(path + ("denies", i)),
                "words are shown either where the fact holds or where it is broken: keep one, and put "
                "the other wording in a conditional part (`if:` ... `else:`)",
            )
    return asserts, denies


def text_part(
    out: Reporter,
    doc: Document,
    ppath: tuple,
    part: dict,
    tree: ex.Expr | None,
    check_fact: Callable,
    what: str,
    inline: Callable[[tuple], Any] = lambda path: None,
) -> TextPart:
    """A conditional text part (`if:`, `text:`, `else:`, each text with the facts it asserts or
    denies), of a node or of the epilogue. `tree`: its condition, parsed and type-checked by
    the caller (over a chapter's flags, or the story-wide ones). `inline(path)`: the inline
    segments of the text at `path` (None where text has none)."""
    asserts, denies = assertions(out, doc, ppath, part, check_fact, what)
    other = part.get("else")
    else_asserts = else_denies = ()
    segs = inline(ppath + ("text",))
    esegs = inline(ppath + ("else",))
    if isinstance(other, dict):
        else_asserts, else_denies = assertions(out, doc, ppath + ("else",), other, check_fact, f"the `else` of {what}")
        other = other["text"]
        esegs = inline(ppath + ("else", "text"))
    return TextPart(
        text=part["text"],
        condition=tree,
        condition_src=part.get("if"),
        else_text=other,
        pos=doc.pos(ppath),
        asserts=asserts,
        denies=denies,
        else_asserts=else_asserts,
        else_denies=else_denies,
        else_pos=doc.pos(ppath + ("else",)) if other is not None else None,
        text_pos=doc.pos(ppath + ("text",)),
        else_text_pos=doc.pos(ppath + (("else", "text") if isinstance(part.get("else"), dict) else ("else",)))
        if other is not None
        else None,
        allow=tuple(part.get("allow") or ()),
        inline=segs,
        else_inline=esegs,
    )


def epilogue(out: Reporter, doc: Document, story_flags: list[Flag], facts: dict | None) -> tuple:
    """The epilogue as text parts, their conditions over the story-wide flags as the story ended."""
    raw = doc.data.get("epilogue")
    if raw is None:
        return ()
    types = {f.name: f.flag_type for f in story_flags}
    check_fact = fact_ref(out, doc, facts)
    parts = []
    for j, part in enumerate(text_parts(raw)):
        ppath = ("epilogue",) if isinstance(raw, str) else ("epilogue", j)
        if isinstance(part, str):
            parts.append(TextPart(text=part, pos=doc.pos(ppath), text_pos=doc.pos(ppath)))
            continue
        tree = None
        if part.get("if") is not None:
            try:
                src = part["if"]
                tree = condition(
                    src,
                    types,
                    lambda n: False,
                    lambda t: f"a condition must be true or false, but `{src}` is {t}",  # noqa: B023 (called at once)
                )
            except ex.ExprError as exc:
                if exc.code == "unknown-flag":
                    exc.hint = "the epilogue reads only story-wide flags (story/story.yaml `flags:`); " + (
                        (did_you_mean(exc.name, types) if exc.name else None) or ""
                    )
                elif exc.code == "unknown-node":
                    exc.hint = "the epilogue belongs to no chapter, so it cannot ask seen(): set a story-wide flag"
                out.expr_error(exc, doc, ppath + ("if",), f"in a condition of the epilogue (part {j + 1})")
                tree = None
        parts.append(text_part(out, doc, ppath, part, tree, check_fact, f"epilogue part {j + 1}"))
    return tuple(parts)
