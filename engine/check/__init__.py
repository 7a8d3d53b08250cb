"""`chronicle check`: what the checker proves about a compiled story.

`check_story` explores every chapter in play order, each from every story-wide
state the previous chapter's endings can hand on, then checks the canonical
path and history. It returns a Report; rendering lives in report.py.

One module per job, and this module only runs them, chapter by chapter in play order:
`engines` picks and runs the explorer of each chapter (`explore` or `symbolic`), `dataflow` is
the sound fallback past the bounds, `findings` words what either finds (dead ends, traps,
endings, choices, bounds), `continuity` (with `claims`) checks the words against the history
along every path and in the epilogue, `canon` the canonical path, `choices` (through
`style_findings`) whether each choice matters, and `allow` applies the authors' `allow:`
last; `text` and `division` are called from `findings`; `replay` turns a path into a command.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .. import diagnostics
from ..diagnostics import Diagnostic
from ..gcpause import paused_gc
from ..model import Chapter, Story
from . import claims, continuity
from .allow import apply_allows
from .canon import check_canon
from .choices import style_findings
from .dataflow import analyse, start_env
from .engines import Runner
from .explore import (
    DEFAULT_MAX_MEMORY_MIB,
    DEFAULT_MAX_SECONDS,
    DEFAULT_MAX_STATES,
    bound_option,
)
from .findings import dataflow_findings, exploration_findings
from .reach import Reach
from .replay import Replayer
from .states import start_values, state_count

__all__ = ["Report", "Replayer", "check_story", "dataflow_findings", "exploration_findings"]


@dataclass
class Report:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    chapters: int = 0
    nodes: int = 0
    states: int = 0
    seconds: float = 0.0
    complete: bool = True
    stopped_by: str | None = None  # the first bound an exploration hit: "states" | "memory" | "time"
    explorations: dict = field(default_factory=dict)  # chapter id -> Exploration (or SymbolicExploration)
    engines: dict = field(default_factory=dict)  # chapter id -> "explicit" | "symbolic": which explorer ran
    notes: list = field(default_factory=list)  # why a chapter asked to be symbolic was explored explicitly
    unexplored: list = field(default_factory=list)  # chapters left unexplored: one before them did not compile

    @property
    def engine(self) -> str:
        """The explorer that ran: "explicit", "symbolic", or "mixed" (some chapters each)."""
        used = set(self.engines.values())
        return used.pop() if len(used) == 1 else "mixed" if used else "explicit"

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if not d.is_error)

    @property
    def ok(self) -> bool:
        return self.errors == 0


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
    engine: str = "auto",
) -> Report:
    """Explore and check every chapter; exploration as a whole stops at whichever of the bounds
    comes first (`stopped(chapter, bound)` is told which), and the dataflow analysis takes over.

    `after_gap`: chapters that come after one that did not compile (a partial story, see
    `compile.compile_story_partial`). Nothing is known of the states they start in, so they
    are not explored (`Report.unexplored`), and the canonical path is checked only up to the gap.

    `engine`: "explicit" (states one by one), "symbolic" (sets of states as BDDs, where the
    chapter can be encoded; see symbolic.py) or "auto" (symbolic where the state space is too
    large to meet one by one; see `engines.Runner`)."""
    # Checking builds millions of small tuples and no garbage cycles: pause the cyclic collector.
    with paused_gc():
        limits = (max_memory_mib, time.perf_counter() + max_seconds, stopped)
        return _check_story(story, max_states, story_arg, progress, limits, after_gap, engine)


def _check_story(
    story: Story, max_states: int, story_arg: str | None, progress, limits, after_gap=frozenset(), engine="auto"
) -> Report:
    max_memory_mib, deadline, stopped = limits
    t0 = time.perf_counter()
    report = Report(list(story.warnings), chapters=len(story.chapters), nodes=sum(len(c.nodes) for c in story.chapters))
    replayer = Replayer(story, story_arg)
    runner = Runner(story, engine)
    starts_complete = True  # do `starts` hold every story-wide state play can bring here?
    cut_by = None  # the bound that stopped the first incomplete exploration
    carried = None  # dataflow value sets handed on when an earlier exploration was incomplete
    earlier_facts: set[str] = set()
    budget = max_states
    mention_used: set = set()  # the `allow: [mention]` that exempted a claim (claims.mention_allows)
    for ch in story.chapters:
        if ch.id in after_gap:
            # a chapter before this one did not compile, so the states it starts in are unknown:
            # nothing can be proven by exploring it (its static checks have run)
            report.unexplored.append(ch.id)
            continue
        tracked = _tracked_facts(ch, earlier_facts)
        cb = (lambda n, cid=ch.id: progress(cid, n)) if progress else None
        ex = runner.explore(
            ch,
            max_states=max(budget, 1),
            tracked_facts=tracked,
            progress=cb,
            max_memory_mib=max_memory_mib,
            deadline=deadline,
        )
        report.engines[ch.id] = runner.engine_of(ex)
        if ex.stopped_by:
            report.stopped_by = report.stopped_by or ex.stopped_by
            if stopped:
                stopped(ch.id, ex.stopped_by)
        report.explorations[ch.id] = ex
        report.states += state_count(ex)
        budget -= state_count(ex)
        exact = ex.complete and starts_complete
        cut_by = cut_by or ex.stopped_by
        ex.cut_by = None if exact else cut_by
        ex.exact = exact  # canon's "holds at every state reaching the ending" is a proof only then
        report.diagnostics += exploration_findings(story, ex, replayer, earlier_facts, exact)
        broken_words: set = set()
        report.diagnostics += continuity.explored_findings(story, ex, replayer, broken_words, mention_used)
        if ch is story.chapters[0]:
            report.diagnostics += continuity.intro_findings(story, ex, replayer)
        if not exact:
            report.complete = False
            df = analyse(story, ch, start_env(story, ch, start_values(ex, len(story.flags)), carried))
            report.diagnostics += dataflow_findings(story, ex, df, earlier_facts, broken_words)
            carried = df.end_env
        starts_complete = exact
        runner.hand_on(ex)
        for n in ch.nodes.values():
            earlier_facts.update(n.records)
        if runner.nothing_handed_on() and exact:
            break  # nothing leads on; the findings above say why
    last = story.chapters[-1].id if story.chapters else None
    if last in report.explorations and not after_gap:
        words: set = set()
        report.diagnostics += continuity.epilogue_findings(
            story, report.explorations[last], replayer, words, mention_used
        )
        if not starts_complete:  # the last chapter's endings were not all found: the fallback's sets
            left = continuity.epilogue_unproven(story, carried, words)
            if left:
                report.diagnostics.append(
                    diagnostics.report(
                        "unproven",
                        "not proven for the epilogue (exploration incomplete, dataflow too coarse): " + "; ".join(left),
                        story.epilogue_parts[0].pos,
                        f"raise {bound_option(cut_by)} to explore the story whole",
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
        # the choice analysis walks explicit states; after a symbolic chapter it explores by itself
        explicit = all(e == "explicit" for e in report.engines.values())
        reach = Reach(dict(report.explorations), complete=report.complete) if explicit else None
        report.diagnostics += style_findings(story, max_states=max_states, reach=reach)
    report.notes = runner.notes
    report.diagnostics = apply_allows(story, report.diagnostics, report.complete)
    if report.complete and not after_gap:
        report.diagnostics += _unused_mention_allows(story, mention_used)
    report.seconds = time.perf_counter() - t0
    return report


def _unused_mention_allows(story: Story, used: set) -> list[Diagnostic]:
    """An `allow: [mention]` that exempted no claim shown where history disagrees: stale, or never needed."""
    out = []
    for where, pos in claims.mention_allows(story):
        if (where, pos) not in used:
            out.append(
                diagnostics.report(
                    "allow-unused",
                    f"{where} allows 'mention', but no words there claim a fact where it disagrees with history",
                    pos,
                    "remove `mention` from `allow`: every claim its words make is true wherever they are shown",
                )
            )
    return out


def _tracked_facts(ch: Chapter, earlier: set[str]) -> list[str]:
    recorded_here = {f for n in ch.nodes.values() for f in n.records}
    wanted = []
    for n in ch.nodes.values():
        for f in n.refs:
            if f in recorded_here and f not in earlier and f not in wanted:
                wanted.append(f)
    return wanted
