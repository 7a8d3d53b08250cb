"""`chronicle graph [CHAPTER]`: a chapter's map (or every chapter's) as Mermaid, DOT or SVG."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import files
from ..authoring import AuthoringError
from ..authoring.graph import build_maps, render_dot, render_markdown, render_mermaid, render_svg
from .common import add_max_states_arg, add_story_arg, open_story


def register(sub) -> None:
    p = sub.add_parser(
        "graph",
        help="draw a chapter's map (Mermaid, Graphviz DOT or SVG)",
        description="Draw the map of a chapter, or of every chapter: nodes with id and date, endings "
        "shaped by kind, the canonical path heavier, conditions and effects on the edges, "
        "the nodes `chronicle check` finds problems in outlined in red, flavour choices dashed and "
        "corridors of single-choice nodes shaded.",
    )
    p.add_argument("chapter", nargs="?", metavar="CHAPTER", help="the chapter to draw (default: all of them)")
    add_story_arg(p)
    p.add_argument(
        "--format",
        choices=["mermaid", "dot", "svg"],
        default="mermaid",
        help="mermaid (default; with -o FILE.md, one fenced block per chapter), dot, or svg (needs Graphviz's dot)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--text", action="store_true", help="put each choice's text on its edge too")
    p.add_argument("--no-check", action="store_true", help="do not run the checker (no problem markers; faster)")
    add_max_states_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    story = open_story(args)
    diagnostics, choices = [], None
    if not args.no_check:
        from ..check import check_story
        from ..check.choices import analyse_choices

        diagnostics = check_story(story, max_states=args.max_states).diagnostics
        choices = analyse_choices(story, max_states=args.max_states)
    data: str | bytes  # SVG comes back from Graphviz as bytes, written as they are
    try:
        maps = build_maps(story, args.chapter, diagnostics, with_text=args.text, choices=choices)
        title = story.title if args.chapter is None else f"{story.title}: {story.chapter(args.chapter).title}"
        if args.format == "mermaid":
            if args.output and args.output.lower().endswith((".md", ".markdown")):
                data = f"# {story.title}\n\n" + render_markdown(maps)
            else:
                data = render_mermaid(maps, title)
        else:
            data = render_dot(maps, title)
            if args.format == "svg":
                data = render_svg(data)
    except AuthoringError as exc:
        print(f"chronicle graph: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if args.output:
        path = Path(args.output)
        files.write(path, data)  # a failure is one FileError, which cli.main prints
        flagged = sum(1 for m in maps for n in m.nodes if n.findings)
        print(
            f"wrote {path}" + (f" ({flagged} node{'s' if flagged != 1 else ''} flagged by check)" if flagged else ""),
            file=sys.stderr,
        )
    elif isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data)
    return 0
