"""`chronicle check`: what the checker proves about a compiled story.

`check_story` explores every chapter in play order, each from every story-wide
state the previous chapter's endings can hand on, then checks the canonical
path and history. It returns a Report; rendering lives in report.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import Any

from ..diagnostics import Diagnostic, Pos, error, warning
from ..expr import names_in
from ..gcpause import paused_gc
from ..model import AUTO, Chapter, Story
from . import continuity
from .allow import apply_allows
from .canon import check_canon
from .choices import style_findings
from .dataflow import analyse, start_env
from .division import division_findings, risky
from .explore import (
    BOUND_WORDS,
    DEFAULT_MAX_MEMORY_MIB,
    DEFAULT_MAX_SECONDS,
    DEFAULT_MAX_STATES,
    Exploration,
    explore,
    trapped_states,
)
from .reach import Reach
from .text import text_findings


@dataclass
class Report:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    chapters: int = 0
    nodes: int = 0
    states: int = 0
    seconds: float = 0.0
    complete: bool = True
    stopped_by: str | None = None  # the first bound an exploration hit: "states" | "memory" | "time"
    explorations: dict = field(default_factory=dict)  # chapter id -> Exploration
    unexplored: list = field(default_factory=list)  # chapters left unexplored: one before them did not compile

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if not d.is_error)

    @property
    def ok(self) -> bool:
        return self.errors == 0


class Replayer:
    """Turns a shortest path into a command a person can paste."""

    def __init__(self, story: Story, story_arg: str | None):
        self.story, self.story_arg = story, story_arg

    def command(self, ex: Exploration, sid: int, then: int | None = None, every_flag: bool = False) -> str:
        """`every_flag`: keep every start value (for a finding about what play can still do from
        the state, like a trap, which flags read later on decide)."""
        start, numbers, indices = ex.path(sid)
        if then is not None:
            numbers = numbers + [then]
        keep = None if every_flag else _names_along(self.story, ex.chapter, indices, then, sid, ex)
        return self.command_for(ex.chapter, ex.starts[start], numbers, keep)

    def command_for(self, ch: Chapter, start_values: tuple, numbers: list[int], keep: set | None = None) -> str:
        """`keep`: the story-wide flags the finding can depend on (None: every one); a start
        value of any other flag is incidental and left out of the command."""
        parts = ["chronicle play"]
        if self.story_arg:
            parts.append(f"--story {_quote(self.story_arg)}")
        parts.append(f"--chapter {ch.id}")
        for f in self.story.flags:
            v = start_values[f.slot]
            if v != f.default and (keep is None or f.name in keep):
                parts.append("--set " + _quote(f"{f.name}={_show(v)}"))
        parts.append(f"--replay {','.join(map(str, numbers))}" if numbers else '--replay ""')
        return " ".join(parts)


def _names_along(story: Story, ch: Chapter, indices: list[int], then: int | None, sid: int, ex: Exploration) -> set:
    """Every flag that can matter to a replay and to what it shows: what the conditions of the
    nodes along the path read (they decide which choices are on offer, and so their numbers),
    what the effects taken read, and, at the last node, its text's conditions and the `holds`
    of the facts it or its ending can be judged against. A flag read nowhere there cannot
    change the replay or the finding."""
    names: set = set()

    def node_reads(node) -> None:
        for c in node.choices:
            if c.condition is not None:
                names.update(names_in(c.condition))

    def through(nid: str) -> str:
        """Play goes on through `next:` nodes by itself; their entry effects are taken too."""
        for e in ch.nodes[nid].enter:
            names.update(names_in(e.expr))
        while (after := ch.nodes[nid].next) is not None and len(path_nodes) <= len(ch.nodes) + len(indices):
            nid = after
            path_nodes.append(ch.nodes[nid])
            for e in ch.nodes[nid].enter:
                names.update(names_in(e.expr))
        return nid

    nid = ch.start
    path_nodes = [ch.nodes[nid]]
    nid = through(nid)
    for ci in indices:
        choice = ch.nodes[nid].choices[ci]
        for e in choice.effects:
            names.update(names_in(e.expr))
        nid = choice.target
        path_nodes.append(ch.nodes[nid])
        nid = through(nid)
    for node in path_nodes:
        node_reads(node)
    last = path_nodes[-1]
    if then is not None:
        # `then` is the number offered at the last node: every available choice's effects may matter
        for c in last.choices:
            for e in c.effects:
                names.update(names_in(e.expr))
    for part in last.text:
        if part.condition is not None:
            names.update(names_in(part.condition))
    judged: set[str] = set()  # facts the last node can be judged against: an ending's, and what its words assert
    if last.ending:
        judged.update(ch.covers)
        judged.update(last.ending.diverges)
    parts: tuple[Any, ...] = (*last.text, *last.choices)  # text parts and choices alike may assert
    for part in parts:
        for key in ("asserts", "denies", "else_asserts", "else_denies"):
            judged.update(getattr(part, key, ()) or ())
    for fid in judged:
        fact = story.facts.get(fid)
        if fact is not None and fact.holds is not None:
            names.update(names_in(fact.holds))
    return names


def _show(v) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def check_story(
    story: Story,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    story_arg: str | None = None,
    progress: Callable[[str, int], None] | None = None,
    max_memory_mib: float = DEFAULT_MAX_MEMORY_MIB,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    stopped: Callable[[str, str], None] | None = None,
    after_gap: frozenset = frozenset(),
) -> Report:
    """Explore and check every chapter; exploration as a whole stops at whichever of the bounds
    comes first (`stopped(chapter, bound)` is told which), and the dataflow analysis takes over.

    `after_gap`: chapters that come after one that did not compile (a partial story, see
    `compiler.compile_story_partial`). Nothing is known of the states they start in, so they
    are not explored (`Report.unexplored`), and the canonical path is checked only up to the gap."""
    # Checking builds millions of small tuples and no garbage cycles: pause the cyclic collector.
    with paused_gc():
        limits = (max_memory_mib, time.perf_counter() + max_seconds, stopped)
        return _check_story(story, max_states, story_arg, progress, limits, after_gap)


def _check_story(
    story: Story, max_states: int, story_arg: str | None, progress, limits, after_gap=frozenset()
) -> Report:
    max_memory_mib, deadline, stopped = limits
    t0 = time.perf_counter()
    report = Report(list(story.warnings), chapters=len(story.chapters), nodes=sum(len(c.nodes) for c in story.chapters))
    replayer = Replayer(story, story_arg)
    starts = [story.story_defaults]
    starts_complete = True  # do `starts` hold every story-wide state play can bring here?
    carried = None  # dataflow value sets handed on when an earlier exploration was incomplete
    earlier_facts: set[str] = set()
    budget = max_states
    for ch in story.chapters:
        if ch.id in after_gap:
            # a chapter before this one did not compile, so the states it starts in are unknown:
            # nothing can be proven by exploring it (its static checks have run)
            report.unexplored.append(ch.id)
            continue
        tracked = _tracked_facts(ch, earlier_facts)
        cb = (lambda n, cid=ch.id: progress(cid, n)) if progress else None
        ex = explore(
            story,
            ch,
            starts,
            max_states=max(budget, 1),
            tracked_facts=tracked,
            progress=cb,
            max_memory_mib=max_memory_mib,
            deadline=deadline,
        )
        if ex.stopped_by:
            report.stopped_by = report.stopped_by or ex.stopped_by
            if stopped:
                stopped(ch.id, ex.stopped_by)
        report.explorations[ch.id] = ex
        report.states += len(ex.keys)
        budget -= len(ex.keys)
        exact = ex.complete and starts_complete
        ex.exact = exact  # canon's "holds at every state reaching the ending" is a proof only then
        report.diagnostics += exploration_findings(story, ex, replayer, earlier_facts, exact)
        broken_words: set = set()
        report.diagnostics += continuity.explored_findings(story, ex, replayer, broken_words)
        if not exact:
            report.complete = False
            df = analyse(story, ch, start_env(story, ch, starts, carried))
            report.diagnostics += dataflow_findings(story, ex, df, earlier_facts, broken_words)
            carried = df.end_env
        starts_complete = exact
        starts = ex.handed_on(len(story.flags))
        for n in ch.nodes.values():
            earlier_facts.update(n.records)
        if not starts and exact:
            break  # nothing leads on; the findings above say why
    last = story.chapters[-1].id if story.chapters else None
    if last in report.explorations and not after_gap:
        words: set = set()
        report.diagnostics += continuity.epilogue_findings(story, report.explorations[last], replayer, words)
        if not starts_complete:  # the last chapter's endings were not all found: the fallback's sets
            left = continuity.epilogue_unproven(story, carried, words)
            if left:
                report.diagnostics.append(
                    warning(
                        "unproven",
                        "not proven for the epilogue (exploration incomplete, dataflow too coarse): " + "; ".join(left),
                        story.epilogue_parts[0].pos,
                        "raise --max-states to explore the story whole",
                        extra={"unproven": left},
                    )
                )
    if after_gap:
        before = tuple(c for c in story.chapters if c.id not in after_gap)
        story_before = replace(story, chapters=before)
        report.diagnostics += check_canon(
            story_before, {c.id: report.explorations[c.id] for c in before if c.id in report.explorations}, replayer
        )
    else:
        report.diagnostics += check_canon(story, report.explorations, replayer)
    if story.style:
        reach = Reach(dict(report.explorations), complete=report.complete)
        report.diagnostics += style_findings(story, max_states=max_states, reach=reach)
    report.diagnostics = apply_allows(story, report.diagnostics, report.complete)
    report.seconds = time.perf_counter() - t0
    return report


def _tracked_facts(ch: Chapter, earlier: set[str]) -> list[str]:
    recorded_here = {f for n in ch.nodes.values() for f in n.records}
    wanted = []
    for n in ch.nodes.values():
        for f in n.refs:
            if f in recorded_here and f not in earlier and f not in wanted:
                wanted.append(f)
    return wanted


def exploration_findings(
    story: Story, ex: Exploration, rp: Replayer, earlier_facts: set[str], exact: bool = True
) -> list[Diagnostic]:
    """Findings from the explored states. Findings of absence (never reached, never
    available, traps) are proofs only when `exact`: every reachable state was explored."""
    g, ch = ex.graph, ex.chapter
    out: list[Diagnostic] = []
    if ex.complete and not exact:
        out.append(
            error(
                "explore-incomplete",
                f"'{ch.id}' was explored from only the start states found before an earlier chapter's "
                "exploration stopped at its bound; what is proven is listed below",
                ch.pos,
                "raise --max-states so the earlier chapter is explored whole",
            )
        )
    if not ex.complete:
        bound = BOUND_WORDS.get(ex.stopped_by or "states", "bound")
        option = {"memory": "--max-memory", "time": "--max-seconds"}.get(ex.stopped_by or "", "--max-states")
        out.append(
            error(
                "explore-incomplete",
                f"exploration of '{ch.id}' stopped at the {bound} after {len(ex.keys):,} states; "
                "findings below marked 'proved by dataflow' hold, and what stays unproven is listed",
                ch.pos,
                f"raise {option}, or merge flags that multiply states (e.g. ints with wide ranges)",
            )
        )
    for ni, sid in sorted(ex.softlocks.items()):
        node = ch.nodes[g.ids[ni]]
        vals = ", ".join(
            f"{k}={_show(v)}"
            for k, v in ex.values_of(sid).items()
            if any(c.condition is not None and k in names_in(c.condition) for c in node.choices)
        )
        out.append(
            error(
                "soft-lock",
                f"in node '{node.id}' no choice is available" + (f" when {vals}" if vals else ""),
                node.pos,
                "add a choice with no condition, or make the conditions cover every case",
                replay=rp.command(ex, sid),
            )
        )
    if exact:
        seen_trap_nodes = set()
        for sid in trapped_states(ex):
            ni = ex.keys[sid][0]
            if ni in seen_trap_nodes or ch.nodes[g.ids[ni]].next is not None:
                continue  # (play never stops at a `next:` node: the trap is named where it does)
            seen_trap_nodes.add(ni)
            node = ch.nodes[g.ids[ni]]
            out.append(
                error(
                    "trap",
                    f"from node '{node.id}' in this state no ending can be reached: play loops forever",
                    node.pos,
                    "give the loop a way out that is always available",
                    replay=rp.command(ex, sid, every_flag=True),
                )
            )
    for ov in ex.overflows.values():
        eff = ov.effect
        f = ch.layout[eff.slot]
        if ov.value < eff.min:
            bound = f"min {f.min}" if f.min is not None else f"lowest value an int flag can hold ({eff.min})"
        else:
            bound = f"max {f.max}" if f.max is not None else f"largest value an int flag can hold ({eff.max})"
        out.append(
            error(
                "int-bounds",
                f"`{eff.src}` takes {f.name} to {ov.value}, past its {bound}",
                eff.pos,
                "guard the choice with a condition, or widen the flag's bounds",
                replay=rp.command(ex, ov.state, ov.number),
            )
        )
    for ni, nid in enumerate(g.ids):
        node = ch.nodes[nid]
        if ni not in ex.first_at_node:
            if not exact:
                continue
            if node.ending:
                out.append(
                    error(
                        "ending-unreached",
                        f"ending '{nid}' ({node.ending.title}) is never reached in play",
                        node.ending.pos,
                        "look at the conditions of the choices that lead here",
                    )
                )
            else:
                out.append(
                    error(
                        "node-unreached",
                        f"node '{nid}' is reached by no real playthrough "
                        "(the choices leading here are never available)",
                        node.pos,
                        "look at the conditions of the choices that lead here",
                    )
                )
            continue
        if node.ending or not exact:
            continue
        for c in node.choices:
            if (ni, c.index) not in ex.offered:
                out.append(
                    error(
                        "choice-never-available",
                        f"choice {c.index + 1} of node '{nid}' ('{c.text}') is never available: "
                        f"`{c.condition_src}` is false in every state that reaches this node",
                        c.pos,
                        "fix the condition, or set the flags it needs on the way here",
                        replay=rp.command(ex, ex.first_at_node[ni]),
                    )
                )
    out += _date_findings(ex, rp)
    out += division_findings(ex, rp)
    if exact:
        out += text_findings(ex, rp)
    out += _indistinct_findings(ex, rp)
    out += _ref_findings(story, ex, rp, earlier_facts)
    return out


def _indistinct_findings(ex: Exploration, rp: Replayer) -> list[Diagnostic]:
    """Two choices offered together that lead to the same node with the same effects:
    whichever the player picks, nothing afterwards can differ. The later one is named."""
    g = ex.graph
    suspects = set()
    for ni in range(len(g.ids)):
        keys = [(t.target, tuple(e.src for e in t.choice.all_effects)) for t in g.transitions[ni]]
        if len(set(keys)) < len(keys):
            suspects.add(ni)
    if not suspects:
        return []
    out, reported = [], set()
    for sid, key in enumerate(ex.keys):  # breadth-first order: the first state found is the nearest
        ni = key[0]
        if ni not in suspects:
            continue
        seen_key: dict = {}
        for t in g.transitions[ni]:
            if t.test is not None and not t.test(key[1], key[2]):
                continue
            k = (t.target, tuple(e.src for e in t.choice.all_effects))
            if k in seen_key and (ni, t.choice.index) not in reported:
                reported.add((ni, t.choice.index))
                a = seen_key[k]
                out.append(
                    warning(
                        "choice-indistinct",
                        f"choices {a + 1} and {t.choice.index + 1} of node '{g.ids[ni]}' are offered together and both "
                        f"go to '{g.ids[t.target]}' with the same effects, "
                        "so which one the player takes changes nothing",
                        t.choice.pos,
                        "give one of them an effect or a different destination, or merge them",
                        replay=rp.command(ex, sid),
                    )
                )
            seen_key[k] = t.choice.index
    return out


def _date_findings(ex: Exploration, rp: Replayer) -> list[Diagnostic]:
    """Dates never run backwards along real transitions, however many undated nodes lie between.

    For each node, the latest date play can have shown before arriving there (and the
    dated node that showed it) is found over the transitions exploration really took;
    a dated node earlier than that runs backwards."""
    g, ch = ex.graph, ex.chapter
    succ: dict[int, set[int]] = {}
    for a, b in ex.edges:
        succ.setdefault(a, set()).add(b)
    shown: dict[int, tuple] = {}  # node -> (first day of the latest date shown on leaving it, dated node)
    for ni in range(len(g.ids)):
        d = ch.nodes[g.ids[ni]].date
        if d is not None:
            shown[ni] = (d.first, ni)
    arriving: dict[int, tuple] = {}  # node -> the latest (date, dated node) any way in has shown
    work = list(shown)
    while work:
        a = work.pop()
        for b in succ.get(a, ()):
            if a not in shown:
                continue
            if b not in arriving or shown[a][0] > arriving[b][0]:
                arriving[b] = shown[a]
                if ch.nodes[g.ids[b]].date is None and (b not in shown or shown[a][0] > shown[b][0]):
                    shown[b] = shown[a]
                    work.append(b)
    out = []
    for b, (first, source) in sorted(arriving.items()):
        nb, ns = ch.nodes[g.ids[b]], ch.nodes[g.ids[source]]
        if nb.date is not None and nb.date.last < first:
            replay = _replay_into(ex, rp, b, source, shown)
            out.append(
                error(
                    "date-backwards",
                    f"node '{nb.id}' ({nb.date}) can come after '{ns.id}' ({ns.date}) but is dated earlier",
                    nb.pos,
                    "in-world dates never run backwards: fix one of the dates",
                    replay=replay,
                )
            )
    return out


def _replay_into(ex: Exploration, rp: Replayer, b: int, source: int, shown: dict) -> str | None:
    """A replay that enters node b from a node carrying `source`'s date (shortest such state first)."""
    carriers = {n for n, (_d, src) in shown.items() if src == source}
    for sid, key in enumerate(ex.keys):
        if key[0] not in carriers:
            continue
        for k in range(ex.succ_start[sid], ex.succ_start[sid + 1]):
            if ex.keys[ex.succ[k]][0] == b:
                for t in ex.graph.transitions[key[0]]:
                    if t.target == b and (t.test is None or t.test(key[1], key[2])):
                        if t.choice.index == AUTO:  # a `next:` node: play goes on by itself
                            return rp.command(ex, sid)
                        return rp.command(ex, sid, ex.number_of(sid, t.choice.index))
    return None


def _ref_findings(story: Story, ex: Exploration, rp: Replayer, earlier_facts: set[str]) -> list[Diagnostic]:
    g, ch = ex.graph, ex.chapter
    out = []
    period_start = ch.period[0] if ch.period else None
    for ni, nid in enumerate(g.ids):
        node = ch.nodes[nid]
        if not node.refs or ni not in ex.first_at_node:
            continue
        when = node.shown_date or period_start
        for fid in node.refs:
            fact = story.facts[fid]
            if fid in earlier_facts or (when is not None and fact.date.on_or_before(when)):
                continue
            bit = g.tracked_facts.get(fid)
            bad = None
            for sid, key in enumerate(ex.keys):
                if key[0] == ni and (bit is None or not key[3] & bit):
                    bad = sid
                    break
            if bad is not None:
                how = "it is not recorded earlier on this path" if bit else "no node of this chapter records it"
                out.append(
                    error(
                        "ref-not-past",
                        f"node '{nid}' speaks of '{fid}' ({fact.date}), but {how} and it is not "
                        f"dated before the node ({when})",
                        node.pos,
                        "record the fact on every way here first, or stop referring to it",
                        replay=rp.command(ex, bad),
                    )
                )
    return out


def dataflow_findings(
    story: Story,
    ex: Exploration,
    df,
    earlier_facts: AbstractSet[str] = frozenset(),
    broken_words: AbstractSet = frozenset(),
) -> list[Diagnostic]:
    """What the dataflow fallback proves, and exactly what stays unproven."""
    ch = ex.chapter
    out: list[Diagnostic] = []
    for nid in df.unreached:
        node = ch.nodes[nid]
        code, what = (
            ("ending-unreached", f"ending '{nid}' ({node.ending.title})")
            if node.ending
            else ("node-unreached", f"node '{nid}'")
        )
        out.append(
            error(
                code,
                f"{what} is never reached in play (proved by dataflow)",
                node.pos,
                "look at the conditions of the choices that lead here",
            )
        )
    for nid, c in df.never_available:
        out.append(
            error(
                "choice-never-available",
                f"choice {c.index + 1} of node '{nid}' ('{c.text}') is never "
                f"available: `{c.condition_src}` is false for every value its flags can have here "
                "(proved by dataflow)",
                c.pos,
                "fix the condition, or set the flags it needs on the way here",
            )
        )
    for nid, fact in df.divergence_errors:
        node = ch.nodes[nid]
        out.append(
            error(
                "divergence-undeclared",
                f"ending '{nid}' is always reached with '{fact.id}' broken "
                f"({fact.holds_src} is false), but does not list it in `diverges` (proved by dataflow)",
                _ending_pos(node),
                f"add {fact.id} to `diverges`",
            )
        )
    for nid, fact in df.divergence_unused:
        out.append(
            warning(
                "divergence-unused",
                f"ending '{nid}' lists '{fact.id}' in `diverges`, but '{fact.id}' "
                "holds in every state that reaches it (proved by dataflow)",
                _ending_pos(ch.nodes[nid]),
                "set the flag that breaks it on the way here, or drop it from `diverges`",
            )
        )
    unproven = []
    unproven += [f"no soft-lock at '{n}'" for n in df.unproven_softlock]
    unproven += [f"`{e.src}` in '{n}' stays within bounds" for n, c, e in df.unproven_bounds]
    unproven += [f"no loop without a way out through '{n}'" for n in df.unproven_traps]
    unproven += [f"'{f.id}' holds at ending '{n}'" for n, f in df.unproven_divergence]
    # refs and dates are checked along explored states only: what those could not cover stays open
    period_start = ch.period[0] if ch.period else None
    for nid, node in ch.nodes.items():
        if nid not in df.env:
            continue
        when = node.shown_date or period_start
        for fid in node.refs:
            fact = story.facts[fid]
            if fid not in earlier_facts and not (when is not None and fact.date.on_or_before(when)):
                unproven.append(f"'{fid}' is in the past wherever '{nid}' speaks of it")
    unproven += continuity.unproven(story, ch, df, broken_words)
    if any(n.date is not None for n in ch.nodes.values()):
        unproven.append("dates never run backwards (checked only along the transitions explored)")
    if any(risky(e.expr.value) for n in ch.nodes.values() for e in n.enter) or any(
        risky(c.condition) or any(risky(e.expr.value) for e in c.effects) for n in ch.nodes.values() for c in n.choices
    ):
        unproven.append("no division by zero (checked only in the states explored)")
    if unproven:
        shown = "; ".join(unproven[:20]) + (f"; and {len(unproven) - 20} more" if len(unproven) > 20 else "")
        out.append(
            warning(
                "unproven",
                f"not proven for '{ch.id}' (exploration incomplete, dataflow too coarse): {shown}",
                ch.pos,
                "raise --max-states to explore the chapter whole",
                extra={"unproven": unproven},
            )
        )
    return out


def _ending_pos(node) -> Pos | None:
    """Where a node's ending is written (the node itself, should it have none)."""
    return node.ending.pos if node.ending is not None else node.pos
