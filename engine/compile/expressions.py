"""The expressions pass: every expression of a chapter parsed and type-checked, once.

`sites` walks a chapter's nodes and yields each place an expression can be written (a
condition, an effect, a text with inline parts), with its path in the document: the only
place the path rule is written (`do: x` is at ("do",), `do: [x, y]` at ("do", 0), ...).
`parse_chapter` parses and type-checks each site against the chapter's declarations, gives
out a seen() bit to each node something asks seen() of, and a hidden count slot to each node
or choice something counts (`visits(...)`, or a sequence in its text). The node pass looks the
trees up by path; nothing is parsed twice. `condition` is the one check that a condition is
true or false, for the chapters, the epilogue and facts' `holds`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .. import expr as ex
from .. import inline as il
from ..diagnostics import did_you_mean
from ..model import Flag
from ..yamlload import Document
from .reporter import Reporter

IF, DO, TEXT = "if", "do", "text"  # the kinds of expression site


@dataclass(frozen=True)
class Site:
    """One place in a chapter where an expression (or text with inline parts) is written."""

    kind: str  # IF (a condition), DO (an effect) or TEXT (text that may have inline parts)
    src: Any  # what is written there (a text site may hold None: a choice without `say`)
    path: tuple  # its path in the chapter document
    what: str  # where it is, for a message ("in the condition of choice 2 of node 'hall'")


def text_parts(text) -> list:
    """A node's (or the epilogue's) `text:` as a list of parts: one string, or the list written."""
    if text is None:
        return []
    if isinstance(text, str):
        return [text]
    return list(text)


def text_path(base: tuple, text, j: int) -> tuple:
    """The path of part `j` of the `text:` under `base` (a lone string is the text itself)."""
    return base + ("text", j) if isinstance(text, list) else base + ("text",)


def effects_at(base: tuple, do) -> list[tuple[tuple, str]]:
    """The effects of the `do:` under `base`, each with its path: (path, source)."""
    if do is None:
        return []
    if isinstance(do, str):
        return [(base + ("do",), do)]
    return [(base + ("do", m), src) for m, src in enumerate(do)]


def node_sites(nid: str, n: dict) -> Iterator[Site]:
    """Every expression site of node `nid` (its YAML mapping `n`), in the order written."""
    base = ("nodes", nid)
    in_text = f"in the text of node '{nid}'"
    text = n.get("text")
    for j, part in enumerate(text_parts(text)):
        ppath = text_path(base, text, j)
        if isinstance(part, dict):
            if part.get("if") is not None:
                yield Site(IF, part["if"], ppath + ("if",), f"in a text condition of node '{nid}'")
            yield Site(TEXT, part["text"], ppath + ("text",), in_text)
            other = part.get("else")
            if isinstance(other, dict):  # else: {text, asserts, denies}
                yield Site(TEXT, other["text"], ppath + ("else", "text"), in_text)
            else:
                yield Site(TEXT, other, ppath + ("else",), in_text)
        else:
            yield Site(TEXT, part, ppath, in_text)
    for epath, src in effects_at(base, n.get("do")):
        yield Site(DO, src, epath, f"in an effect of node '{nid}'")
    for k, b in enumerate(n["next"] if isinstance(n.get("next"), list) else ()):
        if isinstance(b, dict) and b.get("if") is not None:
            yield Site(IF, b["if"], base + ("next", k, "if"), f"in the condition of branch {k + 1} of node '{nid}'")
    for k, c in enumerate(n.get("choices") or ()):
        cpath = base + ("choices", k)
        if c.get("if") is not None:
            yield Site(IF, c["if"], cpath + ("if",), f"in the condition of choice {k + 1} of node '{nid}'")
        if c.get("enabled") is not None:
            yield Site(IF, c["enabled"], cpath + ("enabled",), f"in the `enabled:` of choice {k + 1} of node '{nid}'")
        for epath, src in effects_at(cpath, c.get("do")):
            yield Site(DO, src, epath, f"in an effect of choice {k + 1} of node '{nid}'")
        yield Site(TEXT, c.get("say"), cpath + ("say",), f"in what choice {k + 1} of node '{nid}' says")
        yield Site(TEXT, c.get("text"), cpath + ("text",), f"in the text of choice {k + 1} of node '{nid}'")


def condition(
    src: str,
    types: Mapping[str, ex.FlagType],
    seen_ok: Callable[[str], bool] | None,
    message: Callable[[str], str],
    hint: str | None = None,
) -> ex.Expr:
    """`src` parsed and type-checked as a condition: it must be true or false (ExprError if not)."""
    tree = ex.parse_condition(src)
    require_bool(tree, types, seen_ok, message, hint)
    return tree


def require_bool(
    tree: ex.Expr, types: Mapping[str, ex.FlagType], seen_ok, message: Callable[[str], str], hint: str | None = None
) -> None:
    """Type-check `tree`, which must be true or false; `message(its type)` says so when it is not."""
    t = ex.typecheck(tree, types, seen_ok=seen_ok)
    if t != ex.BOOL:
        raise ex.ExprError(message(t), code="expr-type", hint=hint)


def declare_hint(name: str | None, known) -> str:
    """The hint for an undeclared flag: declare it, and only then, for a near miss, the close name."""
    close = difflib.get_close_matches(name or "", list(known), n=1, cutoff=0.8)
    return ex.DECLARE_HINT + (f"; or, if you meant the flag '{close[0]}', fix the spelling" if close else "")


@dataclass
class ChapterExprs:
    """What the expressions pass found in one chapter."""

    parsed: dict[tuple, Any]  # path -> parsed tree; ("inline",) + path -> a text's inline segments
    seen_bits: dict[str, int]  # node id -> its seen() bit
    visit_caps: dict[str, int]  # visits("...") target -> one more than the largest number it is compared with


def parse_chapter(
    out: Reporter, doc: Document, raw_nodes: dict, layout: tuple[Flag, ...], countable: set[str]
) -> ChapterExprs:
    """Parse and type-check every expression site of the chapter's nodes (see the module docstring)."""
    types = {f.name: f.flag_type for f in layout}
    flag_by_name = {f.name: f for f in layout}
    node_ids = raw_nodes.keys()
    seen_ok = countable.__contains__
    parsed: dict[tuple, Any] = {}
    seen_names: list[str] = []
    visit_caps: dict[str, int] = {}

    def note_names(tree):
        for n in sorted(ex.seen_in(tree)):
            if n not in seen_names and n in node_ids:
                seen_names.append(n)

    def parse(site: Site) -> None:
        src, path, what = site.src, site.path, site.what
        effect = site.kind == DO
        tree: Any  # an ex.Effect when `effect`, else an ex.Expr
        try:
            tree = ex.parse_effect(src) if effect else ex.parse_condition(src)
        except ex.ExprError as exc:
            out.expr_error(exc, doc, path, what)
            return
        note_names(tree)
        try:
            if effect:
                ex.typecheck_effect(tree, types, seen_ok=seen_ok)
            else:
                require_bool(
                    tree,
                    types,
                    seen_ok,
                    lambda t: f"a condition must be true or false, but `{src}` is {t}",
                    'compare it, e.g. `nerve >= 2` or `fate == "dead"`',
                )
        except ex.ExprError as exc:
            if exc.code == "unknown-flag" and exc.hint == ex.DECLARE_HINT:
                exc.hint = declare_hint(exc.name, flag_by_name)
            out.expr_error(exc, doc, path, what)
            return
        for bad in visits_caps(tree.value if effect else tree, visit_caps):
            out.report(
                "visits-use",
                f"{what}: `{bad.name}` is used other than compared with a whole number",
                doc.pos(path),
                'compare the count with a number, as in `visits("hall") >= 3`: '
                "that keeps the states `check` explores finite",
            )
            return
        parsed[path] = tree

    def parse_inline(site: Site) -> None:
        """Parse and type-check the inline parts of one text; their trees go in `parsed`."""
        text, path, what = site.src, site.path, site.what
        if not isinstance(text, str) or not il.has_inline(text):
            return
        try:
            segs = il.parse(text, path[1])  # ("nodes", node id, ...): sequences follow that node's visits
        except il.InlineError as exc:
            out.report(exc.code, f"{what}: {exc.message}", out.inline_pos(doc, path, text, exc.at), exc.hint)
            return
        ok = True
        for part in il.walk(segs):
            tree = part.cond if isinstance(part, il.Branch) else part.expr if isinstance(part, il.Value) else None
            if tree is None:
                continue
            note_names(tree)
            try:
                if isinstance(part, il.Branch):
                    require_bool(
                        tree,
                        types,
                        seen_ok,
                        lambda t: f"the condition `{part.src}` must be true or false, but it is {t}",  # noqa: B023 (called at once)
                    )
                else:
                    ex.typecheck(tree, types, seen_ok=seen_ok)
            except ex.ExprError as exc:
                if exc.code == "unknown-flag":
                    exc.hint = did_you_mean(str(exc.message).split("'")[1], flag_by_name) or exc.hint
                out.report(exc.code, f"{what}: {exc.message}", out.inline_pos(doc, path, text, part.at), exc.hint)
                ok = False
                continue
            if isinstance(part, il.Branch):  # a condition: its counts saturate as in choices (check judges it)
                visits_caps(tree, visit_caps)
            for v in visits_in(tree):
                visit_caps.setdefault(v.node, 0)
        for part, written, seen_as in il.stray_spaces(segs):
            out.report(
                "inline-space",
                f"{what}: the space written at {written[:24]!r} inside {{…}} is shown before a punctuation mark "
                f"(the reader sees ' {seen_as}')",
                out.inline_pos(doc, path, text, part.at),
                "spaces inside {…} are printed as written: move the space out of the part, or drop it "
                "(write `five{late:, and Kamil}`, not `five{late: , and Kamil}`)",
            )
        if ok:
            parsed[("inline",) + path] = segs
            if il.uses_sequences(segs):
                # A node whose text has a sequence ({&a|b}) is counted (its cap stays 0 unless compared).
                visit_caps.setdefault(path[1], 0)

    for nid, n in raw_nodes.items():
        for site in node_sites(nid, n):
            if site.kind == TEXT:
                parse_inline(site)
            else:
                parse(site)
    return ChapterExprs(parsed, {n: 1 << i for i, n in enumerate(seen_names)}, visit_caps)


def countable(raw_nodes: dict) -> set[str]:
    """What visits() may count: every node, and every choice with an id ("node.choice-id")."""
    out = set(raw_nodes)
    for nid, n in raw_nodes.items():
        for c in n.get("choices") or ():
            if c.get("id") is not None:
                out.add(f"{nid}.{c['id']}")  # two choices with one id: choice_keys reports it
    return out


def counter_layout(visit_caps: dict[str, int], layout: tuple[Flag, ...]) -> tuple[tuple, dict, dict]:
    """One hidden int slot per counted node or choice, after the declared flags: the layout with
    them, each count's cap by name, and each counted target's slot."""
    counters: dict[str, int] = {}
    counter_slot: dict[str, int] = {}
    for target in sorted(visit_caps):
        flag = Flag(
            name=ex.visits_name(target),
            type="int",
            default=0,
            doc=f"times play has {'taken choice' if '.' in target else 'entered node'} {target}",
            scope="visits",
            slot=len(layout),
        )
        layout += (flag,)
        counters[flag.name] = visit_caps[target]
        counter_slot[target] = flag.slot
    return layout, counters, counter_slot


def visits_in(tree) -> list:
    return [x for x in ex.subtrees(tree) if isinstance(x, ex.Visits)]


def visits_caps(tree, caps: dict) -> list:
    """Note, per visits() target, one more than the largest number it is compared with; return
    the visits() that are used any other way (then saturating the count would not be exact)."""
    fine = set()
    for x in ex.subtrees(tree):
        if isinstance(x, ex.Compare):
            for a, b in ((x.left, x.right), (x.right, x.left)):
                if isinstance(a, ex.Visits) and isinstance(b, ex.Lit) and type(b.value) is int:
                    caps[a.node] = max(caps.get(a.node, 0), b.value + 1, 0)
                    fine.add(id(a))
    return [v for v in visits_in(tree) if id(v) not in fine]
