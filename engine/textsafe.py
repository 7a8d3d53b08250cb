"""Story text is content, not code: strip what a terminal would interpret.

Removes ANSI/VT escape sequences (CSI, OSC, DCS and friends), other C0 and C1
control characters, and bidi overrides that could disguise text; keeps
newlines and tabs (as a space).
"""
from __future__ import annotations

import re

# ESC-introduced sequences: CSI ... final, OSC/DCS/SOS/PM/APC ... ST or BEL, and 2-char escapes.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI
    r"|\x1b[\]PX^_].*?(?:\x07|\x1b\\|$)"  # OSC, DCS, SOS, PM, APC
    r"|\x1b[@-Z\\-_]"                   # other two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"           # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f].*?(?:\x07|\x9c|$)",  # 8-bit OSC/DCS/...
    re.DOTALL,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Text safe to print to a terminal: no escape sequences, no control characters."""
    text = text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text)
