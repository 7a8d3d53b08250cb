"""Editors: every story file names its shipped schema on its first line, and the schemas
describe every key with a description and examples (for hover text and completion)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

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
    keys = list(keyed_subschemas(schema))
    lacking = [
        path
        for path, sub in keys
        if not (sub.get("description") and (sub.get("examples") or sub.get("x-chronicle-names")))
    ]
    assert lacking == [], f"keys of the {kind} schema without a description or examples: {lacking}"
    # Where the value is the story's own names, the shipped schema gives no examples (an editor
    # would offer them as if they were the author's); `schema --install` writes the story's own.
    foreign = [path for path, sub in keys if sub.get("x-chronicle-names") and "examples" in sub]
    assert foreign == [], f"keys of the {kind} schema with examples of somebody else's names: {foreign}"


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
    folder anywhere still finds them; they must be the shipped ones, with the tour's own names
    as the examples of the keys that hold names."""
    from engine.authoring.new import story_names, with_examples

    tour = ROOT / "tests" / "stories" / "tour"
    names = story_names(tour)
    assert names["node"], "the tour compiles, so its schemas carry its own names"
    for kind in KINDS:
        installed = tour / "schemas" / f"{kind}.schema.json"
        shipped = json.loads(schema_path(kind).read_text(encoding="utf-8"))
        assert json.loads(installed.read_text(encoding="utf-8")) == with_examples(shipped, names), (
            f"{installed.relative_to(ROOT)} is older than the engine's schema: "
            "run `chronicle schema --install --story tests/stories/tour`"
        )
    prefix = "# yaml-language-server: $schema="
    for path in sorted(tour.rglob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(prefix), path
        target = (path.parent / first[len(prefix) :]).resolve()
        assert target.is_relative_to(tour.resolve()) and target.is_file(), path


def test_installed_schemas_give_the_storys_own_names_as_examples(tmp_path):
    """`chronicle schema --install` on the real story: completion from the schema offers its own
    node ids, flags, fact ids and chapter ids, never somebody else's; every example validates."""
    from conftest import run_cli
    from jsonschema import Draft202012Validator

    for part in ("story", "chapters"):
        shutil.copytree(ROOT / part, tmp_path / part)
    proc = run_cli("schema", "--install", "--story", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    chapter = json.loads((tmp_path / "schemas" / "chapter.schema.json").read_text())
    story = json.loads((tmp_path / "schemas" / "story.schema.json").read_text())
    history = json.loads((tmp_path / "schemas" / "history.schema.json").read_text())
    nodes = {nid for p in (ROOT / "chapters").glob("*.yaml") for nid in yaml.safe_load(p.read_text())["nodes"]}
    facts = {f["id"] for f in yaml.safe_load((ROOT / "story" / "history.yaml").read_text())["facts"]}
    goto = chapter["$defs"]["choice"]["properties"]["goto"]["examples"]
    assert goto and set(goto) <= nodes
    assert set(chapter["$defs"]["assertions"]["examples"][0]) <= facts
    assert story["properties"]["chapters"]["examples"] == [["riyadh-1980", "syrian-front-1984", "tehran-1999"]]
    assert set(history["$defs"]["fact"]["properties"]["id"]["examples"]) <= facts
    flags = chapter["$defs"]["flagName"]["examples"]
    assert "us_stood_aside" in flags and "asked_americans" not in flags
    text = json.dumps([chapter, story, history])
    for foreign in ('"majlis"', '"embassy"', '"asked_americans"', '"border-holds"'):
        assert foreign not in text
    for schema in (chapter, story, history):
        Draft202012Validator.check_schema(schema)
        for path, sub in keyed_subschemas(schema):
            for example in sub.get("examples", []):
                check = Draft202012Validator({"$defs": schema["$defs"], **sub})
                assert check.is_valid(example), f"{path}: example {example!r} does not validate"
