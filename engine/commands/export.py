"""`chronicle export json|web`: the compiled story for other runtimes."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import files
from .common import add_story_arg, open_story


def register(sub) -> None:
    p = sub.add_parser(
        "export",
        help="write the compiled story as JSON, or as a web site that plays it",
        description="Write the compiled story for other runtimes: `json` is the versioned compiled "
        "form (see `chronicle schema compiled`); `web OUT/` a static site that plays in a browser.",
    )
    what = p.add_subparsers(dest="what", metavar="json|web")
    j = what.add_parser("json", help="the compiled story as versioned JSON")
    j.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    j.add_argument("--indent", type=int, default=None, metavar="N", help="pretty-print with N spaces")
    add_story_arg(j, nested=True)
    j.set_defaults(func=run_json)
    w = what.add_parser(
        "web", help="a self-contained static site: index.html, story.js, runtime.js, reader.js, style.css"
    )
    w.add_argument("out", metavar="OUT", type=Path, help="the folder to write the site into")
    add_story_arg(w, nested=True)
    w.set_defaults(func=run_web)
    add_story_arg(p)
    p.set_defaults(func=lambda args: (p.print_usage(sys.stderr), 2)[1])


def run_json(args) -> int:
    from ..export.compiled import dumps

    text = dumps(open_story(args), indent=args.indent) + "\n"
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return 0
    size = files.write(args.output, text)  # a failure is one FileError, which cli.main prints
    print(f"wrote {args.output} ({size:,} bytes)", file=sys.stderr)
    return 0


def run_web(args) -> int:
    from ..export.web import export_web

    story = open_story(args)
    site = export_web(story, args.out)
    for name, size in site.sizes.items():
        print(f"  {name:<13} {size:>10,} bytes")
    print(f"wrote {site.folder}/ ({site.total:,} bytes in {len(site.sizes)} files); open {site.folder / 'index.html'}")
    return 0
