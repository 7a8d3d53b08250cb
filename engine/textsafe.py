"""Story text is content, not code: strip what a terminal would interpret.

Removes ANSI/VT escape sequences (CSI, OSC, DCS and friends), other C0 and C1
control characters, bidi overrides and marks (RLM, LRM, ALM) that could disguise
text, zero-width characters that hide inside names, and Unicode tag characters
(invisible text); keeps newlines and tabs (as a space).

The player prints story text through `clean`; the authoring commands (check,
why, graph, stats, schema, new) print through `CleanStream`, which cleans every
write, so no message that quotes a story can carry an escape to the terminal.
"""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI ... final, OSC/DCS/SOS/PM/APC ... ST or BEL, and 2-char escapes.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[\]PX^_].*?(?:\x07|\x1b\\|$)"  # OSC, DCS, SOS, PM, APC
    r"|\x1b[@-Z\\-_]"  # other two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f].*?(?:\x07|\x9c|$)",  # 8-bit OSC/DCS/...
    re.DOTALL,
)
_CONTROLS = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f"
    r"\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    r"\u200b-\u200f\u061c"  # zero-width space, non-joiner, joiner; LRM, RLM; ALM
    r"\u2060-\u2064\ufeff\u180e"  # word joiner and invisible operators; zero-width no-break space
    r"\U000e0000-\U000e007f]"  # tag characters
)


def clean(text: str) -> str:
    """Text safe to print to a terminal: no escape sequences, no control characters."""
    text = text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text)


class CleanStream:
    """A text stream that writes everything through `clean` to the stream it wraps."""

    def __init__(self, stream):
        self.unwrapped = stream

    def write(self, text: str) -> int:
        self.unwrapped.write(clean(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    @property
    def buffer(self):
        return _CleanBytes(self.unwrapped.buffer)

    def __getattr__(self, name):  # flush, fileno, isatty, encoding, ...
        return getattr(self.unwrapped, name)


class _CleanBytes:
    """The byte side of a CleanStream (an SVG written whole): UTF-8 in, cleaned, UTF-8 out."""

    def __init__(self, raw):
        self.raw = raw

    def write(self, data: bytes) -> int:
        self.raw.write(clean(bytes(data).decode("utf-8", "replace")).encode("utf-8"))
        return len(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)
