"""`chronicle export json`: the compiled story as versioned JSON, and the Python runtime
playing it, so the format is proved by the runtime that defines it."""

from __future__ import annotations

import dataclasses
import io
import json

import jsonschema
import pytest
from conftest import TOUR, no_traceback, run_cli
from test_transcripts import ENTRIES, HERE, ROOT, _name, expected, path_for

from engine import link, load_story, model
from engine.export import compiled
from engine.export.web import FILES, export_web
from engine.schema import schema_for
from engine.transcript import TextPlayer


@pytest.fixture(scope="module")
def story():
    return load_story(ROOT)


@pytest.fixture(scope="module")
def exported(story):
    return compiled.to_json(story)


def _same(a, b):
    bare = {"root": "", "warnings": (), "sources": {}}
    return dataclasses.replace(a, **bare) == dataclasses.replace(b, **bare)


@pytest.mark.parametrize("root", [ROOT, TOUR], ids=["real", "tour"])
def test_loading_the_export_gives_back_the_compiled_story(root):
    story = load_story(root)
    again = compiled.from_json(json.loads(compiled.dumps(story)))
    assert _same(again, story)


def test_the_export_is_versioned_and_hashed(exported, story):
    assert exported["format"] == "chronicle-compiled" and exported["version"] == compiled.VERSION
    assert exported["content_hash"] == compiled.content_hash(exported["story"])
    assert exported["story"]["content_hash"] == story.content_hash  # what saved games name
    # Expressions are the compiler's trees, not source text to parse again.
    choice = next(c for ch in story.chapters for n in ch.nodes.values() for c in n.choices if c.condition is not None)
    data = exported["story"]["chapters"][
        [c.id for c in story.chapters].index(
            next(ch.id for ch in story.chapters if any(c is choice for n in ch.nodes.values() for c in n.choices))
        )
    ]
    node = next(n for n in data["nodes"].values() if any(c.get("condition") for c in n.get("choices", ())))
    cond = next(c["condition"] for c in node["choices"] if c.get("condition"))
    assert cond["$"] in {"Var", "Not", "BoolOp", "Compare", "Seen", "Lit", "Arith", "Neg"}


def test_the_export_matches_the_shipped_schema(exported):
    jsonschema.Draft202012Validator(schema_for("compiled")).validate(exported)


def test_chronicle_schema_compiled_prints_the_schema():
    proc = run_cli("schema", "compiled")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["properties"]["format"] == {"const": "chronicle-compiled"}


@pytest.mark.parametrize("entry", ENTRIES, ids=_name)
def test_the_json_plays_the_golden_transcripts(exported, entry):
    story = compiled.from_json(json.loads(json.dumps(exported)))
    first, numbers = path_for(story, entry)
    out, queue = io.StringIO(), list(numbers)
    TextPlayer(story, out).run(first, lambda s: queue.pop(0) if queue else None, lambda: False)
    assert out.getvalue() == expected(story, entry)


@pytest.mark.slow  # the real command three or more times, each a process of its own
def test_export_json_then_play_it_from_the_command_line(tmp_path):
    target = tmp_path / "story.json"
    proc = run_cli("export", "json", "-o", target)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["format"] == "chronicle-compiled"
    played = run_cli("play", "--story", target, "--canon", "--chapter", "riyadh-1980")
    assert played.returncode == 0, played.stderr
    assert played.stdout == (HERE / "riyadh-1980--canon.txt").read_text(encoding="utf-8")
    assert run_cli("export", "json").stdout == target.read_text(encoding="utf-8")


def test_every_closure_of_the_model_is_rebuilt_on_load():
    """A closure added to the model must be listed in compiled.CLOSURES, or a loaded story would lack it."""
    for name, cls in vars(model).items():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == model.__name__:
            for f in dataclasses.fields(cls):
                if not f.compare:
                    assert (name, f.name) in compiled.CLOSURES, (
                        f"{name}.{f.name} is not rebuilt by engine.export.compiled"
                    )


@pytest.mark.parametrize(
    "change,words",
    [
        (lambda d: d.update(version=compiled.VERSION + 1), "newer Chronicle"),
        (lambda d: d.update(format="something-else"), "not a compiled Chronicle story"),
        (lambda d: d["story"].update(title="Edited"), "content hash does not match"),
        (lambda d: d.update(version="1"), "damaged"),
    ],
)
def test_a_file_that_cannot_be_played_is_refused_plainly(exported, tmp_path, change, words):
    data = json.loads(json.dumps(exported))
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(compiled.CompiledFormatError) as err:
        compiled.load(path)
    assert words in str(err.value) and str(err.value).startswith(f"{path}:1:1: ")
    proc = run_cli("play", "--story", path, "--canon")
    assert proc.returncode == 1 and words in proc.stderr and str(path) in proc.stderr
    no_traceback(proc)


def test_an_unknown_kind_of_object_is_refused_not_guessed(exported):
    data = json.loads(json.dumps(exported))
    data["story"]["chapters"][0]["nodes"][data["story"]["chapters"][0]["start"]]["text"][0]["$"] = "Hologram"
    data["content_hash"] = compiled.content_hash(data["story"])
    with pytest.raises(compiled.CompiledFormatError, match="Hologram"):
        compiled.from_json(data)


def test_broken_json_names_the_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "chronicle-compiled",\n  "version": }', encoding="utf-8")
    proc = run_cli("play", "--story", path, "--canon")
    assert proc.returncode == 1 and f"{path}:2:" in proc.stderr
    no_traceback(proc)


def test_export_web_writes_a_small_self_contained_site(story, tmp_path):
    site = export_web(story, tmp_path / "site")
    assert sorted(p.name for p in site.folder.iterdir()) == sorted(FILES)
    assert site.total < 1_500_000
    for name in FILES:
        body = (site.folder / name).read_text(encoding="utf-8")
        assert "http://" not in body and "https://" not in body and "//cdn" not in body, (
            f"{name} reaches for the network"
        )
    proc = run_cli("export", "web", tmp_path / "cli-site")
    assert proc.returncode == 0, proc.stderr
    assert "story.js" in proc.stdout and "bytes" in proc.stdout
    assert (tmp_path / "cli-site" / "index.html").is_file()


def test_export_web_into_a_file_is_refused(tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    proc = run_cli("export", "web", target)
    assert proc.returncode == 1 and "not a folder" in proc.stderr
    no_traceback(proc)


@pytest.mark.parametrize("how", ["loaded", "compiled"])
def test_every_closure_is_there_after_loading_wherever_it_sits(exported, story, how):
    """Wherever a tree sits in the model (a node, a choice, the epilogue, a fact), the linker
    gives it its closure, for a story loaded from JSON and one compiled from YAML alike: a part
    with a condition but no test would show text it must not."""
    linked = compiled.from_json(json.loads(json.dumps(exported))) if how == "loaded" else story
    stack, checked = [linked], 0
    while stack:
        x = stack.pop()
        if isinstance(x, (tuple, list)):
            stack.extend(x)
        elif hasattr(x, "values") and callable(x.values) and not dataclasses.is_dataclass(x):
            stack.extend(x.values())
        elif dataclasses.is_dataclass(x) and type(x) in link.TAGS:
            for (cname, fn_field), tree_field in link.CLOSURES.items():
                if link.TAGS[type(x)] == cname and getattr(x, tree_field, None) is not None:
                    assert getattr(x, fn_field) is not None, f"{cname}.{fn_field} missing after {how}"
                    checked += 1
            stack.extend(getattr(x, f.name) for f in dataclasses.fields(x) if f.compare)
    assert checked > 100


def test_a_version_1_export_still_plays(exported):
    """Version 2 added calls and choice labels; a story exported as version 1 has neither and
    plays as it did."""
    older = dict(json.loads(json.dumps(exported)), version=1)
    story = compiled.from_json(older)
    first, numbers = path_for(story, ENTRIES[0])
    out, queue = io.StringIO(), list(numbers)
    TextPlayer(story, out).run(first, lambda s: queue.pop(0) if queue else None, lambda: False)
    assert out.getvalue() == expected(story, ENTRIES[0])


@pytest.mark.parametrize("where", ["before", "after"])
def test_export_story_names_the_story_before_or_after_the_kind(where, tmp_path):
    """`export --story DIR json` exported the built-in story: the subcommand's default for
    --story overwrote the value given to `export` itself."""
    args = ["export", "--story", TOUR, "json"] if where == "before" else ["export", "json", "--story", TOUR]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["story"]["title"] == load_story(TOUR).title != load_story(ROOT).title
    site = tmp_path / "site"
    web = run_cli("export", "--story", TOUR, "web", site)
    assert web.returncode == 0, web.stderr
    assert load_story(TOUR).title in (site / "story.js").read_text(encoding="utf-8")


def test_check_story_checks_a_compiled_story(tmp_path):
    """`check --story x.json` said "no story manifest at x.json/story/story.yaml", though its
    --help says --story takes a compiled story: it now checks the story in the file."""
    target = tmp_path / "tour.json"
    assert run_cli("export", "json", "--story", TOUR, "-o", target).returncode == 0
    from_json = run_cli("check", "--story", target, "--format", "json")
    from_yaml = run_cli("check", "--story", TOUR, "--format", "json")
    assert from_json.returncode == 0, from_json.stderr
    mine, theirs = json.loads(from_json.stdout)["summary"], json.loads(from_yaml.stdout)["summary"]
    assert (mine["chapters"], mine["nodes"], mine["states"]) == (theirs["chapters"], theirs["nodes"], theirs["states"])
    assert "no story manifest" not in from_json.stderr
    damaged = tmp_path / "damaged.json"
    damaged.write_text(
        target.read_text(encoding="utf-8").replace(f'"version":{compiled.VERSION}', '"version":99', 1), encoding="utf-8"
    )
    refused = run_cli("check", "--story", damaged)
    assert refused.returncode == 1 and "newer Chronicle" in refused.stderr
    no_traceback(refused)
