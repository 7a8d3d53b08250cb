"""`chronicle check` of the real story (chapters/), the whole command as an author runs it.

    python benchmarks/bench_check.py            # prints the figures
    make bench                                  # with every other benchmark

Wall time from process start to exit, its CPU time (user + system) and its peak memory, each
read from the child alone (os.wait4), best of RUNS after one warm-up run, so that Python's
bytecode cache and the story's compile cache are as an author has them (PYTHONDONTWRITEBYTECODE
is dropped for the measured process). On a busy machine the CPU figure is the steadier one.
Beside them: the states explored and the seconds `check` itself reports (its JSON summary:
from the story compiled to the last finding, without interpreter start and imports).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3


def _command() -> list[str]:
    script = Path(sys.executable).parent / "chronicle"
    return [str(script)] if script.exists() else [sys.executable, "-m", "engine"]


def check_once(story: Path = ROOT) -> dict:
    """One `chronicle check --format json` of `story`: wall, cpu, peak MiB, states, its own seconds."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("CHRONICLE_CACHE", None)
    t0 = time.perf_counter()
    child = subprocess.Popen(
        _command() + ["check", "--story", str(story), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=str(ROOT),
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise RuntimeError(f"chronicle check exited {child.returncode}")
    summary = json.loads(out)["summary"]
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "states": summary["states"],
        "seconds": summary["seconds"],
        "complete": summary["complete"],
    }


def run() -> list[tuple]:
    check_once()  # warm-up: bytecode and compile caches written
    results = [check_once() for _ in range(RUNS)]
    best = min(results, key=lambda r: r["wall"])
    return [
        ("real story `chronicle check`, whole command (best wall)", best["wall"], "s"),
        ("  its CPU time (best)", min(r["cpu"] for r in results), "s"),
        ("  peak memory (highest)", max(r["mib"] for r in results), "MiB"),
        ("  check's own figure (best: compile to findings)", min(r["seconds"] for r in results), "s"),
        ("  states explored", f"{best['states']:,}" + ("" if best["complete"] else " (INCOMPLETE)"), "states"),
    ]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name}: {value:,.3f} {unit}" if isinstance(value, float) else f"{name}: {value} {unit}")
