"""`allow: [code, ...]` on a node or a choice: warnings silenced there on purpose.

A warning is "there" when it points inside the node's part of its chapter file (from
the node's key to the next node's), or inside the choice's part of that; a node's allow
covers its choices. Errors are never silenced. An allow that silenced nothing is
reported (allow-unused), so a stale one does not hide the next real finding; that
report is made only when exploration was complete, as an incomplete one may simply not
have met the warning.
"""

from __future__ import annotations

from bisect import bisect_right

from ..codes import CODES, WARNING
from ..diagnostics import Diagnostic, Pos, report
from ..model import Story


def apply_allows(story: Story, diagnostics: list[Diagnostic], complete: bool) -> list[Diagnostic]:
    # Per file, the lines where each allowing node or choice begins, and what it allows.
    spans: dict[str, list] = {}  # file -> sorted [(line, key, codes, is_choice)]
    allows: list[tuple[tuple[str, str, int | None], str, Pos | None, str]] = []  # (key, code, pos, where)
    for ch in story.chapters:
        rows = spans.setdefault(ch.file, [])
        for nid, node in ch.nodes.items():
            if node.pos is None or node.pos.line is None:
                continue
            rows.append((node.pos.line, (ch.id, nid, None), node.allow, False))
            for code in node.allow:
                if code != "mention":  # (words that claim nothing: checked by check.claims)
                    allows.append(((ch.id, nid, None), code, node.pos, f"node '{nid}'"))
            for c in node.choices:
                if c.pos is not None and c.pos.line is not None:
                    rows.append((c.pos.line, (ch.id, nid, c.index), c.allow, True))
                for code in c.allow:
                    if code == "mention":
                        continue
                    allows.append(((ch.id, nid, c.index), code, c.pos, f"choice {c.index + 1} of node '{nid}'"))
    if not allows:
        return diagnostics
    for rows in spans.values():
        rows.sort(key=lambda r: (r[0], r[3]))
    lines = {f: [r[0] for r in rows] for f, rows in spans.items()}
    used = set()
    out = []
    for d in diagnostics:
        hit = None
        if not d.is_error and d.pos is not None and d.pos.line is not None and d.pos.file in spans:
            rows = spans[d.pos.file]
            k = bisect_right(lines[d.pos.file], d.pos.line) - 1
            if k >= 0:
                line, key, codes, is_choice = rows[k]
                if d.code in codes:
                    hit = (key, d.code)
                elif is_choice:  # a choice lies inside its node: the node's allow covers it too
                    node_key = (key[0], key[1], None)
                    node_codes = next(r[2] for r in reversed(rows[: k + 1]) if r[1] == node_key)
                    if d.code in node_codes:
                        hit = (node_key, d.code)
        if hit is None:
            out.append(d)
        else:
            used.add(hit)
    for key, code, pos, where in allows:
        if (key, code) in used:
            continue
        if code not in CODES:
            out.append(
                report(
                    "allow-unused",
                    f"{where} allows '{code}', which is not a diagnostic code",
                    pos,
                    "see the list of codes in AUTHORING.md",
                )
            )
        elif code in _ERRORS:
            out.append(
                report(
                    "allow-unused",
                    f"{where} allows '{code}', but that is an error, and errors are never silenced",
                    pos,
                    "fix what it reports instead",
                )
            )
        elif complete:
            out.append(
                report(
                    "allow-unused",
                    f"{where} allows '{code}', but no such warning is found there",
                    pos,
                    "remove it from `allow`: nothing here needs silencing any more",
                )
            )
    return out


# allow silences warnings and nothing else; the catalogue says which codes those are.
_WARNINGS = {c for c, entry in CODES.items() if entry.severity == WARNING}
_ERRORS = set(CODES) - _WARNINGS
