"""The graph pass: what can only be judged once a chapter (or the whole story) is built.

`fill_returns` and `fill_scene` fill in what each node gets from the nodes around it (where a
returning node goes back to; the date and place shown, when every way in agrees);
`chapter_graph` reports nodes no path reaches, returns nothing calls, rings of `next:`, and
nodes from which no ending can be reached; `flag_use` reports flags nothing reads.
"""

from __future__ import annotations

from collections import deque

from .. import calls
from .. import expr as ex
from .. import inline as il
from ..diagnostics import Pos
from ..model import Chapter, Flag, Node, successors
from .reporter import Reporter


def flag_use(
    out: Reporter, story_flags: list[Flag], chapters: list[Chapter], facts: dict, epilogue_parts: tuple = ()
) -> None:
    """A flag nothing reads changes nothing a player can notice: say so."""
    read: set[tuple[str | None, str]] = set()  # (chapter id or None for story-wide, flag name)
    local_names = {ch.id: {f.name for f in ch.flags} for ch in chapters}

    def note(ch_id, exprs):
        for e in exprs:
            for name in ex.names_in(e):
                read.add((ch_id if ch_id and name in local_names[ch_id] else None, name))

    for fact in facts.values():
        if fact.holds is not None:
            note(None, [fact.holds])
    note(None, [p.condition for p in epilogue_parts if p.condition is not None])
    for ch in chapters:
        for node in ch.nodes.values():
            note(ch.id, [p.condition for p in node.text if p.condition is not None])
            note(ch.id, [e.expr for e in node.enter])
            note(ch.id, [t for p in node.text for t in il.text_exprs(p)])
            note(ch.id, [b.condition for b in node.branches if b.condition is not None])
            for c in node.choices:
                for said in (c.say, c.label):
                    if said is not None:
                        note(ch.id, il.text_exprs(said))
                note(ch.id, [x for x in (c.condition, c.enabled) if x is not None] + [e.expr for e in c.effects])
    for f in story_flags:
        if (None, f.name) not in read:
            out.report(
                "flag-unread",
                f"story-wide flag '{f.name}' is never read: no condition, text or `holds` "
                "looks at it, so setting it changes nothing a player can notice",
                f.pos,
                "read it in a later chapter (a condition or conditional text), or remove it",
            )
    for ch in chapters:
        for f in ch.flags:
            if (ch.id, f.name) not in read:
                out.report(
                    "flag-unread",
                    f"flag '{f.name}' of chapter '{ch.id}' is never read, so setting it "
                    "changes nothing a player can notice",
                    f.pos,
                    "read it in a condition or conditional text, or remove it",
                )


def chapter_graph(out: Reporter, ch: Chapter) -> None:
    """Static graph checks: nodes no path reaches, and nodes no ending can be reached from."""
    reach = {ch.start}
    queue = deque([ch.start])
    while queue:
        for t in successors(ch.nodes[queue.popleft()]):
            if t not in reach:
                reach.add(t)
                queue.append(t)
    for nid, node in ch.nodes.items():
        if node.returns and not node.return_to:
            out.report(
                "return-unreached",
                f"node '{nid}' returns, but no `call:` leads to it, so there is nothing to return to",
                node.pos,
                f"call it from a choice with `call: {nid}` (or a node that leads to it), "
                "or give it choices instead of `return: true`",
            )
        if nid not in reach:
            out.report(
                "unreachable-node",
                f"no choice leads to node '{nid}'",
                node.pos,
                f"add a choice with `goto: {nid}` somewhere, or delete the node",
            )
    preds: dict[str, list[str]] = {n: [] for n in ch.nodes}
    for nid, node in ch.nodes.items():
        for t in successors(node):
            preds[t].append(nid)
    # A ring of nodes play moves through without a click (`next:`, a branch of a conditional
    # `next:`, a call from flow, a return) could play forever: every such ring is an error, even
    # one that a condition would leave in the end (a loop needs a choice in it).
    for ring in calls.flow_rings(ch):
        out.report(
            "next-loop",
            f"nodes {' -> '.join(ring + [ring[0]])} go on to each other "
            + (
                "with `next:` for ever"
                if all(ch.nodes[n].next is not None for n in ring)
                else "without a click, and may do so for ever (a ring without a choice in it)"
            ),
            ch.nodes[ring[0]].pos,
            "give one of them choices, so the player can leave the ring",
        )
    alive = {n for n, node in ch.nodes.items() if node.is_ending}
    if not alive:
        out.report(
            "no-ending",
            f"chapter '{ch.id}' has no ending",
            ch.pos,
            "give some node `ending: {kind: canon, title: ...}`",
        )
        return
    queue = deque(alive)
    while queue:
        for p in preds[queue.popleft()]:
            if p not in alive:
                alive.add(p)
                queue.append(p)
    unanswered = {n for n, node in ch.nodes.items() if node.returns and not node.return_to}  # said above
    for nid in sorted(reach - alive - unanswered, key=lambda n: _line(ch.nodes[n].pos)):
        out.report(
            "no-way-on",
            f"from node '{nid}' no path leads to any ending",
            ch.nodes[nid].pos,
            "give one of the nodes in this loop a choice that leads out",
        )


def fill_scene(nodes: dict[str, Node], start: str) -> None:
    """Give each node its shown date and place: its own, else what every way in agrees on.
    (Filled into the nodes pass's fresh nodes in place, as engine.link fills closures: a copy of
    every node cost a tenth of a compile at 10,000 nodes.)"""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    order = []
    seen = {start}
    queue = deque([start])
    while queue:
        nid = queue.popleft()
        order.append(nid)
        for target in successors(nodes[nid]):
            if target in preds:
                preds[target].append(nid)
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    shown: dict[str, tuple] = {}
    for nid in order:
        node = nodes[nid]
        known = [shown[p] for p in preds[nid] if p in shown]
        date = node.date or _agreed([k[0] for k in known])
        place = node.place or _agreed([k[1] for k in known])
        shown[nid] = (date, place)
    for nid, n in nodes.items():
        date, place = shown.get(nid, (n.date, n.place))
        object.__setattr__(n, "shown_date", date or n.date)
        object.__setattr__(n, "shown_place", place or n.place)


def fill_returns(nodes: dict[str, Node]) -> None:
    """Give each returning node its `return_to`: where the calls that can reach it return to."""
    for nid, places in calls.return_places(nodes).items():
        object.__setattr__(nodes[nid], "return_to", places)


def _agreed(values: list):
    vals = set(values)
    return vals.pop() if len(vals) == 1 else None


def _line(pos: Pos | None) -> int:
    return pos.line if pos is not None else 0
