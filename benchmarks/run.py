"""Chronicle's benchmarks, against the figures its peers were measured at.

    make bench                                   # 1,000 and 10,000 nodes (a few minutes)
    .venv/bin/python benchmarks/run.py --full    # and 100,000 nodes
    .venv/bin/python benchmarks/run.py --sizes 2000 --repeat 1 --json out.json

For each size it generates the layered story the peers were measured on (see
benchmarks/generate.py: 3 choices per node into the next layer, 32 boolean
flags all false at the start, 30% of the choices guarded by one flag, 20%
setting one, about 30 words per node) and measures, each in a fresh
subprocess so that peak memory belongs to one job:

  load+compile    cold (no cache) and warm (files unchanged: the cache in
                  <story>/.cache/chronicle/), in-process, best of --repeat;
  chronicle check --static   the whole command, from process start: the
                  figure to hold against ChoiceScript's quicktest;
  peak memory     of the cold load+compile+static check (ru_maxrss);
  exploration     states per second: on the layered shape until the bound
                  (its 32 free flags make exact exploration blow up; it is
                  stopped there, honestly reported as incomplete), and the
                  whole `check` of the same shape with 4 flags, which completes;
  random play     choices per second of `check --random`, and of a bare
                  Python loop over the same graph measured in the same run
                  (compare ratios within one run: the machine's speed cancels).

Times are wall-clock, with CPU time beside them: on a busy machine the CPU
figure is the steadier one. Every other benchmarks/bench_*.py exposing
`run() -> list[(name, value, unit)]` is run too and its figures printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Reference figures, measured on this 2-core machine (10,000-node layered story).
PEERS = {
    "quicktest_seconds": 1.7,  # ChoiceScript quicktest, 10,000 nodes
    "quicktest_mib": 134,  # its peak memory
    "randomtest_cps": 50_000,  # ChoiceScript randomtest, choices per second
    "inkjs_cps": 35_000,  # inkjs random play
    "bare_loop_cps": 1_700_000,  # a bare Python loop over the graph
}
GOALS = {
    "random_cps": 500_000,
    "warm_seconds_10k": 1.7,
    "cold_seconds_10k": 4.0,
    "states_per_second": 300_000,
    "mib_10k": 150,
}
EXPLORE_BOUND = 200_000  # states, for the layered shape whose exact exploration blows up
RANDOM_CHOICES = 1_000_000  # about this many choices per random-play measurement


# ---- workers: one measurement each, in a fresh process -----------------------------------


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _clock():
    return time.perf_counter(), time.process_time()


def _since(t):
    return time.perf_counter() - t[0], time.process_time() - t[1]


def work(kind: str, story_dir: str, arg: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from engine import cache
    from engine.compile import compile_story

    base = _rss_mib()
    if kind == "load":  # arg: 1 = cold (cache cleared first), 0 = warm
        if arg:
            cache.clear(Path(story_dir))
        t = _clock()
        story, diags = compile_story(story_dir)
        wall, cpu = _since(t)
        assert story is not None, [d.render() for d in diags[:3]]
        return {
            "wall": wall,
            "cpu": cpu,
            "rss_mib": _rss_mib(),
            "base_mib": base,
            "nodes": sum(len(c.nodes) for c in story.chapters),
        }
    story, _ = compile_story(story_dir)
    if kind == "explore":  # the first chapter, from the start, until the bound
        from engine.check.explore import explore

        t = _clock()
        ex = explore(story, story.chapters[0], [story.story_defaults], max_states=arg)
        wall, cpu = _since(t)
        return {
            "wall": wall,
            "cpu": cpu,
            "states": len(ex.keys),
            "complete": ex.complete,
            "nodes": len(story.chapters[0].nodes),
            "rss_mib": _rss_mib(),
            "base_mib": base,
        }
    if kind == "check":  # the whole `check`: every chapter from every start, then the findings
        from engine.check import check_story
        from engine.check.explore import explore

        t = _clock()
        report = check_story(story, max_states=arg)
        wall, cpu = _since(t)
        t = _clock()
        explored = 0
        for ch in story.chapters:  # the explorer alone, each chapter from the default start
            explored += len(explore(story, ch, [story.story_defaults], max_states=arg).keys)
        ewall, ecpu = _since(t)
        return {
            "wall": wall,
            "cpu": cpu,
            "states": report.states,
            "complete": report.complete,
            "explore_states": explored,
            "explore_wall": ewall,
            "explore_cpu": ecpu,
            "findings": len(report.diagnostics),
            "rss_mib": _rss_mib(),
            "base_mib": base,
        }
    if kind == "random":  # arg: playthroughs
        from engine.check.sample import sample

        t = _clock()
        rep = sample(story, arg, seed=1)
        wall, cpu = _since(t)
        return {
            "wall": wall,
            "cpu": cpu,
            "loop_wall": rep.seconds,
            "choices": rep.choices,
            "finished": rep.finished,
            "ok": rep.ok,
            "rss_mib": _rss_mib(),
        }
    if kind == "baseline":  # arg: playthroughs
        graph = _plain_graph(story)
        t = _clock()
        choices = _bare_loop(graph, len(story.flags), arg, seed=1)
        wall, cpu = _since(t)
        return {"wall": wall, "cpu": cpu, "choices": choices}
    raise SystemExit(f"unknown worker {kind}")


def _plain_graph(story) -> list:
    """The story as the plainest Python data: per chapter, per node, [(guard, want, sets, target)]."""
    chapters = []
    for ch in story.chapters:
        ids = {n: i for i, n in enumerate(ch.nodes)}
        slots = {f.name: f.slot for f in ch.layout}
        nodes = []
        for node in ch.nodes.values():
            opts = []
            for c in node.choices:
                guard, want = -1, True
                if c.condition_src:
                    src = c.condition_src.strip()
                    want = not src.startswith("not ")
                    guard = slots[src.removeprefix("not ").strip()]
                sets = slots[c.effects[0].expr.target] if c.effects else -1
                opts.append((guard, want, sets, ids[c.target]))
            nodes.append(opts)
        chapters.append((nodes, ids[ch.start]))
    return chapters


def _bare_loop(chapters: list, n_flags: int, runs: int, seed: int) -> int:
    """What a person would write first: lists, a filter, random choice. The yardstick."""
    rnd = random.Random(seed).random
    taken = 0
    for _ in range(runs):
        flags = [False] * n_flags
        for nodes, node in chapters:
            while True:
                opts = nodes[node]
                if not opts:
                    break
                avail = [o for o in opts if o[0] < 0 or flags[o[0]] == o[1]]
                o = avail[int(rnd() * len(avail))]
                if o[2] >= 0:
                    flags[o[2]] = True
                node = o[3]
                taken += 1
    return taken


# ---- the driver ---------------------------------------------------------------------------------


def _worker(kind: str, story: Path, arg: int = 0) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CHRONICLE_CACHE", None)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--story", str(story), "--arg", str(arg)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker {kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(results: list[dict]) -> dict:
    best = min(results, key=lambda r: r["wall"])
    best = dict(best)
    best["cpu"] = min(r["cpu"] for r in results)
    best["rss_mib"] = max(r.get("rss_mib", 0) for r in results)
    return best


def _cli(story: Path, cold: bool, repeat: int) -> dict:
    """`chronicle check --static` as a person runs it: interpreter start, imports, compile."""
    exe = Path(sys.executable).parent / "chronicle"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "engine"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CHRONICLE_CACHE", None)
    walls, cpus = [], []
    for _ in range(repeat):
        if cold:
            shutil.rmtree(story / ".cache", ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        out = subprocess.run(
            cmd + ["check", "--static", "--story", str(story)], capture_output=True, text=True, env=env
        )
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        if out.returncode != 0:
            raise RuntimeError(f"chronicle check --static failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return {"wall": min(walls), "cpu": min(cpus)}


def _fmt_s(r: dict) -> str:
    return f"{r['wall']:.2f} s (cpu {r['cpu']:.2f} s)"


def _rate(n: float, r: dict, wall_key="wall", cpu_key="cpu") -> tuple[float, float]:
    return n / r[wall_key], n / r[cpu_key]


def measure(size: int, work_dir: Path, repeat: int, say) -> dict:
    sys.path.insert(0, str(HERE))
    from generate import generate

    t = time.perf_counter()
    peer = generate(work_dir / f"layered-{size}", nodes=size)
    small = generate(work_dir / f"flags4-{size}", nodes=size, bool_flags=4)
    say(
        f"\n== {size:,} nodes (layered; generated in {time.perf_counter() - t:.1f} s, "
        f"{sum(p.stat().st_size for p in (peer / 'chapters').glob('*.yaml')) / 2**20:.1f} MiB of YAML)"
    )
    r: dict = {"nodes": size}
    r["cold"] = _best([_worker("load", peer, 1) for _ in range(repeat)])
    r["warm"] = _best([_worker("load", peer, 0) for _ in range(repeat)])
    say(f"  load+compile, cold:             {_fmt_s(r['cold'])}")
    say(f"  load+compile, unchanged files:  {_fmt_s(r['warm'])}  (cache)")
    r["cli_cold"] = _cli(peer, True, repeat)
    r["cli_warm"] = _cli(peer, False, repeat)
    say(f"  `chronicle check --static`, cold:  {_fmt_s(r['cli_cold'])}")
    say(f"  `chronicle check --static`, warm:  {_fmt_s(r['cli_warm'])}")
    say(
        f"  peak memory, cold load+compile: {r['cold']['rss_mib']:.0f} MiB "
        f"(of which the interpreter and engine before loading: {r['cold']['base_mib']:.0f} MiB)"
    )

    ex = _worker("explore", peer, EXPLORE_BOUND)
    r["explore"] = ex
    w, c = _rate(ex["states"], ex)
    say(
        f"  explore, layered (chapter 1, {ex['nodes']:,} nodes, 32 free flags): {ex['states']:,} states in "
        f"{ex['wall']:.2f} s = {w:,.0f} states/s (cpu {c:,.0f}/s); "
        + (
            "complete"
            if ex["complete"]
            else f"stopped at the bound of {EXPLORE_BOUND:,}: exact exploration of this shape does not finish"
        )
        + f"; peak {ex['rss_mib']:.0f} MiB"
    )
    ck = _worker("check", small, 2_000_000)
    r["check"] = ck
    w, c = _rate(ck["states"], ck)
    ew, ec = _rate(ck["explore_states"], ck, "explore_wall", "explore_cpu")
    say(
        f"  check, same shape with 4 flags: {ck['states']:,} states in {ck['wall']:.2f} s = {w:,.0f} states/s "
        f"(cpu {c:,.0f}/s), {'complete' if ck['complete'] else 'INCOMPLETE'}, {ck['findings']:,} findings; "
        f"the explorer alone: {ew:,.0f} states/s (cpu {ec:,.0f}/s); peak {ck['rss_mib']:.0f} MiB"
    )

    pilot = _worker("random", peer, 20)
    runs = max(50, int(RANDOM_CHOICES / max(1, pilot["choices"] / 20)))
    rp = _worker("random", peer, runs)
    bl = _worker("baseline", peer, runs)
    r["random"], r["baseline"] = rp, bl
    loop_rate = rp["choices"] / rp["loop_wall"]
    w, c = _rate(rp["choices"], rp)
    bw, bc = _rate(bl["choices"], bl)
    say(
        f"  random play: {runs:,} playthroughs, {rp['choices']:,} choices: {loop_rate:,.0f} choices/s in the play "
        f"loop, {w:,.0f}/s all told (cpu {c:,.0f}/s){'' if rp['ok'] else ' - FINDINGS'}"
    )
    say(f"  bare Python loop, same graph, same runs: {bw:,.0f} choices/s (cpu {bc:,.0f}/s)")
    r["random_cps"], r["random_cps_cpu"], r["baseline_cps"], r["baseline_cps_cpu"] = loop_rate, c, bw, bc
    return r


def ratios(results: list[dict], say) -> None:
    say("\n== against the peers and the goals")
    by = {r["nodes"]: r for r in results}
    r10 = by.get(10_000)
    if r10:
        say(
            f"  validate 10,000 nodes, warm (`check --static`, whole command): {r10['cli_warm']['wall']:.2f} s; "
            f"quicktest {PEERS['quicktest_seconds']} s -> {PEERS['quicktest_seconds'] / r10['cli_warm']['wall']:.1f}x; "
            f"goal < {GOALS['warm_seconds_10k']} s: "
            f"{'met' if r10['cli_warm']['wall'] < GOALS['warm_seconds_10k'] else 'NOT met'}"
        )
        say(
            f"  validate 10,000 nodes, cold: {r10['cli_cold']['wall']:.2f} s; goal < {GOALS['cold_seconds_10k']} s: "
            f"{'met' if r10['cli_cold']['wall'] < GOALS['cold_seconds_10k'] else 'NOT met'}"
        )
        mib = r10["cold"]["rss_mib"]
        say(
            f"  memory, 10,000 nodes: {mib:.0f} MiB; quicktest {PEERS['quicktest_mib']} MiB -> "
            f"{mib / PEERS['quicktest_mib']:.2f}x; goal < {GOALS['mib_10k']} MiB: "
            f"{'met' if mib < GOALS['mib_10k'] else 'NOT met'}"
        )
    for r in results:
        cps, base = r["random_cps"], r["baseline_cps"]
        say(
            f"  random play, {r['nodes']:,} nodes: {cps:,.0f} choices/s = {cps / PEERS['randomtest_cps']:.1f}x "
            f"randomtest, {cps / PEERS['inkjs_cps']:.1f}x inkjs; {cps / base:.0%} of the bare loop measured in this "
            f"run (randomtest ran at {PEERS['randomtest_cps'] / PEERS['bare_loop_cps']:.0%} of its bare loop); "
            f"goal >= {GOALS['random_cps']:,}: {'met' if cps >= GOALS['random_cps'] else 'NOT met'}"
        )
        st = r["check"]["explore_states"] / r["check"]["explore_wall"]
        sl = r["explore"]["states"] / r["explore"]["wall"]
        say(
            f"  exploration, {r['nodes']:,} nodes: {st:,.0f} states/s (4 flags, complete), {sl:,.0f} states/s "
            f"(32 flags, to the bound); goal >= {GOALS['states_per_second']:,}: "
            f"{'met' if min(st, sl) >= GOALS['states_per_second'] else 'NOT met (see cpu figures above)'}"
        )
    if len(results) > 1:
        a, b = results[0], results[-1]
        grow = (b["cold"]["rss_mib"] - b["cold"]["base_mib"]) / max(1e-9, a["cold"]["rss_mib"] - a["cold"]["base_mib"])
        say(
            f"  memory growth {a['nodes']:,} -> {b['nodes']:,} nodes ({b['nodes'] / a['nodes']:.0f}x): "
            f"{grow:.1f}x above the interpreter's own"
        )


def other_benchmarks(say) -> None:
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            if not hasattr(module, "run"):
                continue
            say(f"\n== {path.name}")
            for name, value, unit in module.run():
                say(f"  {name}: {value:,.3f} {unit}" if isinstance(value, float) else f"  {name}: {value} {unit}")
        except Exception as exc:  # one broken benchmark does not hide the others
            say(f"  {path.name} failed: {type(exc).__name__}: {exc}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Chronicle benchmarks against its peers' figures.")
    p.add_argument("--sizes", default=None, help="node counts, comma-separated (default 1000,10000)")
    p.add_argument("--full", action="store_true", help="also 100,000 nodes (several minutes more)")
    p.add_argument("--repeat", type=int, default=3, help="best of N for the load timings (default 3)")
    p.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    p.add_argument("--keep", metavar="DIR", help="generate the stories here and keep them")
    p.add_argument("--no-others", action="store_true", help="skip the other bench_*.py modules")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--story", help=argparse.SUPPRESS)
    p.add_argument("--arg", type=int, default=0, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        print(json.dumps(work(a.worker, a.story, a.arg)))
        return 0
    sizes = [int(s.replace("_", "").replace(",", "")) for s in a.sizes.split(",")] if a.sizes else [1_000, 10_000]
    if a.full and 100_000 not in sizes:
        sizes.append(100_000)

    def say(line: str) -> None:
        print(line, flush=True)

    say(
        f"Chronicle benchmarks - Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    work_dir = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="chronicle-bench-"))
    work_dir.mkdir(parents=True, exist_ok=True)
    results = []
    t0 = time.perf_counter()
    try:
        for size in sizes:
            results.append(measure(size, work_dir, a.repeat if size < 100_000 else 1, say))
        ratios(results, say)
    finally:
        if not a.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
    if not a.no_others:
        other_benchmarks(say)
    say(f"\n(load average {os.getloadavg()[0]:.1f} at the end; {time.perf_counter() - t0:.0f} s in all)")
    if a.json:
        Path(a.json).write_text(json.dumps({"peers": PEERS, "goals": GOALS, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
