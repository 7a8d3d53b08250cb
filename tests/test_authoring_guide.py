"""The walkthrough in AUTHORING.md is true: its commands, run in order on a copy of the
tour story, print what the guide shows (timings aside; `...` stands for omitted lines)."""
from __future__ import annotations

import re
import shlex
import shutil


from authoring_helpers import ROOT, TOUR, cli, run_command_line

GUIDE = (ROOT / "AUTHORING.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"<!-- (output|example): ([a-z0-9-]+)(?: \| (.+?))? -->\n```[a-z]*\n(.*?)```", re.S)
BLOCKS = {m.group(2): (m.group(3), m.group(4)) for m in BLOCK.finditer(GUIDE)}


def timeless(text: str) -> str:
    return re.sub(r" in \d+\.\d+ s$", " in 0.00 s", text.rstrip("\n"), flags=re.M)


def run_block(name: str) -> str:
    command, body = BLOCKS[name]
    lines = body.rstrip("\n").split("\n")
    if command is None:
        assert lines[0].startswith("$ chronicle "), f"block {name} should start with the command"
        command, lines = lines[0][2:], lines[1:]
    argv = shlex.split(command)
    code, out, err = cli(*argv[1:])
    actual = timeless(out + err).split("\n")
    expected = timeless("\n".join(lines)).split("\n")
    if "..." in expected:  # a subsequence, in order
        it = iter(actual)
        for line in expected:
            if line != "...":
                assert any(a == line for a in it), f"{name}: '{line}' is not in the output, in order:\n" + "\n".join(actual)
    else:
        actual = [a for a in actual if not a.strip().startswith("%%")]
        assert actual == expected, f"{name}: the guide shows\n" + "\n".join(expected) + "\n\nbut the command prints\n" + "\n".join(actual)
    return out


def test_the_walkthrough(tmp_path, monkeypatch):
    assert {"new-chapter", "check-new", "night-v1", "check-v1", "why-blocked", "why-reached", "graph-night",
            "stats-night"} <= set(BLOCKS)
    shutil.copytree(TOUR, tmp_path / "lighthouse")
    monkeypatch.chdir(tmp_path)
    run_block("new-chapter")
    run_block("check-new")
    night = tmp_path / "lighthouse" / "chapters" / "night.yaml"
    # the guide's schema line is the one `new chapter` writes for a copy at the top of the checkout
    assert BLOCKS["night-v1"][1].split("\n")[0] == "# yaml-language-server: $schema=../../engine/schemas/chapter.schema.json"
    night.write_text(BLOCKS["night-v1"][1], encoding="utf-8")
    run_block("check-v1")
    run_block("why-blocked")
    assert "if: courage >= 4" in BLOCKS["night-v1"][1] and "Change the\ncondition to `if: courage >= 3`" in GUIDE
    night.write_text(BLOCKS["night-v1"][1].replace("courage >= 4", "courage >= 3"), encoding="utf-8")
    code, out, err = cli("check", "--story", "lighthouse")
    assert code == 0, out + err
    out = run_block("why-reached")
    replay = [line for line in out.splitlines() if line.startswith("replay: ")][0][len("replay: "):]
    played = run_command_line(replay, cwd=tmp_path)
    assert played.returncode == 0, played.stderr
    assert "You cling to the rail and wipe the glass clear." in played.stdout
    run_block("graph-night")
    run_block("stats-night")
