"""The compiled-story cache: unchanged files load from <story>/.cache/chronicle/, with the same results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine import cache, loader
from engine.compile import compile_story

TOUR = Path(__file__).resolve().parent / "stories" / "tour"


@pytest.fixture
def story(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("CHRONICLE_CACHE", raising=False)
    root = tmp_path / "tour"
    shutil.copytree(TOUR, root, ignore=shutil.ignore_patterns(".cache"))
    # a few compile errors, so there are positions to compare
    storm = root / "chapters" / "storm.yaml"
    storm.write_text(storm.read_text().replace("goto: dawn", "goto: dusk").replace("if: oil > 0", "if: oil > true"))
    return root


def entries(root: Path) -> list[Path]:
    return sorted(cache.cache_dir(root).glob("*.json"))


def no_yaml(monkeypatch):
    """Make reading YAML fail, to prove a run took everything from the cache."""

    def refuse(*a, **k):
        raise AssertionError("YAML was read although the cache holds this file")

    monkeypatch.setattr(loader, "load_file", refuse)


def test_a_cached_run_gives_the_same_diagnostics_and_positions(story, monkeypatch):
    _, first = compile_story(story)
    assert {d.code for d in first} >= {"unknown-node", "expr-type"}
    assert len(entries(story)) == 4  # manifest, history and both chapters
    no_yaml(monkeypatch)
    _, second = compile_story(story)
    assert second == first
    assert [(str(d.pos), d.message, d.hint) for d in second] == [(str(d.pos), d.message, d.hint) for d in first]


def test_a_cached_story_is_the_same_story(story, monkeypatch):
    storm = story / "chapters" / "storm.yaml"
    storm.write_text((TOUR / "chapters" / "storm.yaml").read_text())  # clean again
    first, diags = compile_story(story)
    assert first is not None and diags == []
    no_yaml(monkeypatch)
    second, _ = compile_story(story)
    assert second.content_hash == first.content_hash
    for a, b in zip(first.chapters, second.chapters):
        assert a.pos == b.pos and a.flags == b.flags and a.seen_bits == b.seen_bits
        for nid in a.nodes:
            x, y = a.nodes[nid], b.nodes[nid]
            assert (x.pos, x.choices, x.text, x.ending, x.shown_date) == (
                y.pos,
                y.choices,
                y.text,
                y.ending,
                y.shown_date,
            )


def test_positions_follow_the_current_folder_not_the_cached_one(story, monkeypatch):
    compile_story(story)
    monkeypatch.chdir(story)
    no_yaml(monkeypatch)
    _, diags = compile_story(Path("."))
    assert {d.pos.file for d in diags} == {"chapters/storm.yaml"}


def test_a_changed_file_misses_the_cache(story):
    compile_story(story)
    storm = story / "chapters" / "storm.yaml"
    was = [d for d in compile_story(story)[1] if d.code == "expr-type"][0].pos.line
    assert storm.read_text().splitlines()[was - 1].strip() == "if: oil > true"
    # two lines more at the top: every position below moves, and the old goto is fixed
    storm.write_text("# a comment\n# another\n" + storm.read_text().replace("goto: dusk", "goto: dawn"))
    _, diags = compile_story(story)
    assert "unknown-node" not in {d.code for d in diags}
    [d] = [d for d in diags if d.code == "expr-type"]
    assert d.pos.line == was + 2


def test_a_corrupt_cache_file_is_ignored_and_replaced(story):
    _, first = compile_story(story)
    damaged = {
        "garbage": lambda b: b"\x00\xff not json at all",
        "truncated": lambda b: b[: len(b) // 2],
        "flipped": lambda b: b[:-40] + bytes([b[-40] ^ 0x01]) + b[-39:],  # payload no longer matches its digest
        "empty": lambda b: b"",
        "foreign json": lambda b: b'{"format": "something-else"}\n{}',
    }
    for what, damage in damaged.items():
        for entry in entries(story):
            entry.write_bytes(damage(entry.read_bytes()))
        _, again = compile_story(story)
        assert again == first, what
        for entry in entries(story):  # rewritten whole
            header = json.loads(entry.read_bytes().split(b"\n", 1)[0])
            assert header["format"] == cache.FORMAT, what


def test_a_payload_that_matches_its_digest_but_not_the_file_is_not_used(story):
    """The key covers the file's bytes and the engine: a cache entry for other bytes is never taken."""
    compile_story(story)
    a, b = (cache._entry_path(story, story / "chapters" / n) for n in ("storm.yaml", "morning.yaml"))
    a.write_bytes(b.read_bytes())  # morning's (valid) entry where storm's should be
    _, diags = compile_story(story)
    assert {d.code for d in diags} >= {"unknown-node", "expr-type"}  # storm was read afresh


def test_a_new_engine_misses_the_cache(story, monkeypatch):
    compile_story(story)
    monkeypatch.setattr(cache, "engine_fingerprint", lambda: b"another engine")
    calls = []
    real = loader.load_file
    monkeypatch.setattr(loader, "load_file", lambda *a, **k: calls.append(a) or real(*a, **k))
    compile_story(story)
    assert len(calls) == 4


def test_files_with_problems_are_not_cached(story):
    (story / "chapters" / "morning.yaml").write_text("id: morning\ntitle: [unclosed\n")
    _, diags = compile_story(story)
    assert "yaml-syntax" in {d.code for d in diags}
    assert not cache._entry_path(story, story / "chapters" / "morning.yaml").exists()


def test_an_unwritable_cache_folder_is_silently_skipped(story):
    (story / ".cache").write_text("a file where the cache folder would go")
    _, diags = compile_story(story)
    assert {d.code for d in diags} >= {"unknown-node", "expr-type"}
    assert (story / ".cache").is_file()


def test_the_cache_can_be_turned_off(story, monkeypatch):
    monkeypatch.setenv("CHRONICLE_CACHE", "off")
    compile_story(story)
    assert not (story / ".cache").exists()


def test_the_cache_is_plain_json_and_ignored_by_git(story):
    compile_story(story)
    for entry in entries(story):
        head, payload = entry.read_bytes().split(b"\n", 1)
        assert json.loads(head)["format"] == cache.FORMAT
        assert isinstance(json.loads(payload)["data"], dict)
    assert (cache.cache_dir(story) / ".gitignore").read_text().splitlines()[-1] == "*"


def _forge(root: Path, chapter: str, edit) -> None:
    """Rewrite a cache entry's payload with `edit` and give it a matching digest, as an attacker
    who ships the story folder can (the key is a public hash of the file's bytes)."""
    import hashlib

    entry = next(p for p in entries(root) if chapter in p.name)
    head, _, payload = entry.read_bytes().partition(b"\n")
    body = json.loads(payload)
    edit(body["data"])
    payload = json.dumps(body).encode()
    header = json.loads(head)
    header["digest"] = hashlib.sha256(payload).hexdigest()
    entry.write_bytes(json.dumps(header).encode() + b"\n" + payload)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["nodes"][d["start"]].__setitem__("text", 12345),
        lambda d: d.__setitem__("id", "../../../../etc/passwd"),
        lambda d: d["nodes"][d["start"]]["choices"][0].__setitem__("goto", ["not", "an", "id"]),
    ],
)
def test_a_forged_cache_entry_does_not_skip_the_schema(story, edit):
    storm = story / "chapters" / "storm.yaml"
    storm.write_text((TOUR / "chapters" / "storm.yaml").read_text())
    first, diags = compile_story(story)
    assert first is not None and diags == []
    _forge(story, "storm", edit)
    again, diags = compile_story(story)  # the forged entry is ignored: the YAML is read afresh
    assert again is not None and diags == []
    assert again.chapter("storm").nodes == first.chapter("storm").nodes


def test_a_forged_position_is_no_position(story):
    compile_story(story)
    entry = next(p for p in entries(story) if "storm" in p.name)
    head, _, payload = entry.read_bytes().partition(b"\n")
    body = json.loads(payload)
    body["marks"] = {"id": "not a position", "nodes": 7}
    payload = json.dumps(body).encode()
    import hashlib

    header = json.loads(head)
    header["digest"] = hashlib.sha256(payload).hexdigest()
    entry.write_bytes(json.dumps(header).encode() + b"\n" + payload)
    _, diags = compile_story(story)  # no exception; diagnostics still carry a file
    assert diags and all(d.pos is not None for d in diags)


@pytest.mark.parametrize("which", [".cache", ".cache/chronicle"])
def test_a_symlinked_cache_folder_is_neither_written_nor_read(story, tmp_path, which):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = story / which
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(elsewhere, target_is_directory=True)
    compile_story(story)
    assert list(elsewhere.rglob("*.json")) == []
    assert entries(story) == []
