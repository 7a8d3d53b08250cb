"""`chronicle new chapter ID` / `chronicle new story DIR`: starter files that pass `check` at once."""

from __future__ import annotations

import sys

from ..authoring import AuthoringError
from ..authoring.new import new_chapter, new_story
from ..locate import display_path
from .common import add_story_arg, story_root


def register(sub) -> None:
    p = sub.add_parser(
        "new",
        help="start a new chapter or story from a template that checks clean",
        description="Write a starter chapter (or a whole story folder) that `chronicle check` passes at once.",
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=type(p))
    kinds.required = True
    c = kinds.add_parser(
        "chapter",
        help="write chapters/ID.yaml and add ID to story/story.yaml",
        description="Write chapters/ID.yaml (a start node, two choices, a canon and a personal "
        "ending, covering no facts yet) and add ID to the `chapters:` list of "
        "story/story.yaml, keeping its comments.",
    )
    c.add_argument("id", metavar="ID", help="the chapter id: lower-case words joined by '-', like riyadh-1980")
    add_story_arg(c)
    where = c.add_mutually_exclusive_group()
    where.add_argument("--after", metavar="ID", help="place it right after this chapter (default: at the end)")
    where.add_argument("--before", metavar="ID", help="place it right before this chapter")
    c.add_argument("--title", help="the chapter's title (default: from the id)")
    c.add_argument(
        "--period",
        metavar="FROM/TO",
        help="its in-world period, like 1980-06/1980-12 (default: where the chapter before it ends)",
    )
    c.set_defaults(func=run_chapter)
    s = kinds.add_parser(
        "story",
        help="create a minimal story folder in DIR",
        description="Create DIR/story/story.yaml, DIR/story/history.yaml (one placeholder fact), "
        "DIR/story/source.txt and one chapter; `chronicle check --story DIR` passes.",
    )
    s.add_argument("dir", metavar="DIR", help="the folder to create the story in (new or empty)")
    s.add_argument("--title", help="the story's title (default: from the folder name)")
    s.add_argument(
        "--chapter", metavar="ID", default="first-chapter", help="the first chapter's id (default first-chapter)"
    )
    s.add_argument("--period", metavar="FROM/TO", help="the first chapter's period (default: this year)")
    s.set_defaults(func=run_story)


def run_chapter(args) -> int:
    root = story_root(args)
    try:
        made = new_chapter(root, args.id, after=args.after, before=args.before, title=args.title, period=args.period)
    except AuthoringError as exc:
        print(f"chronicle new: {exc.message}", file=sys.stderr)
        return exc.exit_code
    story = f" --story {args.story}" if args.story else ""
    chapter, manifest = made.files
    print(f"created {display_path(chapter)}")
    print(f"added '{made.chapter_id}' to {display_path(manifest)} {made.place}")
    print("next:")
    print(f"  chronicle check{story}")
    print(f"  chronicle graph {made.chapter_id}{story}")
    print(f"  chronicle play{story} --chapter {made.chapter_id}")
    return 0


def run_story(args) -> int:
    try:
        made = new_story(args.dir, title=args.title, chapter_id=args.chapter, period=args.period)
    except AuthoringError as exc:
        print(f"chronicle new: {exc.message}", file=sys.stderr)
        return exc.exit_code
    for f in made.files:
        print(f"created {display_path(f)}")
    print("next:")
    print(f"  chronicle check --story {args.dir}")
    print(f"  chronicle new chapter ID --story {args.dir}")
    return 0
