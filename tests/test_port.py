"""The two-port test: one chapter in the style of an ink story's opening (tests/stories/port-ink,
our own words and characters) written with the ink-like constructs, and the same chapter
ported without them (tests/stories/port-plain), as the issue's authors had to before.

The version with the constructs must be at least 25% shorter, and the two must play the
same text, the same choices and the same endings for every choice sequence up to length 8.
"""

from __future__ import annotations

from pathlib import Path

from engine import runtime as rt
from engine.check import check_story
from engine.compile import load_story

ROOT = Path(__file__).resolve().parent / "stories"
INK, PLAIN = ROOT / "port-ink", ROOT / "port-plain"
CHAPTER = Path("chapters") / "cold-room.yaml"
DEPTH = 8


def screen(story, state) -> tuple:
    """What the reader sees on arriving: the text, then the choices offered or the ending."""
    node = rt.node_of(story, state)
    shown = tuple(rt.node_text(story, state))
    if node.ending:
        return shown, ("ending", node.ending.title, node.ending.kind)
    return shown, tuple(c.text for c in rt.available(story, state))


def sequences(story, state, depth):
    """(numbers typed, screen) for every sequence of choices up to `depth`, depth-first."""
    yield (), screen(story, state)
    if depth == 0 or rt.is_ending(story, state):
        return
    for k, choice in enumerate(rt.available(story, state), 1):
        after = rt.choose(story, state, choice)
        for numbers, seen in sequences(story, after, depth - 1):
            yield (k,) + numbers, seen


def words(path: Path) -> int:
    """Bytes of the chapter that are not comments: what an author writes."""
    return sum(
        len(line) + 1
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def test_both_ports_check_clean():
    for root in (INK, PLAIN):
        assert check_story(load_story(root)).diagnostics == [], root


def test_the_ink_port_is_a_quarter_shorter():
    ink, plain = words(INK / CHAPTER), words(PLAIN / CHAPTER)
    assert ink <= 0.75 * plain, f"{ink} bytes against {plain}: only {1 - ink / plain:.0%} shorter"


def test_both_ports_play_the_same_text_for_every_choice_sequence():
    ink, plain = load_story(INK), load_story(PLAIN)
    a = list(sequences(ink, rt.start(ink), DEPTH))
    b = list(sequences(plain, rt.start(plain), DEPTH))
    assert [n for n, _ in a] == [n for n, _ in b], "the two ports offer different choices"
    for (numbers, seen_a), (_n, seen_b) in zip(a, b):
        assert seen_a == seen_b, f"after choices {numbers}"
    # the comparison is not vacuous: many sequences, every ending, every node reached
    assert len(a) > 100
    assert {s[1] for _n, s in a if s[1][0] == "ending"} == {
        ("ending", n.ending.title, n.ending.kind) for n in ink.chapter("cold-room").nodes.values() if n.ending
    }
