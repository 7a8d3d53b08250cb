"""A progress bar for long explorations: appears only after half a second, only on a terminal.

The bar runs toward the state bound (--max-states), so it also shows how close
exploration is to stopping incomplete.
"""

from __future__ import annotations

import sys
import time
from typing import Any


class LazyProgress:
    DELAY = 0.5

    def __init__(self, max_states: int, max_memory_mib: int | None = None, max_seconds: float | None = None):
        self.t0 = time.perf_counter()
        self.max_states = max_states
        self.limits = "".join(
            [f", {max_memory_mib:,} MiB" if max_memory_mib else "", f", {max_seconds:g} s" if max_seconds else ""]
        )
        self.bar: Any = None  # prompt_toolkit's ProgressBar, once shown
        self.counter: Any = None  # its counter for the chapter being explored
        self.chapter: str | None = None
        self.done_before = 0  # states explored in earlier chapters (the bound is shared)

    def update(self, chapter: str, states: int) -> None:
        if self.bar is None:
            if time.perf_counter() - self.t0 < self.DELAY:
                return
            from prompt_toolkit.output import create_output
            from prompt_toolkit.shortcuts import ProgressBar
            from prompt_toolkit.shortcuts.progress_bar import formatters as f

            shown = [
                f.Label(suffix="  "),
                f.Bar(sym_a="=", sym_b=">", sym_c=" "),
                f.Text("  "),
                f.Progress(),
                f.Text(" states  "),
                f.TimeElapsed(),
            ]
            self.bar = ProgressBar(
                title=f"Exploring (bound {self.max_states:,} states{self.limits})",
                formatters=shown,
                output=create_output(stdout=getattr(sys.stderr, "unwrapped", sys.stderr)),
            )
            self.bar.__enter__()
        if chapter != self.chapter:
            if self.counter is not None:
                self.done_before += self.counter.items_completed
                self.counter.done = True
            self.chapter = chapter
            self.counter = self.bar(label=chapter, total=max(self.max_states - self.done_before, 1))
        self.counter.items_completed = states
        self.bar.invalidate()

    def stopped(self, chapter: str, bound: str) -> None:
        """Say on the bar which bound stopped exploring `chapter`."""
        from .explore import BOUND_WORDS

        if self.bar is not None and self.counter is not None and chapter == self.chapter:
            self.counter.label = f"{chapter}: stopped at the {BOUND_WORDS.get(bound, bound)}"
            self.bar.invalidate()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
