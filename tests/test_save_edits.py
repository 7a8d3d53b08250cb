"""Saves that survive story edits (format 2: steps named by node and choice key).

A save made on the tour story after five moves, then the story edited the ways authors edit
released chapters: the game resumes at the same node with the same flags, or, where a step
no longer fits, after the last step that does, saying so, with the original file kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine import load_story
from engine import runtime as rt
from engine.player.saves import SaveStore
from engine.player.session import Session
from engine.savefile import VERSION, from_json, steps_of, to_json

TOUR = Path(__file__).resolve().parent / "stories" / "tour"
STORM = "chapters/storm.yaml"
TRIM = """      - text: Trim the wick.
        goto: stair
        canon: true
"""
RING = """      - text: Ring the village for help.
        id: ring
        if: not asked_for_help
        do: [asked_for_help = true, courage -= 1]
        say: The line crackles. Someone at the post office promises to tell the harbour master.
        goto: tower
"""
POUR = """      - text: Pour in a can of oil.
        if: oil > 0
"""


def edited(tmp_path: Path, *replacements: tuple[str, str]):
    root = tmp_path / "tour"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(TOUR, root)
    f = root / STORM
    text = f.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    f.write_text(text, encoding="utf-8")
    return load_story(root)


def play(story, texts: list[str]) -> list[rt.State]:
    """Play by the choices' first words (at an ending, go on into the next chapter)."""
    states = [rt.start(story)]
    for t in texts:
        s = states[-1]
        if rt.is_ending(story, s):
            s = rt.advance(story, s)
            states.append(s)
        states.append(rt.choose(story, s, next(c for c in rt.available(story, s) if c.text.startswith(t))))
    return states


MOVES = ["Ring", "Trim", "Pour", "Keep watch", "Wave"]


@pytest.fixture(scope="module")
def tour():
    return load_story(TOUR)


@pytest.fixture(scope="module")
def saved(tour):
    states = play(tour, MOVES)
    return json.loads(json.dumps(to_json(tour, states))), states[-1]


def same_place(story, loaded, before):
    last = loaded.states[-1]
    return last.at() == before.at() and rt.flag_values(story, last) == rt.flag_values(story, before) and not loaded.cut


@pytest.mark.parametrize(
    "edit",
    [
        # (a) a new choice inserted above the ones taken
        ((TRIM, "      - text: Listen at the door.\n        goto: door\n" + TRIM),),
        # (b) every choice reworded
        (
            ("Trim the wick.", "See to the wick."),
            ("Ring the village for help.", "Telephone the village."),
            ("Pour in a can of oil.", "Fill the reservoir."),
        ),
        # (c) siblings reordered
        ((TRIM + RING, RING + TRIM),),
    ],
    ids=["inserted", "reworded", "reordered"],
)
def test_a_save_resumes_exactly_after_edits_that_keep_its_choices(tmp_path, saved, edit):
    data, before = saved
    story = edited(tmp_path, *edit)
    loaded = from_json(story, data)
    assert same_place(story, loaded, before), loaded.note
    assert "still fit" in loaded.note


def test_a_newly_guarded_middle_step_resumes_after_the_step_before_and_keeps_the_file(tmp_path, tour):
    store = SaveStore(tmp_path / "saves")
    s = Session(tour, store)
    s.new_game(rt.start(tour))
    for t in MOVES:
        if s.at_ending():
            s.advance()
        s.choose(next(c for c in s.offered() if c.text.startswith(t)))
    s.save("mine")
    original = (store.folder / "mine.json").read_bytes()
    story = edited(tmp_path, (POUR, "      - text: Pour in a can of oil.\n        if: oil > 5\n"))
    t = Session(story, store)
    t.new_game(rt.start(story))
    notes = t.load("mine")
    assert t.state.at() == ("storm", "stair") and len(t.states) == 3  # start, Ring, Trim: step 3 no longer fits
    assert notes[0] == (
        "The story has changed since this save: 'Pour in a can of oil.' (your step 3) is no longer "
        "on offer there, so your game resumes after step 2 of 6, in Chapter 1: The Storm, at "
        "The lighthouse, 12 October 1901."
    )
    assert "'stair'" not in notes[0]  # a reader is told where they are in the story's words, not a node id
    kept = [p for p in store.folder.iterdir() if ".earlier-story-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == original
    assert not [p for p in store.folder.iterdir() if "corrupt" in p.name]
    assert "mine" in [x.name for x in t.slots()] and kept[0].stem not in [x.name for x in t.slots()]


@pytest.mark.parametrize("slot", ["mine", "autosave"])
def test_a_game_resumed_across_an_edit_is_saved_as_resumed(tmp_path, tour, slot):
    """Issue 26.8: quitting at once after "your game resumes after step 2 of 6" left the old path
    in the file, so the next load went through the same change and kept another copy."""
    store = SaveStore(tmp_path / "saves")
    s = Session(tour, store)
    s.new_game(rt.start(tour))
    for t in MOVES:
        if s.at_ending():
            s.advance()
        s.choose(next(c for c in s.offered() if c.text.startswith(t)))
    if slot == "mine":
        s.save("mine")
    store.release()
    story = edited(tmp_path, (POUR, "      - text: Pour in a can of oil.\n        if: oil > 5\n"))
    t = Session(story, SaveStore(store.folder))
    t.new_game(rt.start(story))
    assert "resumes after step 2 of 6" in t.load(slot)[0]
    t.store.release()
    again = Session(story, SaveStore(store.folder))
    again.new_game(rt.start(story))
    assert again.load(slot) == []  # no change to go through: the file holds the game as it resumed
    assert again.state.at() == ("storm", "stair") and len(again.states) == 3
    kept = [p for p in store.folder.iterdir() if ".earlier-story-" in p.name]
    assert len(kept) == 1  # the file as it was, kept once


def test_a_format_1_save_still_loads_and_is_written_back_as_format_2(tour):
    states = play(tour, MOVES)
    old = to_json(tour, states)
    old.update(version=1, path=list(states[-1].path))  # as Chronicle wrote it before: choice indices
    loaded = from_json(tour, json.loads(json.dumps(old)))
    assert loaded.states[-1] == states[-1] and loaded.note is None
    again = to_json(tour, loaded.states)
    assert again["version"] == VERSION == 2
    assert again["path"] == ["tower:ring", "tower:@stair", "stair:@lamp", "lamp:@dawn", ">", "quay:@harbour"]
    assert again["path"] == steps_of(tour, states)


def test_flags_added_removed_or_retyped_since_the_save(tmp_path, tour):
    """A save started with flag values (an author's --set): a flag the story dropped is dropped,
    one it added takes its default, one whose range changed starts at its default and says so."""
    start = rt.start(tour, "storm", None, {"oil": 3})
    states = [start, rt.choose(tour, start, tour.chapter("storm").nodes["tower"].choices[0])]
    data = json.loads(json.dumps(to_json(tour, states)))
    story = edited(
        tmp_path, ("oil: {type: int, default: 2, min: 0, max: 3", "oil: {type: int, default: 2, min: 0, max: 2")
    )
    loaded = from_json(story, data)
    assert loaded.states[-1].node == "stair"
    assert rt.flag_values(story, loaded.states[0])["oil"] == 2
    assert "The flag oil is now int 0..2, so it starts at 2 and play decides it." in loaded.note


# ---- never a silent change of path: random edits to random stories -------------------------------

from brute import story_specs  # noqa: E402
from conftest import examples, no_cache, write_story  # noqa: E402
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _edit(draw, spec: dict) -> dict:
    """One edit of a kind authors make: insert a choice, reorder a node's choices, reword one,
    retarget one, or guard one behind a new condition."""
    import copy

    spec = copy.deepcopy(spec)
    cid = draw(st.sampled_from(sorted(spec["chapters"])))
    nodes = spec["chapters"][cid]["nodes"]
    with_choices = sorted(n for n, v in nodes.items() if v.get("choices"))
    nid = draw(st.sampled_from(with_choices))
    choices = nodes[nid]["choices"]
    kind = draw(st.sampled_from(["insert", "reorder", "reword", "retarget", "guard"]))
    k = draw(st.integers(0, len(choices) - 1))
    if kind == "insert":
        choices.insert(k, {"text": "A new way.", "goto": draw(st.sampled_from(sorted(nodes)))})
    elif kind == "reorder":
        nodes[nid]["choices"] = draw(st.permutations(choices))
    elif kind == "reword":
        choices[k]["text"] = "Said otherwise."
    elif kind == "retarget":
        choices[k]["goto"] = draw(st.sampled_from(sorted(nodes)))
    else:
        choices[k]["if"] = "b0" if "if" not in choices[k] else f"({choices[k]['if']}) and b0"
    return spec


@st.composite
def edited_pairs(draw):
    spec = draw(story_specs())
    return spec, _edit(draw, spec), draw(st.lists(st.integers(0, 7), max_size=12))


@settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(edited_pairs())
def test_an_edited_story_never_silently_changes_a_saves_path(tmp_path_factory, case):
    old_spec, new_spec, picks = case
    where = tmp_path_factory.mktemp("edit")
    with no_cache():
        old = load_story(
            write_story(where / "old", old_spec["chapters"], flags=old_spec["flags"], facts=old_spec["facts"])
        )
        try:
            new = load_story(
                write_story(where / "new", new_spec["chapters"], flags=new_spec["flags"], facts=new_spec["facts"])
            )
        except Exception:  # an edit may make the story not compile (e.g. a node left without a way in)
            event("the edited story does not compile")
            return
    states = [rt.start(old)]
    for p in picks:  # a random playthrough: the p-th choice on offer (mod), on into the next chapter
        s = states[-1]
        if rt.is_ending(old, s):
            if rt.is_final(old, s):
                break
            states.append(rt.advance(old, s))
            continue
        offered = rt.available(old, s)
        if not offered:
            break
        states.append(rt.choose(old, s, offered[p % len(offered)]))
    data = json.loads(json.dumps(to_json(old, states)))
    loaded = from_json(new, data)
    last, saved = loaded.states[-1], states[-1]
    # the steps replayed are exactly the saved ones, as far as they go
    assert steps_of(new, loaded.states) == data["path"][: len(loaded.states) - 1]
    event("cut short" if loaded.cut else "resumed whole")
    if loaded.cut:
        assert loaded.note and "resumes after step" in loaded.note
    else:
        assert len(loaded.states) == len(states)
    same = last.at() == saved.at() and rt.flag_values(new, last) == {
        k: v for k, v in rt.flag_values(old, saved).items() if k in rt.flag_values(new, last)
    }
    assert same or loaded.note, "the game resumed somewhere else without a word"
