"""Claims: where the words of a text a reader can see claim a fact (the facts' `mentions:`).

Every text play can show is scanned: a node's text parts and their `else`, every branch of
every inline part and every option of a sequence, a choice's text (static or inline) and its
`say:`, an ending's title, the epilogue and the intro. A match of a fact's `mentions` claims
the fact happened; a match of its `mentions_not` claims it did not (and a `mentions` match
inside a `mentions_not` match of the same fact is that denial, not a claim).

Each match becomes a claim: the fact, which way, the words as a reader sees them, where they
are written (the very word, line and column), and when they are shown, as the text's own
condition together with the conditions of the inline branches the words are made of. The
continuity check (`continuity.sites`) judges a claim like a marked `asserts`/`denies`.

Words a part marks about a fact (`asserts`/`denies` naming it) are judged by the mark, not
by their mentions of it; `allow: [mention]` on a text part, a choice or a node makes its
words claim nothing (a hypothetical, a rumour), and is reported when it exempts nothing.

An option of a sequence (`{&a|b}`) is taken to be shown wherever its sequence is: which one
a visit shows depends on a count exploration does not keep when only text reads it.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from .. import inline as il
from .. import mentions as mn
from ..diagnostics import Pos
from ..expr import BoolOp, Expr, Lit, Not, compile_expr
from ..model import Choice, Node, Story, TextPart

_MAX_PATHS = 256  # renderings of one text tried whole; past that, each run of literal text alone
_OPAQUE = "\ufffc"  # a `{value}` in text: a word no pattern matches


@dataclass(frozen=True)
class Text:
    """One text a reader can see, and when: `shown(values, seen)` in a state at its node (None:
    whenever the node is shown); `after`: for a `say:`, the choice whose effects come first."""

    node: str  # node id, "" for the epilogue and the intro
    what: str  # "text part 2 of node 'x'", "the `say:` of choice 1 of node 'x'", "the intro"
    value: str  # as written
    segs: tuple | None  # its inline segments; None for text shown as written
    pos: Pos | None  # where the text is written
    shown: Callable | None
    shown_expr: Expr
    marks: frozenset  # facts its part asserts or denies: judged by the mark
    exempt: bool  # allow: [mention]
    after: Choice | None = None
    allow_where: tuple | None = None  # (description, pos) of the `allow: [mention]` exempting it


@dataclass(frozen=True)
class Claim:
    text: Text
    fact: str
    negative: bool  # a `mentions_not` match: the words say the fact did not happen
    words: str  # as a reader sees them
    pos: Pos | None
    conds: tuple  # ((condition tree, True | False), ...): the inline branches the words are made of


# ---- every text a reader can see ---------------------------------------------------------------


def node_texts(node: Node) -> list[Text]:
    out: list[Text] = []
    node_exempt = "mention" in node.allow
    for j, part in enumerate(node.text):
        out += _part_texts(node.id, part, f"text part {j + 1} of node '{node.id}'", node_exempt, node)
    for c in node.choices:
        exempt = node_exempt or "mention" in c.allow
        where = _allow_where(node, c)
        marks = frozenset(c.asserts + c.denies)
        cond = c.guard if c.guard is not None else Lit(True)
        label = c.label
        out.append(
            Text(
                node.id,
                f"the text of choice {c.index + 1} of node '{node.id}'",
                c.text,
                label.inline if label is not None else None,
                c.text_pos or c.pos,
                c.test,
                cond,
                marks,
                exempt,
                allow_where=where,
            )
        )
        if c.say is not None:
            out.append(
                Text(
                    node.id,
                    f"the `say:` of choice {c.index + 1} of node '{node.id}'",
                    c.say.text,
                    c.say.inline,
                    c.say.pos or c.pos,
                    c.test,
                    cond,
                    frozenset(),
                    exempt,
                    after=c,
                    allow_where=where,
                )
            )
    if node.ending is not None:
        e = node.ending
        out.append(
            Text(
                node.id,
                f"the title of ending '{node.id}'",
                e.title,
                None,
                e.title_pos or e.pos,
                None,
                Lit(True),
                frozenset(),
                node_exempt,
                allow_where=("node '" + node.id + "'", node.pos) if node_exempt else None,
            )
        )
    return out


def _allow_where(node: Node, c: Choice) -> tuple | None:
    if "mention" in c.allow:
        return (f"choice {c.index + 1} of node '{node.id}'", c.pos)
    if "mention" in node.allow:
        return (f"node '{node.id}'", node.pos)
    return None


def _part_texts(node_id: str, part: TextPart, what: str, outer_exempt: bool, node: Node | None) -> list[Text]:
    exempt = outer_exempt or "mention" in part.allow
    if "mention" in part.allow:
        where = (what, part.pos or part.text_pos)
    elif outer_exempt and node is not None:
        where = (f"node '{node.id}'", node.pos)
    else:
        where = None
    cond = part.condition if part.condition is not None else Lit(True)
    out = [
        Text(
            node_id,
            what,
            part.text,
            part.inline,
            part.text_pos or part.pos,
            part.test,
            cond,
            frozenset(part.asserts + part.denies),
            exempt,
            allow_where=where,
        )
    ]
    if part.else_text and part.test is not None:
        test = part.test
        out.append(
            Text(
                node_id,
                f"the `else` of {what}",
                part.else_text,
                part.else_inline,
                part.else_text_pos or part.else_pos or part.pos,
                lambda v, s: not test(v, s),
                Not(cond),
                frozenset(part.else_asserts + part.else_denies),
                exempt,
                allow_where=where,
            )
        )
    return out


def epilogue_texts(story: Story) -> list[Text]:
    out: list[Text] = []
    for j, part in enumerate(story.epilogue_parts):
        out += _part_texts("", part, f"epilogue part {j + 1}", False, None)
    return out


def intro_text(story: Story) -> Text | None:
    if not story.intro:
        return None
    return Text("", "the intro", story.intro, None, story.intro_pos, None, Lit(True), frozenset(), False)


# ---- matches -----------------------------------------------------------------------------------


def claims_in(story: Story, text: Text, rules: list | None = None) -> list[Claim]:
    """Every claim the text's words make, in every rendering of its inline parts (`rules`: the
    facts' `mentions` by default; `own_words(story)` for the unmarked-claim warning)."""
    rules = mention_rules(story) if rules is None else rules
    if not rules:
        return []
    out: list[Claim] = []
    found: set = set()
    source = story.sources.get(text.pos.file) if text.pos is not None else None
    for pieces in _renderings(text):
        joined = "".join(p[0] for p in pieces)
        if not joined.strip():
            continue
        starts = list(itertools.accumulate((len(p[0]) for p in pieces), initial=0))
        folded = mn.fold(joined)
        for fid, yes, no, yes_anchors, no_anchors in rules:
            if fid in text.marks:
                continue
            if no is not None and not mn.may_match(no_anchors, folded):
                no = None
            if yes is not None and not mn.may_match(yes_anchors, folded):
                yes = None
            matches = [(m, True) for m in no.finditer(joined)] if no is not None else []
            denials = [m.span() for m, _ in matches]
            if yes is not None:
                matches += [
                    (m, False)
                    for m in yes.finditer(joined)
                    if not any(a < m.end() and m.start() < b for a, b in denials)
                ]
            for m, negative in matches:
                touched = [k for k in range(len(pieces)) if starts[k] < m.end() and m.start() < starts[k + 1]]
                conds = tuple(dict.fromkeys(c for k in touched for c in pieces[k][2]))
                k0 = touched[0]
                lit = pieces[k0][1]
                raw = lit.raw(m.start() - starts[k0]) if isinstance(lit, il.Lit) else None
                key = (fid, negative, raw if raw is not None else m.group(), conds)
                if key in found:
                    continue
                found.add(key)
                pos = mn.locate(source, text.pos, text.value, raw) if raw is not None else text.pos
                words = " ".join(m.group().replace(_OPAQUE, "…").split())
                out.append(Claim(text, fid, negative, words, pos, conds))
    return out


def _renderings(text: Text):
    """Each way the text can read, as pieces (rendered string, its Lit or None, conditions)."""
    if text.segs is None:
        return [[(text.value, il.Lit(text.value, 0), ())]]
    if _count(text.segs) <= _MAX_PATHS:
        return list(_paths(text.segs, ()))
    # too many renderings: each run of literal text alone, with the conditions it sits under
    return [[piece] for piece in _runs(text.segs, ())]


def _count(segs: tuple) -> int:
    n = 1
    for x in segs:
        if isinstance(x, il.Branch):
            n *= _count(x.then) + _count(x.other)
        elif isinstance(x, il.Seq):
            n *= sum(_count(o) for o in x.options) or 1
        if n > _MAX_PATHS:
            return n
    return n


def _paths(segs: tuple, conds: tuple):
    choices: list[list] = []
    for x in segs:
        if isinstance(x, str):
            choices.append([[(x, x, conds)]])
        elif isinstance(x, il.Value):
            choices.append([[(_OPAQUE, None, conds)]])
        elif isinstance(x, il.Branch):
            choices.append(
                list(_paths(x.then, conds + ((x.cond, True),))) + list(_paths(x.other, conds + ((x.cond, False),)))
            )
        elif isinstance(x, il.Seq):
            choices.append([p for o in x.options for p in _paths(o, conds)] or [[]])
    for combo in itertools.product(*choices):
        yield [piece for part in combo for piece in part]


def _runs(segs: tuple, conds: tuple):
    for x in segs:
        if isinstance(x, str):
            yield (x, x, conds)
        elif isinstance(x, il.Branch):
            yield from _runs(x.then, conds + ((x.cond, True),))
            yield from _runs(x.other, conds + ((x.cond, False),))
        elif isinstance(x, il.Seq):
            for o in x.options:
                yield from _runs(o, conds)


_RULES: dict[int, tuple] = {}


def mention_rules(story: Story) -> list[tuple]:
    """(fact id, mentions regex or None, mentions_not regex or None, and their anchors: see
    mentions.may_match) per fact with any."""
    hit = _RULES.get(id(story))
    if hit is not None and hit[0]() is story:
        return hit[1]
    rules = []
    for fid, fact in story.facts.items():
        yes, yes_anchors = _union(fact.mentions)
        no, no_anchors = _union(fact.mentions_not)
        if yes is not None or no is not None:
            rules.append((fid, yes, no, yes_anchors, no_anchors))
    _RULES[id(story)] = (weakref.ref(story), rules)
    weakref.finalize(story, _RULES.pop, id(story), None)
    return rules


def _union(patterns: tuple) -> tuple:
    """(one regex matching any of the patterns, or None; the anchors of any of them)."""
    import re

    compiled = [p for p in (mn.compiled(src) for src in patterns) if p is not None]
    if not compiled:
        return None, None
    rx = re.compile("|".join(f"(?:{p.regex.pattern})" for p in compiled), re.IGNORECASE)
    return rx, mn.union_anchors(p.anchors for p in compiled)


def has_mentions(story: Story) -> bool:
    return bool(mention_rules(story))


# ---- claims as conditions ------------------------------------------------------------------------


def shown_expr(claim: Claim) -> Expr:
    """When the claim's words are shown, as one expression over the flags at its node."""
    parts = [claim.text.shown_expr] + [c if truth else Not(c) for c, truth in claim.conds]
    parts = [p for p in parts if not (isinstance(p, Lit) and p.value is True)]
    if not parts:
        return Lit(True)
    return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))


def shown_test(claim: Claim, slots, seen_bits) -> Callable:
    """`shown(values, seen)` for the claim, at its node (`slots`/`seen_bits`: its chapter's)."""
    base = claim.text.shown
    tests = [(compile_expr(c, slots, seen_bits), truth) for c, truth in claim.conds]
    after = claim.text.after
    if after is not None:
        effects = after.all_effects

        def shown_after(v, s):
            if base is not None and not base(v, s):
                return False
            w = apply(effects, v, s)
            return all(bool(t(w, s)) == truth for t, truth in tests)

        return shown_after
    if not tests:
        return base or _always
    if base is None:
        return lambda v, s: all(bool(t(v, s)) == truth for t, truth in tests)
    return lambda v, s: base(v, s) and all(bool(t(v, s)) == truth for t, truth in tests)


def apply(effects: tuple, values: tuple, seen: int) -> tuple:
    """Values after a choice's effects (bounds kept), as play has them when its `say:` is shown.
    (A draw is taken at its lowest value here: a `say:` is judged after one of its draws.)"""
    if not effects:
        return values
    vals = list(values)
    for e in effects:
        r = e.draws_from
        vals[e.slot] = e.bounded(vals, seen) if r is None else e.fixed(r[0]).bounded(vals, seen)
    return tuple(vals)


def _always(_v, _s) -> bool:
    return True


def mention_allows(story: Story) -> list[tuple]:
    """Every `allow: [mention]`, as the (description, pos) its texts' `allow_where` name."""
    out: list[tuple] = []
    for ch in story.chapters:
        for node in ch.nodes.values():
            if "mention" in node.allow:
                out.append((f"node '{node.id}'", node.pos))
            for j, part in enumerate(node.text):
                if "mention" in part.allow:
                    out.append((f"text part {j + 1} of node '{node.id}'", part.pos or part.text_pos))
            for c in node.choices:
                if "mention" in c.allow:
                    out.append((f"choice {c.index + 1} of node '{node.id}'", c.pos))
    for j, part in enumerate(story.epilogue_parts):
        if "mention" in part.allow:
            out.append((f"epilogue part {j + 1}", part.pos or part.text_pos))
    return out


# ---- a fact's own words: where no `mentions` are written --------------------------------------

# Capitalised words that name nothing, and common words too short or too plain to claim a fact.
_NOT_NAMES = frozenset(
    "the a an in on at of and but his her their its it he she they after before once through "
    "unlike instead within with by from until weeks years thousands".split()
)
_PLAIN = frozenset(
    "about after again against their there these those which while would could should every "
    "never still other being where first years later early large state found finds makes comes "
    "becomes stays begins between under until since without".split()
)


def own_words(story: Story) -> list[tuple]:
    """(fact id, regex, None, its anchors, None) per breakable fact with no `mentions`/`mentions_not`, when the story
    asks for it (`style: {unmarked_claims: true}`): a sentence
    holding one of the names its statement writes (capitalised: places, people) and one of its
    key words (the other long words), in either order. `unmarked-claim` warns of such a
    sentence shown where the fact is broken."""
    hit = _OWN.get(id(story))
    if hit is not None and hit[0]() is story:
        return hit[1]
    import re

    rules: list[tuple] = []
    for fid, fact in story.facts.items() if story.style.get("unmarked_claims") else ():
        if fact.holds is None or fact.mentions or fact.mentions_not:
            continue
        words = re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", fact.statement)
        names = {w.split("'")[0].split("’")[0] for w in words[1:] if w[0].isupper() and w.lower() not in _NOT_NAMES}
        if words and words[0][0].isupper() and words[0].lower() not in _NOT_NAMES and len(words[0]) > 3:
            names.add(words[0].split("'")[0])
        names |= {w.split("'")[0] for w in words if w[0].islower() and any(c.isupper() for c in w)}  # al-Dosari
        keys = {w.lower() for w in words if w.islower() and len(w) >= 6 and w.lower() not in _PLAIN}
        if not names or not keys:
            continue
        name_rx = "|".join(re.escape(n) for n in sorted(names))
        key_rx = "|".join(re.escape(k) for k in sorted(keys))
        gap = r"(?:[^\W_]*[^\w.!?\n]+){0,4}?"  # at most four words between, in one sentence
        rx = rf"\b(?:{name_rx})\b{gap}\b(?:{key_rx})\b|\b(?:{key_rx})\b{gap}\b(?:{name_rx})\b"
        # every match holds one of the names (see mentions.may_match)
        anchors = frozenset(n.lower() for n in names) if all(n.isascii() for n in names) else None
        rules.append((fid, re.compile(rx, re.IGNORECASE), None, anchors, None))
    _OWN[id(story)] = (weakref.ref(story), rules)
    weakref.finalize(story, _OWN.pop, id(story), None)
    return rules


_OWN: dict[int, tuple] = {}
