"""Choosing the explorer for each chapter, and handing states on from one chapter to the next.

`--engine explicit` meets states one by one (`explore`), `--engine symbolic` keeps them as
sets (`symbolic`), and `auto` (the default) decides per chapter from the size of its state
space: a chapter whose values take at most `AUTO_BITS` bits is explored explicitly (fast to
start, and exact); a wider one explicitly, and when that passes `AUTO_TRIAL_STATES` states the
symbolic explorer is tried beside it (see `Runner._trial`): its result is taken when it
completes, and the explicit exploration goes on where it was when it does not (its sets grow
too fast for the bounds, or the explicit explorer would be faster). A chapter the symbolic
explorer cannot encode is explored explicitly, and `Runner.notes` says why (with the position
of what could not be encoded), so the report never rests on a guess.

Between chapters the states endings hand on stay a set when both chapters are symbolic (one
BDD manager for the whole check), and are listed when the next one is explicit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from ..model import Chapter, Story
from .explore import BOUND_WORDS, Exploration, explore
from .symbolic import BACKEND, Manager, SymbolicExploration, Unencodable, enumerate_story, explore_symbolic

ENGINES = ("auto", "explicit", "symbolic")
# auto: a chapter whose states take more bits than this (about a million states if every
# combination were reachable) is explored symbolically
AUTO_BITS = 20
# auto: a wide chapter is first explored explicitly up to this many states, and symbolically
# only past them
AUTO_TRIAL_STATES = 250_000
# auto: what one state of the explicit trial holds (about; see explore.held_bytes), counted
# against the memory bound while the symbolic explorer is tried beside it
TRIAL_STATE_BYTES = 350
# the most story-wide start states listed for an explicit chapter after a symbolic one
MAX_LISTED_STARTS = 200_000


def state_bits(story: Story, ch: Chapter) -> int:
    """An upper bound, in bits, of the chapter's state space: every value of every flag and
    visit count, the call stack, the seen bits."""
    from .. import calls

    bits = 0
    for f in ch.layout:
        if f.name in ch.counters:
            n = ch.counters[f.name] + 1
        elif f.type == "bool":
            n = 2
        elif f.type == "enum":
            n = len(f.values)
        elif f.min is not None and f.max is not None:
            n = f.max - f.min + 1
        else:
            n = 1 << 32
        bits += max(1, (n - 1).bit_length())
    if calls.stack_slot(ch) is not None:
        bits += story.max_call_depth * 2
    return bits + len(set(ch.seen_bits.values()))


class _Switch(Exception):
    """Raised from the explicit trial's progress report: the symbolic exploration replaces it."""

    def __init__(self, sx: SymbolicExploration):
        super().__init__("switched to the symbolic explorer")
        self.sx = sx


class Runner:
    """Explores chapters in play order with the engine asked for, carrying the starts."""

    def __init__(self, story: Story, engine: str = "auto"):
        if engine not in ENGINES:
            raise ValueError(f"engine is one of {', '.join(ENGINES)}, not '{engine}'")
        self.story, self.engine = story, engine
        self.mgr: Manager | None = None
        self.starts: list[tuple] | None = [story.story_defaults]
        self.start_set = None  # a BDD of self.mgr, when the last chapter was symbolic
        self.notes: list[str] = []

    def wants_symbolic(self, ch: Chapter) -> bool:
        if self.engine == "explicit":
            return False
        if self.engine == "symbolic":
            return True
        return self.starts is None or state_bits(self.story, ch) > AUTO_BITS

    def explore(
        self,
        ch: Chapter,
        *,
        max_states: int,
        tracked_facts: Iterable[str],
        progress: Callable[[int], None] | None,
        max_memory_mib: float,
        deadline: float,
    ) -> Exploration:
        bounds: dict[str, Any] = {
            "tracked_facts": tracked_facts,
            "max_memory_mib": max_memory_mib,
            "deadline": deadline,
        }
        if self.engine == "auto" and self.starts is not None and self.wants_symbolic(ch):
            return self._trial(ch, max_states, progress, bounds)
        if self.wants_symbolic(ch):
            sx = self._symbolic(ch, **bounds)
            if sx is not None:
                return sx
        starts, whole = self._listed()
        ex = explore(self.story, ch, starts, max_states=max_states, progress=progress, **bounds)
        if not whole:  # explored from only some of its starts: what it proves is an incomplete exploration's
            ex.complete, ex.stopped_by = False, ex.stopped_by or "states"
        return ex

    def _trial(self, ch: Chapter, max_states: int, progress, bounds: dict) -> Exploration:
        """A wide chapter may still have few reachable states: it is explored explicitly, and
        when that passes AUTO_TRIAL_STATES the symbolic explorer is tried from inside the
        explicit one's progress report (the explicit states held meanwhile counted against the
        memory bound). A complete symbolic exploration replaces the explicit one; else the
        explicit one goes on where it was, so no state is explored twice."""
        t0 = time.perf_counter()
        tried = False

        def watch(n: int) -> None:
            nonlocal tried
            if progress is not None:
                progress(n)
            if tried or n < AUTO_TRIAL_STATES or n >= max_states:
                return
            tried = True
            rate = n / max(1e-6, time.perf_counter() - t0)
            held_mib = n * TRIAL_STATE_BYTES / (1024 * 1024)
            probe = dict(bounds, max_memory_mib=max(1.0, bounds["max_memory_mib"] - held_mib))
            sx = self._symbolic(ch, explicit_rate=rate, max_states=max_states, **probe)
            if sx is not None:
                raise _Switch(sx)

        assert self.starts is not None
        try:
            return explore(self.story, ch, self.starts, max_states=max_states, progress=watch, **bounds)
        except _Switch as switch:
            return switch.sx

    def _symbolic(self, ch: Chapter, **kw) -> SymbolicExploration | None:
        """The chapter explored symbolically, or None (and a note saying why) when that cannot
        be done, or not within the bounds."""
        if self.mgr is None:
            self.mgr = Manager()
        try:
            sx = explore_symbolic(
                self.story,
                ch,
                self.starts,
                start_set=self.start_set if self.starts is None else None,
                mgr=self.mgr,
                **kw,
            )
            if sx.complete:
                return sx
            # Its sets too large for the bounds: what the explicit explorer proves in the
            # same bounds (and the dataflow fallback past them) is reported instead.
            bound = BOUND_WORDS.get(sx.stopped_by or "", "bound")
            if sx.stopped_by == "slower":
                met = f"{sx.state_count:,} states in {sx.seconds:.1f} s"
                why = f"the explicit explorer is faster on it ({met} symbolically)"
            elif sx.projected:
                why = f"the symbolic explorer's sets grow too fast for the {bound}"
                why += f" (stopped after {sx.state_count:,} states)"
            else:
                why = f"the symbolic explorer stopped at the {bound} after {sx.state_count:,} states"
            self.notes.append(f"'{ch.id}' explored explicitly: {why}")
            del sx
        except Unencodable as exc:
            where = f" ({exc.pos})" if exc.pos else ""
            self.notes.append(
                f"'{ch.id}' explored explicitly: the symbolic explorer cannot encode it: {exc.what}{where}"
            )
        if self.starts is not None:
            self.mgr = None  # nothing of it is needed any more: its memory goes back before exploring on
        return None

    def _listed(self) -> tuple[list[tuple], bool]:
        """The starts as a list, and whether that is all of them."""
        if self.starts is not None:
            return self.starts, True
        assert self.last is not None
        try:
            return enumerate_story(self.last.enc, self.start_set, MAX_LISTED_STARTS), True
        except ValueError:
            some = []
            for k, a in enumerate(self.last.enc.bdd.pick_iter(self.start_set, care_vars=self.last.enc.story_vars)):
                if k >= MAX_LISTED_STARTS:
                    break
                some.append(self.last.enc.key_of(0, a)[1][: len(self.story.flags)])
            return sorted(set(some), key=repr), False

    last: SymbolicExploration | None = None

    def hand_on(self, ex: Exploration) -> None:
        """The next chapter starts from what this one's endings hand on."""
        if isinstance(ex, SymbolicExploration):
            self.last = ex
            self.start_set = ex.handed_on_set()
            self.starts = None
        else:
            self.starts = ex.handed_on(len(self.story.flags))
            self.start_set = None

    def nothing_handed_on(self) -> bool:
        if self.starts is not None:
            return not self.starts
        assert self.last is not None
        return self.start_set == self.last.enc.false

    @staticmethod
    def engine_of(ex: Exploration) -> str:
        return "symbolic" if isinstance(ex, SymbolicExploration) else "explicit"


def backend() -> str:
    """Which BDD library the symbolic explorer uses: "cudd" (the wheel's compiled backend) or "autoref"."""
    return BACKEND
