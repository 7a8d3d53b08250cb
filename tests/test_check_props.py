"""What `chronicle check` proves, as properties over random stories.

Random clean stories (generated, then repaired until the brute force finds nothing)
check clean. Into a clean one-chapter story we then inject exactly one defect of
each kind the explorer proves absent (soft-lock, a never-available choice, an
unreachable ending, a loop with no way out, an int leaving its bounds, an
undeclared divergence) and the checker must report exactly what that defect
implies, nothing else; every replay it prints must lead to the node it names,
through the runtime and, for one of each, through the real CLI.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import tempfile

import pytest
from brute import Brute, clean_spec, judged, replay_args, story_specs, subject_of
from conftest import examples, no_traceback, run_cli, write_story
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_explore import check_replays, compile_spec

from engine.check import check_story

SETTINGS = settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def checked(spec: dict):
    brute = Brute(spec)
    runs = brute.run_all()
    with tempfile.TemporaryDirectory() as tmp:
        story, root = compile_spec(spec, tmp)
        report = check_story(story, story_arg=str(root))
    found = {subject_of(story, d) for d in judged(report)}
    check_replays(story, brute, runs, report)
    return found, report, brute


@settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6))
def test_clean_random_stories_check_clean(spec):
    spec = clean_spec(spec)
    found, report, brute = checked(spec)
    assert brute.expected() == set()
    assert judged(report) == [], [d.render() for d in report.diagnostics]
    assert report.ok and report.complete


@settings(
    max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6, assertions=True))
def test_clean_random_stories_with_assertions_check_clean(spec):
    """Repaired so every assertion agrees with every path's history (the words that did not
    agree lose that fact), the story checks clean, and the assertions that remain are real."""
    spec = clean_spec(spec)
    found, report, brute = checked(spec)
    assert brute.expected() == set()
    assert judged(report) == [], [d.render() for d in report.diagnostics]


# ---- one injected defect at a time --------------------------------------------------------

PERSONAL = {"kind": "personal", "title": "Elsewhere"}


def ending(name):
    return {"text": f"Scene c0 {name}.", "ending": dict(PERSONAL, title=f"End {name}")}


def declare(ch, name, decl):
    ch.setdefault("flags", {})[name] = decl


BOOL_Z = {"type": "bool", "default": False, "doc": "Injected switch"}


def inject_soft_lock(ch):
    declare(ch, "z", BOOL_Z)
    n0 = ch["nodes"]["n0"]["choices"]
    n0 += [
        {"text": "Arm.", "if": "not s0", "do": ["z = true"], "goto": "stuck"},
        {"text": "Wander.", "if": "not s0", "goto": "stuck"},
    ]
    ch["nodes"]["stuck"] = {"text": "Scene c0 stuck.", "choices": [{"text": "Out.", "if": "z", "goto": "out"}]}
    ch["nodes"]["out"] = ending("out")
    return {("soft-lock", ("c0", "stuck"))}


def inject_never_available(ch):
    declare(ch, "z", BOOL_Z)
    n0 = ch["nodes"]["n0"]["choices"]
    n0.append({"text": "Never.", "if": "z", "goto": "n0"})
    return {("choice-never-available", ("c0", "n0", len(n0) - 1))}


def inject_unreachable_ending(ch):
    declare(ch, "z", BOOL_Z)
    n0 = ch["nodes"]["n0"]["choices"]
    n0.append({"text": "Never.", "if": "z", "goto": "lost"})
    ch["nodes"]["lost"] = ending("lost")
    # an ending nobody reaches is reached by no choice that is ever available: both are said
    return {("ending-unreached", ("c0", "lost")), ("choice-never-available", ("c0", "n0", len(n0) - 1))}


def inject_trap(ch, z="z", out="out"):
    declare(ch, z, BOOL_Z)
    ch["nodes"]["n0"]["choices"] += [
        {"text": "Arm.", "if": "not s0", "do": [f"{z} = true"], "goto": "l1"},
        {"text": "Circle.", "if": "not s0", "goto": "l1"},
    ]
    ch["nodes"]["l1"] = {"text": "Scene c0 l1.", "choices": [{"text": "On.", "goto": "l2"}]}
    ch["nodes"]["l2"] = {
        "text": "Scene c0 l2.",
        "choices": [{"text": "Round.", "goto": "l1"}, {"text": "Out.", "if": z, "goto": out}],
    }
    ch["nodes"][out] = ending(out)
    return {("trap", ("c0", "l1")), ("trap", ("c0", "l2"))}


def inject_int_bounds(ch):
    declare(ch, "zi", {"type": "int", "default": 0, "min": 0, "max": 3, "doc": "Injected counter"})
    n0 = ch["nodes"]["n0"]["choices"]
    n0.append({"text": "Overdo.", "if": "not s0", "do": ["zi += 5"], "goto": "over"})
    ch["nodes"]["over"] = ending("over")
    return {("int-bounds", ("c0", "n0", len(n0) - 1, 0))}


def inject_divergence(ch):
    n0 = ch["nodes"]["n0"]["choices"]
    n0.append({"text": "Break it.", "if": "not s0", "do": ["s0 = true"], "goto": "broken"})
    ch["nodes"]["broken"] = ending("broken")
    return {("divergence-undeclared", ("c0", "broken", "event"))}


INJECTIONS = [
    inject_soft_lock,
    inject_never_available,
    inject_unreachable_ending,
    inject_trap,
    inject_int_bounds,
    inject_divergence,
]


def covers_event(spec):
    return "covers" in spec["chapters"]["c0"]


@pytest.mark.parametrize("inject", INJECTIONS, ids=lambda f: f.__name__.removeprefix("inject_"))
@SETTINGS
@given(data=st.data())
def test_one_injected_defect_is_reported_exactly(inject, data):
    specs = story_specs(max_chapters=1, max_nodes=4, guard_p=0.6)
    if inject is inject_divergence:
        specs = specs.filter(covers_event)
    clean = clean_spec(data.draw(specs))
    broken = copy.deepcopy(clean)
    expected = inject(broken["chapters"]["c0"])
    assert Brute(broken).expected() == expected  # the injection does what it says
    found, report, _brute = checked(broken)
    assert found == expected, [d.render() for d in report.diagnostics]


# ---- the same, end to end through the CLI -------------------------------------------------------

BASE = {
    "flags": {"s0": {"type": "bool", "default": False, "doc": "History broke"}},
    "facts": [
        {
            "id": "event",
            "date": "1900",
            "statement": "The event happens.",
            "source": {"paragraph": 1, "quote": "the event"},
            "holds": "not s0",
        }
    ],
    "chapters": {
        "c0": {
            "id": "c0",
            "title": "Chapter c0",
            "period": {"from": "1900", "to": "1900"},
            "covers": ["event"],
            "flags": {"b0": {"type": "bool", "default": False, "doc": "A switch"}},
            "start": "n0",
            "nodes": {
                "n0": {
                    "text": "Scene c0 n0.",
                    "records": ["event"],
                    "choices": [
                        {"text": "Flip.", "do": ["b0 = not b0"], "goto": "n0"},
                        {"text": "Onward.", "goto": "n1", "canon": True},
                    ],
                },
                "n1": {"text": "Scene c0 n1.", "choices": [{"text": "End.", "goto": "e0", "canon": True}]},
                "e0": {"text": "Scene c0 e0.", "ending": {"kind": "canon", "title": "End e0"}},
            },
        }
    },
}


def cli_check(spec, tmp_path):
    root = write_story(tmp_path / "story", spec["chapters"], flags=spec["flags"], facts=spec["facts"])
    proc = run_cli("check", "--story", root, "--format", "json")
    no_traceback(proc)
    return root, proc


def test_base_story_checks_clean_through_the_cli(tmp_path):
    assert Brute(BASE).expected() == set()
    _root, proc = cli_check(BASE, tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["ok"] is True


@pytest.mark.slow  # the real command three or more times, each a process of its own
def test_replay_commands_from_the_cli_replay_through_the_cli(tmp_path):
    """One story with one defect of each kind, checked by the CLI; each replay pasted back into it."""
    spec = copy.deepcopy(BASE)
    ch = spec["chapters"]["c0"]
    expected = (
        inject_soft_lock(ch)
        | inject_trap(ch, z="zt", out="out2")
        | inject_int_bounds(ch)
        | inject_divergence(ch)
        | inject_never_available(ch)
    )
    assert Brute(spec).expected() == expected
    root, proc = cli_check(spec, tmp_path)
    assert proc.returncode == 1
    diags = [d for d in json.loads(proc.stdout)["diagnostics"] if d["severity"] == "error"]
    assert sorted(d["code"] for d in diags) == sorted(code for code, _ in expected)
    for d in diags:
        assert d["file"].endswith("c0.yaml") and d["line"] > 0 and d["col"] > 0
        assert replay_args(d["replay"])["story"] == str(root)
        play = run_cli(*shlex.split(d["replay"])[1:])  # what a person pastes, less the `chronicle`
        no_traceback(play)
        assert play.returncode == 0, play.stderr
        scenes = re.findall(r"^Scene c0 (\S+)\.$", play.stdout, re.M)
        named = re.search(r"node '([^']+)'|ending '([^']+)'", d["message"])
        target = {"int-bounds": "over"}.get(d["code"]) or next(g for g in named.groups() if g)
        assert scenes[-1] == target, play.stdout
        if d["code"] == "soft-lock":
            assert "(No choice is available here" in play.stdout
        if d["code"] == "choice-never-available":
            assert "Never." not in play.stdout


# ---- the ink-like constructs ------------------------------------------------------------------


@settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6, ink=True))
def test_random_ink_stories_agree_with_the_brute_force(spec):
    """Counts (saturated), choice ids, `next:`, node `do:`, `say:`, `//` and `%`: the checker
    finds exactly what the brute force finds, before and after repair, and its replays hold."""
    found, report, brute = checked(spec)
    assert found == brute.expected(), [d.render() for d in report.diagnostics]
    spec = clean_spec(spec)
    found, report, brute = checked(spec)
    assert brute.expected() == set()
    assert judged(report) == [], [d.render() for d in report.diagnostics]


@settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6, ink=True, calls=True))
def test_random_stories_with_calls_agree_with_the_brute_force(spec):
    """`call:` and `return: true` among the ink-like constructs: nested calls, recursion past a
    small `max_call_depth` (call-depth), returning nodes reached by `goto` with nothing to return
    to (return-empty). The checker finds exactly what the brute force finds, before and after
    repair, and its replays hold."""
    found, report, brute = checked(spec)
    assert found == brute.expected(), [d.render() for d in report.diagnostics]
    spec = clean_spec(spec)
    found, report, brute = checked(spec)
    assert brute.expected() == set()
    assert judged(report) == [], [d.render() for d in report.diagnostics]
