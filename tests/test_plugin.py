"""The pytest plugin: a story's chapters as pytest items (run through pytester)."""

from __future__ import annotations

import shutil
from pathlib import Path

import engine.check  # noqa: F401  imported here, so pytester's in-process runs do not import them afresh each time
import engine.check.report  # noqa: F401
import engine.compile  # noqa: F401

pytest_plugins = ["pytester"]

TOUR = Path(__file__).resolve().parent / "stories" / "tour"


def _story(pytester) -> Path:
    root = Path(pytester.path)
    for part in ("story", "chapters"):
        shutil.copytree(TOUR / part, root / part)
    return root


def _run(pytester, *args):
    # Hypothesis's plugin would import Hypothesis afresh (and assertion-rewrite it) in every in-process run.
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_clean_story_gives_one_passing_item_per_chapter_and_one_for_the_story(pytester):
    _story(pytester)
    result = _run(pytester, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*story/story.yaml::check PASSED*",
            "*chapters/storm.yaml::check PASSED*",
            "*chapters/morning.yaml::check PASSED*",
        ]
    )


def test_collecting_lists_the_items_without_checking(pytester):
    root = _story(pytester)
    # a chapter that would fail to compile: collection must not care
    _edit(root / "chapters" / "storm.yaml", "goto: dawn", "goto: nowhere")
    result = _run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["story/story.yaml::check", "chapters/storm.yaml::check", "chapters/morning.yaml::check"], consecutive=True
    )
    result.stdout.fnmatch_lines(["3 tests collected*"])
    assert "error[" not in result.stdout.str()


def test_a_soft_lock_fails_its_chapter_with_the_diagnostics_and_a_replay(pytester):
    root = _story(pytester)
    for way_up in ("Climb again.", "Go back up."):  # the door's two ways back up, both closed
        _edit(
            root / "chapters" / "storm.yaml",
            f"      - text: {way_up}\n",
            f"      - text: {way_up}\n        if: oil > 5\n",
        )
    result = _run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    assert "FAILED chapters/storm.yaml::check" in out
    result.stdout.fnmatch_lines(
        [
            "-- chapters/storm.yaml",
            "chapters/storm.yaml:*: error[[]soft-lock]: in node 'door' no choice is available*",
            "  replay: chronicle play --story . --chapter storm --replay *",
        ]
    )
    assert "morning.yaml:" not in out  # the clean chapter's item says nothing


def test_a_compile_error_fails_its_chapter_and_the_others_are_skipped(pytester):
    root = _story(pytester)
    _edit(root / "chapters" / "storm.yaml", "goto: dawn", "goto: down")
    result = _run(pytester, "-rs")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*error[[]unknown-node]: choice 1 of node 'lamp' goes to 'down'*",
            "*did you mean 'dawn'?*",
            "SKIPPED*chapters/morning.yaml*: not explored: the story does not compile*",
        ]
    )


def test_warnings_pass_and_show_in_the_warnings_summary(pytester):
    root = _story(pytester)
    (root / "chapters" / "extra.yaml").write_text(
        (root / "chapters" / "morning.yaml").read_text().replace("id: morning", "id: extra")
    )
    result = _run(pytester)
    result.assert_outcomes(passed=3, warnings=1)
    result.stdout.fnmatch_lines(["*ChronicleWarning*warning[[]chapter-not-listed]: extra.yaml is not in*"])


def test_a_project_without_a_story_sees_nothing(pytester):
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = _run(pytester, "-v")
    result.assert_outcomes(passed=1)
    assert "::check" not in result.stdout.str()


def test_explicit_paths_keep_their_meaning(pytester):
    _story(pytester)
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    only_tests = _run(pytester, "test_plain.py")
    only_tests.assert_outcomes(passed=1)
    one_chapter = _run(pytester, "-v", "chapters/morning.yaml")
    one_chapter.assert_outcomes(passed=1)
    one_chapter.stdout.fnmatch_lines(["*chapters/morning.yaml::check PASSED*"])


def test_the_story_folder_can_be_named(pytester):
    root = _story(pytester)
    (root / "elsewhere").mkdir()
    for part in ("story", "chapters"):
        shutil.move(str(root / part), str(root / "elsewhere" / part))
    plain = _run(pytester)
    assert "::check" not in plain.stdout.str()
    named = _run(pytester, "-v", "--chronicle-story", "elsewhere")
    named.assert_outcomes(passed=3)
    pytester.makeini("[pytest]\nchronicle_story = elsewhere\n")
    ini = _run(pytester)
    ini.assert_outcomes(passed=3)


def test_the_story_is_compiled_once_per_session(pytester):
    _story(pytester)
    pytester.makeconftest("""
import engine.compile as compiler

calls = []
_real = compiler.compile_story_partial  # what every compile goes through


def _counting(root):
    calls.append(root)
    return _real(root)


def pytest_configure(config):
    compiler.compile_story_partial = _counting


def pytest_unconfigure(config):
    compiler.compile_story_partial = _real
    print(f"compiled {len(calls)} time(s)")
""")
    result = _run(pytester, "-s")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*compiled 1 time(s)*"])


def test_disabling_the_plugin(pytester):
    _story(pytester)
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = _run(pytester, "-p", "no:chronicle")
    result.assert_outcomes(passed=1)
