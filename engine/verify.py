"""Is a compiled story sound? Checked once, on load, before anything in it is trusted.

A compiled story (`chronicle export json`) carries a content hash, but anyone can recompute a
sha256: the hash tells an edit by accident from none, never a hostile file from a good one.
So `checked()` holds the document to

1. its published JSON Schema (engine/schemas/compiled.schema.json, with the compiled "valid or
   not" check; jsonschema words the first problem only when there is one), so every object has
   the fields the model needs, of the right types;
2. the cross-references a schema cannot state: every goto, call, return and `next:` names a node
   of its chapter; every node is filed under its own id and chapter; every flag sits in the slot
   it says, in a layout that begins with the story-wide flags; every effect writes the slot of
   the flag it names; every default fits its flag; every expression names declared flags and
   nodes, and type-checks as the compiler's would (engine.expr.typecheck), so play never meets
   a KeyError, a TypeError or another flag's slot.

What is wrong is one `Damaged` ("at chapters[0].nodes.hall.choices[1]: goto 'nowhere' names no
node of chapter 'one'"); engine/link.py (from_json, its one caller) says which file, and that it is damaged.
The JavaScript runtime (engine/web/) checks the data it is given the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import calls, expr, inline, schemacheck
from .model import AUTO, Chapter, Effect, Fact, Flag, Node, Story, TextPart
from .textsafe import clean

MAX_SHOWN = 160  # characters of a value quoted in a message


class Damaged(ValueError):
    """What is wrong with a compiled story, in one sentence."""


def checked(body: Any, decode: Callable[[Any], Any]) -> Story:
    """The story object of a compiled document (the part under "story"), decoded with `decode`
    once the schema holds, then cross-checked; Damaged otherwise."""
    problem = _schema_problem(body)
    if problem:
        raise Damaged(problem)
    try:
        story = decode(body)
    except ValueError as exc:  # what the schema leaves open (a newer kind of object) and decoding refuses
        raise Damaged(f"at {exc}") from None
    if not isinstance(story, Story):
        raise Damaged('the "story" object is not a Story')
    _Refs(story).check()
    return story


# ---- 1: the schema -------------------------------------------------------------------------


def _schema_problem(body: Any) -> str | None:
    doc = {"format": "chronicle-compiled", "version": 1, "content_hash": "0" * 64, "story": body}
    if schemacheck.conforms(doc, "compiled"):
        return None
    import jsonschema  # only for a damaged file: it words the problem
    from jsonschema.exceptions import best_match

    validator = jsonschema.Draft202012Validator(schemacheck.schema_for("compiled"))
    err = best_match(validator.iter_errors(doc))
    if err is None:
        return "it does not match the compiled story's schema"
    where = _path(list(err.absolute_path)[1:])
    if err.validator == "const" and list(err.absolute_path)[-1:] == ["$"]:
        message = (
            f"{_show(err.instance)} is not something this engine knows (a {err.validator_value} belongs here; "
            "was the story exported by a newer Chronicle?)"
        )
    elif err.validator == "type":
        want = err.validator_value if isinstance(err.validator_value, str) else " or ".join(err.validator_value)
        message = f"{_show(err.instance)} is not of type '{want}'"
    else:
        message = err.message if len(err.message) <= MAX_SHOWN else err.message[:MAX_SHOWN] + "…"
    return f"at {where}: {clean(message)}"


def _path(parts: list) -> str:
    out = "story"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


# ---- 2: the cross-references ---------------------------------------------------------------


def _show(v: Any) -> str:
    text = repr(v)
    return clean(text if len(text) <= 60 else text[:60] + "…")


def _fits(flag: Flag) -> str | None:
    """Why the flag's declaration cannot be played (its default, bounds or values), or None."""
    d = flag.default
    if flag.type == "bool":
        if not isinstance(d, bool):
            return f"bool flag '{flag.name}' has the default {_show(d)}"
    elif flag.type == "int":
        if not isinstance(d, int) or isinstance(d, bool):
            return f"int flag '{flag.name}' has the default {_show(d)}"
        for bound in (flag.min, flag.max):
            if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                return f"int flag '{flag.name}' has the bound {_show(bound)}"
        if flag.min is not None and flag.max is not None and flag.min > flag.max:
            return f"int flag '{flag.name}' has min {flag.min} above max {flag.max}"
        if (flag.min is not None and d < flag.min) or (flag.max is not None and d > flag.max):
            return f"int flag '{flag.name}' has the default {d}, outside its bounds"
    elif flag.type == "enum":
        if not flag.values or not all(isinstance(v, str) for v in flag.values):
            return f"enum flag '{flag.name}' has no list of text values"
        if d not in flag.values:
            return f"enum flag '{flag.name}' has the default {_show(d)}, not one of its values"
    else:
        return f"flag '{flag.name}' has the type {_show(flag.type)}"
    return None


class _Refs:
    def __init__(self, story: Story):
        self.story = story

    def fail(self, where: str, what: str) -> None:
        raise Damaged(f"at {where}: {what}")

    def check(self) -> None:
        story = self.story
        self.layout(story.flags, "story.flags", story_wide=True)
        types = {f.name: expr.FlagType(f.type, tuple(f.values)) for f in story.flags}
        for fid, fact in story.facts.items():
            self.fact(fid, fact, types)
        for i, part in enumerate(story.epilogue_parts):
            self.part(part, f"story.epilogue_parts[{i}]", types, None, {})
        ids = set()
        for i, ch in enumerate(story.chapters):
            if ch.id in ids:
                self.fail(f"story.chapters[{i}]", f"a second chapter with the id '{clean(ch.id)}'")
            ids.add(ch.id)
            self.chapter(ch, f"story.chapters[{i}]")

    def layout(self, flags: tuple, where: str, *, story_wide: bool = False) -> None:
        names = set()
        for i, f in enumerate(flags):
            at = f"{where}[{i}]"
            if f.slot != i:
                self.fail(at, f"flag '{clean(f.name)}' says it is in slot {f.slot}, but it is in slot {i}")
            if f.name in names:
                self.fail(at, f"a second flag named '{clean(f.name)}'")
            names.add(f.name)
            if story_wide and f.scope != "story":
                self.fail(at, f"story-wide flag '{clean(f.name)}' has the scope {_show(f.scope)}")
            if f.scope != "visits":
                why = _fits(f)
                if why:
                    self.fail(at, why)
            elif f.type != "int" or not isinstance(f.default, int) or isinstance(f.default, bool):
                self.fail(at, f"visit count '{clean(f.name)}' is not a whole number")

    def fact(self, fid: str, fact: Fact, types: Mapping[str, expr.FlagType]) -> None:
        at = f"story.facts.{clean(fid)}"
        if fact.id != fid:
            self.fail(at, f"the fact is filed under '{clean(fid)}' but its id is '{clean(fact.id)}'")
        if fact.holds is not None:
            self.condition(fact.holds, f"{at}.holds", types, None)

    def chapter(self, ch: Chapter, at: str) -> None:
        story = self.story
        layout = ch.layout
        self.layout(layout, f"{at}.layout")
        n = len(story.flags)
        if tuple(f.name for f in layout[:n]) != tuple(f.name for f in story.flags):
            self.fail(f"{at}.layout", "the layout does not begin with the story-wide flags, in their slots")
        by_name = {f.name: f for f in layout}
        for i, f in enumerate(ch.flags):
            if by_name.get(f.name) != f:
                self.fail(f"{at}.flags[{i}]", f"chapter flag '{clean(f.name)}' is not in the chapter's layout")
        types = {f.name: expr.FlagType(f.type, tuple(f.values)) for f in layout}
        nodes = ch.nodes
        if ch.start not in nodes:
            self.fail(f"{at}.start", f"the start '{clean(ch.start)}' names no node of chapter '{clean(ch.id)}'")
        for nid, bit in ch.seen_bits.items():
            if nid not in nodes:
                self.fail(f"{at}.seen_bits", f"'{clean(nid)}' names no node of chapter '{clean(ch.id)}'")
            if not isinstance(bit, int) or isinstance(bit, bool) or bit <= 0:
                self.fail(f"{at}.seen_bits.{clean(nid)}", f"the bit {_show(bit)} is not a positive whole number")
        counted = {f.name for f in layout if f.scope == "visits"}
        for name, cap in ch.counters.items():
            if name not in counted:
                self.fail(f"{at}.counters", f"{clean(name)} is not a visit count of the chapter's layout")
            if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
                self.fail(f"{at}.counters", f"the bound of {clean(name)} is {_show(cap)}")
        cx = (ch, types)
        for nid, node in nodes.items():
            self.node(nid, node, f"{at}.nodes.{clean(nid)}", cx)
        for ring in calls.flow_rings(ch):  # play would go round them for ever without a click
            self.fail(
                f"{at}.nodes.{clean(ring[0])}", f"nodes {' -> '.join(map(clean, ring))} go on to each other for ever"
            )

    def target(self, name: str | None, where: str, what: str, ch: Chapter) -> None:
        if name is not None and name not in ch.nodes:
            self.fail(where, f"{what} '{clean(str(name))}' names no node of chapter '{clean(ch.id)}'")

    def node(self, nid: str, node: Node, at: str, cx) -> None:
        ch, types = cx
        if node.id != nid or node.chapter != ch.id:
            self.fail(at, f"node '{clean(node.id)}' of chapter '{clean(node.chapter)}' is filed under '{clean(nid)}'")
        self.target(node.next, f"{at}.next", "next", ch)
        for i, back in enumerate(node.return_to):
            self.target(back, f"{at}.return_to[{i}]", "the return", ch)
        for i, part in enumerate(node.text):
            self.part(part, f"{at}.text[{i}]", types, ch, ch.seen_bits)
        for i, eff in enumerate(node.enter):
            self.effect(eff, f"{at}.enter[{i}]", types, ch)
        if node.branches and (node.next is not None or node.choices or node.returns or node.ending is not None):
            self.fail(f"{at}.branches", "a node that moves on by branches has no `next`, choices, return or ending")
        for i, b in enumerate(node.branches):
            bat = f"{at}.branches[{i}]"
            if b.index != AUTO:
                self.fail(bat, f"a branch says it is choice number {b.index}")
            if (b.condition is None) != (i == len(node.branches) - 1):
                self.fail(bat, "every branch but the last has a condition, and the last has none")
            if b.effects or b.count is not None or b.say is not None or b.label is not None or b.resumes:
                self.fail(bat, "a branch has no effects, count, text or resuming call")
            self.target(b.target, f"{bat}.target", "goto", ch)
            self.target(b.returns_to, f"{bat}.returns_to", "the return", ch)
            if b.condition is not None:
                self.condition(b.condition, f"{bat}.condition", types, ch)
        for i, c in enumerate(node.choices):
            cat = f"{at}.choices[{i}]"
            if c.index != i:
                self.fail(cat, f"the choice says it is number {c.index}, but it is number {i}")
            if c.resumes and (c.returns_to != nid):
                self.fail(cat, "a call that resumes comes back to the node that offers it")
            self.target(c.target, f"{cat}.target", "goto", ch)
            self.target(c.returns_to, f"{cat}.returns_to", "the return", ch)
            if c.condition is not None:
                self.condition(c.condition, f"{cat}.condition", types, ch)
            if c.enabled is not None:
                self.condition(c.enabled, f"{cat}.enabled", types, ch)
            for j, eff in enumerate(c.effects):
                self.effect(eff, f"{cat}.effects[{j}]", types, ch)
            if c.count is not None:
                self.effect(c.count, f"{cat}.count", types, ch)
            for extra, name in ((c.say, "say"), (c.label, "label")):
                if extra is not None:
                    self.part(extra, f"{cat}.{name}", types, ch, ch.seen_bits)

    def seen_ok(self, ch: Chapter | None) -> Callable[[str], bool] | None:
        if ch is None:
            return lambda node: False
        return lambda node: node in ch.seen_bits or node.split(".", 1)[0] in ch.nodes

    def expression(self, tree: Any, where: str, types: Mapping[str, expr.FlagType], ch: Chapter | None) -> str:
        try:
            kind = expr.typecheck(tree, types, seen_ok=self.seen_ok(ch))
        except expr.ExprError as exc:
            self.fail(where, clean(exc.message))
        except (RecursionError, TypeError, AttributeError):
            self.fail(where, "the expression is not one this engine can evaluate")
        for x in expr.subtrees(tree):
            if isinstance(x, expr.Seen) and (ch is None or x.node not in ch.seen_bits):
                self.fail(where, f'seen("{clean(x.node)}") has no bit in the chapter\'s seen_bits')
        return kind

    def condition(self, tree: Any, where: str, types, ch: Chapter | None) -> None:
        if self.expression(tree, where, types, ch) != expr.BOOL:
            self.fail(where, "the condition is not true or false")

    def part(self, part: TextPart, where: str, types, ch: Chapter | None, seen_bits) -> None:
        if part.condition is not None:
            self.condition(part.condition, f"{where}.condition", types, ch)
        for name in ("inline", "else_inline"):
            segs = getattr(part, name)
            for seg in inline.walk(segs or ()):
                if isinstance(seg, inline.Branch):
                    self.condition(seg.cond, f"{where}.{name}", types, ch)
                elif isinstance(seg, inline.Value):
                    self.expression(seg.expr, f"{where}.{name}", types, ch)
                elif isinstance(seg, inline.Seq) and seg.count is not None:
                    self.expression(seg.count, f"{where}.{name}", types, ch)

    def effect(self, eff: Effect, where: str, types, ch: Chapter) -> None:
        layout = ch.layout
        if not 0 <= eff.slot < len(layout):
            self.fail(where, f"the effect writes slot {eff.slot}, which the chapter's layout does not have")
        if layout[eff.slot].name != eff.expr.target:
            self.fail(
                where,
                f"the effect on '{clean(eff.expr.target)}' writes slot {eff.slot}, "
                f"which holds '{clean(layout[eff.slot].name)}'",
            )
        flag = layout[eff.slot]
        if (eff.min, eff.max) != (flag.min, flag.max) and flag.scope != "visits":
            self.fail(where, f"the effect keeps '{clean(flag.name)}' within other bounds than the flag's")
        try:
            expr.typecheck_effect(eff.expr, types, seen_ok=self.seen_ok(ch))
        except expr.ExprError as exc:
            self.fail(where, clean(exc.message))
        except (RecursionError, TypeError, AttributeError):
            self.fail(where, "the effect is not one this engine can evaluate")
        for x in expr.subtrees(eff.expr.value):
            if isinstance(x, expr.Seen) and x.node not in ch.seen_bits:
                self.fail(where, f'seen("{clean(x.node)}") has no bit in the chapter\'s seen_bits')
