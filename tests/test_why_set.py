"""`why --set flag=value` (issue 22 point 4): the answer starts where `play --set` starts, and
never reports words its own `if:` hides on that path."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import run_cli

BASE = Path(__file__).parent / "fixtures" / "codes" / "_base"

MANIFEST = """\
title: The Treaty
chapters: [one, two]
flags:
  treaty_torn: {type: bool, default: false, doc: The treaty was torn up (history says it held)}
"""
ONE = """\
id: one
title: The Signing
period: {from: 1900, to: 1900}
covers: [treaty-signed]
start: hall
nodes:
  hall:
    text: The delegates wait.
    choices:
      - {text: Sign., goto: signed, canon: true}
      - {text: Tear it up., do: treaty_torn = true, goto: torn}
  signed:
    records: [treaty-signed]
    text: The ink dries.
    ending: {kind: canon, title: Signed}
  torn:
    text: Torn.
    ending: {kind: divergent, title: Torn, diverges: [treaty-signed]}
"""
TWO = """\
id: two
title: After
period: {from: 1900, to: 1900}
start: square
nodes:
  square:
    text:
      - if: not treaty_torn
        text: They toast the treaty.
        asserts: [treaty-signed]
        else: {text: "No treaty.", denies: [treaty-signed]}
    choices:
      - {text: Go., goto: end, canon: true}
  end:
    text: Done.
    ending: {kind: canon, title: Done}
"""


def story(tmp_path) -> Path:
    root = tmp_path / "w"
    shutil.copytree(BASE, root)
    (root / "story" / "story.yaml").write_text(MANIFEST)
    (root / "chapters" / "one.yaml").write_text(ONE)
    (root / "chapters" / "two.yaml").write_text(TWO)
    return root


def test_why_set_starts_where_play_set_does_and_judges_only_shown_words(tmp_path):
    root = story(tmp_path)
    proc = run_cli("why", "two:square", "--story", str(root), "--set", "treaty_torn=true")
    assert proc.returncode == 0, proc.stderr
    assert "start of 'two' with treaty_torn=true, as ending one:torn leaves them" in proc.stdout
    assert "flags on arrival: treaty_torn=true" in proc.stdout
    # the `else` is what this path shows, and it agrees; the part its `if:` hides is not mentioned
    assert "the `else` of text part 1 of node 'square' denies 'treaty-signed', which is broken" in proc.stdout
    assert "text part 1 of node 'square' asserts" not in proc.stdout
    assert "continuity error" not in proc.stdout
    assert "--set treaty_torn=true" in proc.stdout  # the replay starts there too
    plain = run_cli("why", "two:square", "--story", str(root))
    assert "text part 1 of node 'square' asserts 'treaty-signed', which holds" in plain.stdout
    assert "`else`" not in plain.stdout


def test_why_set_refuses_what_play_would(tmp_path):
    root = story(tmp_path)
    bad = run_cli("why", "two:square", "--story", str(root), "--set", "treaty_torn=maybe")
    assert bad.returncode == 2 and "treaty_torn is true or false, not 'maybe'" in bad.stderr
    bad = run_cli("why", "two:square", "--story", str(root), "--set", "nope=1")
    assert bad.returncode == 2 and "there is no flag 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr
