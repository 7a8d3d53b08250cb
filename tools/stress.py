"""The whole suite on a busy machine with fresh property-test seeds, before a release.

    python -m tools.stress                     # one run: `make test-stress`
    python -m tools.stress --runs 3            # three in a row, each with a fresh seed
    python -m tools.stress --busy 2 --examples 4 -- tests/test_explore.py

Two CPU-bound processes (`--busy`) spin for the whole run, as other work on a shared
machine does, and each run draws a fresh Hypothesis seed (printed first, so a failure
replays with `pytest --hypothesis-seed=SEED`) with every property test's examples
multiplied by `--examples` (CHRONICLE_EXAMPLES, see tests/conftest.py). A test that waits
for a time instead of a state, or a result that depends on the load, fails here first.
CI keeps its derandomized run (CHRONICLE_CI); this is for developers.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPIN = "while True: pass"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=1, help="runs in a row, each with a fresh seed (default 1)")
    p.add_argument("--busy", type=int, default=2, help="CPU-bound processes to run beside it (default 2)")
    p.add_argument("--examples", type=int, default=1, help="multiply every property test's examples (default 1)")
    p.add_argument("pytest_args", nargs="*", help="passed to pytest (after --); default: the whole suite")
    args = p.parse_args(argv)
    env = dict(os.environ)
    env.pop("CHRONICLE_CI", None)  # fresh examples, not the derandomized ones
    env["CHRONICLE_EXAMPLES"] = str(max(1, args.examples))
    busy = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(max(0, args.busy))]
    failed = 0
    try:
        for run in range(1, args.runs + 1):
            seed = random.SystemRandom().randrange(2**32)
            print(f"stress run {run} of {args.runs}: {args.busy} busy loops, hypothesis seed {seed}", flush=True)
            cmd = [sys.executable, "-m", "pytest", "-q", f"--hypothesis-seed={seed}", *args.pytest_args]
            rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
            print(f"stress run {run}: {'passed' if rc == 0 else f'FAILED (exit {rc}; seed {seed})'}", flush=True)
            failed += rc != 0
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
