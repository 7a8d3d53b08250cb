"""Editors: every story file names its shipped schema on its first line, and the schemas
describe every key with a description and examples (for hover text and completion)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.schema import KINDS, schema_path

ROOT = Path(__file__).resolve().parent.parent


def keyed_subschemas(schema: dict, where: str = ""):
    """(path, subschema) for every key an author writes: properties, through $defs, items and
    combinators, but not the if/then/else branches that only add constraints."""
    if not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        yield f"{where}.{name}", sub
        yield from keyed_subschemas(sub, f"{where}.{name}")
    for name, sub in schema.get("$defs", {}).items():
        yield from keyed_subschemas(sub, f"$defs.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from keyed_subschemas(schema[key], f"{where}[{key}]")
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(schema.get(key, ())):
            if "if" not in sub:
                yield from keyed_subschemas(sub, f"{where}[{key}{i}]")


@pytest.mark.parametrize("kind", KINDS)
def test_every_key_has_a_description_and_examples(kind):
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    lacking = [path for path, sub in keyed_subschemas(schema) if not (sub.get("description") and sub.get("examples"))]
    assert lacking == [], f"keys of the {kind} schema without a description or examples: {lacking}"


def story_files():
    for path in sorted((ROOT / "chapters").glob("*.yaml")):
        yield path, "chapter"
    for name, kind in (("story.yaml", "story"), ("history.yaml", "history")):
        if (ROOT / "story" / name).is_file():
            yield ROOT / "story" / name, kind


@pytest.mark.parametrize("path, kind", list(story_files()), ids=lambda x: getattr(x, "name", x))
def test_story_files_name_their_schema(path, kind):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), f"{path.relative_to(ROOT)} should start with `{prefix}...`"
    assert (path.parent / first[len(prefix) :]).resolve() == schema_path(kind).resolve()


def test_the_tour_carries_current_schemas_so_a_copy_keeps_its_editor_support():
    """The tour story points at its own schemas/ (relative, inside the folder), so a copy of the
    folder anywhere still finds them; they must be the shipped ones."""
    tour = ROOT / "tests" / "stories" / "tour"
    for kind in KINDS:
        installed = tour / "schemas" / f"{kind}.schema.json"
        assert installed.read_bytes() == schema_path(kind).read_bytes(), (
            f"{installed.relative_to(ROOT)} is older than the engine's schema: "
            "run `chronicle schema --install --story tests/stories/tour`"
        )
    prefix = "# yaml-language-server: $schema="
    for path in sorted(tour.rglob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(prefix), path
        target = (path.parent / first[len(prefix) :]).resolve()
        assert target.is_relative_to(tour.resolve()) and target.is_file(), path
