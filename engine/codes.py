"""The catalogue of diagnostic codes: one entry per code, the single source of
their meaning. AUTHORING.md's table of codes is generated from it, and every
code has a minimal failing fixture under tests/fixtures/codes/<code>/.

Each area of the engine keeps its own section; add a code to your area's
section, in the same form.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"  # reported, but `check` still passes: a thing to look at, not a fault


@dataclass(frozen=True)
class Code:
    code: str
    area: str  # load | schema | compile | explore | canon | continuity | play
    summary: str  # what the problem is, in one line
    fix: str  # what to do about it, in one line
    severity: str = ERROR  # the only place a code's severity is decided (diagnostics.report)


def _section(area: str, *entries: tuple[str, ...]) -> dict[str, Code]:
    """Entries are (code, summary, fix) for an error, or (code, summary, fix, WARNING)."""
    return {e[0]: Code(e[0], area, *e[1:]) for e in entries}


# ---- load: reading files and YAML (engine/yamlload.py) --------------------------
LOAD = _section(
    "load",
    (
        "file-missing",
        "a file the story needs does not exist or cannot be read",
        "create the file, or fix the path in story/story.yaml",
    ),
    ("yaml-encoding", "the file is not UTF-8 text", "save the file as UTF-8"),
    ("yaml-empty", "the file is empty", "write the document, or delete the file"),
    ("yaml-syntax", "the YAML cannot be parsed", "fix the YAML at the position shown; check indentation and quoting"),
    (
        "yaml-duplicate-key",
        "a key appears twice in one mapping",
        "keep one of the two; YAML would silently drop the first",
    ),
    ("yaml-tag", "a non-standard YAML tag such as !!python/object", "remove the tag; story files hold plain data only"),
    (
        "yaml-alias-limit",
        "too many aliases, or aliases that expand too far",
        "write the values out, or use fewer anchors",
    ),
    ("yaml-depth", "the document is nested too deeply", "flatten the structure; stories never need this depth"),
    (
        "yaml-multi-document",
        "the file holds more than one YAML document",
        "keep one document per file (remove the extra ---)",
    ),
    (
        "file-outside",
        "a story file (the manifest, the history, a chapter) is a link to a file outside the story folder",
        "copy the file into the story folder instead of linking to it",
    ),
    (
        "file-too-large",
        "the file is larger than 32 MiB, which no story file needs",
        "split the chapter into several files",
    ),
    (
        "yaml-character",
        "the file holds a character YAML does not allow (a control character)",
        "delete the character, or write it as an escape inside double quotes",
    ),
    ("yaml-key", "a mapping key is itself a list or a mapping", "use plain text as keys"),
)

# ---- schema: JSON Schema validation (engine/schema.py) -------------------------
SCHEMA = _section(
    "schema",
    (
        "schema",
        "the file does not match its JSON Schema",
        "follow the message; `chronicle schema chapter` prints the schema",
    ),
    (
        "choice-line",
        "a choice written on one line (`- Knock. -> porch`) is not in the form TEXT -> NODE [canon] [if ...] [do ...]",
        "follow the message, or write the choice in the long form (`text:`, `goto:`, ...)",
    ),
)

# ---- compile: names, expressions, types (engine/compile/, engine/expr.py) --
COMPILE = _section(
    "compile",
    ("duplicate-id", "a chapter, fact or flag is declared twice", "rename or remove one of them"),
    ("chapter-id-mismatch", "a chapter's `id` differs from its file name", "make `id:` match the file name"),
    (
        "chapter-not-listed",
        "a chapter file is not in story/story.yaml's chapter list",
        "add it to `chapters:` or delete the file",
        WARNING,
    ),
    ("flag-shadows", "a chapter flag has the name of a story-wide flag", "rename the chapter flag"),
    (
        "flag-name",
        "a flag is named with a word the expression language reserves (true, false, seen, and, not, if, ...)",
        "rename the flag",
    ),
    ("flag-default", "a flag's default does not fit its type, bounds or values", "change the default, or the bounds"),
    (
        "number-range",
        "a whole number (a flag's default, min or max, or a literal in an expression) beyond what an int flag "
        "can hold, -2,147,483,648 to 2,147,483,647",
        "use a smaller number",
    ),
    (
        "source-outside",
        "the history's `source:` names a file outside the story folder",
        "copy the source text into the story folder",
    ),
    (
        "flag-show",
        "a flag's `show:` cannot be drawn: a bar without min and max, or a word for a value the flag never has",
        "bound the flag, show it as a word, or fix the value",
    ),
    ("bad-date", "a date is not YYYY, YYYY-MM, YYYY-MM-DD (or A/B for a fact)", "write the date in one of those forms"),
    (
        "quote-not-in-source",
        "a fact quotes words that are not in the cited paragraph of the source",
        "copy the quote exactly, or fix the paragraph",
    ),
    (
        "unknown-fact",
        "a fact id that story/history.yaml does not declare (under `facts` or `story_facts`)",
        "fix the id, or add the fact to the history",
    ),
    (
        "asserts-conflict",
        "one text part, `else` or choice both asserts and denies the same fact",
        "keep one; put the other wording in a conditional part",
    ),
    (
        "fact-source-missing",
        "a documented fact (under `facts`) has no source quote",
        "quote its paragraph of the source, or move it under `story_facts`",
    ),
    (
        "story-fact-source",
        "a story fact (under `story_facts`) cites the source",
        "drop `source`, or move the fact under `facts` if the source documents it",
    ),
    ("story-fact-id", "a story fact has the id of a documented fact", "rename the story fact"),
    ("unknown-node", "a goto, start or seen() names a node that does not exist", "fix the node id, or add the node"),
    ("unknown-flag", "an expression names a flag nobody declared", "declare the flag under `flags:`"),
    (
        "expr-syntax",
        "an expression cannot be parsed, or uses something outside the language",
        "use flags, literals, and/or/not, comparisons, + - *, seen()",
    ),
    (
        "expr-type",
        "an expression mixes types, e.g. `nerve + true`",
        "compare numbers with numbers, true/false with true/false",
    ),
    ("date-outside-period", "a node's date lies outside the chapter's period", "fix the date or widen `period`"),
    ("canon-ambiguous", "a node marks more than one choice as canon", "mark the one history took"),
    (
        "fallback-twice",
        "a node has two fallback choices (`fallback: true`); play takes at most one by itself",
        "keep one `fallback: true` in the node",
    ),
    (
        "diverges-not-covered",
        "an ending diverges from a fact its chapter does not cover",
        "add the fact to `covers`, or drop it from `diverges`",
    ),
    (
        "diverges-unbreakable",
        "an ending diverges from a fact that has no `holds`, so nothing can break it",
        "give the fact a `holds`, or drop it from `diverges`",
    ),
    (
        "ending-kind",
        "a canon/personal ending lists `diverges`, or a divergent one lists nothing",
        "make the kind and the list agree",
    ),
    (
        "ending-hint",
        "an ending's `hint:` is more than one short line (it is shown in the list of endings)",
        "shorten it to one line of at most 120 characters",
    ),
    ("ending-with-choices", "an ending node also offers choices", "remove `choices` or `ending`"),
    ("no-choices", "a node has no choices and is not an ending", "add choices, or make it an ending"),
    (
        "record-date",
        "a node records a fact dated outside the node's own date",
        "fix the node's date, or move the record",
    ),
    (
        "record-outside-period",
        "a chapter records a fact dated outside its period",
        "record it in the right chapter, or widen `period`",
    ),
    ("unreachable-node", "no choice leads to a node", "add a choice that goes there, or delete it"),
    ("no-ending", "a chapter has no ending at all", "make some node an ending"),
    ("no-way-on", "no path leads from a node to any ending", "give the loop a way out"),
    (
        "flag-unread",
        "a flag that nothing ever reads, so setting it changes nothing a player can notice",
        "read it in a condition or text, or remove it",
        WARNING,
    ),
    (
        "inline-syntax",
        "an inline part {...} in a text cannot be parsed (unclosed, nested twice, a stray brace)",
        "write {CONDITION: text | other}, {EXPRESSION}, {&a|b}, {!a|b}, or {{ }} for braces",
    ),
    (
        "mention-syntax",
        "a fact's `mentions`/`mentions_not` pattern is not words, `a | b`, `(a | b)`, `word?` and `*`",
        "write the phrase as it appears in the text; a pattern is never a regular expression",
    ),
    (
        "inline-space",
        "a space written inside an inline part {...} lands before a comma, full stop or other mark "
        "in what the reader sees ('five , and Kamil')",
        "spaces inside {...} are printed as written: move the space out of the part, or drop it",
        WARNING,
    ),
    (
        "visits-use",
        "visits(...) is used other than compared with a whole number",
        'compare it with a number, e.g. visits("hall") >= 3',
    ),
    (
        "divide-by-zero",
        "an integer division or remainder by 0 (a literal 0, or a flag that is 0 in a reachable state)",
        "divide by something that cannot be 0, or guard the division",
    ),
    (
        "next-with-choices",
        "a node has `next:` and also choices or an ending",
        "keep `next:`, or the choices (or ending), not both",
    ),
    (
        "next-loop",
        "nodes lead on to each other without a click (`next:`, its branches, calls) in a ring: play could never stop",
        "give one of them choices",
    ),
    (
        "next-fallback",
        "a conditional `next:` has no last branch without `if` (or a branch after it), so play could find no way on",
        "end the list with a branch that has no `if`: `- goto: NODE`",
    ),
    (
        "call-misplaced",
        "a node's `call:` has no single `next:` to carry on at, or the node also has choices, an ending or a return",
        "give the node `next: NODE` (where play carries on when the call returns), or put the call on a choice",
    ),
    (
        "return-misplaced",
        "a node has `return: true` and also choices, `next:` or an ending",
        "a returning node goes back to its caller by itself: keep `return`, or the rest, not both",
    ),
    (
        "return-unreached",
        "a node has `return: true`, but no `call:` can lead to it",
        "call it (`call:` on a choice), or give it choices instead",
    ),
)

# ---- explore / canon: what `chronicle check` proves (engine/check/) ------------
CHECK = _section(
    "explore",
    (
        "soft-lock",
        "a state in which a non-ending node offers no choice",
        "add an unconditional choice, or make the conditions cover every case",
    ),
    (
        "return-empty",
        "play reaches a node with `return: true` without a call to return to (it came by `goto`)",
        "reach it only through `call:`, or give the way in its own node",
    ),
    (
        "call-depth",
        "calls nest deeper than story.yaml's `max_call_depth` in some reachable state",
        "return before calling again, or raise `max_call_depth`",
    ),
    (
        "trap",
        "a state from which no ending can ever be reached (a loop with no way out)",
        "give the loop a way out that is always available",
    ),
    ("int-bounds", "an effect takes an int flag past its min or max", "guard the choice, or widen the bounds"),
    (
        "node-unreached",
        "a node no real playthrough reaches (the choices into it are never available)",
        "fix the conditions on the way in",
    ),
    (
        "choice-never-available",
        "a choice whose condition is false in every state that reaches its node",
        "fix the condition, or set its flags on the way",
    ),
    (
        "branch-never-taken",
        "a branch of a conditional `next:` that no reachable state takes (its `if` is false, or an earlier one holds)",
        "fix the conditions, or remove the branch",
    ),
    (
        "fallback-never",
        "a fallback choice that never fires: wherever play reaches its node another choice can be taken "
        "(or its `if` is false)",
        "remove the fallback, or let the other choices' conditions leave a case for it",
    ),
    ("ending-unreached", "an ending no real playthrough reaches", "fix the conditions on the way in"),
    ("date-backwards", "a node dated earlier than the node play comes from", "fix one of the dates"),
    (
        "choice-indistinct",
        "two choices offered together lead to the same node with the same effects",
        "make them differ, or merge them",
        WARNING,
    ),
    (
        "ref-not-past",
        "a node speaks of a fact that may not have happened yet on some path there",
        "record the fact earlier on every path, or drop the ref",
    ),
    (
        "explore-incomplete",
        "exploration stopped at a bound (states, memory or time), so not everything is proven",
        "raise the bound the message names (--max-states, --max-memory or --max-seconds)",
    ),
    (
        "unproven",
        "what the dataflow fallback could not prove after an incomplete exploration",
        "raise the bound that stopped exploration",
        WARNING,
    ),
    (
        "text-never-shown",
        "conditional text (a part's `if`, or an inline {cond: a | b}) whose condition is the same in every "
        "state that shows it",
        "change the condition, or write the text plainly",
        WARNING,
    ),
    (
        "allow-unused",
        "an `allow:` names a code that is not a warning found there (or an error, which is never silenced)",
        "remove it from `allow`",
        WARNING,
    ),
    (
        "corridor",
        "more single-choice nodes in a row than story.yaml's `style: max_corridor` allows",
        "offer a real choice inside the run, or merge its nodes",
        WARNING,
    ),
    (
        "flavour-heavy",
        "more flavour choices at a chapter's decision points than `style: max_flavour_share` allows",
        "give some of them consequences a reader can notice later",
        WARNING,
    ),
    (
        "choice-unanswered",
        "with `style: {answer_every_choice: true}`: a choice offered beside a sibling that goes the same way, "
        "with no `say:`, setting nothing any shown text reads, and whose next page shows nothing the sibling's "
        "does not: nothing answers it",
        "give it a `say:` line, or let the text that follows read a flag it sets",
        WARNING,
    ),
) | _section(
    "canon",
    (
        "canon-broken",
        "the canonical path cannot be followed: no canonical choice, or it is not available",
        "mark, or unguard, the choice history took",
    ),
    (
        "canon-ending",
        "a chapter's canonical path ends at a non-canon ending, or it has no canon ending",
        "end the canonical path at `kind: canon`",
    ),
    (
        "canon-missing-fact",
        "the canonical path never records a fact the chapter covers",
        "record it on a node of the canonical path",
    ),
    ("canon-order", "the canonical path records facts out of date order", "record facts in the order they happened"),
    (
        "canon-holds",
        "a recorded fact's `holds` turns false later on the canonical path",
        "the canonical path must not undo history",
    ),
    (
        "covered-not-recorded",
        "a chapter covers a fact that no node records",
        "add `records:` where it happens, or drop it from `covers`",
    ),
    (
        "divergence-undeclared",
        "an ending is reached with a covered fact broken that its `diverges` does not list",
        "list the fact under `diverges`",
    ),
    (
        "divergence-unused",
        "an ending lists a fact in `diverges` that holds in every state reaching it",
        "break it on the way, or drop it",
        WARNING,
    ),
)

# ---- continuity: words against the history of each path (engine/check/continuity.py) --
CONTINUITY = _section(
    "continuity",
    (
        "continuity",
        "a text part or choice is shown where a fact it asserts is broken, or a fact it denies holds",
        "make the words conditional on the flags that break the fact",
    ),
    (
        "unmarked-claim",
        "unmarked text names a fact in its own words (a name and a key word of its statement) where it is broken",
        "give the fact `mentions:`, mark the part `asserts`/`denies`, or `allow: [mention]` on it",
        WARNING,
    ),
)

CODES: dict[str, Code] = {**LOAD, **SCHEMA, **COMPILE, **CHECK, **CONTINUITY}
