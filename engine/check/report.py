"""Rendering a check report: compiler-style text, or a stable JSON shape.

Text: diagnostics grouped by file, each `path:line:col: severity[code]: message`
with `hint:` and `replay:` lines under it, then one summary line.

JSON (`--format json`), version 1:
    {"version": 1, "ok": bool,
     "summary": {"chapters", "nodes", "states", "errors", "warnings", "seconds", "complete",
                 "stopped_by" (null, or the bound that stopped exploration: "states", "memory", "time")},
     "diagnostics": [{"severity", "code", "message", "file", "line", "col", "hint", "replay"}, ...]}
"""

from __future__ import annotations

import json
from itertools import groupby

from ..diagnostics import Diagnostic, sort_key
from .explore import BOUND_WORDS

JSON_VERSION = 1


def render_text(diagnostics: list[Diagnostic], summary: dict) -> str:
    lines = []
    ordered = sorted(diagnostics, key=sort_key)
    for file, group in groupby(ordered, key=lambda d: d.pos.file if d.pos else ""):
        if file:
            lines.append(f"-- {file}")
        for d in group:
            lines.append(d.render())
        lines.append("")
    for note in summary.get("notes", ()):
        lines.append(f"note: {note}")
    lines.append(summary_line(summary))
    return "\n".join(lines)


def summary_line(s: dict) -> str:
    verdict = "ok" if s["errors"] == 0 else "FAILED"
    parts = [f"{s['chapters']} chapter{'s' if s['chapters'] != 1 else ''}", f"{s['nodes']:,} nodes"]
    if s.get("unchecked"):
        n, total = s["chapters"], s["chapters"] + len(s["unchecked"])
        parts[0] = f"{n} of {total} chapters compiled ({', '.join(s['unchecked'])} did not)"
    if s.get("states") is not None:
        bound = s.get("stopped_by")
        why = f" (incomplete: stopped at the {BOUND_WORDS.get(bound, bound)})" if bound else " (incomplete)"
        parts.append(f"{s['states']:,} states explored" + ("" if s.get("complete", True) else why))
    if s.get("unexplored"):
        parts.append(
            f"{', '.join(s['unexplored'])} not explored (it follows a chapter that did not compile, "
            "so its start states are unknown)"
        )
    engine = ""
    if s.get("states") is not None and s.get("engine") not in (None, "explicit"):  # (explicit: not named)
        engine = f"; {s['engine']} engine, proof {'complete' if s.get('complete', True) else 'incomplete'}"
    return (
        f"check {verdict}: " + ", ".join(parts) + f"; {s['errors']} error{'s' if s['errors'] != 1 else ''}, "
        f"{s['warnings']} warning{'s' if s['warnings'] != 1 else ''} in {s['seconds']:.2f} s" + engine
    )


def render_json(diagnostics: list[Diagnostic], summary: dict) -> str:
    return json.dumps(
        {
            "version": JSON_VERSION,
            "ok": summary["errors"] == 0,
            "summary": summary,
            "diagnostics": [d.to_json() for d in sorted(diagnostics, key=sort_key)],
        },
        indent=2,
    )
