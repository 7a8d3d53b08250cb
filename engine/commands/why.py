"""`chronicle why CHAPTER:NODE[:CHOICE]`: the shortest way there, or what blocks it."""

from __future__ import annotations

import json
import sys

from ..authoring import AuthoringError
from ..authoring.why import render_text, why
from .common import add_max_states_arg, add_story_arg, open_story, parse_sets


def register(sub) -> None:
    p = sub.add_parser(
        "why",
        help="how play reaches a node or choice, or which conditions block it",
        description="Explain how play reaches CHAPTER:NODE (or choice CHOICE of that node, counted "
        "in the node's list from 1): the shortest path, the flags on arrival and a "
        "replay command; or, when nothing reaches it, which conditions block it and the "
        "flag values they would need. Exit 0 when it is reached, 1 when it is not.",
    )
    p.add_argument("target", metavar="CHAPTER:NODE[:CHOICE]", help="for example storm:lamp or storm:lamp:2")
    add_story_arg(p)
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    p.add_argument(
        "--set",
        metavar="FLAG=VALUE",
        action="append",
        help="start the chapter with this story-wide flag value, as play --set does (repeatable)",
    )
    add_max_states_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    story = open_story(args)
    try:
        ans = why(
            story,
            args.target,
            story_arg=str(args.story) if args.story else None,
            max_states=args.max_states,
            sets=parse_sets(args.set),
        )
    except AuthoringError as exc:
        print(f"chronicle why: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if args.format == "json":
        print(json.dumps(ans.to_json(), indent=2))
    else:
        sys.stdout.write(render_text(ans))
    return 0 if ans.reached else 1
