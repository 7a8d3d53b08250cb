"""`chronicle schema chapter|story|history|compiled`: print a shipped JSON Schema."""
from __future__ import annotations

from .common import add_story_arg


def register(sub) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of a chapter, the story manifest, the history or the compiled story")
    p.add_argument("kind", choices=["chapter", "story", "history", "compiled"])
    add_story_arg(p)  # accepted like everywhere; the schemas are the engine's, the same for every story
    p.set_defaults(func=run)


def run(args) -> int:
    from ..schema import schema_text  # imported here: jsonschema is slow to import and play never needs it
    print(schema_text(args.kind))
    return 0
