"""`chronicle variants CHAPTER:NODE` and `chronicle proof CHAPTER`: what a node can say.

Every distinct rendering of a node's text and of its choices' text (the choices on offer,
each as it reads there), over the states exploration reaches the node in, grouped: each
with the fewest flag values that produce it (among the flags the node's text and choices
read), the facts broken there, how many states show it and a replay of the shortest way to
it. Exploration keeps the flags text reads at their real values (`text_reads`), so the list
is exact over the explored states; where exploration stopped at a bound, the answer says so.

A sequence (`{&a|b}`, `{!a|b}`) follows the node's visit count, which exploration does not
keep when only text reads it: such a node is rendered once per visit, first to last option
(and one visit past the end for a once-only sequence), whether or not play returns that often.

`proof` is every node of a chapter in the order it is written, each variant once, as one
document for a person who proofreads (Markdown, or HTML).
"""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass, field

from .. import inline as il
from .. import luck as lk
from .. import runtime as rt
from ..check import Replayer
from ..check.explore import DEFAULT_MAX_STATES, Exploration
from ..check.reach import explore_story
from ..expr import names_in
from ..model import Chapter, Node, Story
from . import AuthoringError
from .why import parse_target

MAX_COMBOS = 5_000  # assignments tried when looking for the fewest flag values of one variant


@dataclass
class Variant:
    paragraphs: list[str]
    choices: list[str]  # the choices on offer, as they read
    states: int  # how many explored states show it
    when: dict  # the fewest flag values that produce it (name -> value); {} when it is the only one
    broken: list[str]  # facts broken in every state that shows it
    sometimes_broken: list[str]  # facts broken in some of them
    replay: str | None
    visit: int | None = None  # for a node with sequences: which visit this rendering is
    first: int = 0  # the first (shortest) explored state that shows it

    def to_json(self) -> dict:
        return {
            "paragraphs": self.paragraphs,
            "choices": self.choices,
            "states": self.states,
            "when": self.when,
            "broken": self.broken,
            "sometimes_broken": self.sometimes_broken,
            "replay": self.replay,
            "visit": self.visit,
        }


@dataclass
class NodeVariants:
    chapter: str
    node: str
    reached: bool
    variants: list[Variant] = field(default_factory=list)
    complete: bool = True

    def to_json(self) -> dict:
        return {
            "chapter": self.chapter,
            "node": self.node,
            "reached": self.reached,
            "complete": self.complete,
            "variants": [v.to_json() for v in self.variants],
        }


def explored(story: Story, chapter: str, max_states: int = DEFAULT_MAX_STATES) -> tuple[Exploration | None, bool]:
    """The chapter explored with the flags text reads kept real, and whether that is every state."""
    reach = explore_story(story, until=chapter, max_states=max_states, text_reads=True)
    return reach.exploration(chapter), reach.complete


def variants(
    story: Story, target: str, story_arg: str | None = None, max_states: int = DEFAULT_MAX_STATES
) -> NodeVariants:
    ch, nid, choice = parse_target(story, target)
    if choice is not None:
        raise AuthoringError("variants takes CHAPTER:NODE (a node's choices are listed with it)", 2)
    exp, complete = explored(story, ch.id, max_states)
    return node_variants(story, exp, ch, nid, complete, Replayer(story, story_arg))


def node_variants(
    story: Story, exp: Exploration | None, ch: Chapter, nid: str, complete: bool, rp: Replayer
) -> NodeVariants:
    out = NodeVariants(ch.id, nid, False, complete=complete and exp is not None and exp.complete)
    if exp is None:
        return out
    ni = exp.graph.index[nid]
    sids = list(exp.keys.by_node().get(ni, ()))
    if not sids:
        return out
    out.reached = True
    node = ch.nodes[nid]
    visits = _visit_slot(ch, node)
    groups: dict[tuple, list[int]] = {}
    renders: dict[tuple, tuple] = {}
    lucks = shuffle_lucks(node)
    for sid in sids:
        vals, seen = exp.keys[sid][1], exp.keys[sid][2]
        for visit, v in _per_visit(vals, visits, node):
            for luck in lucks:
                r = _render(node, v, seen, luck)
                key = (visit,) + r
                members = groups.setdefault(key, [])
                if not members or members[-1] != sid:  # (two lucks may read alike)
                    members.append(sid)
                renders[key] = r
    reads = sorted(n for n in _reads(node) if visits is None or n != f'visits("{node.id}")')
    breakable = [f for f in story.facts.values() if f.holds is not None]
    fewest = _Fewest(ch, exp, groups, reads)
    for key, members in groups.items():
        paragraphs, choices = renders[key]
        holds = [[f.holds_in(exp.keys[s][1]) for f in breakable] for s in members]
        broken = [f.id for k, f in enumerate(breakable) if not any(h[k] for h in holds)]
        some = [f.id for k, f in enumerate(breakable) if f.id not in broken and not all(h[k] for h in holds)]
        out.variants.append(
            Variant(
                list(paragraphs),
                list(choices),
                len(members),
                fewest(key),
                broken,
                some,
                # a later visit is rendered, not reached: the replay shows the node's first
                rp.command(exp, min(members)) if (key[0] or 1) == 1 else None,
                visit=key[0],
                first=min(members),
            )
        )
    out.variants.sort(key=lambda v: (v.visit or 0, v.first))  # the nearest first
    return out


def _visit_slot(ch: Chapter, node: Node) -> tuple[int, int] | None:
    """(slot of the node's visit count, how many visits to render) for a node whose text has a
    sequence exploration does not count; None otherwise."""
    seqs = [
        x
        for part in node.text
        for segs in (part.inline, part.else_inline)
        for x in il.walk(segs or ())
        if isinstance(x, il.Seq) and x.kind != "~"  # (a shuffle follows chance: shuffle_lucks)
    ]
    if not seqs:
        return None
    name = f'visits("{node.id}")'
    f = ch.flag(name)
    if f is None or ch.counters.get(name, 0) > 0:  # a count exploration keeps: the states say it
        return None
    n = max(len(x.options) + (1 if x.kind == "!" else 0) for x in seqs)
    return (f.slot, n)


def _per_visit(vals: tuple, visits, node: Node):
    if visits is None:
        yield None, vals
        return
    slot, n = visits
    for k in range(1, n + 1):
        v = list(vals)
        v[slot] = k
        yield k, tuple(v)


def shuffle_lucks(node: Node, tries: int = 20_000) -> list[int]:
    """Values of the generator (engine.luck) that, between them, make the shuffles `{~a|b}` of
    the node's text and choices show every combination of their options: [0] without any."""
    shuffles = [
        x
        for part in (*node.text, *(c.label for c in node.choices if c.label is not None))
        for segs in (part.inline, part.else_inline)
        for x in il.walk(segs or ())
        if isinstance(x, il.Seq) and x.kind == "~"
    ]
    if not shuffles:
        return [0]
    want = 1
    for x in shuffles:
        want *= len(x.options)
    met: dict[tuple, int] = {}
    for luck in range(tries):
        met.setdefault(tuple(lk.pick(luck, x.at, len(x.options)) for x in shuffles), luck)
        if len(met) == want:
            break
    return sorted(met.values())


def _render(node: Node, vals: tuple, seen: int, luck: int = 0) -> tuple:
    paragraphs = tuple(rt.text_of(node, vals, seen, luck))
    choices = tuple(
        rt.choice_here(c, vals, seen, luck).text for c in node.choices if c.test is None or c.test(vals, seen)
    )
    return paragraphs, choices


def _reads(node: Node) -> set:
    names: set = set()
    for part in node.text:
        if part.condition is not None:
            names |= names_in(part.condition)
        for tree in il.text_exprs(part):
            names |= names_in(tree)
    for c in node.choices:
        if c.condition is not None:
            names |= names_in(c.condition)
        if c.label is not None:
            for tree in il.text_exprs(c.label):
                names |= names_in(tree)
    return names


class _Fewest:
    """For each group of a node's states: the fewest of `reads` (with the values one state of
    the group has) that every state at the node with those values renders as this group does.
    Each state's values are unpacked once, and each combination of reads is indexed once for
    the whole node (projection -> the groups of the states that have it), since every group
    asks the same questions of the same states."""

    def __init__(self, ch: Chapter, exp: Exploration, groups: dict, reads: list):
        self.groups, self.reads = groups, reads
        self.slots = [ch.flag(n).slot for n in reads]  # type: ignore[union-attr]
        self.owner: dict[int, set] = {}
        for k, members in groups.items():
            for s in members:
                self.owner.setdefault(s, set()).add(k)
        self.values = {s: exp.keys[s][1] for s in self.owner}
        self._index: dict[tuple, dict[tuple, set]] = {}

    def _by_projection(self, combo: tuple) -> dict[tuple, set]:
        index = self._index.get(combo)
        if index is None:
            index = {}
            for s, v in self.values.items():
                index.setdefault(tuple(v[self.slots[i]] for i in combo), set()).update(self.owner[s])
            self._index[combo] = index
        return index

    def __call__(self, key: tuple) -> dict:
        reads, slots = self.reads, self.slots
        if len(self.groups) == 1:
            return {}
        mine = self.groups[key]
        first = self.values[mine[0]]
        tried = 0
        for size in range(1, len(reads) + 1):
            for combo in itertools.combinations(range(len(reads)), size):
                seen_values = {tuple(self.values[s][slots[i]] for i in combo) for s in mine}
                for values in sorted(seen_values, key=repr):
                    tried += 1
                    if tried > MAX_COMBOS:
                        return {reads[i]: first[slots[i]] for i in range(len(reads))}
                    # the states with these values all render as this group (and some do)
                    if self._by_projection(combo).get(values) == {key}:
                        return {reads[i]: v for i, v in zip(combo, values)}
        # no set of values decides it alone (the visit, or seen(), does): every value read
        return {reads[i]: first[slots[i]] for i in range(len(reads))}


# ---- text ------------------------------------------------------------------------------------


def _show(v) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _when(v: Variant) -> str:
    bits = [f"{k}={_show(x)}" for k, x in v.when.items()]
    if v.visit is not None:
        bits.insert(0, f"as visit {v.visit} reads" + (" (if play comes back)" if v.visit > 1 else ""))
    return ", ".join(bits) if bits else "always"


def render_text(nv: NodeVariants) -> str:
    head = f"{nv.chapter}:{nv.node}"
    if not nv.reached:
        more = "" if nv.complete else " (exploration stopped at its bound: it may still be reached)"
        return f"{head} is never reached in play{more}\n"
    n = len(nv.variants)
    out = [f"{head}: {n} rendering{'s' if n != 1 else ''}" + ("" if nv.complete else " among the states explored")]
    if not nv.complete:
        out.append("  exploration stopped at its bound: a state not explored may read otherwise")
    for k, v in enumerate(nv.variants, 1):
        out.append("")
        out.append(f"-- {k} of {n}: {_when(v)} ({v.states:,} state{'s' if v.states != 1 else ''})")
        out.append("   broken here: " + (", ".join(v.broken) if v.broken else "none (every fact holds)"))
        if v.sometimes_broken:
            out.append("   broken in some of them: " + ", ".join(v.sometimes_broken))
        for p in v.paragraphs:
            out.append("   | " + p)
        for i, c in enumerate(v.choices, 1):
            out.append(f"   {i}. {c}")
        if v.replay:
            out.append(f"   replay: {v.replay}")
    return "\n".join(out) + "\n"


# ---- the proof document -------------------------------------------------------------------------


@dataclass
class Proof:
    chapter: str
    title: str
    nodes: list[NodeVariants]
    complete: bool
    changed_since: str | None = None


def proof(
    story: Story,
    chapter: str,
    story_arg: str | None = None,
    max_states: int = DEFAULT_MAX_STATES,
    only: set | None = None,
    changed_since: str | None = None,
) -> Proof:
    """Every node of the chapter (or of `only`), in the order the file writes them."""
    if not story.has_chapter(chapter):
        raise AuthoringError(
            f"there is no chapter '{chapter}' (chapters: {', '.join(c.id for c in story.chapters)})", 2
        )
    ch = story.chapter(chapter)
    exp, complete = explored(story, chapter, max_states)
    rp = Replayer(story, story_arg)
    nodes = [node_variants(story, exp, ch, nid, complete, rp) for nid in ch.nodes if only is None or nid in only]
    return Proof(ch.id, ch.title, nodes, complete and exp is not None and exp.complete, changed_since)


def changed_nodes(old: Story | None, new: Story, chapter: str, max_states: int = DEFAULT_MAX_STATES) -> set:
    """The nodes of `chapter` whose renderings differ between the two stories (all, when the
    old story has no such chapter)."""
    ch = new.chapter(chapter)
    if old is None or not old.has_chapter(chapter):
        return set(ch.nodes)
    old_ch = old.chapter(chapter)
    old_exp, _ = explored(old, chapter, max_states)
    new_exp, _ = explored(new, chapter, max_states)
    rp_old, rp_new = Replayer(old, None), Replayer(new, None)
    out = set()
    for nid in ch.nodes:
        if nid not in old_ch.nodes:
            out.add(nid)
            continue
        a = node_variants(old, old_exp, old_ch, nid, True, rp_old)
        b = node_variants(new, new_exp, ch, nid, True, rp_new)
        if {(tuple(v.paragraphs), tuple(v.choices)) for v in a.variants} != {
            (tuple(v.paragraphs), tuple(v.choices)) for v in b.variants
        }:
            out.add(nid)
    return out


def render_markdown(p: Proof) -> str:
    total = sum(len(n.variants) for n in p.nodes)
    out = [f"# Proof: {p.title} (`{p.chapter}`)", ""]
    scope = f"the nodes whose text changed since `{p.changed_since}`" if p.changed_since else "every node"
    out.append(f"{scope}, in the order the file writes them: {len(p.nodes)} nodes, {total} variants.")
    if not p.complete:
        out.append("")
        out.append("**Exploration stopped at its bound: a state not explored may read otherwise.**")
    out.append("")
    out.append("| node | variants |")
    out.append("| --- | --- |")
    for n in p.nodes:
        count = len(n.variants) if n.reached else "never reached"
        out.append(f"| [{n.node}](#{_anchor(p.chapter, n.node)}) | {count} |")
    for n in p.nodes:
        out.append("")
        out.append(f'<a id="{_anchor(p.chapter, n.node)}"></a>')
        out.append(f"## {n.node} ({len(n.variants)} variant{'s' if len(n.variants) != 1 else ''})")
        if not n.reached:
            out.append("")
            out.append("Never reached in play.")
            continue
        for k, v in enumerate(n.variants, 1):
            out.append("")
            out.append(f"### {n.node} {k}/{len(n.variants)}: {_when(v)}")
            out.append("")
            facts = "broken here: " + (", ".join(v.broken) if v.broken else "none")
            if v.sometimes_broken:
                facts += "; in some of its states: " + ", ".join(v.sometimes_broken)
            out.append(f"*{v.states:,} state{'s' if v.states != 1 else ''}; {facts}*")
            out.append("")
            for para in v.paragraphs:
                out.append("> " + _md(para))
                out.append(">")
            if out[-1] == ">":
                out.pop()
            if v.choices:
                out.append("")
                out += [f"{i}. {_md(c)}" for i, c in enumerate(v.choices, 1)]
            if v.replay:
                out.append("")
                out.append(f"`{v.replay}`")
    return "\n".join(out) + "\n"


def render_html(p: Proof) -> str:
    total = sum(len(n.variants) for n in p.nodes)
    e = html.escape
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Proof: {e(p.title)}</title>",
        "<style>body{font:16px/1.5 Georgia,serif;max-width:46em;margin:2em auto;padding:0 1em}"
        "blockquote{border-left:3px solid #999;margin:0.5em 0;padding-left:1em}"
        ".meta{color:#555;font-style:italic}code{font-size:0.85em}</style>",
        "</head><body>",
        f"<h1>Proof: {e(p.title)} (<code>{e(p.chapter)}</code>)</h1>",
        f"<p>{len(p.nodes)} nodes, {total} variants"
        + (f", the nodes whose text changed since <code>{e(p.changed_since)}</code>" if p.changed_since else "")
        + ".</p>",
    ]
    if not p.complete:
        out.append("<p><strong>Exploration stopped at its bound: a state not explored may read otherwise.</strong></p>")
    out.append("<table><tr><th>node</th><th>variants</th></tr>")
    for n in p.nodes:
        count = len(n.variants) if n.reached else "never reached"
        out.append(f'<tr><td><a href="#{_anchor(p.chapter, n.node)}">{e(n.node)}</a></td><td>{count}</td></tr>')
    out.append("</table>")
    for n in p.nodes:
        out.append(f'<h2 id="{_anchor(p.chapter, n.node)}">{e(n.node)} ({len(n.variants)})</h2>')
        if not n.reached:
            out.append("<p>Never reached in play.</p>")
        for k, v in enumerate(n.variants, 1):
            out.append(f"<h3>{e(n.node)} {k}/{len(n.variants)}: {e(_when(v))}</h3>")
            facts = "broken here: " + (", ".join(v.broken) if v.broken else "none")
            out.append(f'<p class="meta">{v.states:,} states; {e(facts)}</p>')
            out.append("<blockquote>" + "".join(f"<p>{e(para)}</p>" for para in v.paragraphs) + "</blockquote>")
            if v.choices:
                out.append("<ol>" + "".join(f"<li>{e(c)}</li>" for c in v.choices) + "</ol>")
            if v.replay:
                out.append(f"<p><code>{e(v.replay)}</code></p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _anchor(chapter: str, node: str) -> str:
    return f"{chapter}--{node}"


def _md(text: str) -> str:
    return text.replace("<", "&lt;")


def nodes_changed_since(story: Story, chapter: str, since: str, max_states: int = DEFAULT_MAX_STATES) -> set:
    """The nodes of `chapter` whose renderings an edit changed: against `since`, a story folder or
    a git revision of the repository the story lies in (as `check --since` reads it)."""
    import tempfile
    from pathlib import Path

    from ..check.since import SinceError, old_version_root
    from ..compile import compile_story

    with tempfile.TemporaryDirectory(prefix="chronicle-proof-") as tmp:
        try:
            root = old_version_root(Path(story.root), since, Path(tmp))
        except SinceError as exc:
            raise AuthoringError(str(exc), 2) from None
        old, _diags = compile_story(root)
    return changed_nodes(old, story, chapter, max_states)
