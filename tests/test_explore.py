"""The explorer against an independent brute force (tests/brute.py), on random small stories.

Random story graphs (a few nodes per chapter, bool and int flags both local and
story-wide, guarded choices, effects, seen(), loops, one or two chapters) are
written as real story folders, compiled, explored and checked; the brute force
enumerates every choice sequence on its own terms. They must agree on the nodes
and endings reached, the choices ever offered, the soft-locks, the length of the
shortest path to every node, the states each chapter starts from, and on every
finding `chronicle check` reports; and every replay the checker prints must
replay, through the runtime, to the state it talks about.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from brute import AUTO as BRUTE_AUTO
from brute import Brute, judged, replay_args, story_specs, subject_of, typed
from conftest import examples, no_cache, write_story
from hypothesis import HealthCheck, given, settings

from engine import runtime as rt
from engine.check import check_story
from engine.compile import load_story
from engine.model import AUTO

SETTINGS = settings(
    max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def compile_spec(spec: dict, where: str):
    history = {"facts": spec["facts"]}
    if spec.get("story_facts"):
        history["story_facts"] = spec["story_facts"]
    root = write_story(
        Path(where) / "story",
        spec["chapters"],
        flags=spec["flags"],
        history=history,
        max_call_depth=spec.get("max_call_depth"),
        calls=spec.get("calls"),
    )
    with no_cache():
        return load_story(root), root


def story_values(story, full: tuple) -> dict:
    return {f.name: full[f.slot] for f in story.flags}


def norm(dicts) -> list:
    return sorted(tuple(sorted(d.items())) for d in dicts)


def check_replays(story, brute: Brute, runs: dict, report) -> None:
    """Every numeric replay in the report reaches what its finding names, by the shortest way."""
    trapped = {cid: brute.trapped(run) for cid, run in runs.items()}
    for d in judged(report):
        if not d.replay:
            continue
        args = replay_args(d.replay)
        if args["canon"]:
            continue
        code, subject = subject_of(story, d)
        cid, numbers, draws = args["chapter"], args["numbers"], args["draws"]
        sets = typed(brute.decls(cid), args["sets"])
        deep: list = []
        bstates = brute.replay_numbers(cid, sets, numbers, deep, draws)
        by_itself = code == "call-depth" and (
            subject[2] == BRUTE_AUTO or story.chapter(cid).nodes[subject[1]].choices[subject[2]].fallback
        )
        if by_itself:  # a call from flow, or a fallback that calls: play makes it by itself
            _cid, nid, k = subject
            assert (nid, k) in deep, d.replay
            at = next(
                i
                for i, s in enumerate(bstates)
                if s.node == nid and brute.deep_call(cid, s, k) and (k == BRUTE_AUTO or k in brute.offered(cid, s))
            )
            assert at == runs[cid].deep_calls[(nid, k)], f"{d.replay} is not a shortest way"
            continue
        if code == "call-depth":  # the replay takes the call, from a state where the stack is full
            _cid, nid, k = subject
            assert (nid, k) in deep  # (fallbacks after it may make calls of their own at full depth)
            before = brute.replay_numbers(cid, sets, numbers[:-1], draws=draws)
            assert len(before) - 1 == runs[cid].deep_calls[(nid, k)], f"{d.replay} is not a shortest way"
            deep.remove((nid, k))
        if deep:
            # The way there makes a call at full depth, which `check` reports (call-depth) and
            # explores as not pushing; play pushes it, and may go elsewhere from there.
            continue
        fixed = list(draws)
        states = rt.replay_numbers(story, rt.start(story, cid, None, sets, draws=fixed), numbers, fixed)
        last, blast = states[-1], bstates[-1]
        if code == "call-depth":
            assert states[-2].node == nid and rt.listed(story, states[-2])[numbers[-1] - 1].index == k
            assert len(states[-2].stack) == story.max_call_depth  # play itself goes one deeper than allowed
            assert len(states[-1].stack) <= story.max_call_depth + 1
            continue
        assert last.chapter == cid and last.node == blast.node
        run = runs[cid]
        if code == "int-bounds" and len(subject) == 3:
            continue  # a node's `do:`: the move into it is checked by the agreement on findings
        if code == "int-bounds" and story.chapter(cid).nodes[subject[1]].choices[subject[2]].fallback:
            continue  # a fallback's effect: play takes it by itself, after the last typed choice
        if code == "divide-by-zero":
            continue
        # Replays are shortest in moves; a `next:` node's move is one a player never types.
        moves = len(bstates) - 1
        if code == "int-bounds":
            _cid, nid, k, m = subject
            before = states[-2]
            assert before.node == nid
            assert rt.listed(story, before)[numbers[-1] - 1].index == k
            bbefore = brute.replay_numbers(cid, sets, numbers[:-1], draws=draws)
            brute._fixed = list(brute.left)  # the replayed move draws what the replay fixed for it
            assert m in brute.take(cid, bbefore[-1], k)[1], "the replayed move does not leave the bounds"
            brute._fixed = []
            assert len(bbefore) - 1 == run.overflows[(nid, k, m)]
            continue
        node = subject[1]
        # (a fallback node: play may pass it, by its fallback, and come round to stop there again)
        by_fallback = any(c.fallback for c in story.chapter(cid).nodes[node].choices)
        if node in last.passed and (last.node != node or by_fallback):
            # a finding at a node play passes through by itself (`next:`, or a return with a call to
            # answer): the replay goes on past it, as play does. The state in question is one of
            # the brute force's states there after the last typed choice (play can pass the node
            # more than once on the way: a call that comes back to a returning node): for words
            # judged against history, the first that shows the finding; else the last
            chain = range(len(bstates) - 1 - len(last.passed), len(bstates))
            there = [i for i in chain if bstates[i].node == node]
            if code == "continuity":
                bad = [i for i in there if (code, subject) in brute.continuity(cid, RunOf(brute, cid, bstates[i]))]
                there = bad[:1] or there
            at = there[-1] if code != "continuity" else there[0]
            if by_fallback:  # the first time there that is what the finding names
                fits = {"soft-lock": run.softlock_states, "trap": trapped[cid]}.get(code)
                at = next((i for i in there if fits is None or bstates[i] in fits), there[0])
            blast, moves = bstates[at], at
        assert last.node == node or node in last.passed, f"{d.replay} ends at {last.node}, not at {node}"
        # A replay sets only the story-wide flags its finding can depend on; the state it reaches
        # is a real one but for flags it left at their defaults (which nothing on the way reads).
        left_out = {f.name for f in story.flags} - set(args["sets"])

        def real(state, among, left_out=left_out) -> bool:
            def same(s) -> bool:
                return (
                    s.node == state.node
                    and s.visited == state.visited
                    and s.stack == state.stack
                    and all(a == b for (name, a), (_n, b) in zip(s.values, state.values) if name not in left_out)
                )

            return any(same(s) for s in among)

        if code in ("soft-lock", "return-empty"):
            assert rt.available(story, last) == [] and real(blast, run.softlock_states)
            assert moves == min(run.depth[s] for s in run.softlock_states if s.node == node)
            if code == "return-empty":  # play stopped at the returning node: nothing to go back to
                assert last.stack == () and blast.stack == ()
        elif code == "trap":
            assert blast in trapped[cid]  # a trap's replay keeps every start value
            assert moves == min(run.depth[s] for s in trapped[cid] if s.node == node)
        elif code == "divergence-undeclared":
            fid = subject[2]
            assert not brute.holds(fid, blast)
            assert moves == min(run.depth[s] for s in run.depth if s.node == node and not brute.holds(fid, s))
        elif code == "choice-never-available":
            assert moves == run.reached[node]
        elif code == "continuity":
            depth = brute.continuity(cid, run)[(code, subject)]
            assert (code, subject) in brute.continuity(cid, RunOf(brute, cid, blast)), "the replayed state is fine"
            assert moves == depth, f"{d.replay} is not a shortest way to {subject}"


def RunOf(brute: Brute, cid: str, state):
    """A one-state run, to ask the brute force about that state alone."""
    from brute import ChapterRun

    return ChapterRun(cid, depth={state: 0})


def agree(spec: dict) -> None:
    brute = Brute(spec)
    runs = brute.run_all()
    with tempfile.TemporaryDirectory() as tmp:
        story, root = compile_spec(spec, tmp)
        report = check_story(story, story_arg=str(root))
    assert report.complete
    assert list(report.explorations) == list(runs)
    for cid, run in runs.items():
        ex = report.explorations[cid]
        ids = ex.graph.ids
        assert {ids[ni] for ni in ex.first_at_node} == set(run.reached), cid
        assert {ids[ni] for ni in ex.endings} == {n for n in run.reached if brute.is_ending(cid, n)}
        assert {(ids[ni], "auto" if k == AUTO else k) for ni, k in ex.offered} == run.offered
        assert {ids[ni] for ni in ex.softlocks} == {s.node for s in run.softlock_states}
        assert norm(story_values(story, s) for s in ex.starts) == norm(run.starts), f"starts of {cid}"
        for ni, sid in ex.first_at_node.items():
            start, numbers, _indices = ex.path(sid)
            node = ids[ni]
            moves, s = 0, sid  # moves, a `next:` node's automatic one included
            while ex.parent[s] >= 0:
                moves, s = moves + 1, ex.parent[s]
            assert moves == run.reached[node], f"shortest path to {cid}:{node}"
            deep: list = []
            items = ex.replay_items(sid)[1]
            draws = [x for x in items if not isinstance(x, int)]
            brute.replay_numbers(cid, story_values(story, ex.starts[start]), numbers, deep, draws)
            if deep:
                continue  # play pushes a call made at full depth, which check explores as not pushing
            fixed = list(draws)
            first = rt.start(story, cid, None, story_values(story, ex.starts[start]), draws=fixed)
            landed = rt.replay_numbers(story, first, numbers, fixed)[-1].node
            # play goes on through a `next:` node (and a returning node with a call to answer) by
            # itself, so a replay to one lands further on
            passing = story.chapter(cid).nodes[node]
            assert (
                landed == node
                or passing.next is not None
                or passing.returns
                or any(c.fallback for c in passing.choices)
            )
    assert {subject_of(story, d) for d in judged(report)} == brute.expected()
    check_replays(story, brute, runs, report)


@SETTINGS
@given(story_specs())
def test_explorer_and_checker_agree_with_brute_force(spec):
    agree(spec)


@SETTINGS
@given(story_specs(assertions=True))
def test_continuity_agrees_with_brute_force_on_stories_with_assertions(spec):
    """Text parts and choices asserting and denying facts, across chapters with carried flags."""
    agree(spec)


@settings(
    max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(story_specs(max_chapters=1, max_nodes=6, guard_p=0.8))
def test_agreement_on_larger_heavily_guarded_chapters(spec):
    agree(spec)


def test_the_tour_story_agrees_with_brute_force(tmp_path):
    """The hand-written tour story, through the same comparison (its spec read back from YAML)."""
    import yaml
    from conftest import TOUR

    manifest = yaml.safe_load((TOUR / "story" / "story.yaml").read_text())
    history = yaml.safe_load((TOUR / "story" / "history.yaml").read_text())
    from engine.choiceline import parse as parse_choice_line

    def long_form(chapter: dict) -> dict:
        """The chapter with its one-line choices written out, as the loader reads them."""
        for node in chapter["nodes"].values():
            node["choices"] = [
                parse_choice_line(c).mapping() if isinstance(c, str) else c for c in node.get("choices") or []
            ]
        return chapter

    spec = {
        "flags": manifest["flags"],
        "facts": history["facts"],
        "chapters": {
            c: long_form(yaml.safe_load((TOUR / "chapters" / f"{c}.yaml").read_text())) for c in manifest["chapters"]
        },
    }
    if manifest.get("calls"):
        spec["calls"] = manifest["calls"]
    brute = Brute(spec)
    runs = brute.run_all()
    story = load_story(TOUR)
    report = check_story(story)
    assert brute.expected() == set() and report.ok
    for cid, run in runs.items():
        ex = report.explorations[cid]
        assert {ex.graph.ids[ni] for ni in ex.first_at_node} == set(run.reached)
        for ni, sid in ex.first_at_node.items():
            moves, s = 0, sid  # moves, the automatic ones of `next:` and returning nodes included
            while ex.parent[s] >= 0:
                moves, s = moves + 1, ex.parent[s]
            assert moves == run.reached[ex.graph.ids[ni]], ex.graph.ids[ni]


def test_soft_lock_message_names_only_the_flags_its_conditions_read(tmp_path):
    """`arm` is set on the way but read by no condition (so the explorer forgets it); the message
    must not claim a value for it just because its name is inside `armed`."""
    from conftest import chapter

    root = write_story(
        tmp_path / "s",
        {
            "one": chapter(
                "one",
                {
                    "a": {
                        "text": "A.",
                        "choices": [{"text": "Arm.", "do": ["arm = true"], "goto": "b", "canon": True}],
                    },
                    "b": {"text": "B.", "choices": [{"text": "On.", "if": "armed", "goto": "c", "canon": True}]},
                    "c": {"text": "C.", "ending": {"kind": "canon", "title": "C"}},
                },
                flags={
                    "arm": {"type": "bool", "default": False, "doc": "Armed by hand"},
                    "armed": {"type": "bool", "default": False, "doc": "Armed by the story"},
                },
            )
        },
    )
    with no_cache():
        report = check_story(load_story(root))
    [d] = [d for d in report.diagnostics if d.code == "soft-lock"]
    assert d.message == "in node 'b' no choice is available when armed=false"


@SETTINGS
@given(story_specs(max_nodes=5, guard_p=0.6, ink=True))
def test_explorer_agrees_with_brute_force_on_ink_stories(spec):
    """`next:` nodes, node `do:`, saturated counts and choice ids: the same states, paths and findings."""
    agree(spec)


@SETTINGS
@given(story_specs(max_nodes=5, guard_p=0.5, calls=True))
def test_explorer_agrees_with_brute_force_on_stories_with_calls(spec):
    """`call:` and `return: true`, nested calls, recursion past a small `max_call_depth`, returning
    nodes reached by `goto` with nothing to return to: the same states, paths and findings."""
    agree(spec)


@settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(story_specs(max_nodes=5, guard_p=0.6, ink=True, calls=True))
def test_explorer_agrees_with_brute_force_on_ink_stories_with_calls(spec):
    """Calls among `next:` nodes, node `do:` (applied again on entering the place a call returns
    to), counts and `say:`."""
    agree(spec)


@settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(story_specs(max_nodes=5, guard_p=0.5, ink=True, calls=True, assertions=True))
def test_continuity_agrees_with_brute_force_through_calls(spec):
    """Text and choices asserting facts in subroutines: a returning node's words are judged in
    every state that passes through it, and the replay goes on past it as play does."""
    agree(spec)


@SETTINGS
@given(story_specs(max_nodes=5, guard_p=0.6, ink=True, kinds=True))
def test_explorer_agrees_with_brute_force_on_greyed_and_fallback_choices(spec):
    """Choices greyed out by `enabled:` (listed, numbered, never taken) and fallbacks (taken by
    themselves when nothing else can be, never numbered): the same states, paths and findings,
    soft-locks where every choice shown is greyed out, `fallback-never` where one never fires."""
    agree(spec)


@settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(story_specs(max_nodes=5, guard_p=0.6, ink=True, calls=True, kinds=True))
def test_explorer_agrees_with_brute_force_on_fallbacks_among_calls(spec):
    """A fallback that calls, a fallback inside a subroutine, greyed-out calls."""
    agree(spec)
