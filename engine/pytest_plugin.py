"""Chronicle's pytest plugin: a story's chapters as pytest items.

In a story repository - the rootdir holds story/story.yaml, or the ini option
`chronicle_story` or the command-line option `--chronicle-story DIR` names the
story folder - a plain `pytest` run collects one item per chapter listed in the
manifest, `chapters/<id>.yaml::check`, and one for the story files,
`story/story.yaml::check` (the manifest, the history, and whatever belongs to no
chapter). Each item fails with the diagnostics `chronicle check` reports for its
file, rendered as `chronicle check` renders them; warnings pass, shown in
pytest's warnings summary.

The story is compiled and explored once per session, when the first of these
items runs; collecting them only reads the manifest's chapter list, so
`pytest --collect-only` stays cheap.

Explicit arguments keep their meaning: `pytest tests/test_x.py` runs only that
file, while `pytest chapters/riyadh-1980.yaml` (or `pytest chapters/`) runs the
check of those chapters. A project with no story sees nothing of this plugin;
`-p no:chronicle` turns it off anywhere.

Options (command line, or ini):
  --chronicle-story DIR       chronicle_story = DIR   the story folder
  --chronicle-max-states N    chronicle_max_states = N   the exploration bound
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_RESULTS = pytest.StashKey["_Results"]()
_ROOT = pytest.StashKey["Path | None"]()
CHECK = "check"


class ChronicleWarning(UserWarning):
    """A warning `chronicle check` reports (it does not fail the item)."""


class ChronicleCheckFailed(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


# ---- options and the story root -----------------------------------------------------------


def pytest_addoption(parser):
    group = parser.getgroup("chronicle", "Chronicle story checks")
    group.addoption(
        "--chronicle-story",
        metavar="DIR",
        default=None,
        help="check the Chronicle story in DIR (default: the rootdir, when it holds story/story.yaml)",
    )
    group.addoption(
        "--chronicle-max-states",
        metavar="N",
        type=int,
        default=None,
        help="stop exploring a story after N states (as `chronicle check --max-states`)",
    )
    parser.addini("chronicle_story", "the Chronicle story folder to check (relative to the ini file)", default="")
    parser.addini("chronicle_max_states", "exploration bound for the story checks", default="")


def story_root(config) -> Path | None:
    """The story this session checks, or None (no story here: the plugin stays out of the way)."""
    if _ROOT in config.stash:
        return config.stash[_ROOT]
    root = None
    opt = config.getoption("chronicle_story")
    ini = config.getini("chronicle_story")
    if opt:
        root = Path(config.invocation_params.dir, opt)
    elif ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        root = Path(base, ini)
    elif (Path(config.rootpath) / "story" / "story.yaml").is_file():
        root = Path(config.rootpath)
    root = root.resolve() if root is not None else None
    config.stash[_ROOT] = root
    return root


def _max_states(config) -> int:
    from .check.explore import DEFAULT_MAX_STATES

    opt = config.getoption("chronicle_max_states")
    if opt:
        return opt
    ini = str(config.getini("chronicle_max_states") or "").replace(",", "").replace("_", "").strip()
    return int(ini) if ini else DEFAULT_MAX_STATES


# ---- collection ----------------------------------------------------------------------------


def _manifest_chapters(root: Path) -> list[str]:
    """The chapter ids the manifest lists (cheap: no compiling); [] when it cannot be read."""
    from .yamlload import load_file

    try:
        data = load_file(root / "story" / "story.yaml").data
    except Exception:
        return []
    chapters = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(chapters, list):
        return []
    return list(dict.fromkeys(c for c in chapters if isinstance(c, str)))


def _story_files(root: Path) -> list[Path]:
    files = [root / "story" / "story.yaml"]
    for cid in _manifest_chapters(root):
        p = root / "chapters" / f"{cid}.yaml"
        if p.is_file():
            files.append(p)
    return files


def _is_story_file(root: Path, path: Path) -> bool:
    path = Path(path).resolve()
    if path == root / "story" / "story.yaml":
        return True
    return path.parent == root / "chapters" and path.suffix == ".yaml" and path.stem in _manifest_chapters(root)


def pytest_collect_file(file_path, parent):
    """A chapter file (or the manifest) named on the command line, or met in a folder pytest walks."""
    root = story_root(parent.config)
    if root is not None and file_path.suffix == ".yaml" and _is_story_file(root, file_path):
        return StoryFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect, so they apply to these items too
def pytest_collection_modifyitems(session, config, items):
    """A plain `pytest` run (no paths given) checks the whole story too; story items go last, in play order."""
    root = story_root(config)
    if root is None:
        return
    ours = [item for item in items if isinstance(item, CheckItem)]
    if not config.option.file_or_dir:
        have = {item.nodeid for item in ours}
        for path in _story_files(root):
            for item in StoryFile.from_parent(session, path=path).collect():
                if item.nodeid not in have:
                    ours.append(item)
    if not ours:
        return
    order = {p.resolve(): i for i, p in enumerate(_story_files(root))}
    ours.sort(key=lambda item: order.get(Path(item.path).resolve(), len(order)))
    items[:] = [item for item in items if not isinstance(item, CheckItem)] + ours


class StoryFile(pytest.File):
    def collect(self):
        yield CheckItem.from_parent(self, name=CHECK)


class CheckItem(pytest.Item):
    """`chronicle check`, as far as one file of the story is concerned."""

    # No fixtures. Said out loud because other plugins' hook wrappers look for it on every item
    # (pytest-lsp 1.0's pytest_runtest_call returns without running an item that lacks it).
    funcargs: dict = {}

    def runtest(self):
        results = _results(self.config)
        mine = results.for_file(self.path)
        for d in mine:
            if not d.is_error:
                warnings.warn(ChronicleWarning(d.render()), stacklevel=1)  # the story file is the place
        errors = [d for d in mine if d.is_error]
        if errors:
            raise ChronicleCheckFailed(results.render(self.path, mine))
        reason = results.skipped_reason(self.path)
        if reason:
            try:  # reported at this item's file, not at this line of the plugin
                raise pytest.skip.Exception(reason, _use_item_location=True)
            except TypeError:
                pytest.skip(reason)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ChronicleCheckFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"chronicle check: {self.path.name}"


# ---- the check, once per session ------------------------------------------------------------


@dataclass
class _Results:
    root: Path
    by_file: dict = field(default_factory=dict)  # resolved path -> [Diagnostic]
    compiled: bool = False
    summary: str = ""
    story_arg: str | None = None

    items: set = field(default_factory=set)  # resolved paths that have an item

    def key(self, path: Path) -> Path:
        """The item a diagnostic in this file belongs to: its chapter's, else the story's."""
        path = Path(path).resolve()
        return path if path in self.items else self.root / "story" / "story.yaml"

    def _is_chapter(self, path: Path) -> bool:
        return path.parent == self.root / "chapters" and path.suffix == ".yaml"

    def for_file(self, path: Path) -> list:
        return self.by_file.get(Path(path).resolve(), [])

    def skipped_reason(self, path: Path) -> str | None:
        if not self.compiled and self._is_chapter(Path(path).resolve()):
            return (
                "not explored: the story does not compile (the failing items say why); "
                "nothing in this chapter's own file is wrong"
            )
        return None

    def render(self, path: Path, diags: list) -> str:
        from .diagnostics import sort_key

        lines = []
        by_file: dict = {}
        for d in sorted(diags, key=sort_key):
            by_file.setdefault(d.pos.file if d.pos else "", []).append(d)
        for file, group in by_file.items():
            if file:
                lines.append(f"-- {file}")
            lines += [d.render() for d in group]
            lines.append("")
        errors = sum(1 for d in diags if d.is_error)
        warns = len(diags) - errors
        lines.append(
            f"{errors} error{'s' if errors != 1 else ''}, {warns} warning{'s' if warns != 1 else ''} "
            f"here; the whole story: {self.summary}"
        )
        return "\n".join(lines)


def _results(config) -> _Results:
    if _RESULTS in config.stash:
        return config.stash[_RESULTS]
    root = story_root(config)
    assert root is not None, "only asked for when the session has a story"
    results = _check(root, _max_states(config))
    config.stash[_RESULTS] = results
    return results


def _check(root: Path, max_states: int) -> _Results:
    from .check.report import summary_line
    from .checkrun import check_folder
    from .locate import default_story_root

    story_arg = None
    try:
        if default_story_root().resolve() != root:
            rel = os.path.relpath(root)
            story_arg = rel if not rel.startswith("..") else str(root)
    except (OSError, ValueError):
        story_arg = str(root)
    results = _Results(root, story_arg=story_arg, items={p.resolve() for p in _story_files(root)})
    # The whole story or nothing: a chapter item of a story that does not compile fails with
    # the compiler's errors, rather than passing on a partial check.
    run = check_folder(root, max_states=max_states, story_arg=story_arg, partial=False)
    diags, summary = run.diagnostics, run.summary
    results.compiled = run.story is not None
    if results.compiled:
        results.summary = summary_line(summary)
    else:
        results.summary = (
            f"it does not compile ({summary['errors']} error{'s' if summary['errors'] != 1 else ''}), "
            "so nothing was explored"
        )
    for d in diags:
        # positions are shown relative to the current folder (as the compiler wrote them)
        path = Path(d.pos.file).resolve() if d.pos and d.pos.file else None
        key = results.key(path) if path is not None else root / "story" / "story.yaml"
        results.by_file.setdefault(key, []).append(d)
    return results
