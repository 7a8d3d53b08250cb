"""`chronicle variants` and `chronicle proof` (issue 22 point 3): every distinct rendering of a
node, exact over the explored states, with the fewest flag values that produce each."""

from __future__ import annotations

import shutil

from conftest import no_cache, run_cli

from engine.authoring.variants import proof, render_markdown, variants
from engine.compile import load_story

CHAPTER = """\
id: one
title: The Table
flags:
  warm: {type: bool, default: false, doc: The tea is warm}
  cups: {type: int, default: 0, min: 0, max: 3, doc: Cups poured}
  late: {type: bool, default: false, doc: Read by no text here}
start: kettle
nodes:
  kettle:
    text: The kettle.
    choices:
      - {text: Boil it., do: warm = true, goto: pour}
      - {text: Leave it., goto: pour}
      - {text: Wait., do: late = true, goto: pour}
  pour:
    text: The pot.
    choices:
      - {text: Pour none., goto: table}
      - {text: Pour one., do: cups = 1, goto: table}
      - {text: Pour two., do: cups = 2, goto: table}
  table:
    text:
      - "The tea is {warm: warm|cold}."
      - if: cups > 0
        text: "{cups} cups stand poured."
    choices:
      - text: Drink.
        if: cups > 0
        goto: end
      - text: Leave.
        goto: end
  end:
    text: "{late: Late.|Done.}"
    ending: {title: Done}
"""


def story(tmp_path, chapter=CHAPTER):
    root = tmp_path / "t"
    (root / "story").mkdir(parents=True)
    (root / "chapters").mkdir()
    (root / "story" / "story.yaml").write_text("title: Tea\nchapters: [one]\n")
    (root / "chapters" / "one.yaml").write_text(chapter)
    return root


def load(root):
    with no_cache():
        return load_story(root)


def test_a_node_with_a_known_number_of_renderings_lists_exactly_that_many(tmp_path):
    s = load(story(tmp_path))
    nv = variants(s, "one:table")
    # warm or cold, times no cups, one cup or two (the paragraph and the offer of Drink): 2 x 3
    assert nv.reached and nv.complete and len(nv.variants) == 6
    texts = {(tuple(v.paragraphs), tuple(v.choices)) for v in nv.variants}
    assert (("The tea is warm.", "2 cups stand poured."), ("Drink.", "Leave.")) in texts
    assert (("The tea is cold.",), ("Leave.",)) in texts
    # each with the fewest flag values that produce it: `late` changes nothing here
    for v in nv.variants:
        assert set(v.when) == {"warm", "cups"}
        assert v.replay and "--replay" in v.replay
    assert sum(v.states for v in nv.variants) == 9  # (warm, late) in 3 ways x 3 cups: late kept, `end` reads it
    assert len(variants(s, "one:kettle").variants) == 1
    assert [v.when for v in variants(s, "one:end").variants] == [{"late": False}, {"late": True}]


def test_variants_cli_and_its_replay(tmp_path):
    root = story(tmp_path)
    proc = run_cli("variants", "one:table", "--story", str(root))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("one:table: 6 renderings")
    line = next(x for x in proc.stdout.splitlines() if "cups=2" in x and "warm=true" in x)
    assert line.startswith("-- ")
    block = proc.stdout.split(line)[1].split("\n-- ")[0]
    replay = next(x for x in block.splitlines() if "replay:" in x).split("replay: ")[1].split()
    played = run_cli(*replay[1:])
    assert "The tea is warm." in played.stdout and "2 cups stand poured." in played.stdout
    bad = run_cli("variants", "one:nowhere", "--story", str(root))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_proof_is_every_node_in_file_order_each_variant_once(tmp_path):
    s = load(story(tmp_path))
    doc = proof(s, "one")
    assert [n.node for n in doc.nodes] == ["kettle", "pour", "table", "end"]
    assert [len(n.variants) for n in doc.nodes] == [1, 1, 6, 2]
    md = render_markdown(doc)
    assert "| [table](#one--table) | 6 |" in md and "4 nodes, 10 variants" in md
    assert md.count("> The tea is warm.") == 3


def test_proof_writes_html_and_limits_to_what_an_edit_changed(tmp_path):
    root = story(tmp_path)
    old = tmp_path / "old"
    shutil.copytree(root, old)
    (root / "chapters" / "one.yaml").write_text(CHAPTER.replace("stand poured", "are poured"))
    out = tmp_path / "proof.html"
    proc = run_cli("proof", "one", "--story", str(root), "-o", str(out), "--changed-since", str(old))
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "2 cups are poured." in page
    assert ">table<" in page and ">kettle<" not in page and ">end<" not in page
    whole = run_cli("proof", "one", "--story", str(root)).stdout
    assert "4 nodes, 10 variants" in whole
