"""The walkthrough in AUTHORING.md is true: replayed in order on a copy of the tour story,
its commands print what the guide shows (`python -m tools.docs` refreshes the blocks),
and the replay command `why` prints really plays to the node."""

from __future__ import annotations

import re

from authoring_helpers import ROOT, run_command_line

from tools import docs

GUIDE = (ROOT / "AUTHORING.md").read_text(encoding="utf-8")


def test_the_walkthrough_shows_what_the_commands_print(tmp_path):
    blocks = docs.marked_blocks(GUIDE)
    steps = {arg if isinstance(arg, str) else arg[0] for what, arg in docs.WALKTHROUGH if what != "edit"}
    assert steps == set(blocks), "every marked block is a step of the walkthrough, and every step has a block"
    # the guide's schema line is the one `new chapter` writes for a copy at the top of the checkout
    assert (
        blocks["night-v1"][2].split("\n")[0]
        == "# yaml-language-server: $schema=../../engine/schemas/chapter.schema.json"
    )
    old, new = next(arg for what, arg in docs.WALKTHROUGH if what == "edit")
    assert old in blocks["night-v1"][2] and f"`{new}`" in GUIDE.replace("\n", " ")
    bodies = docs.run_walkthrough(GUIDE, tmp_path)
    for name, body in bodies.items():
        assert blocks[name][2] == body, f"AUTHORING.md's block '{name}' is out of date: run `python -m tools.docs`"
    # what the steps are meant to show
    assert "error[choice-never-available]" in bodies["check-v1"] and "error[ending-unreached]" in bodies["check-v1"]
    assert "it can never be offered" in bodies["why-blocked"]
    replay = re.search(r"^replay: (.*)$", bodies["why-reached"], re.M).group(1)
    played = run_command_line(replay, cwd=tmp_path)
    assert played.returncode == 0, played.stderr
    assert "You cling to the rail and wipe the glass clear." in played.stdout


def test_the_recipe_for_a_breakable_fact_shows_each_step(tmp_path):
    bodies = docs.run_walkthrough(GUIDE, tmp_path)
    broken = bodies["recipe-check-broken"]
    assert "error[continuity]" in broken and "lamp_lit=false" in broken
    # the replay it prints plays into that part on the dark branch: after the fix, it shows the `else`
    replay = re.search(r"replay: (.*)$", broken, re.M).group(1)
    played = run_command_line(replay, cwd=tmp_path)
    assert "The tower stood dark all night" in played.stdout, played.stdout + played.stderr
    assert "All night the lamp burned" not in played.stdout
    assert "check ok" in bodies["recipe-check-fixed"]
    assert (
        "error[unknown-fact]" in bodies["recipe-check-typo"]
        and "did you mean 'lamp-kept'?" in bodies["recipe-check-typo"]
    )
    dark = bodies["recipe-play-dark"]
    assert "History you changed:\n  - The lamp dies in the storm" in dark
    assert "The lamp burns through the night of the storm" not in dark


def test_the_guide_stays_a_guide():
    """The generated reference of every code lives in docs/diagnostics.md; AUTHORING.md keeps the
    walkthrough, the format and the checks, short enough to read (it had grown to 100 KB)."""
    assert len(GUIDE.encode("utf-8")) < 64_000
    assert "docs/diagnostics.md" in GUIDE
