"""Time from process start to the first prompt on screen of `chronicle play`, in a real pty.

    python benchmarks/bench_startup.py          # prints the figures
    make bench                                  # with every other benchmark

The clock starts just before the process is spawned and stops when the title
screen's prompt is on the (emulated) screen, so it includes Python starting,
imports, compiling the story, reading the saves and drawing. Median of RUNS,
after one warm-up run so that Python's bytecode cache is as a player has it
(PYTHONDONTWRITEBYTECODE is dropped for the measured process).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "tests" / "stories" / "tour"
RUNS = 7
GENERATED_NODES = 2000


def _command() -> list[str]:
    script = Path(sys.executable).parent / "chronicle"
    return [str(script)] if script.exists() else [sys.executable, "-m", "engine"]


def time_to_prompt(args: list[str], save_dir: Path, runs: int = RUNS) -> list[float]:
    import pexpect
    import pyte

    class Screen(pyte.Screen):
        child = None

        def write_process_input(self, data):  # answer prompt_toolkit's cursor-position query
            if self.child is not None:
                self.child.send(data)

    env = dict(os.environ, TERM="xterm-256color", PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(save_dir))
    # As on a player's machine: bytecode cached after the first run (one warm-up run, not counted).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    times = []
    cmd = _command()
    for i in range(runs + 1):
        screen = Screen(100, 30)
        stream = pyte.ByteStream(screen)
        t0 = time.perf_counter()
        child = pexpect.spawn(
            cmd[0], cmd[1:] + ["play", *args, "--save-dir", str(save_dir)], env=env, dimensions=(30, 100), cwd=str(ROOT)
        )
        child.delaybeforesend = None
        screen.child = child
        try:
            while True:
                try:
                    stream.feed(child.read_nonblocking(65536, 10))
                except pexpect.TIMEOUT:
                    raise RuntimeError("no prompt within 10 s:\n" + "\n".join(screen.display)) from None
                if any(line.rstrip() == ">" for line in screen.display):
                    if i:
                        times.append(time.perf_counter() - t0)
                    break
        finally:
            child.delayafterterminate = 0.02
            child.terminate(force=True)
    return times


def _generated_story(tmp: Path) -> Path | None:
    gen = ROOT / "benchmarks" / "generate.py"
    if not gen.exists():
        return None
    out = tmp / "generated"
    proc = subprocess.run(
        [sys.executable, str(gen), str(out), "--nodes", str(GENERATED_NODES)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    return out if proc.returncode == 0 and (out / "story" / "story.yaml").exists() else None


def _compiles(root: Path | None) -> bool:
    if root is None:
        return False
    sys.path.insert(0, str(ROOT))
    from engine.compile import compile_story
    from engine.diagnostics import has_errors

    story, diags = compile_story(root)
    return story is not None and not has_errors(diags)


def run() -> list[tuple[str, float, str]]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [("tour story", ["--story", str(TOUR)])]
        if _compiles(ROOT):
            cases.append(("built-in story", []))
        generated = _generated_story(tmp)
        if _compiles(generated):
            cases.append((f"generated {GENERATED_NODES}-node story", ["--story", str(generated)]))
        for name, args in cases:
            saves = tmp / f"saves-{len(out)}"
            times = time_to_prompt(args, saves)
            out.append(
                (
                    f"play: process start to first prompt ({name}), median of {RUNS}",
                    statistics.median(times) * 1000,
                    "ms",
                )
            )
        # With a long autosave to check (Continue replays it) on the title screen.
        saves = tmp / "saves-continue"
        moves = "\n".join(["2", "1", "3", "1"] * 1) + "\n1\n"
        env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(saves))
        subprocess.run(
            _command() + ["play", "--story", str(TOUR), "--save-dir", str(saves)],
            input=moves,
            capture_output=True,
            text=True,
            env=env,
            cwd=str(ROOT),
        )
        times = time_to_prompt(["--story", str(TOUR)], saves)
        out.append(
            (
                f"play: first prompt with an autosave to continue (tour story), median of {RUNS}",
                statistics.median(times) * 1000,
                "ms",
            )
        )
        shutil.rmtree(tmp, ignore_errors=True)
    return out


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name}: {value:.0f} {unit}")
