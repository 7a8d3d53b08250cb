"""`chronicle stats [CHAPTER]`: sizes, reading time, path lengths and flag use, per chapter."""

from __future__ import annotations

import json
import sys

from ..authoring.stats import render_json, render_text, story_stats
from ..check.choices import analyse_choices
from ..check.choices import render_json as choices_json
from ..check.choices import render_text as choices_text
from .common import add_budget_args, add_max_states_arg, add_story_arg, open_story, usage_error


def register(sub) -> None:
    p = sub.add_parser(
        "stats",
        help="per chapter: nodes, choices, endings, words, reading time, path lengths, flags",
        description="Per chapter: nodes, choices, endings by kind, words of node text, reading time "
        "(230 words a minute), the shortest and longest path to an ending in choices "
        "(over the explored states), and where each flag is read and written.",
    )
    p.add_argument("chapter", nargs="?", metavar="CHAPTER", help="only this chapter")
    add_story_arg(p)
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    p.add_argument("--static", action="store_true", help="measure paths on the node graph, without exploring states")
    p.add_argument(
        "--choices",
        action="store_true",
        help="does each choice matter? decision points, branching, echoes and flavour per choice, "
        "corridors of single-choice nodes, and the words read to reach each ending",
    )
    add_max_states_arg(p)
    add_budget_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    story = open_story(args)
    if args.chapter and not story.has_chapter(args.chapter):
        usage_error(f"there is no chapter '{args.chapter}' (chapters: {', '.join(c.id for c in story.chapters)})")
    if args.choices:
        result = analyse_choices(
            story,
            args.chapter,
            max_states=args.max_states,
            max_memory_mib=args.max_memory,
            max_seconds=args.max_seconds,
        )
        if args.format == "json":
            print(json.dumps(choices_json(story, result), indent=2))
        else:
            sys.stdout.write(choices_text(story, result))
        return 0
    stats = story_stats(
        story,
        args.chapter,
        explore=not args.static,
        max_states=args.max_states,
        max_memory_mib=args.max_memory,
        max_seconds=args.max_seconds,
    )
    if args.format == "json":
        print(json.dumps(render_json(story, stats), indent=2))
    else:
        sys.stdout.write(render_text(story, stats))
    return 0
