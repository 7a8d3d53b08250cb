"""`allow: [code, ...]` on a node or a choice: warnings silenced there on purpose.

A warning is "there" when it points at the node, its ending, or the choice (a
node's allow covers its choices too). Errors are never silenced. An allow that
silenced nothing is reported (allow-unused), so a stale one does not hide the
next real finding; that report is made only when exploration was complete, as
an incomplete one may simply not have met the warning.
"""
from __future__ import annotations

from ..codes import CODES
from ..diagnostics import Diagnostic, warning
from ..model import Story


def apply_allows(story: Story, diagnostics: list[Diagnostic], complete: bool) -> list[Diagnostic]:
    owners: dict = {}  # position -> list of (allow key, codes)
    allows = []  # (key, code, pos, where)
    for ch in story.chapters:
        for nid, node in ch.nodes.items():
            node_key = (ch.id, nid, None)
            spots = [node.pos] + ([node.ending.pos] if node.ending else [])
            for c in node.choices:
                for p in (c.pos,) + tuple(e.pos for e in c.effects):
                    owners.setdefault(p, []).append(((ch.id, nid, c.index), c.allow))
                    owners[p].append((node_key, node.allow))
                for code in c.allow:
                    allows.append(((ch.id, nid, c.index), code, c.pos, f"choice {c.index + 1} of node '{nid}'"))
            for p in spots:
                owners.setdefault(p, []).append((node_key, node.allow))
            for code in node.allow:
                allows.append((node_key, code, node.pos, f"node '{nid}'"))
    if not allows:
        return diagnostics
    used = set()
    out = []
    for d in diagnostics:
        hit = None
        if not d.is_error:
            for key, codes in owners.get(d.pos, ()):
                if d.code in codes:
                    hit = (key, d.code)
                    break
        if hit is None:
            out.append(d)
        else:
            used.add(hit)
    for key, code, pos, where in allows:
        if (key, code) in used:
            continue
        if code not in CODES:
            out.append(warning("allow-unused", f"{where} allows '{code}', which is not a diagnostic code", pos,
                               "see the list of codes in AUTHORING.md"))
        elif code in _ERRORS:
            out.append(warning("allow-unused", f"{where} allows '{code}', but that is an error, and errors are never "
                               "silenced", pos, "fix what it reports instead"))
        elif complete:
            out.append(warning("allow-unused", f"{where} allows '{code}', but no such warning is found there", pos,
                               "remove it from `allow`: nothing here needs silencing any more"))
    return out


# Codes that are always errors (allow never silences these).
_WARNINGS = {"chapter-not-listed", "divergence-unused", "unproven", "flag-unread", "choice-indistinct", "allow-unused",
             "text-never-shown"}
_ERRORS = set(CODES) - _WARNINGS
