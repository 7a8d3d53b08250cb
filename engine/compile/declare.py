"""The declarations pass: what a story declares before any chapter reads it.

`flags` declares the flags of the manifest (story-wide) or of one chapter, each with its slot
in the chapter's layout and its `show:`; `facts` declares the history's facts, checking each
documented fact's quote against the source the loader read, and compiling its `holds` over the
story-wide flags; `fact_ref` is the one check that a fact id names a fact.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable

from .. import expr as ex
from .. import mentions
from ..dates import DateError, parse_date
from ..diagnostics import did_you_mean
from ..model import Fact, Flag, Show, Source, frozen_map
from ..yamlload import Document
from .expressions import condition
from .reporter import Reporter

INT_LIMIT = 2**31 - 1  # the largest value an int flag can hold when it declares no `max` (and -INT_LIMIT-1 for `min`)

# Words an expression reads as something other than a flag: Python keywords (the
# parser takes them as syntax), the literals and the one function.
RESERVED = frozenset(keyword.kwlist) | {"true", "false", "seen", "visits"}


def _beyond_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and not -INT_LIMIT - 1 <= v <= INT_LIMIT


def _short_int(v: int) -> str:
    """A number for a message: a very long one is shortened (Python refuses to print over 4,300 digits)."""
    if v.bit_length() > 200:
        return f"a number of about {int(v.bit_length() * 0.30103):,} digits"
    return f"{v:,}"


def fact_ref(out: Reporter, doc: Document, facts: dict | None) -> Callable[[str, tuple, str], bool]:
    """A check that a fact id (at `path` in `doc`) names a fact, reporting one that does not.
    With no facts known (the history did not load), every id passes."""

    def check(fid: str, path: tuple, why: str) -> bool:
        if facts is not None and fid not in facts:
            out.report(
                "unknown-fact",
                f"{why} '{fid}', which is not a fact in story/history.yaml "
                "(neither under `facts` nor under `story_facts`)",
                doc.pos(path),
                did_you_mean(fid, facts),
            )
            return False
        return True

    return check


def flags(
    out: Reporter, doc: Document, base: tuple, decls: dict, scope: str, first_slot: int, taken: dict | None = None
) -> list[Flag]:
    flags: list[Flag] = []
    for name, d in decls.items():
        path = base + (name,)
        if name in RESERVED:
            out.report(
                "flag-name",
                f"'{name}' cannot be a flag name: the expression language uses that word itself",
                doc.key_pos(path),
                f"rename it, e.g. '{name}_flag' or a word that says what it records",
            )
            continue
        if taken and name in taken:
            out.report(
                "flag-shadows",
                f"chapter flag '{name}' has the name of a story-wide flag",
                doc.key_pos(path),
                "rename the chapter flag; story-wide flags are visible in every chapter",
            )
            continue
        lo, hi, values = d.get("min"), d.get("max"), tuple(d.get("values") or ())
        out_of_range = [k for k in ("default", "min", "max") if d["type"] == "int" and _beyond_int(d.get(k))]
        for k in out_of_range:
            out.report(
                "number-range",
                f"flag '{name}' has {k} {_short_int(d[k])}, beyond what an int flag can "
                f"hold ({-INT_LIMIT - 1:,} to {INT_LIMIT:,})",
                doc.pos(path + (k,)),
                "use a smaller number",
            )
        if out_of_range:  # the flag is still declared (no 'unknown flag' echoes), without the bad numbers
            d = {**d, **{k: (0 if k == "default" else None) for k in out_of_range}}
            lo, hi = d.get("min"), d.get("max")
        flag = Flag(
            name=name,
            type=d["type"],
            default=d["default"],
            doc=d["doc"],
            scope=scope,
            slot=first_slot + len(flags),
            min=lo,
            max=hi,
            values=values,
            pos=doc.key_pos(path),
            show=_show(out, doc, path, name, d),
        )
        if lo is not None and hi is not None and lo > hi:
            out.report("flag-default", f"flag '{name}' has min {lo} above max {hi}", doc.pos(path + ("min",)))
        elif not flag.accepts(flag.default):
            want = {
                "int": f"a whole number from {lo} to {hi}",
                "enum": f"one of {', '.join(values)}",
                "bool": "true or false",
            }[flag.type]
            out.report(
                "flag-default",
                f"flag '{name}' defaults to {flag.default!r}, which is not {want}",
                doc.pos(path + ("default",)),
            )
        flags.append(flag)
    return flags


def _show(out: Reporter, doc: Document, path: tuple, name: str, d: dict) -> Show | None:
    """`show: {label, as, words?}` on a flag: what the reader's dossier can present."""
    show = d.get("show")
    if show is None:
        return None
    spath = path + ("show",)
    kind, words = show["as"], dict(show.get("words") or {})
    if kind == "bar":
        if d["type"] != "int" or d.get("min") is None or d.get("max") is None:
            what = "an int flag without both min and max" if d["type"] == "int" else f"a {d['type']} flag"
            out.report(
                "flag-show",
                f"flag '{name}' is shown as a bar, but a bar needs bounds and '{name}' is {what}",
                doc.pos(spath + ("as",)),
                "give the flag `min:` and `max:`, or show it `as: word`",
            )
        if words:
            out.report(
                "flag-show",
                f"flag '{name}' is shown as a bar, so its `words` would never be shown",
                doc.key_pos(spath + ("words",)),
                "remove `words`, or show it `as: word`",
            )
    if d["type"] == "bool":
        allowed = ["true", "false"]
    elif d["type"] == "enum":
        allowed = list(d.get("values") or ())
    else:
        allowed = None
    lo, hi = d.get("min"), d.get("max")
    for key in words if kind == "word" else ():
        if allowed is None:  # an int: whole numbers within its bounds
            number = int(key) if key.isascii() and key.lstrip("-").isdigit() and len(key) < 20 else None
            if number is None or (lo is not None and number < lo) or (hi is not None and number > hi):
                out.report(
                    "flag-show",
                    f"flag '{name}' never has the value '{key}', so its word is never shown",
                    doc.key_pos(spath + ("words", key)),
                    "key the words by whole numbers the flag can hold",
                )
        elif key not in allowed:
            out.report(
                "flag-show",
                f"flag '{name}' never has the value '{key}', so its word is never shown",
                doc.key_pos(spath + ("words", key)),
                did_you_mean(key, allowed) or f"use one of: {', '.join(allowed[:12])}",
            )
    return Show(label=show["label"], as_=kind, words=frozen_map(words))


def facts(out: Reporter, doc: Document, story_flags: list[Flag], paragraphs: list[str] | None) -> dict[str, Fact]:
    """The history's facts (documented, then the story's own), by id. `paragraphs`: the source's,
    when it has one that could be read (the loader read it), for checking the quotes."""
    data = doc.data
    types = {f.name: f.flag_type for f in story_flags}
    facts: dict[str, Fact] = {}
    for section in ("facts", "story_facts"):
        for i, f in enumerate(data.get(section) or ()):
            fact = _fact(out, doc, (section, i), f, section == "story_facts", facts, paragraphs, types)
            if fact is not None:
                facts[fact.id] = fact
    return facts


def _fact(
    out: Reporter, doc: Document, path: tuple, f: dict, story: bool, facts: dict, paragraphs, types: dict
) -> Fact | None:
    if f["id"] in facts:
        first = facts[f["id"]]
        if story and not first.story:
            out.report(
                "story-fact-id",
                f"story fact '{f['id']}' has the id of a documented fact (at {first.pos})",
                doc.pos(path + ("id",)),
                "rename the story fact: an id names one fact, documented or not",
            )
        else:
            out.report(
                "duplicate-id",
                f"fact '{f['id']}' is declared twice (first at {first.pos})",
                doc.pos(path + ("id",)),
            )
        return None
    try:
        date = parse_date(f["date"])
    except DateError as exc:
        out.report("bad-date", str(exc), doc.pos(path + ("date",)))
        return None
    src = f.get("source")
    source = None
    if story:
        if src is not None:
            out.report(
                "story-fact-source",
                f"story fact '{f['id']}' cites the source, but story facts are the fiction's own",
                doc.key_pos(path + ("source",)),
                "remove `source:`; if the source really documents it, move it under `facts:`",
            )
    elif src is None:
        out.report(
            "fact-source-missing",
            f"documented fact '{f['id']}' does not say where in the source it comes from",
            doc.pos(path),
            'add `source: {paragraph: N, quote: "..."}`; if no source documents it, move it under `story_facts:`',
        )
    elif isinstance(src, dict):
        source = Source(src["paragraph"], src["quote"])
        if paragraphs is not None:
            n = src["paragraph"]
            if n > len(paragraphs):
                out.report(
                    "quote-not-in-source",
                    f"the source has {len(paragraphs)} paragraphs, not {n}",
                    doc.pos(path + ("source", "paragraph")),
                )
            elif src["quote"] not in paragraphs[n - 1]:
                out.report(
                    "quote-not-in-source",
                    f"fact '{f['id']}' quotes words that are not in paragraph {n} of the source",
                    doc.pos(path + ("source", "quote")),
                    "copy the quote exactly, or fix the paragraph number",
                )
    holds = None
    if f.get("holds") is not None:
        try:
            holds = condition(
                f["holds"],
                types,
                None,
                lambda t: f"`holds` must be true or false, but this is {t}",
                "compare it, e.g. `not saudi_iraq_war` or `gulf_tension < 4`",
            )
            counted = next((t for t in ex.subtrees(holds) if isinstance(t, (ex.Seen, ex.Visits))), None)
            if counted is not None:
                # judged at every ending, in any chapter: a node's seen bit or visit count means nothing there
                raise ex.ExprError(
                    f"`{ex.unparse(counted)}` reads where play has been in one chapter, and a fact's "
                    "`holds` is judged at the endings of every chapter",
                    counted.offset,
                    "a fact's `holds` may read only story-wide flags (story/story.yaml): set one where it "
                    "happens (`do: lamp_seen = true`) and read that",
                    "expr-type",
                )
        except ex.ExprError as exc:
            if exc.code == "unknown-flag":
                exc.hint = "a fact's `holds` may read only story-wide flags (story/story.yaml)"
            out.expr_error(exc, doc, path + ("holds",), f"in the `holds` of fact '{f['id']}'")
            holds = None
    claims = {key: _mention_patterns(out, doc, path, f, key) for key in ("mentions", "mentions_not")}
    return Fact(
        mentions=claims["mentions"],
        mentions_not=claims["mentions_not"],
        id=f["id"],
        date=date,
        statement=f["statement"],
        source=source,
        holds=holds,
        holds_src=f.get("holds"),
        note=f.get("note"),
        readings=tuple(f.get("readings") or ()),
        pos=doc.pos(path),
        instead=f.get("instead"),
        story=story,
    )


def _mention_patterns(out: Reporter, doc: Document, path: tuple, f: dict, key: str) -> tuple:
    """A fact's `mentions` or `mentions_not`, each pattern checked (engine.mentions)."""
    found = []
    for i, src in enumerate(f.get(key) or ()):
        try:
            mentions.parse(src)
        except mentions.PatternError as exc:
            out.report(
                "mention-syntax",
                f"in `{key}` of fact '{f['id']}', pattern `{src}`: {exc.message} (at character {exc.at + 1})",
                doc.pos(path + (key, i)),
                exc.hint or "a pattern is words, `a | b`, `(a | b)` groups, `word?` optional and `*` one word",
            )
            continue
        found.append(src)
    return tuple(found)
