"""Chronicle: a branching interactive-fiction engine that proves its stories consistent.

The library API; the `chronicle` command only wraps it.

    story = load_story("path/to/story")          # or compile_story() for (story, diagnostics)
    state = start(story)
    for choice in available(story, state): ...
    state = choose(story, state, choice)
    report = check(story)                        # every reachable state explored
"""

from .compile import compile_story, load_story
from .diagnostics import ChronicleError, Diagnostic, Pos
from .model import Chapter, Choice, Fact, Flag, Node, Story
from .runtime import State, advance, available, choose, is_ending, is_final, node_text, replay, start
from .version import __version__


def check(story: Story, **options):
    """Explore and check a compiled story; returns a check Report."""
    from .check import check_story

    return check_story(story, **options)


__all__ = [
    "__version__",
    "load_story",
    "compile_story",
    "Story",
    "Chapter",
    "Node",
    "Choice",
    "Flag",
    "Fact",
    "State",
    "Diagnostic",
    "ChronicleError",
    "Pos",
    "start",
    "available",
    "choose",
    "advance",
    "is_ending",
    "is_final",
    "node_text",
    "replay",
    "check",
]
