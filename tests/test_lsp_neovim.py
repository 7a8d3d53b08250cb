"""A real editor: headless Neovim (Debian's, `apt-get install -y neovim`; `.ci/run` installs it) with
its built-in LSP client started on a chapter of the real story. The Lua session
(tests/nvim/lsp_session.lua) breaks a `goto`, waits for the diagnostic, asks for completion and a
definition, and writes down what Neovim itself received."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

NVIM = shutil.which("nvim")
if NVIM is None:
    pytest.skip("the Neovim test needs Neovim: apt-get install -y neovim", allow_module_level=True)

SESSION = ROOT / "tests" / "nvim" / "lsp_session.lua"
INIT = ROOT / "tests" / "nvim" / "init.lua"  # the configuration the README gives, word for word


def test_the_readme_gives_the_configuration_tested_here():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = "\n".join("  " + line for line in INIT.read_text(encoding="utf-8").strip().split("\n"))
    assert snippet in readme


def test_neovim_gets_the_diagnostic_completion_and_definition(tmp_path: Path):
    story = tmp_path / "hammer"
    shutil.copytree(ROOT / "story", story / "story")
    shutil.copytree(ROOT / "chapters", story / "chapters")
    chapter = story / "chapters" / "riyadh-1980.yaml"
    before = chapter.read_bytes()
    out = tmp_path / "out.json"
    env = dict(
        os.environ,
        STORY=str(story),
        CHAPTER=str(chapter),
        TARGET="stairwell",
        OUT=str(out),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # `chronicle`
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    subprocess.run(
        [NVIM, "--headless", "-u", str(INIT), "-i", "NONE", "-n", "-c", f"luafile {SESSION}"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=240,
        check=False,
    )
    got = json.loads(out.read_text())
    assert got["ok"], got
    assert got["initialized"] and got["diagnostic_arrived"], got["steps"]
    broken = got["broken"]
    d = next(d for d in got["diagnostics"] if d["code"] == "unknown-node")
    start = broken["text"].index("stairwel")
    assert (d["lnum"], d["col"], d["end_lnum"], d["end_col"]) == (broken["line"], start, broken["line"], start + 8)
    assert "did you mean 'stairwell'?" in d["message"] and d["source"] == "chronicle"
    assert d["severity"] == 1  # an error
    assert "stairwell" in got["completion"] and "news" in got["completion"]
    text = before.decode()
    node_line = text.split("\n").index("  stairwell:")
    assert got["definition"] == [{"uri": chapter.as_uri(), "line": node_line, "character": 2}]
    assert chapter.read_bytes() == before  # Neovim's buffer changed; the file did not
