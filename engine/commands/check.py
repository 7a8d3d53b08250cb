"""`chronicle check`: load, compile and prove the story; exit 0 clean, 1 problems.

`--random N --seed S` plays seeded random playthroughs instead of exploring every state
(`engine.check.sample`); the arguments and the printing of both modes live here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..check.report import render_json, render_text
from ..check.sample import sample
from ..check.sample_report import render_text as render_sample
from ..check.sample_report import to_json as sample_json
from ..check.since import SinceError
from ..check.since import render_json as since_json
from ..check.since import render_text as since_text
from ..checkrun import check_folder, check_since, empty_summary
from ..compile import compile_story_partial
from ..diagnostics import has_errors
from ..link import CompiledFormatError, is_compiled, load
from .common import add_budget_args, add_max_states_arg, add_story_arg, fail, positive_int, story_root


def register(sub) -> None:
    p = sub.add_parser(
        "check",
        help="prove the story consistent: every branch ends, canon matches history",
        description="Check the story: schemas, names and types, then every reachable state of every "
        "chapter, the canonical path and history.",
    )
    add_story_arg(p)
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    add_max_states_arg(p, "stopping there is an error")
    add_budget_args(p)
    p.add_argument("--static", action="store_true", help="only the static checks (no exploration)")
    p.add_argument(
        "--engine",
        choices=["auto", "explicit", "symbolic"],
        default="auto",
        help="how states are explored: one by one (explicit), as sets of states (symbolic), or whichever "
        "suits each chapter (auto, the default)",
    )
    p.add_argument(
        "--verbose", action="store_true", help="say which engine explored each chapter, and which BDD library"
    )
    _add_random_arguments(p)
    p.add_argument(
        "--since",
        metavar="REV|DIR",
        help="which saves of an older version break: REV is a git revision of the story (HEAD~1, a tag), "
        "DIR a folder holding a copy of the older story",
    )
    from ..check.since import DEFAULT_MAX_PAIRS

    p.add_argument(
        "--max-pairs",
        type=positive_int,
        default=DEFAULT_MAX_PAIRS,
        metavar="N",
        help=f"with --since: stop comparing after N pairs of old and new states (default {DEFAULT_MAX_PAIRS:,}); "
        "--max-memory and --max-seconds bind it too",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    if args.random is not None or args.since is not None:
        story = _whole_story(args)
        if story is None:
            return 1
        return _run_random(story, args) if args.random is not None else _run_since(story, args)
    progress = _progress_bar(args) if args.format == "text" and not args.static else None
    try:
        result = check_folder(
            story_root(args),
            max_states=args.max_states,
            max_memory_mib=args.max_memory,
            max_seconds=args.max_seconds,
            story_arg=str(args.story) if args.story else None,
            static=args.static,
            progress=progress.update if progress else None,
            stopped=progress.stopped if progress else None,
            engine=args.engine,
        )
    except CompiledFormatError as exc:
        return fail(str(exc))
    finally:
        if progress:
            progress.close()
    if args.format == "json":
        print(render_json(result.diagnostics, result.summary))
    else:
        if args.verbose:
            print(_engines_said(result.summary))
        print(render_text(result.diagnostics, result.summary))
    return 1 if result.summary["errors"] else 0


def _engines_said(summary: dict) -> str:
    from ..check.engines import backend

    lines = [f"symbolic explorer's BDD library: dd.{backend()}"]
    for cid, engine in summary.get("engines", {}).items():
        lines.append(f"chapter {cid}: {engine} engine")
    return "\n".join(lines)


def _progress_bar(args):
    if not sys.stderr.isatty():
        return None
    from ..check.progress import LazyProgress

    return LazyProgress(args.max_states, args.max_memory, args.max_seconds)


# ---- --random N: seeded random playthroughs instead of exploring every state ----------------


def _add_random_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("random play (instead of exploring every state)")
    g.add_argument(
        "--random",
        type=_count,
        default=None,
        metavar="N",
        help="play N seeded random playthroughs of the whole story and report coverage",
    )
    g.add_argument(
        "--seed", type=int, default=0, metavar="S", help="random seed (default 0); same seed, same playthroughs"
    )
    g.add_argument(
        "--max-steps",
        type=_count,
        default=None,
        metavar="N",
        help="choices one playthrough may take in a chapter before it counts as a loop "
        "(default 1,000 + 10 per node of the chapter)",
    )
    g.add_argument("--coverage", action="store_true", help="list every node and choice with how often it was reached")


def _whole_story(args):
    """The story, compiled whole, for the modes that play it (--random, --since); None, with
    check's report of why printed, when it does not compile."""
    t0 = time.perf_counter()
    if is_compiled(story_root(args)):
        try:
            return load(story_root(args))
        except CompiledFormatError as exc:
            fail(str(exc))
            return None
    story, diags, _partial = compile_story_partial(story_root(args))
    if story is not None and not has_errors(diags):
        return story
    summary = empty_summary()
    summary["errors"] = sum(1 for d in diags if d.is_error)
    summary["warnings"] = sum(1 for d in diags if not d.is_error)
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    print(render_json(diags, summary) if args.format == "json" else render_text(diags, summary))
    return None


def _run_random(story, args) -> int:
    rep = sample(
        story, args.random, args.seed, max_steps=args.max_steps, story_arg=str(args.story) if args.story else None
    )
    if args.format == "json":
        print(json.dumps(sample_json(rep), indent=2))
    else:
        print(render_sample(rep, counts=args.coverage))
    return 0 if rep.ok else 1


def _count(text: str) -> int:
    """An argparse type: a whole number of at least 1, written with or without separators."""
    try:
        n = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


# ---- --since REV|DIR: which saves of an older version an edit breaks -------------------------


def _run_since(story, args) -> int:
    try:
        report, old_arg = check_since(
            story.root,
            story,
            args.since,
            max_pairs=args.max_pairs,
            max_memory_mib=args.max_memory,
            max_seconds=args.max_seconds,
        )
    except SinceError as exc:
        print(f"chronicle check: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(since_json(report, args.since), indent=2))
    else:
        sys.stdout.write(since_text(report, args.since, old_arg))
    return 0 if not report.breaks and report.complete else 1
