"""`chronicle stats --choices`: does each choice matter?

Measured per chapter over the explored states (real play: conditions and effects
applied, from every state the chapter can start in), with conditional text counted
as a read so that flags only the prose notices keep their real values:

  * decision points: nodes that offer two or more choices in some reachable state;
  * per choice:
      - branches: in some state it is offered beside a sibling that leads elsewhere;
      - echoes: the distinct later places whose outcome can differ because of the flag
        values the choice sets. A place is a conditional text part, a choice condition,
        a covered fact's `holds` at an ending, or a conditional part of the epilogue, in
        this chapter or a later one. It counts when it reads a flag the choice writes
        (or a flag later computed from one), play can reach it with that value not
        overwritten first, and its outcome is not the same in every reachable state;
      - flavour: in every state where it is offered, a sibling offered with it leads to
        the very same state (same node, same values of every flag anything later reads):
        nothing later can tell the two apart;
      - unanswered: in some state where it is offered, a sibling offered with it goes to the
        same node, and the choice has no `say:` and sets no flag any shown text reads (text
        conditions, inline parts, the epilogue, and the flags those are computed from): the
        page after it is the page after that sibling, with nothing that follows from it.
        Warned about by `check` (code `choice-unanswered`) when story.yaml sets
        `style: {answer_every_choice: true}`;
  * corridors: maximal runs of reachable nodes that each offer exactly one choice, in
    every state that reaches them;
  * branch balance: per ending, the fewest and most words of node text a reader reads on
    the way to it (most: along playthroughs that close no loop).

When exploration stops at its bound the figures come from the node graph instead
(`basis: graph`): branches and corridors from the choices as written, flavour as
"same destination as a sibling and no echo", words along node paths ignoring
conditions. The report says which basis each chapter has.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .. import inline as il
from ..diagnostics import Diagnostic, report
from ..expr import compile_expr, names_in
from ..model import Chapter, Story, successors
from .explore import DEFAULT_MAX_MEMORY_MIB, DEFAULT_MAX_SECONDS, DEFAULT_MAX_STATES, Exploration
from .graphwalk import post_order
from .reach import explore_story, inexact_words

CHOICES_FORMAT_VERSION = 1
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def count_words(text: str | None) -> int:
    """Words as `stats` counts them: runs of letters or digits, joined by ' or - ("don't" and
    "al-Karim" are one word each)."""
    return len(_WORD.findall(text or ""))


@dataclass
class Place:
    """Somewhere the story can show what a flag's value was."""

    chapter: str
    node: str | None  # None for the epilogue
    kind: str  # text | choice | holds | epilogue
    label: str  # human-readable, e.g. "text part 2 of 'gate'"
    reads: frozenset
    test: Callable | None = None  # (values, seen) -> outcome, for "can differ"
    valued: bool = False  # the outcome is a value shown (`{flag}`), not true or false

    @property
    def key(self) -> tuple:
        return (self.chapter, self.node, self.kind, self.label)


@dataclass
class ChoiceInfo:
    node: str
    index: int  # 1-based, as messages number choices
    text: str
    branches: bool
    echoes: int
    flavour: bool
    places: list = field(default_factory=list)  # labels of the echoing places
    # Offered beside a sibling that goes the same way, with no `say:` of its own, setting
    # nothing any shown text reads: the reader sees what follows a sibling (see `unanswered`).
    unanswered: bool = False
    same_way_as: int | None = None  # that sibling's number (1-based)
    pos: object = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        return {
            "node": self.node,
            "index": self.index,
            "text": self.text,
            "branches": self.branches,
            "echoes": self.echoes,
            "flavour": self.flavour,
            "answered": not self.unanswered,
            "places": self.places,
        }


@dataclass
class Corridor:
    nodes: list

    @property
    def start(self) -> str:
        return self.nodes[0]

    @property
    def end(self) -> str:
        return self.nodes[-1]

    def to_json(self) -> dict:
        return {"from": self.start, "to": self.end, "length": len(self.nodes), "nodes": self.nodes}


@dataclass
class EndingWords:
    node: str
    title: str
    min_words: int | None
    max_words: int | None

    def to_json(self) -> dict:
        return {"node": self.node, "title": self.title, "min_words": self.min_words, "max_words": self.max_words}


@dataclass
class ChapterChoices:
    id: str
    basis: str  # states | graph
    decision_points: list
    choices: list
    corridors: list
    endings: list
    inexact: str | None = None  # why the basis is the graph (Reach.why_inexact), None on states

    @property
    def flavour_share(self) -> float:
        """Flavour choices among the choices at decision points."""
        at_decisions = [c for c in self.choices if c.node in self.decision_points]
        return sum(c.flavour for c in at_decisions) / len(at_decisions) if at_decisions else 0.0

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "basis": self.basis,
            "stopped_by": self.inexact,
            "decision_points": self.decision_points,
            "flavour_share": round(self.flavour_share, 3),
            "corridors": [c.to_json() for c in self.corridors],
            "choices": [c.to_json() for c in self.choices],
            "endings": [e.to_json() for e in self.endings],
        }


# ---- places ---------------------------------------------------------------------------------


def chapter_places(story: Story, ch: Chapter) -> dict[str, list[Place]]:
    """Per node id, the places evaluated when play is there."""
    out: dict[str, list[Place]] = {}
    for nid, node in ch.nodes.items():
        here = []
        for k, part in enumerate(node.text, 1):
            if part.condition is not None:
                here.append(
                    Place(
                        ch.id,
                        nid,
                        "text",
                        f"{ch.id}:{nid} text part {k}",
                        frozenset(names_in(part.condition)),
                        part.test,
                    )
                )
        for k, part in enumerate(node.text, 1):
            here += _inline_places(ch, nid, part, f"text part {k}")
        for c in node.choices:
            if c.label is not None:
                here += _inline_places(ch, nid, c.label, f"the text of choice {c.index + 1}")
            if c.guard is not None:
                here.append(
                    Place(
                        ch.id,
                        nid,
                        "choice",
                        f"{ch.id}:{nid} condition of choice {c.index + 1}",
                        frozenset(names_in(c.guard)),
                        c.test,
                    )
                )
        if node.ending:
            for fid in ch.covers:
                fact = story.facts.get(fid)
                if fact is not None and fact.holds is not None:
                    here.append(
                        Place(
                            ch.id,
                            nid,
                            "holds",
                            f"{ch.id}:{nid} whether '{fid}' holds",
                            frozenset(names_in(fact.holds)),
                            _story_test(fact.holds_fn),
                        )
                    )
        out[nid] = here
    return out


def _inline_places(ch: Chapter, nid: str, part, where: str) -> list[Place]:
    """The inline parts of one text (`{flag: a | b}`, `{flag}`): each a place, read where shown."""
    out = []
    for segs in (part.inline, part.else_inline):
        for x in il.walk(segs or ()):
            tree = x.cond if isinstance(x, il.Branch) else x.expr if isinstance(x, il.Value) else None
            if tree is None or not names_in(tree):
                continue
            out.append(
                Place(
                    ch.id,
                    nid,
                    "text",
                    f"{ch.id}:{nid} {where} {{{x.src}}}",
                    frozenset(names_in(tree)),
                    compile_expr(tree, ch.slots, ch.seen_bits),
                    valued=isinstance(x, il.Value),
                )
            )
    return out


def text_reads(story: Story) -> frozenset:
    """The flags any shown text can depend on: the conditions of text parts (a node's, a
    choice's `say:`, the epilogue's), the inline parts in them and in choice labels, and, since
    an effect can compute one flag from another (`b = a + 1`), every flag such a flag is
    computed from."""
    names: set = set()

    def part_reads(part) -> None:
        if getattr(part, "condition", None) is not None:
            names.update(names_in(part.condition))
        for tree in il.text_exprs(part):
            names.update(names_in(tree))

    effects: list = []
    for ch in story.chapters:
        for node in ch.nodes.values():
            effects += node.enter
            for part in node.text:
                part_reads(part)
            for c in node.choices:
                effects += c.all_effects
                for said in (c.say, c.label):
                    if said is not None:
                        part_reads(said)
    for part in getattr(story, "epilogue_parts", None) or ():
        part_reads(part)
    grown = True
    while grown:
        grown = False
        for e in effects:
            if e.expr.target in names:
                new = names_in(e.expr.value) - names
                if new:
                    names |= new
                    grown = True
    return frozenset(names)


def _unanswered(c, pairs_seen: list, read_by_text: frozenset, moves: list | None, nodes) -> int | None:
    """The number of a sibling offered with choice `c` that goes the same way, when `c` has no
    `say:`, sets nothing the text reads, and the page after it shows no paragraph the page
    after that sibling does not: nothing shown after it answers it. Else None.

    `moves`: per explored state offering `c`, (values, seen, {index: transition}); the pages
    are the destination's text in the values each move makes from that state (made here, not
    read off the successor state, whose flags only text reads are reset as dead). Without
    explored states (`moves` None), any sibling that goes the same way counts."""
    if c.say is not None or {e.expr.target for e in c.all_effects} & read_by_text:
        return None
    if moves is None:
        for _t, _n, pairs in pairs_seen:
            for i, t, _s in pairs:
                if i != c.index and t == c.target:
                    return i + 1
        return None
    dest = nodes[c.target]
    for vals, seen, by_index in moves:
        mine = _page_after(dest, by_index[c.index], vals, seen)
        for i, t in by_index.items():
            if i != c.index and t.target == by_index[c.index].target:
                if mine <= _page_after(dest, t, vals, seen):
                    return i + 1
    return None


def _page_after(dest, move, vals, seen) -> frozenset:
    """The paragraphs of `dest` shown after `move` from a state with these values."""
    after = list(vals)
    for slot, fn, _e in move.effects:
        if slot is not None:
            after[slot] = fn(after, seen)
    return _shown(dest, tuple(after), seen)


def _shown(node, vals, seen) -> frozenset:
    """The paragraphs of `node`'s text shown in a state (each part's text, else, or nothing)."""
    out = []
    for p in node.text:
        if p.condition is None or p.test is None or p.test(vals, seen):
            out.append(p.render(vals, seen) if p.render is not None else p.text)
        elif p.else_text is not None:
            out.append(p.else_render(vals, seen) if p.else_render is not None else p.else_text)
    return frozenset(t for t in out if t and t.strip())


def _story_test(fn: Callable | None) -> Callable | None:
    return None if fn is None else (lambda vals, seen: fn(vals, 0))


def epilogue_places(story: Story) -> list[Place]:
    parts = getattr(story, "epilogue_parts", None) or ()
    out = []
    for k, part in enumerate(parts, 1):
        if getattr(part, "condition", None) is not None:
            out.append(
                Place(
                    "epilogue",
                    None,
                    "epilogue",
                    f"epilogue part {k}",
                    frozenset(names_in(part.condition)),
                    _story_test(part.test),
                )
            )
    return out


def _story_reads_later(story: Story, ch: Chapter) -> int:
    """Slots of the story-wide flags something at or after this chapter's endings can read:
    later chapters, the history's `holds` of facts covered here or later, the epilogue."""
    order = [c.id for c in story.chapters]
    later = story.chapters[order.index(ch.id) + 1 :]
    names: set[str] = set()
    for c in later:
        for node in c.nodes.values():
            for part in node.text:
                if part.condition is not None:
                    names |= names_in(part.condition)
            for choice in node.choices:
                if choice.guard is not None:
                    names |= names_in(choice.guard)
                for e in choice.effects:
                    names |= names_in(e.expr.value) | ({e.expr.target} if e.expr.op != "=" else set())
    for c in [ch, *later]:
        for fid in c.covers:
            fact = story.facts.get(fid)
            if fact is not None and fact.holds is not None:
                names |= names_in(fact.holds)
    for p in epilogue_places(story):
        names |= p.reads
    return sum(1 << f.slot for f in story.flags if f.name in names)


# ---- the analysis ---------------------------------------------------------------------------

ALL = frozenset({"echoes", "words"})


def analyse_choices(
    story: Story,
    chapter: str | None = None,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    max_memory_mib: float = DEFAULT_MAX_MEMORY_MIB,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    need: frozenset = ALL,
    reach=None,
) -> list[ChapterChoices]:
    """The analysis, per chapter. `need` leaves out the costlier parts nobody asked for
    ("echoes", "words"); `reach` reuses explorations already made (check's own, for the
    corridor budget: availability is exact there, though flavour is not, since check does
    not count conditional text as a read)."""
    if reach is None:
        reach = explore_story(
            story,
            max_states=max_states,
            max_memory_mib=max_memory_mib,
            max_seconds=max_seconds,
            text_reads=True,
            story_live=lambda ch: _story_reads_later(story, ch),
        )
    places = {ch.id: chapter_places(story, ch) for ch in story.chapters}
    varies = _varying_places(story, reach, places) if "echoes" in need else set()
    taken = _taken_edges(story, reach)
    read_by_text = text_reads(story)
    out = []
    exact = True
    for ch in story.chapters:
        ex = reach.exploration(ch.id)
        usable = ex is not None and ex.complete and exact
        exact = usable
        if chapter is not None and ch.id != chapter:
            continue
        cc = _chapter_choices(story, ch, ex if usable else None, places, varies, taken, need, read_by_text)
        cc.inexact = None if usable else reach.why_inexact(story, ch.id)
        out.append(cc)
    return out


def _varying_places(story: Story, reach, places) -> set:
    """Keys of the places whose outcome differs between two reachable states (when exploration
    was incomplete for a chapter, every place there counts as able to differ)."""
    out = set()
    last_endings: list[tuple] | None = []  # None: the last chapter's endings are not all known
    for ch in story.chapters:
        ex = reach.exploration(ch.id)
        if ex is None or not ex.complete:
            out |= {p.key for ps in places[ch.id].values() for p in ps}
            last_endings = None
            continue
        # Per node, the places still open: a place is settled (it varies) the first time a state
        # gives it the other outcome, and a node with nothing open is passed over, so the work is
        # one look at each state's node plus the tests of the places still open there.
        ids = ex.graph.ids
        open_at: list[dict] = [
            {p.key: (p.test, p.valued) for p in places[ch.id][nid] if p.test is not None} for nid in ids
        ]
        first: dict = {}  # place key -> the outcome of the first state that showed it
        keys = ex.keys
        for sid in range(len(keys)) if any(open_at) else ():
            todo = open_at[keys.node(sid)]
            if not todo:
                continue
            _ni, vals, seen, _rec = keys[sid]
            for k, (test, valued) in list(todo.items()):
                v = test(vals, seen)
                outcome = v if valued else bool(v)
                was = first.setdefault(k, outcome)
                if was != outcome:
                    out.add(k)
                    del todo[k]
        if ch is story.chapters[-1]:
            last_endings = [ex.keys[s][1] for s in ex.ending_states]
    for p in epilogue_places(story):
        test = p.test
        if last_endings is None or (test is not None and len({bool(test(v, 0)) for v in last_endings}) > 1):
            out.add(p.key)
    return out


def _chapter_choices(
    story: Story,
    ch: Chapter,
    ex: Exploration | None,
    places,
    varies,
    taken,
    need: frozenset = ALL,
    read_by_text: frozenset = frozenset(),
) -> ChapterChoices:
    nodes = ch.nodes
    offered_counts: dict[str, set] = {nid: set() for nid in nodes}  # node -> numbers of choices offered at once
    offered_in: dict[tuple, list] = {}  # (node, choice index) -> [(state, successor, sibling successors...)]
    offered_moves: dict[tuple, list] = {}  # (node, choice index) -> [(values, seen, {index: transition})]
    reached = set(nodes) if ex is None else set()
    # Over the explored states, what each choice needs is gathered as it goes, not kept per state:
    # whether a sibling offered with it ever leads elsewhere (branches), whether in every state
    # offering it a sibling leads to the very same state (flavour), and, for the choices that
    # could be unanswered, the distinct (values, seen) it is offered in with the moves on offer.
    branching: set = set()  # (node, choice index) offered beside a sibling that leads elsewhere
    not_flavour: set = set()  # (node, choice index) offered once with no sibling to the same state
    offered: set = set()  # (node, choice index) offered in some state
    if ex is not None:
        g = ex.graph
        keys = ex.keys
        succ_all, succ_start = ex.succ, ex.succ_start
        moves_wanted = {
            (nid, c.index)
            for nid, node in nodes.items()
            for c in node.choices
            if c.say is None and not ({e.expr.target for e in c.all_effects} & read_by_text)
        }
        moves_met: dict[tuple, set] = {}  # (node, choice index) -> ids of the (values, seen) kept
        clickable = [not (nodes[nid].is_ending or nodes[nid].flows) for nid in g.ids]
        for sid, (ni, vals, seen, _rec) in enumerate(keys):  # (iterating unpacks each state once)
            nid = g.ids[ni]
            reached.add(nid)
            if not clickable[ni]:
                continue  # (play moves on from `next:` and returning nodes by itself: no click there)
            avail = [t for t in g.transitions[ni] if t.test is None or t.test(vals, seen)]
            offered_counts[nid].add(sum(1 for t in avail if not t.copy))  # (a drawing move's copies: one)
            succ = succ_all[succ_start[sid] : succ_start[sid + 1]]
            moves = None
            # every choice offered here has a sibling that leads elsewhere, or none has
            branches_here = len({t.target for t in avail}) > 1
            for k, t in enumerate(avail):
                at = (nid, t.choice.index)
                offered.add(at)
                if branches_here:
                    branching.add(at)
                if at not in not_flavour and succ.count(succ[k]) == 1:  # no sibling leads to its state
                    not_flavour.add(at)
                if at in moves_wanted:
                    met = moves_met.setdefault(at, set())
                    mark = (id(vals), seen)
                    if mark not in met:
                        met.add(mark)
                        if moves is None:
                            moves = {u.choice.index: u for u in avail}
                        offered_moves.setdefault(at, []).append((vals, seen, moves))
    else:
        for nid, node in nodes.items():
            if not node.is_ending:
                offered_counts[nid].add(len(node.choices))
                pairs = [(c.index, c.target, None) for c in node.choices]
                for c in node.choices:
                    offered_in[(nid, c.index)] = [(c.target, None, pairs)]

    decision_points = [nid for nid in nodes if any(n >= 2 for n in offered_counts[nid])]
    choices = []
    for nid, node in nodes.items():
        if nid not in reached:
            continue
        for c in node.choices:
            seen_in = offered_in.get((nid, c.index), [])
            echo_places = (
                sorted(_echoes(story, ch, c, places, varies, taken), key=lambda p: p.label) if "echoes" in need else []
            )
            if ex is not None:
                at = (nid, c.index)
                branches = at in branching
                flavour = at in offered and at not in not_flavour
            else:
                branches = any(t != c.target for _t, _n, pairs in seen_in for (i, t, _s) in pairs if i != c.index)
                flavour = not echo_places and any(d.index != c.index and d.target == c.target for d in node.choices)
            offers = offered_moves.get((nid, c.index), []) if ex is not None else None
            same_way = _unanswered(c, seen_in, read_by_text, offers, nodes)
            choices.append(
                ChoiceInfo(
                    nid,
                    c.index + 1,
                    c.text,
                    branches,
                    len(echo_places),
                    flavour,
                    [p.label for p in echo_places],
                    unanswered=same_way is not None,
                    same_way_as=same_way,
                    pos=c.pos,
                )
            )
    corridors = _corridors(ch, ex, offered_counts, reached)
    endings = _ending_words(ch, ex) if "words" in need else []
    return ChapterChoices(ch.id, "states" if ex is not None else "graph", decision_points, choices, corridors, endings)


def _echoes(story: Story, ch: Chapter, choice, places, varies, taken: dict) -> list[Place]:
    """Places that can show what `choice` wrote: a forward taint analysis over the choice
    edges play really takes, from the choice's destination on, into later chapters through
    the story-wide flags, and into the epilogue."""
    tainted0 = frozenset(e.expr.target for e in choice.effects)
    if not tainted0:
        return []
    found: dict[tuple, Place] = {}
    order = list(story.chapters)
    k = order.index(ch)
    story_names = {f.name for f in story.flags}
    # work items: (chapter index, node id, tainted names)
    work = [(k, choice.target, tainted0)]
    best: dict[tuple, frozenset] = {}
    epilogue_taint: set = set()
    while work:
        ci, nid, tainted = work.pop()
        have = best.get((ci, nid), frozenset())
        if tainted <= have:
            continue
        tainted = tainted | have
        best[(ci, nid)] = tainted
        c = order[ci]
        for p in places[c.id][nid]:
            if p.reads & tainted and p.key in varies:
                found[p.key] = p
        node = c.nodes[nid]
        if node.is_ending:
            carried = tainted & story_names
            if not carried:
                continue
            if ci + 1 < len(order):
                work.append((ci + 1, order[ci + 1].start, frozenset(carried)))
            else:
                epilogue_taint |= carried
            continue
        if node.flows:  # play moves on by itself
            for after in successors(node):
                work.append((ci, after, tainted))
            continue
        edges = taken[c.id]
        for d in node.choices:
            if (nid, d.index) not in edges:
                continue
            t = set(tainted)
            for e in d.effects:
                if names_in(e.expr.value) & t:
                    t.add(e.expr.target)
                elif e.expr.op == "=":
                    t.discard(e.expr.target)
            if t:
                work.append((ci, d.target, frozenset(t)))
    for p in epilogue_places(story):
        if p.reads & epilogue_taint and p.key in varies:
            found[p.key] = p
    return list(found.values())


def _taken_edges(story: Story, reach) -> dict[str, set]:
    """Per chapter, the (node, choice index) pairs offered in some explored state (every choice
    as written where the chapter was not explored whole)."""
    out = {}
    for ch in story.chapters:
        ex = reach.exploration(ch.id)
        if ex is None or not ex.complete:
            out[ch.id] = {(nid, c.index) for nid, n in ch.nodes.items() for c in n.choices}
        else:
            out[ch.id] = {(ex.graph.ids[ni], ci) for (ni, ci) in ex.offered}
    return out


def _corridors(ch: Chapter, ex: Exploration | None, offered_counts: dict, reached: set) -> list[Corridor]:
    single = {nid for nid in reached if offered_counts[nid] == {1}}
    nxt: dict[str, str] = {}
    for nid in single:
        targets = {
            c.target for c in ch.nodes[nid].choices if ex is None or (ex.graph.index[nid], c.index) in ex.offered
        }
        if len(targets) == 1:
            t = targets.pop()
            if t in single:
                nxt[nid] = t
    incoming: dict[str, int] = {}
    for t in nxt.values():
        incoming[t] = incoming.get(t, 0) + 1
    order = [n for n in ch.nodes if n in single]
    done: set[str] = set()
    out = []

    def run_from(head: str) -> list[str]:
        run = [head]
        done.add(head)
        n = head
        while n in nxt and incoming.get(nxt[n], 0) == 1 and nxt[n] not in done:
            n = nxt[n]
            run.append(n)
            done.add(n)
        return run

    for n in order:
        if n not in done and incoming.get(n, 0) != 1:
            out.append(Corridor(run_from(n)))
    for n in order:  # what is left lies on loops of single-choice nodes
        if n not in done:
            out.append(Corridor(run_from(n)))
    return out


def _ending_words(ch: Chapter, ex: Exploration | None) -> list[EndingWords]:
    if ex is not None:
        n = len(ex.keys)
        g = ex.graph

        cache: dict = {}

        def words(sid: int) -> int:
            ni, vals, seen, _ = ex.keys[sid]
            return _node_words(ch.nodes[g.ids[ni]], vals, seen, cache)

        succ_start: Sequence[int] = ex.succ_start
        succ: Sequence[int] = ex.succ
        starts = [s for s in range(n) if ex.parent[s] < 0]

        def node_of(s: int) -> str:
            return g.ids[ex.keys[s][0]]
    else:
        ids = list(ch.nodes)
        index = {nid: i for i, nid in enumerate(ids)}
        n = len(ids)
        succ_list: list[int] = []
        start_list = [0]
        for nid in ids:
            succ_list.extend(index[t] for t in successors(ch.nodes[nid]))  # `next:` moves on too
            start_list.append(len(succ_list))
        succ_start, succ = start_list, succ_list

        def words(sid: int) -> int:
            node = ch.nodes[ids[sid]]
            return sum(count_words(p.text) for p in node.text if p.condition is None)

        starts = [index[ch.start]]

        def node_of(s: int) -> str:
            return ids[s]

    w = [words(v) for v in range(n)]
    lo = _fewest(n, succ_start, succ, starts, w)
    hi = _most(n, succ_start, succ, starts, w)
    per: dict[str, tuple] = {}
    for v in range(n):
        nid = node_of(v)
        if ch.nodes[nid].is_ending and lo[v] is not None:
            a, b = per.get(nid, (None, None))
            per[nid] = (lo[v] if a is None else min(a, lo[v]), hi[v] if b is None else max(b, hi[v]))
    out = []
    for nid, node in ch.nodes.items():
        if node.ending is not None:
            a, b = per.get(nid, (None, None))
            out.append(EndingWords(nid, node.ending.title, a, b))
    return out


def _node_words(node, vals, seen, cache: dict) -> int:
    counts = cache.get(node.id)
    if counts is None:
        counts = cache[node.id] = [(p.test, count_words(p.text), count_words(p.else_text)) for p in node.text]
    total = 0
    for test, shown, other in counts:
        total += shown if test is None or test(vals, seen) else other
    return total


def _fewest(n, succ_start, succ, starts, w) -> list:
    """Fewest words read from a start up to and including each vertex: Dijkstra with a bucket
    per distance (the weights are whole numbers of words), so a vertex is handled once and the
    heap holds only the distinct distances, not a vertex per edge."""
    dist: list = [None] * n
    buckets: dict[int, list] = {}
    heap: list[int] = []
    for s in starts:
        if w[s] not in buckets:
            buckets[w[s]] = []
            heapq.heappush(heap, w[s])
        buckets[w[s]].append(s)
    while heap:
        d = heapq.heappop(heap)
        bucket = buckets[d]
        i = 0
        while i < len(bucket):  # (a vertex of no words joins the bucket being emptied)
            v = bucket[i]
            i += 1
            if dist[v] is not None:
                continue
            dist[v] = d
            for k in range(succ_start[v], succ_start[v + 1]):
                t = succ[k]
                if dist[t] is None:
                    nd = d + w[t]
                    b = buckets.get(nd)
                    if b is None:
                        buckets[nd] = [t]
                        heapq.heappush(heap, nd)
                    else:
                        b.append(t)
        del buckets[d]
    return dist


def _most(n, succ_start, succ, starts, w) -> list:
    """Most words read up to each vertex along paths that close no loop: the back edges of a
    depth-first search are left out, and the rest (a DAG) is relaxed in topological order."""
    post, back = post_order(n, succ_start, succ, starts)
    best: list = [None] * n
    for s in starts:
        best[s] = w[s]
    for v in reversed(post):
        if best[v] is None:
            continue
        for k in range(succ_start[v], succ_start[v + 1]):
            t = succ[k]
            if (v, t) in back:
                continue
            cand = best[v] + w[t]
            if best[t] is None or cand > best[t]:
                best[t] = cand
    return best


# ---- budgets (story.yaml `style:`) ------------------------------------------------------------


def style_findings(story: Story, *, max_states: int = DEFAULT_MAX_STATES, reach=None) -> list[Diagnostic]:
    """`corridor` and `flavour-heavy` warnings where a chapter exceeds the story's budgets, and
    `choice-unanswered` where the story asks that every choice be answered.


    `reach`: check's own explorations, enough for corridors; flavour needs its own (conditional
    text read), so only a flavour budget costs a second exploration."""
    max_corridor = story.style.get("max_corridor")
    max_share = story.style.get("max_flavour_share")
    answer_all = bool(story.style.get("answer_every_choice"))
    if max_corridor is None and max_share is None and not answer_all:
        return []
    out: list[Diagnostic] = []
    if max_share is not None:
        reach = None  # (flavour needs conditional text counted as a read; answers make their own pages)
    for cc in analyse_choices(story, max_states=max_states, need=frozenset(), reach=reach):
        ch = story.chapter(cc.id)
        basis = "" if cc.basis == "states" else " (measured on the node graph: exploration was incomplete)"
        if max_corridor is not None:
            for cor in cc.corridors:
                if len(cor.nodes) > max_corridor:
                    out.append(
                        report(
                            "corridor",
                            f"{len(cor.nodes)} single-choice nodes in a row, {cor.start} to {cor.end} "
                            f"({' -> '.join(cor.nodes)}), past the budget of {max_corridor}{basis}",
                            ch.nodes[cor.start].pos,
                            "offer a real choice inside the run, or merge its nodes",
                        )
                    )
        if answer_all:
            for c in cc.choices:
                if c.unanswered:
                    out.append(
                        report(
                            "choice-unanswered",
                            f"choice {c.index} of '{c.node}' (\"{_short(c.text)}\") is not answered: it goes the "
                            f"way choice {c.same_way_as} goes, has no `say:`, sets nothing the text reads, and the "
                            f"page after it shows nothing the page after choice {c.same_way_as} does not{basis}",
                            c.pos or ch.nodes[c.node].pos,
                            "give it a `say:` line, or let the text that follows read a flag it sets",
                        )
                    )
        if max_share is not None and cc.flavour_share > max_share:
            names = [f"{c.node} {c.index}" for c in cc.choices if c.flavour and c.node in cc.decision_points]
            out.append(
                report(
                    "flavour-heavy",
                    f"{cc.flavour_share:.0%} of the choices at '{cc.id}''s decision points are flavour "
                    f"(budget {max_share:.0%}): {', '.join(names)}{basis}",
                    ch.pos,
                    "give some of them consequences a reader can notice later, or make them a short beat",
                )
            )
    return out


# ---- rendering --------------------------------------------------------------------------------


def render_json(story: Story, result: list[ChapterChoices]) -> dict:
    return {"version": CHOICES_FORMAT_VERSION, "story": story.title, "chapters": [c.to_json() for c in result]}


def render_text(story: Story, result: list[ChapterChoices]) -> str:
    out = [f"{story.title}: does each choice matter?", ""]
    for cc in result:
        total = len(cc.choices)
        echoed = sum(1 for c in cc.choices if c.echoes)
        flav = sum(1 for c in cc.choices if c.flavour)
        longest = max((len(c.nodes) for c in cc.corridors), default=0)
        out.append(f"{cc.id} (basis: {cc.basis})")
        if cc.inexact:
            out.append(f"  measured on the node graph, not on states: {inexact_words(cc.inexact)}")
        out.append(
            f"  decision points: {len(cc.decision_points)}; choices: {total}; branching: "
            f"{sum(c.branches for c in cc.choices)}; echoed later: {echoed}; flavour: {flav} "
            f"({cc.flavour_share:.0%} of the choices at decision points)"
        )
        out.append(f"  corridors: {len(cc.corridors)}, longest {longest} node{'s' if longest != 1 else ''}")
        for c in sorted(cc.corridors, key=lambda c: -len(c.nodes)):
            out.append(f"    {len(c.nodes)}: {' -> '.join(c.nodes)}")
        out.append("  choices (node, number: branches / echoes / flavour):")
        for c in cc.choices:
            tags = []
            if c.branches:
                tags.append("branches")
            tags.append(f"{c.echoes} echo{'es' if c.echoes != 1 else ''}")
            if c.flavour:
                tags.append("flavour")
            if c.unanswered:
                tags.append(f"unanswered (goes the way of {c.same_way_as}, says nothing)")
            out.append(f'    {c.node} {c.index}: {", ".join(tags)}  "{_short(c.text)}"')
            for label in c.places:
                out.append(f"        echoed at {label}")
        out.append("  branch balance (words read to reach each ending, fewest..most):")
        for e in cc.endings:
            span = "never reached" if e.min_words is None else f"{e.min_words:,}..{e.max_words:,}"
            out.append(f"    {e.node} ({e.title}): {span}")
        out.append("")
    out.append(
        "branches: offered beside a sibling that leads elsewhere. echoes: later places (conditional text, "
        "choice conditions, a fact's holds at an ending, the epilogue) that can show what the choice set. "
        "flavour: a sibling offered with it always leads to the same state. unanswered: it goes the way a "
        "sibling offered with it goes, has no `say:`, and sets nothing any text reads."
    )
    return "\n".join(out).rstrip() + "\n"


def _short(text: str, width: int = 50) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0]
    return cut + "…"
