"""`chronicle proof CHAPTER`: every variant of every node, as one document for a proofreader."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import files
from ..authoring import AuthoringError
from ..authoring.variants import nodes_changed_since, proof, render_html, render_markdown
from .common import add_max_states_arg, add_story_arg, open_story


def register(sub) -> None:
    p = sub.add_parser(
        "proof",
        help="the whole chapter's variants as one document for a human proofreader",
        description="Write every distinct rendering of every node of CHAPTER, in the order the file "
        "writes them, each once, with a count of variants per node: Markdown, or HTML when FILE ends "
        "in .html. --changed-since REV keeps the nodes whose renderings an edit changed.",
    )
    p.add_argument("chapter", metavar="CHAPTER")
    add_story_arg(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (.md or .html) instead of standard output")
    p.add_argument(
        "--changed-since",
        metavar="REV",
        help="only the nodes whose renderings differ from REV (a git revision, or a story folder)",
    )
    add_max_states_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    story = open_story(args)
    arg = str(args.story) if args.story else None
    try:
        only = None
        if args.changed_since:
            if not story.has_chapter(args.chapter):
                raise AuthoringError(f"there is no chapter '{args.chapter}'", 2)
            only = nodes_changed_since(story, args.chapter, args.changed_since, args.max_states)
        doc = proof(story, args.chapter, arg, args.max_states, only, args.changed_since)
    except AuthoringError as exc:
        print(f"chronicle proof: {exc.message}", file=sys.stderr)
        return exc.exit_code
    as_html = bool(args.output) and args.output.lower().endswith((".html", ".htm"))
    data = render_html(doc) if as_html else render_markdown(doc)
    if args.output:
        path = Path(args.output)
        files.write(path, data)
        total = sum(len(n.variants) for n in doc.nodes)
        print(f"wrote {path} ({len(doc.nodes)} nodes, {total} variants)", file=sys.stderr)
    else:
        sys.stdout.write(data)
    return 0
