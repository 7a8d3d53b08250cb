"""`chronicle variants CHAPTER:NODE`: every distinct rendering of a node, and when it shows."""

from __future__ import annotations

import json
import sys

from ..authoring import AuthoringError
from ..authoring.variants import render_text, variants
from .common import add_max_states_arg, add_story_arg, open_story


def register(sub) -> None:
    p = sub.add_parser(
        "variants",
        help="every distinct rendering of a node's text and choices, and when each is shown",
        description="List every distinct way CHAPTER:NODE reads (its text and the choices on offer) "
        "across the states play reaches it in, each with the fewest flag values that produce it, "
        "the facts broken there and a replay. Exact over the explored states.",
    )
    p.add_argument("target", metavar="CHAPTER:NODE", help="for example storm:lamp")
    add_story_arg(p)
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    add_max_states_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    story = open_story(args)
    try:
        nv = variants(story, args.target, story_arg=str(args.story) if args.story else None, max_states=args.max_states)
    except AuthoringError as exc:
        print(f"chronicle variants: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if args.format == "json":
        print(json.dumps(nv.to_json(), indent=2))
    else:
        sys.stdout.write(render_text(nv))
    return 0 if nv.reached else 1
