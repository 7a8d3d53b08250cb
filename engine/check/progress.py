"""A progress bar for long explorations: appears only after half a second, only on a terminal."""
from __future__ import annotations

import time


class LazyProgress:
    DELAY = 0.5

    def __init__(self):
        self.t0 = time.perf_counter()
        self.bar = None
        self.counter = None
        self.last = 0

    def update(self, chapter: str, states: int) -> None:
        if self.bar is None:
            if time.perf_counter() - self.t0 < self.DELAY:
                return
            from prompt_toolkit.output import create_output
            from prompt_toolkit.shortcuts import ProgressBar
            import sys
            self.bar = ProgressBar(title="Exploring states", output=create_output(stdout=sys.stderr))
            self.bar.__enter__()
            self.counter = self.bar(label=chapter, total=None)
        if self.counter.label != chapter:
            self.counter.done = True
            self.counter = self.bar(label=chapter, total=None)
            self.last = 0
        self.counter.items_completed += states - self.last
        self.last = states
        self.bar.invalidate()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
