"""Inline parts count everywhere (issue 22 point 5): a flag read only inside inline text is read
in `stats`' flag table, and `stats --choices` counts that read as an echo of the choice that set it."""

from __future__ import annotations

from conftest import run_cli

CHAPTER = """\
id: one
title: One
flags:
  warm: {type: bool, default: false, doc: The tea is warm}
  cups: {type: int, default: 1, min: 1, max: 2, doc: Cups poured}
start: kitchen
nodes:
  kitchen:
    text: The kettle.
    choices:
      - text: Boil it.
        do: warm = true
        goto: table
      - text: Pour two cups.
        do: cups = 2
        goto: table
  table:
    text: "The tea is {warm: warm|cold}."
    choices:
      - text: "Drink {cups} cups."
        goto: end
  end:
    text: Done.
    ending: {title: Done}
"""


def story(tmp_path):
    root = tmp_path / "inl"
    (root / "story").mkdir(parents=True)
    (root / "chapters").mkdir()
    (root / "story" / "story.yaml").write_text("title: Inline Reads\nchapters: [one]\n")
    (root / "chapters" / "one.yaml").write_text(CHAPTER)
    return root


def test_a_flag_read_only_inline_is_read(tmp_path):
    root = story(tmp_path)
    assert run_cli("check", "--story", str(root)).returncode == 0
    out = run_cli("stats", "--story", str(root)).stdout
    rows = {line.split()[0]: line for line in out.splitlines()[-2:]}
    assert "table" in rows["warm"] and "never read" not in rows["warm"]
    assert "table" in rows["cups"] and "never read" not in rows["cups"]


def test_an_inline_read_is_an_echo(tmp_path):
    out = run_cli("stats", "--choices", "--story", str(story(tmp_path))).stdout
    assert 'kitchen 1: 1 echo  "Boil it."' in out
    assert "echoed at one:table text part 1 {warm}" in out
    assert 'kitchen 2: 1 echo  "Pour two cups."' in out
    assert "echoed at one:table the text of choice 1 {cups}" in out
