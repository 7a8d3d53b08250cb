"""Authoring tools: one module per job, each a library the CLI only wraps.

    new.py     `chronicle new chapter|story`: starter files that pass `check` at once
    graph.py   `chronicle graph`: a chapter's map as Mermaid, DOT or SVG
    why.py     `chronicle why`: how play reaches a node or choice, or what blocks it
    stats.py   `chronicle stats`: sizes, reading time, path lengths, where flags are used

Exploring chapters in play order, which graph, why and stats share, lives with the
checker (`engine.check.reach`).
"""


class AuthoringError(Exception):
    """A request the authoring tools refuse; `exit_code` is 1 (refused) or 2 (bad usage)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
