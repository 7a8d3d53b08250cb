"""Shared helpers: write a tiny story folder, run the real `chronicle` command.

`write_story` builds a story folder from plain dicts (dumped as YAML) or raw
text/bytes (written as they are, for bad-input tests). `run_cli` runs
`python -m engine ...` in a subprocess with a timeout, so a hang or a crash is
a failing test, never a stuck run.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "tests" / "stories" / "tour"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Where piped play in a subprocess keeps its saves: one folder per test run, removed when the
# run ends (pytest's own tmp_path folders go too; see tmp_path_retention_policy in pyproject).
_TEST_DATA_HOME = tempfile.mkdtemp(prefix="chronicle-test-data-")
atexit.register(shutil.rmtree, _TEST_DATA_HOME, ignore_errors=True)

CLI_TIMEOUT = 20  # seconds; a guard against hangs, not a timing assertion

DEFAULT_FACT = {
    "id": "thing-happens",
    "date": "1900",
    "statement": "A thing happens.",
    "source": {"paragraph": 1, "quote": "a thing"},
}


# The slow end-to-end files: real terminals under a pty, real Chromium, the whole real story
# explored or played. `make test-fast` (pytest -m "not slow") leaves them out; `make test` and
# CI run everything. A single slow test elsewhere carries @pytest.mark.slow itself.
SLOW_FILES = frozenset(
    {
        "test_player_pty.py",  # the game under a real pty, one process per test
        "test_player_reader.py",  # the same, for the reader's screens
        "test_reader_terminal.py",  # the real story at 80x24 under a pty
        "test_reader_page.py",  # headless Chromium
        "test_hardening.py",  # hostile streams, kills mid-save, two players at once
        "test_bad_input.py",  # every bad story through the real command, large files included
        "test_two_sessions.py",  # two games at once on one save folder, in real processes
        "test_explore_budget.py",  # explorations run until a memory or time bound stops them
        "test_check_progress.py",  # long explorations, to see the progress bar
        "test_web_conformance.py",  # headless Chromium
        "test_web_page.py",  # headless Chromium
        "test_web_hostile.py",  # headless Chromium, hostile localStorage and the web fuzz
        "test_fuzz.py",  # every command on mutated stories, compiled JSON, saves and piped input
        "test_lsp.py",  # a real language server, its check running in child processes on the real story
        "test_lsp_neovim.py",  # headless Neovim and its built-in LSP client
    }
)


# The fast set (`-m "not slow"`, `make test-fast`) runs each property test on a quarter of its
# examples (at least 10; 25 where a test sets none), for quick answers while working; the whole
# suite (`make test`, CI) runs them all. A property test names its count through examples().
_FAST = {"on": False}


# In CI (CHRONICLE_CI, which .ci/run sets) property tests draw the same examples on every run,
# so a red run is the change's doing and replays the same way; a developer's runs stay random
# and go on finding new cases.
_CI = bool(os.environ.get("CHRONICLE_CI"))


def pytest_configure(config):
    if (config.option.markexpr or "").strip() == "not slow":
        _FAST["on"] = True
        settings.register_profile("fast-set", max_examples=25, derandomize=_CI)
        settings.load_profile("fast-set")
    elif _CI:
        settings.register_profile("ci", derandomize=True, database=None)
        settings.load_profile("ci")


# CHRONICLE_EXAMPLES=K multiplies every property test's examples by K (`make test-stress` sets
# it, with fresh seeds, to hunt for the cases a routine run's examples miss).
_SCALE = max(1, int(os.environ.get("CHRONICLE_EXAMPLES", "1") or 1))


def examples(n: int) -> int:
    """A property test's number of examples: `n`, or a quarter of it in the fast set (times
    CHRONICLE_EXAMPLES when set)."""
    return (max(10, n // 4) if _FAST["on"] else n) * _SCALE


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


def _dump(value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True).encode("utf-8")


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@contextlib.contextmanager
def no_cache():
    """Compile without the on-disk document cache (throwaway stories gain nothing from it)."""
    old = os.environ.get("CHRONICLE_CACHE")
    os.environ["CHRONICLE_CACHE"] = "0"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("CHRONICLE_CACHE", None)
        else:
            os.environ["CHRONICLE_CACHE"] = old


def chapter(
    cid: str,
    nodes: dict,
    *,
    start: str | None = None,
    flags: dict | None = None,
    covers: list | None = None,
    period=("1900", "1900"),
    title: str | None = None,
) -> dict:
    """A chapter document as a dict (start defaults to the first node)."""
    doc = {"id": cid, "title": title or f"Chapter {cid}", "period": {"from": period[0], "to": period[1]}}
    if covers:
        doc["covers"] = list(covers)
    if flags:
        doc["flags"] = flags
    doc["start"] = start or next(iter(nodes))
    doc["nodes"] = nodes
    return doc


def write_story(
    root: Path,
    chapters: dict,
    *,
    flags: dict | None = None,
    facts: list | None = None,
    title: str = "A Test Story",
    order: list | None = None,
    manifest=None,
    history=None,
    max_call_depth: int | None = None,
    calls: str | None = None,
) -> Path:
    """Write a story folder under `root` and return it.

    `chapters` maps chapter id -> dict (dumped as YAML) or str/bytes (written raw).
    `manifest` / `history` replace the generated story.yaml / history.yaml (dict, str or bytes).
    """
    root = Path(root)
    (root / "story").mkdir(parents=True, exist_ok=True)
    (root / "chapters").mkdir(exist_ok=True)
    if manifest is None:
        manifest = {"title": title, "chapters": list(order if order is not None else chapters)}
        if flags:
            manifest["flags"] = flags
        if max_call_depth is not None:
            manifest["max_call_depth"] = max_call_depth
        if calls is not None:
            manifest["calls"] = calls
    if history is None:
        history = {"facts": facts if facts is not None else [DEFAULT_FACT]}
    (root / "story" / "story.yaml").write_bytes(_dump(manifest))
    (root / "story" / "history.yaml").write_bytes(_dump(history))
    for cid, doc in chapters.items():
        (root / "chapters" / f"{cid}.yaml").write_bytes(_dump(doc))
    return root


def counter_hub(root: Path, n_flags: int, top: int = 3) -> Path:
    """The hostile shape of the bounds tests: `n_flags` int counters 0..top around one hub whose
    choices each bump one counter, and a way out. (top+1)**n_flags states: only a bound ends the
    exploration. Every counter is read by its own choice's condition, so none is reset as dead."""
    flag = {"type": "int", "default": 0, "min": 0, "max": top}
    flags = {f"f{i}": dict(flag, doc=f"Counter {i}") for i in range(n_flags)}
    choices = [
        {"text": f"Bump {i}.", "if": f"f{i} < {top}", "do": [f"f{i} += 1"], "goto": "hub"} for i in range(n_flags)
    ]
    choices.append({"text": "Leave.", "goto": "end", "canon": True})
    nodes = {
        "hub": {"text": "The hub.", "choices": choices},
        "end": {"text": "Done.", "ending": {"kind": "canon", "title": "Out"}},
    }
    return write_story(root, {"one": chapter("one", nodes, flags=flags)})


def run_cli(
    *args,
    input: str | bytes | None = None,
    cwd: Path | None = None,
    timeout: float = CLI_TIMEOUT,
    limit_memory: int | None = None,
) -> subprocess.CompletedProcess:
    """Run `python -m engine ARGS` and return the finished process (text output).

    `limit_memory` caps the child's address space (bytes), so a test can show that
    something is done in bounded memory."""
    env = _cli_env()
    if isinstance(input, bytes):
        input = input.decode("utf-8")
    return subprocess.run(
        [sys.executable, "-m", "engine", *map(str, args)],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        cwd=str(cwd or ROOT),
        env=env,
        timeout=timeout,
        preexec_fn=_memory_cap(limit_memory) if limit_memory else None,
    )


def _cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("CHRONICLE_STORY", None)
    env["COLUMNS"] = "100"
    env["XDG_DATA_HOME"] = _TEST_DATA_HOME  # saves from piped play never land in the real home folder
    return env


# Run by run_cli_peak as a separate small process. Linux records, at exec, the peak resident
# size of the memory the process is leaving (fs/exec.c: setmax_mm_hiwater_rss), and a child
# forked from pytest leaves pytest's: a late test's child "peaked" at the whole suite's size
# (1.27 GB in CI for a check that holds 847 MB). So this launcher, small itself, forks the
# measured command, and reports that grandchild's own peak in KiB on its last stderr line.
_PEAK_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"\\npeak-kib {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
"""


def run_cli_peak(*args, timeout: float = CLI_TIMEOUT) -> tuple[subprocess.CompletedProcess, int]:
    """Run `python -m engine ARGS` and return the finished process and its own peak resident
    size in KiB, measured by _PEAK_LAUNCHER (a child of pytest would report pytest's peak).
    Past `timeout` the launcher and the command are killed together and TimeoutExpired raised,
    as run_cli does."""
    cmd = [sys.executable, "-m", "engine", *map(str, args)]
    launcher = subprocess.Popen(
        [sys.executable, "-c", _PEAK_LAUNCHER, *cmd],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(ROOT),
        env=_cli_env(),
        start_new_session=True,  # one process group, so a timeout kills the command too
    )
    try:
        out, err = launcher.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, 9)
        launcher.communicate()
        raise
    err, _, peak_line = err.rstrip("\n").rpartition("\n")
    peak_kib = int(peak_line.removeprefix("peak-kib "))
    return subprocess.CompletedProcess(cmd, launcher.returncode, out, err), peak_kib


def _memory_cap(limit: int):
    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout


@pytest.fixture
def story_dir(tmp_path):
    """`story_dir(chapters, **kw)` writes a story into a fresh folder and returns its path."""
    counter = iter(range(1_000_000))

    def make(chapters: dict, **kw) -> Path:
        return write_story(tmp_path / f"story{next(counter)}", chapters, **kw)

    return make


def two_node_chapter(cid: str = "one", **kw) -> dict:
    """The smallest chapter that checks clean: a canon choice to a canon ending."""
    return chapter(
        cid,
        {
            "start": {"text": "It begins.", "choices": [{"text": "Go on.", "goto": "end", "canon": True}]},
            "end": {"text": "It ends.", "ending": {"kind": "canon", "title": "The End"}},
        },
        **kw,
    )
