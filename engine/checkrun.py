"""A story folder, compiled and checked: the one pipeline `chronicle check`, the pytest plugin
and the documentation generator share.

    run = check_folder(root)
    run.diagnostics      # every problem, compile and check alike
    run.summary          # the counts `check`'s report prints (see check.report)

When some chapters fail to compile but the manifest and the history are sound, the chapters
that did compile are still checked (`partial=True`, as `chronicle check` does), and the summary
names the ones left out.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import compile as compiler
from . import link
from .check import Report, check_story
from .check import since as since_mod
from .check.explore import DEFAULT_MAX_MEMORY_MIB, DEFAULT_MAX_SECONDS, DEFAULT_MAX_STATES
from .diagnostics import Diagnostic, has_errors
from .model import Story


@dataclass
class CheckRun:
    story: Story | None  # the story that was checked (the compiled chapters only, for a partial one)
    diagnostics: list[Diagnostic]
    summary: dict[str, Any] = field(default_factory=dict)
    report: Report | None = None  # None when nothing was explored (it did not compile, or static)

    @property
    def compiled(self) -> bool:
        """The whole story compiled (not only some of its chapters)."""
        return self.story is not None and "unchecked" not in self.summary


def empty_summary() -> dict[str, Any]:
    return {
        "chapters": 0,
        "nodes": 0,
        "states": None,
        "errors": 0,
        "warnings": 0,
        "seconds": 0.0,
        "complete": True,
        "stopped_by": None,
    }


def check_folder(
    root: str | os.PathLike,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    max_memory_mib: float = DEFAULT_MAX_MEMORY_MIB,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    story_arg: str | None = None,
    static: bool = False,
    partial: bool = True,
    progress: Callable[[str, int], None] | None = None,
    stopped: Callable[[str, str], None] | None = None,
    engine: str = "auto",
) -> CheckRun:
    """Compile the story in `root` and check it; `static` stops after compiling. `root` may be a
    compiled story (`chronicle export json`), which is loaded (link.load: CompiledFormatError
    when it cannot be used) and checked as it is: its compile's own checks were made when it
    was compiled. `engine`: "auto",
    "explicit" or "symbolic" (see check.engines)."""
    t0 = time.perf_counter()
    story: Story | None
    diags: list[Diagnostic]
    part: compiler.Partial | None
    if link.is_compiled(root):
        story, diags, part = link.load(root), [], None
    else:
        story, diags, part = compiler.compile_story_partial(root)
    if not partial:
        part = None
    summary = empty_summary()
    after_gap: frozenset = frozenset()
    if story is None and part is not None:
        # Some chapters did not compile: check the ones that did, and say which were left out.
        story, after_gap = part.story, part.after_gap
        summary["unchecked"] = list(part.broken)
        diags = [d for d in diags if d.is_error]  # the partial story carries the warnings again
    report = None
    if story is not None and (part is not None or not has_errors(diags)):
        summary.update(chapters=len(story.chapters), nodes=sum(len(c.nodes) for c in story.chapters))
        if not static:
            report = check_story(
                story,
                max_states=max_states,
                story_arg=story_arg,
                progress=progress,
                max_memory_mib=max_memory_mib,
                max_seconds=max_seconds,
                stopped=stopped,
                after_gap=after_gap,
                engine=engine,
            )
            diags = [d for d in diags if d.is_error] + report.diagnostics if part else report.diagnostics
            summary.update(
                states=report.states,
                complete=report.complete,
                stopped_by=report.stopped_by,
                engine=report.engine,
                engines=dict(report.engines),
            )
            if report.notes:
                summary["notes"] = list(report.notes)
            if report.unexplored:
                summary["unexplored"] = report.unexplored
        elif part is not None:
            diags = diags + list(story.warnings)
    else:
        story = None
    summary["errors"] = sum(1 for d in diags if d.is_error)
    summary["warnings"] = sum(1 for d in diags if not d.is_error)
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    return CheckRun(story, diags, summary, report)


def check_since(
    root: str | os.PathLike,
    new: Story,
    since: str,
    *,
    max_pairs: int = since_mod.DEFAULT_MAX_PAIRS,
    max_memory_mib: float = DEFAULT_MAX_MEMORY_MIB,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> tuple[since_mod.SinceReport, str | None]:
    """`check --since`: compile the older version of the story (a git revision of `root`, or a
    folder) and compare it with `new`, within the three bounds (pairs of states, the memory the
    comparison holds by its own count, seconds from now). Returns (report, the older story's
    folder for replay commands, or None when it was a temporary unpacking); raises
    since.SinceError when the older version cannot be had or does not compile."""
    deadline = time.perf_counter() + max_seconds
    with tempfile.TemporaryDirectory(prefix="chronicle-since-") as tmp:
        old_root = since_mod.old_version_root(Path(root), since, Path(tmp))
        old, diags = compiler.compile_story(old_root)
        if old is None:
            errors = [d for d in diags if d.is_error]
            raise since_mod.SinceError(
                f"the version at '{since}' does not compile ({len(errors)} error"
                f"{'s' if len(errors) != 1 else ''}; first: "
                f"{errors[0].render().splitlines()[0]})"
            )
        report = since_mod.compare(old, new, max_pairs=max_pairs, max_memory_mib=max_memory_mib, deadline=deadline)
        if old_root == Path(since):
            return report, str(old_root)
        since_mod.name_revision_files(report, old_root, Path(root), since)
        return report, None
