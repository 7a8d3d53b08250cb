"""`chronicle check`: load, compile and prove the story; exit 0 clean, 1 problems."""
from __future__ import annotations

import sys
import time

from ..check import check_story
from ..check.report import render_json, render_text
from ..compiler import compile_story_partial
from ..diagnostics import has_errors
from .common import add_budget_args, add_max_states_arg, add_story_arg, story_root

# Options other modules add to `check` (e.g. --random sampling) register here:
# each is (add_arguments(parser), handles(args) -> bool, run(story, args) -> int).
EXTRA_MODES: list = []

from ..check.sample import MODE as _RANDOM_PLAY  # noqa: E402  (--random N --seed S)

EXTRA_MODES.append(_RANDOM_PLAY)

from ..check.since import MODE as _SINCE  # noqa: E402  (--since REV|DIR)

EXTRA_MODES.append(_SINCE)


def register(sub) -> None:
    p = sub.add_parser("check", help="prove the story consistent: every branch ends, canon matches history",
                       description="Check the story: schemas, names and types, then every reachable state of every "
                                   "chapter, the canonical path and history.")
    add_story_arg(p)
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    add_max_states_arg(p, "stopping there is an error")
    add_budget_args(p)
    p.add_argument("--static", action="store_true", help="only the static checks (no exploration)")
    for add, _handles, _run in EXTRA_MODES:
        add(p)
    p.set_defaults(func=run)


def run(args) -> int:
    t0 = time.perf_counter()
    root = story_root(args)
    story, diags, partial = compile_story_partial(root)
    summary = {"chapters": 0, "nodes": 0, "states": None, "errors": 0, "warnings": 0, "seconds": 0.0,
               "complete": True, "stopped_by": None}
    after_gap = frozenset()
    if story is None and partial is not None and not _other_mode(args):
        # Some chapters did not compile: check the ones that did, and say which were left out.
        story, after_gap = partial.story, partial.after_gap
        summary["unchecked"] = list(partial.broken)
        diags = [d for d in diags if d.is_error]  # the partial story carries the warnings again
    if story is not None and (partial is not None or not has_errors(diags)):
        for _add, handles, run_mode in EXTRA_MODES:
            if handles(args):
                return run_mode(story, args)
        summary.update(chapters=len(story.chapters), nodes=sum(len(c.nodes) for c in story.chapters))
        if not args.static:
            progress = _progress_bar(args) if args.format == "text" else None
            try:
                report = check_story(story, max_states=args.max_states,
                                     story_arg=str(args.story) if args.story else None,
                                     progress=progress.update if progress else None,
                                     max_memory_mib=args.max_memory, max_seconds=args.max_seconds,
                                     stopped=progress.stopped if progress else None, after_gap=after_gap)
            finally:
                if progress:
                    progress.close()
            diags = [d for d in diags if d.is_error] + report.diagnostics if partial else report.diagnostics
            summary.update(states=report.states, complete=report.complete, stopped_by=report.stopped_by)
            if report.unexplored:
                summary["unexplored"] = report.unexplored
        elif partial is not None:
            diags = diags + list(story.warnings)
    summary["errors"] = sum(1 for d in diags if d.is_error)
    summary["warnings"] = sum(1 for d in diags if not d.is_error)
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    if args.format == "json":
        print(render_json(diags, summary))
    else:
        print(render_text(diags, summary))
    return 1 if summary["errors"] else 0


def _other_mode(args) -> bool:
    return any(handles(args) for _add, handles, _run in EXTRA_MODES)


def _progress_bar(args):
    if not sys.stderr.isatty():
        return None
    from ..check.progress import LazyProgress
    return LazyProgress(args.max_states, args.max_memory, args.max_seconds)
