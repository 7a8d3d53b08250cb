"""ink's four sequences and chance: the stopping sequence `{a|b|c}`, the shuffle `{~a|b|c}`, the
literal bar `\\|`, and the nondeterministic effect `flag = random(lo, hi)` (ChoiceScript's
`*rand`), as a player, an author and `check` meet them.

Chance is one seeded generator in the state (engine/luck.py): the same seed and moves give the
same words and values, undo and saves keep them, a replay can fix each draw (`roll=4`), and
`check` follows every value a draw can take. (The JavaScript runtime's equality is in
test_web_conformance.py; the brute force's agreement in test_symbolic.py.)
"""

from __future__ import annotations

import json

import pytest
from conftest import chapter, no_cache, write_story

from engine import cli
from engine import runtime as rt
from engine.check import check_story
from engine.compile import compile_story
from engine.savefile import from_json, to_json

END = {"text": "Done.", "ending": {"kind": "canon", "title": "Done"}}
DICE = {"roll": {"type": "int", "default": 0, "min": 0, "max": 6, "doc": "The last roll of the die"}}


def build(tmp_path, nodes: dict, flags: dict | None = None):
    root = write_story(tmp_path / "s", {"one": chapter("one", nodes, flags=flags)})
    with no_cache():
        story, diags = compile_story(root)
    return root, story, diags


def story_of(tmp_path, nodes, flags=None):
    root, story, diags = build(tmp_path, nodes, flags)
    assert story is not None, [d.render() for d in diags]
    return story


def run(capsys, *args) -> tuple[int, str, str]:
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, out + err
    return code, out, err


def hall(text: str, **more) -> dict:
    return {
        "hall": {
            "text": text,
            "choices": [{"text": "Again.", "goto": "hall"}, {"text": "Go.", "goto": "end", "canon": True}],
            **more,
        },
        "end": END,
    }


def walk(story, moves: int, seed: int = 0) -> list[str]:
    state = rt.start(story, seed=seed)
    out = rt.node_text(story, state)
    for _ in range(moves):
        state = rt.choose(story, state, 0)
        out += rt.node_text(story, state)
    return out


# ---- the stopping sequence and the literal bar -------------------------------------------------


def test_a_stopping_sequence_shows_each_option_once_then_stays_on_the_last(tmp_path):
    story = story_of(tmp_path, hall("{Dawn.|Noon.|Dusk.} {&Tick.|Tock.}"))
    assert walk(story, 4) == ["Dawn. Tick.", "Noon. Tock.", "Dusk. Tick.", "Dusk. Tock.", "Dusk. Tick."]


def test_an_empty_option_of_a_stopping_sequence_shows_nothing_that_time(tmp_path):
    story = story_of(tmp_path, hall("Knock{| again|, and again}."))
    assert walk(story, 3) == ["Knock.", "Knock again.", "Knock, and again.", "Knock, and again."]


def test_a_backslash_bar_is_a_literal_bar_inside_and_outside_parts(tmp_path):
    story = story_of(tmp_path, hall("A \\| B {true: yes \\| no|never}."))
    assert walk(story, 0) == ["A | B yes | no."]


def test_a_stopping_sequence_keeps_apostrophes_and_colons_after_its_first_bar(tmp_path):
    story = story_of(tmp_path, hall("{It's cold.|Still cold: very.}"))
    assert walk(story, 1) == ["It's cold.", "Still cold: very."]


# ---- shuffle --------------------------------------------------------------------------------


def test_a_shuffle_shows_one_option_chosen_by_the_seed_and_every_option_over_many_visits(tmp_path):
    story = story_of(tmp_path, hall("{~Gulls.|Rain.|Fog.}"))
    first = walk(story, 60, seed=7)
    assert set(first) == {"Gulls.", "Rain.", "Fog."}
    assert walk(story, 60, seed=7) == first  # the same seed, the same words
    assert walk(story, 60, seed=8) != first


def test_a_shuffle_reads_the_same_when_the_page_is_shown_again(tmp_path):
    story = story_of(tmp_path, hall("{~Gulls.|Rain.|Fog.|Wind.|Hail.}"))
    state = rt.choose(story, rt.start(story, seed=3), 0)
    assert rt.node_text(story, state) == rt.node_text(story, state)


def test_check_judges_every_option_of_a_shuffle(tmp_path):
    """A shuffle's option that contradicts the path's history is found at its very words,
    whichever option a given seed would show."""
    from test_mentions import at, continuity, story

    root = story(tmp_path, farewell="      - '{~The rain starts.|The men who went to Syria wave.|Dusk.}'")
    [d] = continuity(root)
    assert "went to Syria" in d.message
    assert (d.pos.line, d.pos.col) == at(root, "went to Syria")


# ---- random() ------------------------------------------------------------------------------


def dice_story(tmp_path):
    return story_of(
        tmp_path,
        {
            "table": {
                "text": "The die is on the table.",
                "choices": [{"text": "Roll.", "do": ["roll = random(1, 6)"], "goto": "result"}],
            },
            "result": {
                "text": "You rolled {roll}.",
                "choices": [
                    {"text": "Claim the prize.", "if": "roll == 6", "goto": "won"},
                    {"text": "Roll again.", "goto": "table", "canon": True},
                    {"text": "Give up.", "goto": "end"},
                ],
            },
            "won": {"text": "Six!", "ending": {"kind": "personal", "title": "Won"}},
            "end": END,
        },
        DICE,
    )


def test_random_draws_from_the_seed_and_fixed_draws_override_it(tmp_path):
    story = dice_story(tmp_path)
    rolls = {rt.choose(story, rt.start(story, seed=s), 0).values[0] for s in range(40)}
    assert rolls == {1, 2, 3, 4, 5, 6}
    a = rt.choose(story, rt.start(story, seed=5), 0)
    assert rt.choose(story, rt.start(story, seed=5), 0).values == a.values
    fixed = [("roll", 6)]
    state = rt.choose(story, rt.start(story, seed=5), 0, fixed)
    assert state.values[0] == 6 and fixed == []
    with pytest.raises(rt.PlayError, match="cannot be drawn"):
        rt.choose(story, rt.start(story), 0, [("roll", 7)])
    with pytest.raises(rt.PlayError, match="not luck"):
        rt.choose(story, rt.start(story), 0, [("luck", 2)])


def test_a_save_keeps_the_seed_so_loading_it_draws_the_same(tmp_path):
    story = dice_story(tmp_path)
    states = [rt.start(story, seed=1234)]
    for move in (0, 1, 0, 1, 0):
        states.append(rt.choose(story, states[-1], rt.available(story, states[-1])[0 if move == 0 else -2].index))
    data = json.loads(json.dumps(to_json(story, states)))
    assert data["start"]["seed"] == 1234
    loaded = from_json(story, data)
    assert [s.values for s in loaded.states] == [s.values for s in states]


def test_play_replay_fixes_draws_and_says_when_one_cannot_be_drawn(tmp_path, capsys):
    root, story, _ = build(
        tmp_path,
        {
            "table": {
                "text": "The die is on the table.",
                "choices": [{"text": "Roll.", "do": ["roll = random(1, 6)"], "goto": "result"}],
            },
            "result": {"text": "You rolled {roll}.", "choices": [{"text": "Stop.", "goto": "end", "canon": True}]},
            "end": END,
        },
        DICE,
    )
    code, out, _ = run(capsys, "play", "--story", root, "--replay", "1,roll=4")
    assert code == 0 and "You rolled 4." in out
    code, out, err = run(capsys, "play", "--story", root, "--replay", "1,roll=9")
    assert code == 1 and "roll=9 cannot be drawn here: random(1, 6)" in out
    code, out, err = run(capsys, "play", "--story", root, "--replay", "1,roll=2,roll=3")
    assert code == 1 and "never made: roll=3" in err
    script = tmp_path / "moves.txt"
    script.write_text("1\nroll=5  # the die\n")
    code, out, _ = run(capsys, "play", "--story", root, "--script", script)
    assert code == 0 and "You rolled 5." in out
    a = run(capsys, "play", "--story", root, "--replay", "1", "--seed", "99")[1]
    assert a == run(capsys, "play", "--story", root, "--replay", "1", "--seed", "99")[1]


def test_check_follows_every_value_a_draw_can_take_and_its_replay_names_the_draw(tmp_path, capsys):
    root, story, _ = build(
        tmp_path,
        {
            "table": {
                "text": "The die is on the table.",
                "choices": [{"text": "Roll.", "do": ["roll = random(1, 6)"], "goto": "result", "canon": True}],
            },
            "result": {
                "text": "You rolled {roll}.",
                "choices": [
                    {"text": "Stop.", "if": "roll < 6", "goto": "end", "canon": True},
                    {"text": "Push your luck.", "if": "roll == 5", "goto": "end"},
                ],
            },
            "end": END,
        },
        DICE,
    )
    found = check_story(story).diagnostics
    [lock] = [d for d in found if d.code == "soft-lock"]  # a six offers nothing
    assert "roll=6" in lock.replay
    assert not [d for d in found if d.code == "choice-never-available"]
    assert lock.replay.endswith("--replay 1,roll=6")
    code, out, _ = run(capsys, "play", "--story", root, *lock.replay.split()[2:])
    assert "You rolled 6." in out


@pytest.mark.parametrize(
    ("effect", "words"),
    [
        ("roll = random(6, 1)", "lowest value after its highest"),
        ("roll = random(1, roll)", "two written whole numbers"),
        ("roll = random(1, 5000)", "at most 1,000"),
        ("roll = 1 + random(1, 6)", "the whole value of an effect"),
        ("roll += random(1, 6)", "the whole value of an effect"),
        ("roll = random(1)", "two whole numbers"),
    ],
)
def test_a_bad_random_is_refused_where_it_is_written(tmp_path, effect, words):
    _root, story, diags = build(
        tmp_path,
        {"table": {"text": "T.", "choices": [{"text": "Roll.", "do": [effect], "goto": "end"}]}, "end": END},
        DICE,
    )
    errors = [d for d in diags if d.is_error]
    assert story is None and errors and words in errors[0].message, [d.render() for d in errors]
    assert errors[0].pos is not None and errors[0].pos.line > 0


def test_random_into_a_true_false_flag_is_a_type_error(tmp_path):
    _root, story, diags = build(
        tmp_path,
        {"table": {"text": "T.", "choices": [{"text": "Roll.", "do": ["lit = random(0, 1)"], "goto": "e"}]}, "e": END},
        {"lit": {"type": "bool", "default": False, "doc": "Lit"}},
    )
    assert story is None and any(d.code == "expr-type" for d in diags)


def test_random_play_samples_draws_and_its_replay_names_them(tmp_path, capsys):
    from engine.check.sample import sample

    root, story, _ = build(
        tmp_path,
        {
            "table": {
                "text": "The die is on the table.",
                "choices": [{"text": "Roll.", "do": ["roll = random(1, 6)"], "goto": "result", "canon": True}],
            },
            "result": {
                "text": "You rolled {roll}.",
                "choices": [
                    {"text": "Stop.", "if": "roll < 6", "goto": "end", "canon": True},
                    {"text": "Roll again.", "if": "roll < 3", "goto": "table"},
                ],
            },
            "end": END,
        },
        DICE,
    )
    report = sample(story, 300, seed=1, story_arg=str(root))
    assert report.coverage[0].choice_hits[("result", 1)] > 0  # low rolls were drawn, and roll again
    [lock] = [d for d in report.diagnostics if d.code == "soft-lock"]
    assert "roll=6" in lock.replay
    code, out, _ = run(capsys, *lock.replay.split()[1:])
    assert code == 0 and "You rolled 6.\n\n(No choice is available here" in out


@pytest.mark.parametrize("engine", ["explicit", "symbolic"])
def test_a_draw_past_the_flags_bounds_is_one_finding_with_the_draw_in_its_replay(tmp_path, engine):
    _root, story, _ = build(
        tmp_path,
        {
            "table": {
                "text": "The die is on the table.",
                "choices": [{"text": "Roll.", "do": ["roll = random(1, 9)"], "goto": "end", "canon": True}],
            },
            "end": END,
        },
        DICE,
    )
    report = check_story(story, engine=engine)
    assert set(report.engines.values()) == {engine}
    [over] = [d for d in report.diagnostics if d.code == "int-bounds"]
    assert "`roll = random(1, 9)` takes roll to 7, past its max 6" in over.message
    assert over.replay.endswith("--replay 1,roll=7")
