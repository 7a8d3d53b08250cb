"""The terminal player: the game as a person plays it.

One module, one job:

- `session`  the game's state handling, free of any UI: the history of States
             (undo), save and load, the journal, endings found.
- `saves`    the atomic save store (autosave, named slots, found endings).
- `render`   what the player shows, as plain lines or styled fragments; wrapping
             and sanitising (story text is content, never markup).
- `commands` parsing what a person types at the choice prompt.
- `game`     the game loop (title screen, scenes, choices, commands, endings),
             the same for every UI.
- `frontend` what the game needs from a UI, and plain line mode (pipes, scripts,
             `--plain`, screen readers) and transcripts.
- `app`      the prompt_toolkit terminal UI; `play()` is the entry point.
- `options`  the player's command-line options (argparse only: kept light).
- `watch`    reloading the story when a chapter file changes (`--watch`).
"""
