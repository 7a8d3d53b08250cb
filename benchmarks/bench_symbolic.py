"""The engines side by side: `check --engine explicit|symbolic|auto` on the same stories.

    python benchmarks/bench_symbolic.py             # prints the figures
    python benchmarks/bench_symbolic.py --sizes 1000 --seconds 10
    make bench                                      # with every other benchmark

Stories: the layered peer shape of generate.py (32 free story-wide bool flags) at SIZES nodes,
and the hub of generate_hub (128 bool and 64 int flags on a 200-node hub, every combination
reachable). Each check runs in its own process under `--max-seconds SECONDS` and the default
memory bound; the figures are its wall time, its peak resident memory (the child's own, from
os.wait4), whether the proof is complete, and the engine that ran; then the ratios within this
run (symbolic and auto against explicit, the largest size against 10,000 nodes). No figure is
asserted: a shared machine makes them vary, so compare ratios, not seconds, between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SIZES = (1000, 10_000, 30_000)
ENGINES = ("explicit", "symbolic", "auto")
SECONDS = 20


def _check(story: Path, engine: str, seconds: int) -> dict:
    """One `check` in a child process: wall seconds, peak MiB, complete, engine(s)."""
    cmd = [sys.executable, "-m", "engine", "check", "--story", str(story), "--format", "json"]
    cmd += ["--engine", engine, "--max-seconds", str(round(seconds))]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    out = proc.stdout.read() if proc.stdout else b""

    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    wall = time.perf_counter() - t0
    try:
        summary = json.loads(out)["summary"]
    except (ValueError, KeyError):
        summary = {}
    used = sorted(set(summary.get("engines", {}).values())) or [f"nothing (exit {os.waitstatus_to_exitcode(_status)})"]
    return {
        "wall": wall,
        "peak": usage.ru_maxrss / 1024,
        "complete": bool(summary.get("complete")),
        "stopped_by": summary.get("stopped_by"),
        "states": summary.get("states", 0),
        "engine": "+".join(used),
    }


def _stories(work: Path, sizes) -> list[tuple[str, Path]]:
    sys.path.insert(0, str(HERE))
    from generate import generate, generate_hub

    out = [(f"{n:,} nodes", generate(work / f"peer-{n}", nodes=n)) for n in sizes]
    out.append(("hub 128b+64i", generate_hub(work / "hub")))
    return out


def measure(sizes=SIZES, seconds: int = SECONDS, say=print) -> list[tuple[str, float | str, str]]:
    figures: list[tuple[str, float | str, str]] = []
    results: dict[tuple[str, str], dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, story in _stories(Path(tmp), sizes):
            for engine in ENGINES:
                r = results[(name, engine)] = _check(story, engine, seconds)
                proof = "complete" if r["complete"] else f"incomplete ({r['stopped_by']})"
                say(
                    f"  {name}, --engine {engine}: {r['wall']:.2f} s, {r['peak']:.0f} MiB peak, "
                    f"{r['states']:,} states, {proof}, ran {r['engine']}"
                )
                figures.append((f"{name} {engine} wall", r["wall"], "s"))
                figures.append((f"{name} {engine} peak", r["peak"], "MiB"))
                figures.append((f"{name} {engine} proof", "complete" if r["complete"] else "incomplete", ""))
    names = [f"{n:,} nodes" for n in sizes] + ["hub 128b+64i"]
    for name in names:
        base = results[(name, "explicit")]["wall"]
        for engine in ("symbolic", "auto"):
            ratio = results[(name, engine)]["wall"] / base
            say(f"  ratio {name}: {engine} / explicit = {ratio:.2f}x")
            figures.append((f"ratio {name} {engine}/explicit", ratio, "x"))
    if 10_000 in sizes and max(sizes) > 10_000:
        big = f"{max(sizes):,} nodes"
        for engine in ENGINES:
            ratio = results[(big, engine)]["wall"] / results[("10,000 nodes", engine)]["wall"]
            say(f"  ratio {engine}: {big} / 10,000 nodes = {ratio:.2f}x (target 1.5x, when complete)")
            figures.append((f"ratio {engine} {big}/10,000", ratio, "x"))
    return figures


def run() -> list[tuple[str, float | str, str]]:
    """For benchmarks/run.py (`make bench`): the figures, printed there."""
    return measure(say=lambda line: None)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(str(n) for n in SIZES), help="node counts, comma-separated")
    p.add_argument("--seconds", type=int, default=SECONDS, help=f"--max-seconds of each check (default {SECONDS:g})")
    a = p.parse_args(argv)
    measure(tuple(int(x) for x in a.sizes.split(",")), a.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
