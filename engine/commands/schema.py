"""`chronicle schema chapter|story|history|compiled`: print a shipped JSON Schema; `chronicle schema --install`: copy
them into the story folder, where a story's `$schema` lines can point and survive a copy."""

from __future__ import annotations

from .common import add_story_arg, fail, story_root


def register(sub) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of a chapter, the story manifest, the history or the compiled story",
        description="Print a shipped JSON Schema, or with --install copy them all into the story "
        "folder (schemas/), so editors find them from files that say "
        "`# yaml-language-server: $schema=../schemas/chapter.schema.json`.",
    )
    p.add_argument("kind", nargs="?", choices=["chapter", "story", "history", "compiled"])
    p.add_argument(
        "--install",
        action="store_true",
        help="write the schemas into the story folder's schemas/ (again, to bring them up to date)",
    )
    add_story_arg(p)  # the schemas are the engine's, the same for every story; --install writes into it
    p.set_defaults(func=run)


def run(args) -> int:
    # imported here: jsonschema is slow to import and play never needs it
    from ..authoring import AuthoringError
    from ..authoring.new import install_schemas
    from ..schema import schema_text

    if args.install:
        root = story_root(args)
        try:
            written = install_schemas(root)
        except AuthoringError as exc:
            return fail(exc.message, exc.exit_code)
        for path in written:
            print(f"wrote {path}")
        print(
            "point a story file at its schema on its first line, e.g. in chapters/ID.yaml:\n"
            "  # yaml-language-server: $schema=../schemas/chapter.schema.json"
        )
        return 0
    if args.kind is None:
        return fail("name a schema (chapter, story, history or compiled), or use --install", 2)
    print(schema_text(args.kind))
    return 0
