"""Rendering a random-play report (`chronicle check --random`): compiler-style findings and
coverage as text, or a stable JSON shape. The playthroughs themselves are `sample.py`'s job."""

from __future__ import annotations

from ..diagnostics import sort_key
from .report import render_text as render_diags
from .sample import SampleReport

JSON_VERSION = 1  # of the `check --random --format json` shape


def render_text(report: SampleReport, *, counts: bool = False, limit: int = 20) -> str:
    """Compiler-style findings, then coverage: what was reached, how often, and what never was."""
    lines = []
    if report.diagnostics:
        body = render_diags(report.diagnostics, {"chapters": 0, "nodes": 0, "errors": 0, "warnings": 0, "seconds": 0})
        lines += body.splitlines()[:-1]  # the findings without check's summary line
    if report.long_runs:
        lines.append("long playthroughs (a likely loop, but an ending is not shown unreachable):")
        lines += [r.render() for r in report.long_runs]
        lines.append("")
    lines.append(
        f"coverage of {report.runs:,} random playthrough{'s' if report.runs != 1 else ''} (seed {report.seed}):"
    )
    for cov in report.coverage:
        ch = report.story.chapter(cov.id)
        lines.append(
            f"  {cov.id} ({cov.file}): played {cov.starts:,} times; "
            f"nodes {cov.nodes_reached:,}/{len(cov.node_hits):,}, "
            f"choices {cov.choices_taken:,}/{len(cov.choice_hits):,}, "
            f"endings {cov.endings_reached:,}/{len(cov.ending_hits):,}"
        )
        reached = sorted(((nid, h) for nid, h in cov.ending_hits.items() if h), key=lambda kv: (-kv[1], kv[0]))
        if reached:
            shown = reached if counts else reached[:limit]
            more = f", ... and {len(reached) - len(shown):,} more" if len(shown) < len(reached) else ""
            lines.append(f"    endings reached: {', '.join(f'{nid} {h:,}' for nid, h in shown)}{more}")
        if counts:
            for nid, h in cov.node_hits.items():
                node = ch.nodes[nid]
                lines.append(f"    {node.pos}: node {nid}: {h:,}")
                for c in node.choices:
                    lines.append(
                        f"    {c.pos}:   choice {c.index + 1} -> {c.target}: {cov.choice_hits[(nid, c.index)]:,}"
                    )
            continue
        missed = [
            (ch.nodes[n].pos, f"{'ending' if ch.nodes[n].is_ending else 'node'} '{n}'")
            for n, h in cov.node_hits.items()
            if not h
        ]
        missed += [
            (c.pos, f"choice {i + 1} of '{n}' ('{c.text}')")
            for (n, i), h in cov.choice_hits.items()
            if not h
            for c in (ch.nodes[n].choices[i],)
            if cov.node_hits[n]
        ]
        missed.sort(key=lambda m: (m[0].line, m[0].col) if m[0] else (0, 0))
        if missed and cov.starts:
            lines.append(f"    never reached by random play ({len(missed):,}):")
            for pos, what in missed[:limit]:
                lines.append(f"      {pos}: {what}")
            if len(missed) > limit:
                lines.append(
                    f"      ... and {len(missed) - limit:,} more (--coverage lists every count; --format json too)"
                )
    lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines)


def sort_diagnostics(diags: list) -> list:
    return sorted(diags, key=sort_key)


def summary_line(report: SampleReport) -> str:
    verdict = "ok" if report.ok else "FAILED"
    ends = []
    if report.stuck:
        ends.append(f"{report.stuck:,} stuck at a soft-lock")
    if report.stopped:
        ends.append(f"{report.stopped:,} stopped at the step bound")
    how = f"{report.finished:,} finished" + (", " + ", ".join(ends) if ends else "")
    e = report.errors
    return (
        f"random play {verdict}: {report.runs:,} playthroughs ({how}); {report.choices:,} choices in "
        f"{report.seconds:.2f} s ({report.choices_per_second:,.0f}/s); {e} error{'s' if e != 1 else ''}"
    )


def to_json(report: SampleReport) -> dict:
    """The stable JSON shape of `chronicle check --random --format json` (version 1)."""
    chapters = []
    for cov in report.coverage:
        ch = report.story.chapter(cov.id)
        nodes = []
        for nid, h in cov.node_hits.items():
            node = ch.nodes[nid]
            nodes.append(
                {
                    "id": nid,
                    "line": node.pos.line if node.pos else None,
                    "col": node.pos.col if node.pos else None,
                    "hits": h,
                    "ending": node.ending.kind if node.ending else None,
                }
            )
        choices = [
            {
                "node": nid,
                "choice": i + 1,
                "goto": ch.nodes[nid].choices[i].target,
                "line": ch.nodes[nid].choices[i].pos.line if ch.nodes[nid].choices[i].pos else None,
                "col": ch.nodes[nid].choices[i].pos.col if ch.nodes[nid].choices[i].pos else None,
                "hits": h,
            }
            for (nid, i), h in cov.choice_hits.items()
        ]
        chapters.append(
            {
                "id": cov.id,
                "file": cov.file,
                "played": cov.starts,
                "nodes_reached": cov.nodes_reached,
                "nodes": len(cov.node_hits),
                "choices_taken": cov.choices_taken,
                "choices_total": len(cov.choice_hits),
                "endings_reached": cov.endings_reached,
                "endings_total": len(cov.ending_hits),
                "node_hits": nodes,
                "choice_hits": choices,
            }
        )
    return {
        "version": JSON_VERSION,
        "mode": "random",
        "ok": report.ok,
        "summary": {
            "runs": report.runs,
            "seed": report.seed,
            "finished": report.finished,
            "stuck": report.stuck,
            "stopped": report.stopped,
            "choices": report.choices,
            "seconds": round(report.seconds, 3),
            "choices_per_second": round(report.choices_per_second),
            "errors": report.errors,
            "warnings": len(report.diagnostics) - report.errors,
        },
        "coverage": chapters,
        "diagnostics": [d.to_json() for d in sort_diagnostics(report.diagnostics)],
        "long_runs": [r.to_json() for r in report.long_runs],
    }
