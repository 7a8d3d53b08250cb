"""Random playthroughs (`chronicle check --random N --seed S`): coverage, findings, replays."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from engine import runtime as rt
from engine.check import check_story
from engine.check.sample import sample
from engine.check.sample_report import render_text
from engine.cli import main
from engine.compile import load_story

TOUR = Path(__file__).resolve().parent / "stories" / "tour"

MANIFEST = """\
title: Sampling
chapters: [one, two]
flags:
  key: {type: bool, default: false, doc: the key was found}
  coins: {type: int, default: 0, min: 0, max: 2, doc: coins in the purse}
"""
HISTORY = """\
facts:
  - id: a-thing
    date: 1900
    statement: A thing happens.
    source: {paragraph: 1, quote: "thing"}
"""
ONE = """\
id: one
title: One
period: {from: 1900, to: 1900}
start: hall
nodes:
  hall:
    text: A hall.
    choices:
      - text: Find the key.
        do: [key = true]
        goto: end
      - text: Walk on.
        goto: end
        canon: true
  end:
    text: End.
    ending: {kind: canon, title: End}
"""
TWO = """\
id: two
title: Two
period: {from: 1900, to: 1900}
start: door
nodes:
  door:
    text: A door.
    choices:
      - text: Unlock it.
        if: key
        goto: vault
      - text: Knock.
        goto: out
        canon: true
  vault:
    text: The vault, reached only with the key from chapter one.
    choices:
      - text: Leave.
        goto: out
  out:
    text: Out.
    ending: {kind: canon, title: Out}
"""


def write_story(root: Path, one: str = ONE, two: str = TWO) -> Path:
    (root / "story").mkdir(parents=True)
    (root / "chapters").mkdir()
    (root / "story" / "story.yaml").write_text(MANIFEST)
    (root / "story" / "history.yaml").write_text(HISTORY)
    (root / "chapters" / "one.yaml").write_text(one)
    (root / "chapters" / "two.yaml").write_text(two)
    return root


def replay_end(story, command: str) -> rt.State:
    """Where a `chronicle play ... --replay` command printed by a finding really leads."""
    argv = shlex.split(command)
    assert argv[:2] == ["chronicle", "play"]
    chapter = argv[argv.index("--chapter") + 1]
    sets = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "--set")
    numbers = [int(n) for n in argv[argv.index("--replay") + 1].split(",") if n]
    first = rt.start(story, chapter, flags=sets)
    return rt.replay_numbers(story, first, numbers)[-1]


@pytest.fixture(scope="module")
def tour():
    return load_story(TOUR)


def test_the_same_seed_plays_the_same_playthroughs(tour):
    a, b, c = sample(tour, 300, seed=7), sample(tour, 300, seed=7), sample(tour, 300, seed=8)
    assert [x.node_hits for x in a.coverage] == [x.node_hits for x in b.coverage]
    assert a.choices == b.choices
    assert [x.choice_hits for x in a.coverage] != [x.choice_hits for x in c.coverage]


def test_coverage_counts_add_up_and_reach_everything_reachable(tour):
    rep = sample(tour, 500, seed=1)
    assert rep.ok and rep.finished == 500 and rep.stuck == rep.stopped == 0
    assert rep.choices == sum(h for cov in rep.coverage for h in cov.choice_hits.values())
    for cov in rep.coverage:
        assert cov.starts == 500
        assert sum(cov.ending_hits.values()) == 500  # every playthrough ends each chapter once
        ch = tour.chapter(cov.id)
        taken = {(n, i): (ch.nodes[n].choices[i], h) for (n, i), h in cov.choice_hits.items()}
        # every call in the tour returns (the log-book has no choices): one return per call taken
        calls = sum(h for c, h in taken.values() if c.returns_to is not None)
        assert calls == sum(cov.node_hits[n] for n, node in ch.nodes.items() if node.returns)
        for nid in ch.nodes:
            into = sum(h for c, h in taken.values() if c.target == nid)  # a call's target is the called node
            glued = sum(cov.node_hits[n] for n, node in ch.nodes.items() if node.next == nid)
            returned = sum(h for c, h in taken.values() if c.returns_to == nid)
            assert cov.node_hits[nid] == into + glued + returned + (500 if nid == ch.start else 0)
    # the tour is small: 500 playthroughs reach every node and ending that exploration reaches
    explored = check_story(tour).explorations
    for cov in rep.coverage:
        ex = explored[cov.id]
        reachable = {ex.graph.ids[ni] for ni in ex.first_at_node}
        assert {n for n, h in cov.node_hits.items() if h} == reachable


def test_story_wide_flags_carry_into_the_next_chapter(tmp_path):
    story = load_story(write_story(tmp_path / "s"))
    rep = sample(story, 400, seed=3)
    one, two = rep.coverage
    found_key = one.choice_hits[("hall", 0)]
    assert 0 < found_key < 400
    # the vault needs the key found in chapter one; about half the playthroughs offer it
    assert 0 < two.node_hits["vault"] <= found_key


def test_a_soft_lock_is_reported_with_a_replay_that_reaches_it(tmp_path):
    two = TWO.replace("      - text: Leave.\n", "      - text: Leave.\n        if: coins > 0\n")
    story = load_story(write_story(tmp_path / "s", two=two))
    rep = sample(story, 200, seed=1, story_arg="s")
    assert not rep.ok and rep.stuck > 0
    [d] = [d for d in rep.diagnostics if d.code == "soft-lock"]
    assert "node 'vault'" in d.message and f"{rep.stuck:,} of 200" in d.message
    assert d.pos.file.endswith("two.yaml") and d.pos.line == 15  # the node `vault:`
    end = replay_end(story, d.replay)
    assert (end.chapter, end.node) == ("two", "vault") and rt.available(story, end) == []
    assert "--set key=true" in d.replay  # the chapter began with the key carried over


def test_an_int_leaving_its_bounds_is_reported(tmp_path):
    one = ONE.replace(
        "        do: [key = true]\n        goto: end\n", "        do: [key = true, coins += 3]\n        goto: end\n"
    )
    story = load_story(write_story(tmp_path / "s", one=one))
    rep = sample(story, 50, seed=1)
    [d] = [d for d in rep.diagnostics if d.code == "int-bounds"]
    assert "`coins += 3` takes coins to 3, past its max 2" in d.message
    assert d.replay.endswith("--chapter one --replay 1")


LOOP = """\
id: two
title: Two
period: {from: 1900, to: 1900}
start: maze
nodes:
  maze:
    text: A maze.
    choices:
      - text: Turn left.
        goto: maze2
      - text: Climb out.
        if: coins > 1
        goto: out
        canon: true
  maze2:
    text: More maze.
    choices:
      - text: Turn right.
        goto: maze
  out:
    text: Out.
    ending: {kind: canon, title: Out}
"""


def test_a_loop_with_no_way_out_is_a_trap_with_a_short_replay(tmp_path):
    story = load_story(write_story(tmp_path / "s", two=LOOP))
    rep = sample(story, 20, seed=1, max_steps=200)
    assert rep.stopped == 20 and rep.finished == 0
    [d] = [d for d in rep.diagnostics if d.code == "trap"]
    assert "took 200 choices in chapter 'two'" in d.message and "no ending can be reached" in d.message
    # the detours round the loop are cut out of the replay
    end = replay_end(story, d.replay)
    assert end.chapter == "two" and len(shlex.split(d.replay)[-1].split(",")) <= 2


def test_a_rare_way_out_is_a_note_not_an_error(tmp_path):
    rare = LOOP.replace(
        "      - text: Turn right.\n        goto: maze\n",
        "      - text: Turn right.\n        goto: maze\n"
        + "".join(f"      - text: Wall {i}.\n        goto: maze2\n" for i in range(8))
        + "      - text: A door.\n        goto: out\n",
    )
    story = load_story(write_story(tmp_path / "s", two=rare))
    rep = sample(story, 30, seed=2, max_steps=40)
    assert rep.stopped > 0 and rep.ok
    assert rep.long_runs and rep.long_runs[0].reachable is True
    text = render_text(rep)
    assert "long playthroughs" in text and "an ending can still be reached" in text


def test_the_command_line_text_and_json(tmp_path, capsys):
    root = write_story(tmp_path / "s")
    assert main(["check", "--story", str(root), "--random", "100", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert "coverage of 100 random playthroughs (seed 4):" in out
    assert "one (" in out and "endings reached: end 100" in out
    assert out.rstrip().splitlines()[-1].startswith("random play ok: 100 playthroughs (100 finished)")

    assert main(["check", "--story", str(root), "--random", "100", "--seed", "4", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "random" and data["ok"] is True and data["summary"]["runs"] == 100
    two = data["coverage"][1]
    assert two["id"] == "two" and two["played"] == 100
    assert {n["id"]: n["hits"] for n in two["node_hits"]}["out"] == 100
    assert all({"node", "choice", "line", "col", "hits"} <= set(c) for c in two["choice_hits"])


def test_the_command_line_fails_on_a_finding_and_lists_what_was_never_reached(tmp_path, capsys):
    two = TWO.replace("      - text: Leave.\n", "      - text: Leave.\n        if: coins > 0\n")
    root = write_story(tmp_path / "s", two=two)
    assert main(["check", "--story", str(root), "--random", "30", "--seed", "1"]) == 1
    out = capsys.readouterr().out
    assert "error[soft-lock]" in out and "replay: chronicle play" in out
    assert "never reached by random play" in out and "choice 1 of 'vault' ('Leave.')" in out
    assert "random play FAILED" in out


def test_bad_usage_exits_2(tmp_path, capsys):
    root = write_story(tmp_path / "s")
    with pytest.raises(SystemExit) as exc:
        main(["check", "--story", str(root), "--random", "0"])
    assert exc.value.code == 2


def test_a_generated_story_plays_without_findings(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    root = generate(tmp_path / "gen", nodes=300, chapters=2, int_flags=2, loops=0.2, seed=5)
    story = load_story(root)
    rep = sample(story, 200, seed=0)
    assert rep.ok, render_text(rep)
    assert rep.finished == 200
    assert all(cov.nodes_reached > len(cov.node_hits) // 2 for cov in rep.coverage)
    shutil.rmtree(root)


# ---- random play against the brute force, on stories with calls ----------------------------------

from brute import Brute, story_specs, subject_of  # noqa: E402
from conftest import examples, no_cache  # noqa: E402
from conftest import write_story as write_spec  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402


@settings(
    max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(story_specs(max_nodes=5, guard_p=0.5, ink=True, calls=True))
def test_random_play_finds_only_what_the_brute_force_finds_on_stories_with_calls(tmp_path_factory, spec):
    """Random play keeps the call stack as exploration does: whatever it reports (soft-locks,
    returns with nothing to return to, ints out of bounds, traps) is there, and every node it
    reaches is reachable."""
    where = tmp_path_factory.mktemp("calls")
    root = write_spec(
        where, spec["chapters"], flags=spec["flags"], facts=spec["facts"], max_call_depth=spec.get("max_call_depth")
    )
    with no_cache():
        story = load_story(root)
    brute = Brute(spec)
    expected, runs = brute.expected(), brute.run_all()
    rep = sample(story, 40, seed=3)
    for d in rep.diagnostics:
        if d.code == "trap":  # named by chapter: a playthrough that ran on and on there
            chapter = re.search(r"in chapter '([^']+)'", d.message).group(1)
            assert any(code == "trap" and subject[0] == chapter for code, subject in expected), d.render()
        elif d.code in ("soft-lock", "return-empty", "int-bounds", "divide-by-zero"):
            assert subject_of(story, d) in expected, d.render()
    for cov in rep.coverage:
        reached = set(runs[cov.id].reached) if cov.id in runs else set()
        assert {n for n, hits in cov.node_hits.items() if hits} <= reached
