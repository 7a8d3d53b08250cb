"""`chronicle why`: a working replay for what is reached, the blocking condition for what is not."""

from __future__ import annotations

import json

from authoring_helpers import LIGHTHOUSE, chronicle, cli, copy_tour, run_command_line

from tools import docs


def replay_line(out: str) -> str:
    lines = [line for line in out.splitlines() if line.startswith("replay: ")]
    assert len(lines) == 1, out
    return lines[0][len("replay: ") :]


def test_a_reached_node_gives_a_replay_that_plays_to_it():
    done = chronicle("why", "storm:asleep", "--story", LIGHTHOUSE)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("storm:asleep is reached in 3 choices (a shortest path):")
    assert "at lamp   2. Sleep at your post.  [if courage < 3]" in out
    assert 'flags on arrival: lamp_lit=true, courage=2, weather="gale", oil=1, asked_for_help=false' in out
    cmd = replay_line(out)
    assert cmd == f"chronicle play --story {LIGHTHOUSE} --chapter storm --replay 1,1,2"
    played = run_command_line(cmd)
    assert played.returncode == 0, played.stderr
    assert "You wake to sunshine. The lamp burned on without you." in played.stdout
    assert "*** Asleep at the Post" in played.stdout


def test_a_node_of_a_later_chapter_starts_from_what_an_earlier_ending_leaves():
    code, out, err = cli("why", "morning:rocks", "--story", LIGHTHOUSE)
    assert code == 0, err
    assert "start of 'morning' with lamp_lit=false, courage=0, as ending storm:dark leaves them" in out
    cmd = replay_line(out)
    assert "--set lamp_lit=false" in cmd and "--set courage=0" in cmd and cmd.endswith("--replay 1")
    played = run_command_line(cmd)
    assert played.returncode == 0, played.stderr
    assert "You find wreckage." in played.stdout


def test_a_reached_choice_includes_taking_it():
    code, out, err = cli("why", "morning:quay:3", "--story", LIGHTHOUSE)
    assert code == 0, err
    assert "morning:quay choice 3 is first offered after 0 choices" in out
    assert "2. Go home.  [choice 3 in the file; if courage >= 2]" in out
    assert replay_line(out).endswith("--chapter morning --set courage=2 --replay 2")


def test_an_unreached_node_names_the_blocking_condition_and_what_it_needs(tmp_path):
    root = copy_tour(tmp_path / "tour")
    storm = root / "chapters" / "storm.yaml"
    storm.write_text(storm.read_text(encoding="utf-8").replace("if: courage < 3", "if: courage >= 3"), encoding="utf-8")
    done = chronicle("why", "storm:asleep", "--story", root)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert out.startswith("storm:asleep is never reached in play:")
    assert "choice 2 of 'lamp' ('Sleep at your post.') needs `courage >= 3`" in out
    assert "courage is only ever 1, 2 there" in out
    assert "it would need courage to be 3" in out
    assert "replay:" not in out
    # the choice itself, asked about directly
    code, out, _ = cli("why", "storm:lamp:2", "--story", root)
    assert code == 1
    assert "needs `courage >= 3`, which is false in all 2 states that reach 'lamp'" in out


def test_a_condition_that_can_never_hold(tmp_path):
    root = copy_tour(tmp_path / "tour")
    storm = root / "chapters" / "storm.yaml"
    storm.write_text(storm.read_text(encoding="utf-8").replace("if: courage < 3", "if: courage > 5"), encoding="utf-8")
    code, out, _ = cli("why", "storm:asleep", "--story", root)
    assert code == 1
    assert "no values its flags can hold make it true (courage: int 0..3): it can never be offered" in out


def test_several_flags_and_a_chain_of_unreached_nodes(tmp_path):
    root = docs.materialise(docs.load_case("node-unreached"), tmp_path / "story")
    chapter = root / "chapters" / "one.yaml"
    chapter.write_text(
        chapter.read_text(encoding="utf-8").replace(
            "      - text: Sign with him.\n        goto: signed",
            "      - text: Sign with him.\n        goto: signed\n      - text: Leave with him.\n        goto: exit",
        )
        + "  exit:\n    text: Gone.\n    ending: {kind: personal, title: Gone}\n",
        encoding="utf-8",
    )
    code, out, err = cli("why", "one:exit", "--story", root, "--format", "json")
    assert code == 1, err
    ans = json.loads(out)
    assert ans["reached"] is False and ans["replay"] is None
    text = "\n".join(ans["reasons"])
    assert "choice 2 of 'envoy' ('Leave with him.'): 'envoy' is never reached either, because" in text
    assert "needs `patience >= 2`" in text and "patience is always 1 there" in text
    assert "it would need patience to be 2 or 3" in text


def test_two_flags_together(tmp_path):
    root = copy_tour(tmp_path / "tour")
    storm = root / "chapters" / "storm.yaml"
    storm.write_text(
        storm.read_text(encoding="utf-8").replace("if: courage < 3", "if: courage >= 3 and not asked_for_help"),
        encoding="utf-8",
    )
    code, out, _ = cli("why", "storm:asleep", "--story", root)
    assert code == 1
    assert "together, only {asked_for_help=false, courage=2}, {asked_for_help=true, courage=1}" in out
    assert "it would be true with, e.g., {asked_for_help=false, courage=3}" in out


def test_bad_targets_are_usage_errors():
    done = chronicle("why", "storm:nowhere", "--story", LIGHTHOUSE)
    assert done.returncode == 2 and "chapter 'storm' has no node 'nowhere'" in done.stderr
    for target, says in [
        ("nowhere:tower", "no chapter 'nowhere'"),
        ("storm:lamp:9", "node 'lamp' has choices 1 to 2"),
        ("storm:dawn:1", "no choices (it is an ending)"),
        ("a:b:c:d", "CHAPTER:NODE[:CHOICE]"),
    ]:
        code, _, err = cli("why", target, "--story", LIGHTHOUSE)
        assert code == 2 and says in err, (target, err)
    # a node id unique in the story may stand alone
    code, out, _ = cli("why", "harbour", "--story", LIGHTHOUSE)
    assert code == 0 and out.startswith("morning:harbour is reached")


def test_an_incomplete_exploration_does_not_claim_too_much():
    code, out, _ = cli("why", "morning:home", "--story", LIGHTHOUSE, "--max-states", "5")
    assert code == 1
    assert out.startswith(
        "morning:home is not reached in the states explored (exploration stopped at its bound, "
        "so it may still be reached in play):"
    )


def test_nothing_leads_into_a_chapter_after_one_with_no_reachable_ending(tmp_path):
    root = docs.materialise(docs.load_case("chapter-not-listed"), tmp_path / "story", fixed=True)
    one = root / "chapters" / "one.yaml"
    one.write_text(
        one.read_text(encoding="utf-8").replace(
            "      - text: Sign.\n", "      - text: Sign.\n        if: treaty_torn\n"
        ),
        encoding="utf-8",
    )
    code, out, _ = cli("why", "two:evening", "--story", root)
    assert code == 1
    assert "nothing leads into chapter 'two': play never reaches an ending of chapter 'one'" in out
