"""`chronicle graph`: Mermaid and DOT that parse, endings by kind, the canonical path
heavier, conditions and effects on the edges, check findings marked; SVG through dot."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from authoring_helpers import LIGHTHOUSE, chronicle, cli, no_dot_env, parse_dot, parse_mermaid

from engine.authoring.graph import build_maps, mermaid_escape, render_dot, render_mermaid
from engine.compile import load_story
from tools import docs

HAVE_DOT = shutil.which("dot") is not None


@pytest.fixture(scope="module")
def tour_mermaid():
    done = chronicle("graph", "--story", LIGHTHOUSE)
    assert done.returncode == 0, done.stderr
    return parse_mermaid(done.stdout)


def test_mermaid_of_every_chapter(tour_mermaid):
    m = tour_mermaid
    assert [label for _id, label in m.subgraphs] == ["1. The Storm (storm)", "2. The Morning After (morning)"]
    assert len(m.nodes) == 11
    labels = {nid.split("__")[1]: (shape, label) for nid, (shape, label) in m.nodes.items()}
    # id and date on every node; the start marked
    assert labels["tower"] == ("box", "▶ tower<br/>1901-10-12")
    assert labels["dawn"] == ("stadium", "dawn<br/>1901-10-13<br/>The Lamp Burns (canon)")
    assert labels["asleep"][0] == "hexagon" and "(personal)" in labels["asleep"][1]
    assert labels["dark"][0] == "flag" and "(divergent)" in labels["dark"][1]
    # every choice is an edge; endings lead into the next chapter's start, dotted
    choices = [e for e in m.edges if e[1] != "-.->"]
    links = [e for e in m.edges if e[1] == "-.->"]
    assert len(choices) == 11
    assert sorted((a.split("__")[1], b.split("__")[1]) for a, _, _, b in links) == [
        ("asleep", "quay"),
        ("dark", "quay"),
        ("dawn", "quay"),
    ]
    # the canonical path is heavier, and only it
    heavy = sorted((a.split("__")[1], b.split("__")[1]) for a, arrow, _, b in m.edges if arrow == "==>")
    assert heavy == [("lamp", "dawn"), ("quay", "harbour"), ("stair", "lamp"), ("tower", "stair")]
    # conditions and effects on the edges, quotes escaped and read back intact
    by_pair = {(a.split("__")[1], b.split("__")[1]): label for a, _, label, b in choices}
    assert by_pair[("tower", "tower")] == "2 · if not asked_for_help · do asked_for_help = true; courage -= 1"
    assert by_pair[("quay", "rocks")] == '2 · if not lamp_lit · do weather = "calm"'
    assert by_pair[("stair", "lamp")] == "1 · if oil > 0 · do oil -= 1; courage += 1"
    assert set(m.classes["canon"]) == {"n_storm__dawn", "n_morning__harbour"}
    assert "flagged" not in m.classes  # the tour checks clean


def test_mermaid_of_one_chapter_and_markdown(tmp_path):
    done = chronicle("graph", "morning", "--story", LIGHTHOUSE)
    assert done.returncode == 0, done.stderr
    m = parse_mermaid(done.stdout)
    assert sorted(n.split("__")[1] for n in m.nodes) == ["harbour", "home", "quay", "rocks"]
    assert not m.subgraphs and all(arrow != "-.->" for _, arrow, _, _ in m.edges)
    out = tmp_path / "map.md"
    code, _, err = cli("graph", "--story", LIGHTHOUSE, "-o", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    blocks = text.split("```mermaid\n")[1:]
    assert len(blocks) == 2
    for block in blocks:
        parse_mermaid(block.split("```")[0])


def test_dot_parses(tmp_path):
    done = chronicle("graph", "--story", LIGHTHOUSE, "--format", "dot")
    assert done.returncode == 0, done.stderr
    d = parse_dot(done.stdout)
    assert d.clusters == ["cluster_storm", "cluster_morning"]
    assert len(d.nodes) == 11 and len(d.edges) == 11 + 3
    assert d.nodes["storm/tower"]["label"] == "▶ tower\n1901-10-12"
    assert d.nodes["storm/dawn"]["peripheries"] == "2"
    assert d.nodes["storm/asleep"]["shape"] == "hexagon" and d.nodes["storm/dark"]["shape"] == "cds"
    heavy = sorted((a, b) for a, b, attrs in d.edges if attrs.get("penwidth") == "3")
    assert heavy == [
        ("morning/quay", "morning/harbour"),
        ("storm/lamp", "storm/dawn"),
        ("storm/stair", "storm/lamp"),
        ("storm/tower", "storm/stair"),
    ]
    rocks = [attrs for a, b, attrs in d.edges if b == "morning/rocks"][0]
    assert rocks["label"] == '2 · if not lamp_lit · do weather = "calm"'


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed; the DOT is checked structurally above")
def test_dot_is_accepted_by_graphviz():
    done = chronicle("graph", "--story", LIGHTHOUSE, "--format", "dot")
    res = subprocess.run(["dot", "-Tsvg"], input=done.stdout, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed; its absence is tested below")
def test_svg(tmp_path):
    out = tmp_path / "map.svg"
    done = chronicle("graph", "storm", "--story", LIGHTHOUSE, "--format", "svg", "-o", out)
    assert done.returncode == 0, done.stderr
    svg = out.read_text(encoding="utf-8")
    assert "<svg" in svg and "tower" in svg


def test_svg_without_graphviz_names_the_package(tmp_path):
    done = chronicle("graph", "--story", LIGHTHOUSE, "--format", "svg", env=no_dot_env(tmp_path))
    assert done.returncode == 1
    assert "graphviz" in done.stderr and "apt-get install graphviz" in done.stderr
    assert done.stdout == ""


def test_nodes_check_flags_are_marked(tmp_path):
    case = docs.load_case("node-unreached")
    root = docs.materialise(case, tmp_path / "story")
    done = chronicle("graph", "--story", root)
    assert done.returncode == 0, done.stderr
    m = parse_mermaid(done.stdout)
    assert sorted(m.classes["flagged"]) == ["n_one__envoy", "n_one__hall"]
    assert m.nodes["n_one__hall"][1].endswith("⚠ choice-never-available")
    assert m.nodes["n_one__envoy"][1].endswith("⚠ node-unreached")
    d = parse_dot(cli("graph", "--story", root, "--format", "dot")[1])
    assert "dashed" in d.nodes["one/envoy"]["style"] and "node-unreached" in d.nodes["one/envoy"]["tooltip"]
    assert "dashed" not in d.nodes["one/signed"]["style"]
    assert "flagged" not in parse_mermaid(cli("graph", "--story", root, "--no-check")[1]).classes


def test_findings_about_a_chapter_go_to_its_title(tmp_path):
    root = docs.materialise(docs.load_case("canon-order"), tmp_path / "story")
    story = load_story(root)
    from engine.check import check_story

    maps = build_maps(story, None, check_story(story).diagnostics)
    assert [d.code for d in maps[0].findings] == ["canon-order"]
    m = parse_mermaid(render_mermaid(maps))
    assert m.subgraphs == [("ch_one", "1. The Signing (one) ⚠ canon-order")]
    assert 'label="1. The Signing (one) ⚠ canon-order"' in render_dot(maps)


def test_labels_that_would_break_mermaid_are_escaped(tmp_path):
    root = docs.materialise(docs.load_case("unknown-fact"), tmp_path / "story", fixed=True)
    chapter = root / "chapters" / "one.yaml"
    text = chapter.read_text(encoding="utf-8")
    nasty = 'Signed "for now" <b>|#1</b> [x] {y} `z` & end'
    chapter.write_text(text.replace("title: Signed}", f"title: '{nasty}'}}"), encoding="utf-8")
    done = chronicle("graph", "--story", root)
    assert done.returncode == 0, done.stderr
    m = parse_mermaid(done.stdout)
    assert m.nodes["n_one__signed"][1].endswith(f"{nasty} (canon)")
    d = parse_dot(cli("graph", "--story", root, "--format", "dot")[1])
    assert d.nodes["one/signed"]["label"].endswith(f"{nasty} (canon)")
    assert mermaid_escape('a"b') == "a#quot;b"


def test_bad_chapter_is_a_usage_error():
    code, _, err = cli("graph", "nowhere", "--story", LIGHTHOUSE)
    assert code == 2
    assert "no chapter 'nowhere'" in err


def test_a_story_that_does_not_compile_is_refused(tmp_path):
    root = docs.materialise(docs.load_case("unknown-node"), tmp_path / "story")
    done = chronicle("graph", "--story", root)
    assert done.returncode == 1
    assert "unknown-node" in done.stderr


def test_calls_are_dashed_returns_dotted_and_the_canonical_path_runs_through_them(tmp_path):
    root = tmp_path / "calls"
    (root / "story").mkdir(parents=True)
    (root / "chapters").mkdir()
    (root / "story" / "story.yaml").write_text("title: Calls\nchapters: [one]\n")
    (root / "chapters" / "one.yaml").write_text(
        "id: one\ntitle: One\nstart: hall\nnodes:\n"
        "  hall:\n    text: The hall.\n    choices:\n"
        "      - {text: Read the map., call: map, goto: road, canon: true}\n      - {text: Go., goto: road}\n"
        "  map:\n    text: The map.\n    next: fold\n"
        "  fold:\n    text: You fold it.\n    return: true\n"
        "  road:\n    text: The road.\n    choices:\n      - {text: Walk., goto: out, canon: true}\n"
        "  out:\n    text: Out.\n    ending: {title: Out}\n"
    )
    [m] = build_maps(load_story(root), None, [])
    edges = {(e.src.split("/")[1], e.dst.split("/")[1]): e for e in m.edges}
    call = edges[("hall", "map")]
    assert call.call and call.label.startswith("call, back to road") and call.canon_path
    assert edges[("fold", "road")].back and edges[("fold", "road")].label == "return"
    assert not edges[("map", "fold")].label  # `next:` is a plain edge
    # the canonical path goes into the call, back out where it returns, and on to the ending
    assert edges[("road", "out")].canon_path
    dot = render_dot([m])
    assert '"one/hall" -> "one/map" [label="call, back to road · 1", penwidth=3' in dot and "style=dashed" in dot
    assert '"one/fold" -> "one/road" [label="return", style=dotted' in dot
    assert 'n_one__fold -.->|"return"| n_one__road' in render_mermaid([m])


def test_each_text_part_says_what_it_asserts_under_its_own_condition(tmp_path):
    """A node whose parts assert and deny the same fact on different branches shows a line
    per part with its condition, never one merged 'asserts X / denies X' line."""
    root = tmp_path / "story"
    shutil.copytree(docs.BASE, root)
    shutil.copy(docs.FIXTURES / "continuity" / "fix" / "chapters" / "one.yaml", root / "chapters" / "one.yaml")
    done = chronicle("graph", "--no-check", "--story", root)
    assert done.returncode == 0, done.stderr
    labels = {nid.split("__")[1]: label for nid, (_shape, label) in parse_mermaid(done.stdout).nodes.items()}
    lines = labels["torn"].split("<br/>")
    assert "if not treaty_torn: asserts treaty-signed" in lines
    assert "unless not treaty_torn: denies treaty-signed" in lines
    assert not any("asserts" in ln and "denies" in ln for ln in lines)
