"""`python -m engine.lsp.checkworker SHADOW STORY [MAX_SECONDS]`: `check`'s findings for the server.

The language server runs the whole check (`checkrun.check_folder`, the pipeline of `chronicle
check`) in this child process, on its private copy of the story, so that it can stop it the
moment the buffer changes again, and so that the check's memory is given back when it ends.
Prints one JSON object: {"diagnostics": [Diagnostic.to_json()...], "summary": {...}} (or
{"error": "..."}); replay commands name STORY, the story's real folder.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(json.dumps({"error": "usage: python -m engine.lsp.checkworker SHADOW STORY [MAX_SECONDS]"}))
        return 2
    from engine.check.explore import DEFAULT_MAX_SECONDS
    from engine.checkrun import check_folder

    shadow, story = argv[0], argv[1]
    try:
        seconds = float(argv[2]) if len(argv) > 2 else DEFAULT_MAX_SECONDS
    except ValueError:
        seconds = DEFAULT_MAX_SECONDS
    try:
        run = check_folder(shadow, story_arg=story, max_seconds=seconds)
    except Exception as exc:  # a bug in the check must not take the editor's server with it
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    out = {"diagnostics": [d.to_json() for d in run.diagnostics], "summary": run.summary}
    sys.stdout.write(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a child process
    sys.exit(main(sys.argv[1:]))
