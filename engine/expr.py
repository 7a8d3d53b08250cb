"""The expression language of conditions and effects.

Expressions are parsed with Python's own `ast` module and then rebuilt, node by
node, into the small tree below; anything outside a strict whitelist is
refused. Nothing is ever passed to `eval`. The tree is plain data (so a
compiled story can one day be written out for another runtime); `compile_*`
turns it into closures once, at load, so play and exploration run fast.

Grammar (by example):
    not asked_americans and nerve >= 2
    mood == "angry" or seen("embassy")
    nerve = nerve + 1      nerve += 1      mood = "calm"
    roll = random(1, 6)    (an effect only: a whole number drawn from 1 to 6, each equally likely)
"""

from __future__ import annotations

import ast
import functools
import operator
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

MAX_SOURCE_CHARS = 500
MAX_DEPTH = 32
INT_LITERAL_LIMIT = 2**31  # whole-number literals: int flags hold -2**31 .. 2**31 - 1 (compile.declare.INT_LIMIT)
MAX_DRAW_VALUES = 1000  # how many values one random(lo, hi) may draw from: check explores each

BOOL, INT, STR = "bool", "int", "str"


class ExprError(Exception):
    """A problem in one expression; `offset` is the 0-based column inside it."""

    def __init__(
        self, message: str, offset: int = 0, hint: str | None = None, code: str = "expr-syntax", name: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint
        self.code = code  # expr-syntax | expr-type | unknown-flag | unknown-node | divide-by-zero
        self.name = name  # the unknown flag's name, for unknown-flag


DECLARE_HINT = "declare it under `flags:` in the chapter (or in story/story.yaml for a story-wide flag)"
COMPARE_HINT = (
    "compare like with like: numbers with numbers, true/false with true/false, an enum flag with "
    'one of its values in quotes (`fate == "dead"`)'
)


# ---- the tree -----------------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    value: bool | int | str


@dataclass(frozen=True)
class Var:
    name: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Expr
    right: Expr
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Arith:
    op: str  # + - * // %
    left: Expr
    right: Expr
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Visits(Var):
    """`visits("node")` or `visits("node.choice-id")`: how often play entered a node
    (or took a choice). It reads like a hidden int flag named `visits("...")`, so every
    pass that follows flags (liveness, dataflow, slots) follows it too."""

    @property
    def node(self) -> str:
        return self.name[len('visits("') : -2]


def visits_name(target: str) -> str:
    return f'visits("{target}")'


@dataclass(frozen=True)
class Seen:
    node: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Random:
    """`random(lo, hi)`: a whole number from lo to hi, each equally likely. Only ever the whole
    value of an `=` effect (`roll = random(1, 6)`): play draws it from the state's generator
    (engine.luck), `check` follows every value."""

    lo: int
    hi: int
    offset: int = field(default=0, compare=False)


Expr = Lit | Var | Visits | Not | Neg | BoolOp | Compare | Arith | Seen | Random


@dataclass(frozen=True)
class Effect:
    target: str
    op: str  # "=" | "+=" | "-="
    value: Expr


# ---- parsing --------------------------------------------------------------------

_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%"}
_LITERAL_NAMES = {"true": True, "false": False}
_FORBIDDEN_HINT = (
    'expressions may use flags, literals, and/or/not, comparisons, + - * // %, seen("node") and visits("node")'
)


def _parse_python(source: str, mode: str) -> Any:  # ast.Expression for "eval", ast.Module for "exec"
    if not isinstance(source, str):
        raise ExprError("an expression must be text")
    if len(source) > MAX_SOURCE_CHARS:
        raise ExprError(
            f"expression is {len(source)} characters long; the limit is {MAX_SOURCE_CHARS}",
            hint="split the condition, or move part of it into a flag",
        )
    if not source.strip():
        raise ExprError("the expression is empty")
    if "\n" in source.strip() or "\r" in source:
        raise ExprError("an expression must be on one line")
    bad = _non_ascii_outside_quotes(source.strip())
    if bad is not None:
        # Python folds identifiers to NFKC, so a fullwidth `ａsked` would silently be the flag `asked`
        ch = source.strip()[bad]
        raise ExprError(
            f"'{ch}' (U+{ord(ch):04X}) cannot be part of a name: flag names are plain a-z, 0-9 and _",
            bad,
            "retype the name in plain letters; only quoted text may hold other characters",
        )
    try:
        with warnings.catch_warnings():
            # Python's own warnings (`1and`, "\d") are about Python source, not ours: keep them off the terminal.
            warnings.simplefilter("ignore")
            return ast.parse(source.strip(), mode=mode)
    except SyntaxError as exc:
        offset = max((exc.offset or 1) - 1, 0)
        raise ExprError(f"cannot parse expression: {exc.msg}", offset, _FORBIDDEN_HINT) from None
    except (ValueError, RecursionError, MemoryError, OverflowError):
        raise ExprError("cannot parse expression", 0, _FORBIDDEN_HINT) from None


def _non_ascii_outside_quotes(source: str) -> int | None:
    """The index of the first character outside a quoted string that is not ASCII, or None."""
    quote = None
    i = 0
    while i < len(source):
        ch = source[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch > "\x7f":
            return i
        i += 1
    return None


def parse_condition(source: str) -> Expr:
    """Parse a condition (`if`, `holds`, a text part's `if`)."""
    if type(source) is str:
        return _parse_condition_once(source)
    tree = _parse_python(source, "eval")  # refuses it
    return _convert(tree.body, 0)


def parse_effect(source: str) -> Effect:
    """Parse one effect: `flag = expr`, `flag += expr` or `flag -= expr`."""
    if type(source) is str:
        return _parse_effect_once(source)
    return _parse_effect(source)  # refuses it


# A story repeats its conditions and effects; trees are immutable, so each text is
# parsed once per process (errors are not remembered: they are raised afresh).
@functools.lru_cache(maxsize=16384)
def _parse_condition_once(source: str) -> Expr:
    return _convert(_parse_python(source, "eval").body, 0)


@functools.lru_cache(maxsize=16384)
def _parse_effect_once(source: str) -> Effect:
    return _parse_effect(source)


def _parse_effect(source: str) -> Effect:
    tree = _parse_python(source, "exec")
    if len(tree.body) != 1:
        raise ExprError("write one effect per list item", 0)
    stmt = tree.body[0]
    if isinstance(stmt, ast.Assign):
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise ExprError("an effect assigns to one flag: `flag = value`", stmt.col_offset)
        if _is_call(stmt.value, "random"):
            return Effect(_flag_name(stmt.targets[0]), "=", _random(cast(ast.Call, stmt.value)))
        return Effect(_flag_name(stmt.targets[0]), "=", _convert(stmt.value, 0))
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        ops = {ast.Add: "+=", ast.Sub: "-="}
        op = ops.get(type(stmt.op))
        if op is None:
            raise ExprError("only `=`, `+=` and `-=` can change a flag", stmt.col_offset)
        return Effect(_flag_name(stmt.target), op, _convert(stmt.value, 0))
    if isinstance(stmt, ast.Expr):
        raise ExprError("an effect must change a flag, e.g. `nerve += 1` or `asked = true`", 0)
    raise ExprError(
        "an effect must be `flag = value`, `flag += value` or `flag -= value`", getattr(stmt, "col_offset", 0)
    )


def _is_call(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


RANDOM_HINT = "write `flag = random(1, 6)`: two whole numbers, the lowest and the highest value"


def _random(node: ast.Call) -> Random:
    off = node.col_offset
    if node.keywords or len(node.args) != 2:
        raise ExprError("random takes two whole numbers: random(1, 6)", off, RANDOM_HINT)
    ends = []
    for arg in node.args:
        x = _convert(arg, 1)
        if not (isinstance(x, Lit) and type(x.value) is int):
            raise ExprError(
                "random(lo, hi) takes two written whole numbers (check explores every value, so they "
                "cannot depend on flags)",
                getattr(arg, "col_offset", off),
                RANDOM_HINT,
            )
        ends.append(x.value)
    lo, hi = ends
    if lo > hi:
        raise ExprError(f"random({lo}, {hi}) has its lowest value after its highest", off, f"write random({hi}, {lo})")
    if hi - lo + 1 > MAX_DRAW_VALUES:
        raise ExprError(
            f"random({lo}, {hi}) draws from {hi - lo + 1:,} values; at most {MAX_DRAW_VALUES:,}, since check "
            "follows each one",
            off,
            "draw from a smaller range, and scale it with arithmetic in the conditions that read it",
        )
    return Random(int(lo), int(hi), off)


def _flag_name(node: ast.Name) -> str:
    if node.id in _LITERAL_NAMES or node.id in ("True", "False"):
        raise ExprError(f"cannot assign to the literal {node.id}", node.col_offset)
    return node.id


def _convert(node: ast.AST, depth: int) -> Expr:
    if depth > MAX_DEPTH:
        raise ExprError(f"expression is nested more than {MAX_DEPTH} levels deep", getattr(node, "col_offset", 0))
    d = depth + 1
    off = getattr(node, "col_offset", 0)
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, int) and not isinstance(v, bool) and v > INT_LITERAL_LIMIT:
            # (a negative literal is this node under a minus sign, so one bound serves both)
            raise ExprError(
                f"the number {v if v.bit_length() < 200 else '...'} is too large: whole numbers in "
                f"expressions go up to {INT_LITERAL_LIMIT:,}",
                off,
                "use a smaller number",
                code="number-range",
            )
        if isinstance(v, bool) or isinstance(v, int) or isinstance(v, str):
            return Lit(v)
        what = {
            type(None): "None",
            float: "decimal numbers (like 1.5)",
            complex: "complex numbers",
            bytes: "bytes literals",
            type(...): "`...`",
        }.get(type(v), f"{type(v).__name__} literals")
        raise ExprError(
            f"{what} cannot be used in an expression; use true, false, whole numbers or quoted text",
            off,
            _FORBIDDEN_HINT,
        )
    if isinstance(node, ast.Name):
        if node.id in _LITERAL_NAMES:
            return Lit(_LITERAL_NAMES[node.id])
        if node.id in ("True", "False"):
            return Lit(node.id == "True")
        return Var(node.id, off)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return Not(_convert(node.operand, d))
        if isinstance(node.op, ast.USub):
            inner = _convert(node.operand, d)
            if isinstance(inner, Lit) and type(inner.value) is int:
                return Lit(-inner.value)
            return Neg(inner)
        if isinstance(node.op, ast.UAdd):
            return _convert(node.operand, d)
        raise ExprError("`~` is not part of the language", off, _FORBIDDEN_HINT)
    if isinstance(node, ast.BoolOp):
        return BoolOp("and" if isinstance(node.op, ast.And) else "or", tuple(_convert(v, d) for v in node.values))
    if isinstance(node, ast.Compare):
        parts = []
        left = _convert(node.left, d)
        for op_node, right_node in zip(node.ops, node.comparators):
            cmp = _CMP.get(type(op_node))
            if cmp is None:
                raise ExprError(
                    f"`{type(op_node).__name__}` comparisons are not part of the language; use == != < <= > >=",
                    off,
                    _FORBIDDEN_HINT,
                )
            right = _convert(right_node, d)
            parts.append(Compare(cmp, left, right, off))
            left = right
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))
    if isinstance(node, ast.BinOp):
        arith = _ARITH.get(type(node.op))
        if arith is None:
            what = (
                "`/` divides into fractions; use `//` for whole-number division"
                if isinstance(node.op, ast.Div)
                else "only + - * // % are allowed in arithmetic"
            )
            raise ExprError(what, off, _FORBIDDEN_HINT)
        right = _convert(node.right, d)
        if arith in ("//", "%") and isinstance(right, Lit) and right.value == 0 and type(right.value) is int:
            raise ExprError(f"`{arith} 0` divides by zero", off, "divide by a number other than 0", "divide-by-zero")
        return Arith(arith, _convert(node.left, d), right, off)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "seen":
            if (
                node.keywords
                or len(node.args) != 1
                or not (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))
            ):
                raise ExprError('seen takes one quoted node id: seen("embassy")', off)
            return Seen(node.args[0].value, off)
        if isinstance(node.func, ast.Name) and node.func.id == "visits":
            if (
                node.keywords
                or len(node.args) != 1
                or not (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))
            ):
                raise ExprError(
                    'visits takes one quoted node id: visits("embassy") or visits("embassy.choice-id")', off
                )
            return Visits(visits_name(node.args[0].value), off)
        if isinstance(node.func, ast.Name) and node.func.id == "random":
            raise ExprError(
                "random(lo, hi) is the whole value of an effect, `roll = random(1, 6)`, and nothing else",
                off,
                "draw into a flag first, then test the flag",
            )
        raise ExprError(
            'the only functions are seen("node"), visits("node") and, in an effect, random(lo, hi); other '
            "calls are not allowed",
            off,
            _FORBIDDEN_HINT,
        )
    if isinstance(node, ast.Attribute):
        raise ExprError("attribute access (`.`) is not allowed in expressions", off, _FORBIDDEN_HINT)
    if isinstance(node, ast.Subscript):
        raise ExprError("indexing (`[...]`) is not allowed in expressions", off, _FORBIDDEN_HINT)
    what = _CONSTRUCTS.get(type(node).__name__, f"`{type(node).__name__}`")
    raise ExprError(f"{what} cannot be used in an expression", off, _FORBIDDEN_HINT)


# What a writer would call the Python constructs the language refuses.
_CONSTRUCTS = {
    "Lambda": "lambda functions",
    "JoinedStr": "f-strings",
    "FormattedValue": "f-strings",
    "NamedExpr": "`:=` (an assignment inside a condition)",
    "IfExp": "`x if c else y` expressions",
    "List": "lists",
    "Tuple": "tuples (a `,` outside seen(...))",
    "Dict": "dictionaries",
    "Set": "sets",
    "ListComp": "comprehensions",
    "SetComp": "comprehensions",
    "DictComp": "comprehensions",
    "GeneratorExp": "comprehensions",
    "Await": "`await`",
    "Yield": "`yield`",
    "YieldFrom": "`yield`",
    "Starred": "`*` unpacking",
    "Slice": "slices",
}


# ---- printing -------------------------------------------------------------------

_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "//": 6, "%": 6, "neg": 7, "atom": 8}


def unparse(e: Expr | Effect) -> str:
    """Write a tree back as source; parse(unparse(e)) == e."""
    if isinstance(e, Effect):
        return f"{e.target} {e.op} {unparse(e.value)}"
    return _unparse(e)[0]


def _wrap(e: Expr, min_prec: int) -> str:
    text, prec = _unparse(e)
    return f"({text})" if prec < min_prec else text


def _quote(text: str) -> str:
    """A string literal that parses back to `text` (control characters escaped, on one line)."""
    if text.isprintable():
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(text)


def _unparse(e: Expr) -> tuple[str, int]:
    if isinstance(e, Lit):
        v = e.value
        if isinstance(v, bool):
            return ("true" if v else "false"), _PREC["atom"]
        if isinstance(v, int):
            return str(v), (_PREC["atom"] if v >= 0 else _PREC["neg"])
        return _quote(v), _PREC["atom"]
    if isinstance(e, Var):
        return e.name, _PREC["atom"]
    if isinstance(e, Seen):
        return f"seen({_quote(e.node)})", _PREC["atom"]
    if isinstance(e, Random):
        return f"random({e.lo}, {e.hi})", _PREC["atom"]
    if isinstance(e, Not):
        return "not " + _wrap(e.operand, _PREC["not"]), _PREC["not"]
    if isinstance(e, Neg):
        return "-" + _wrap(e.operand, _PREC["neg"] + 1), _PREC["neg"]
    if isinstance(e, BoolOp):
        p = _PREC[e.op]
        return f" {e.op} ".join(_wrap(x, p + 1) for x in e.operands), p
    if isinstance(e, Compare):
        p = _PREC["cmp"]
        return f"{_wrap(e.left, p + 1)} {e.op} {_wrap(e.right, p + 1)}", p
    if isinstance(e, Arith):
        p = _PREC[e.op]
        return f"{_wrap(e.left, p)} {e.op} {_wrap(e.right, p + 1)}", p
    raise TypeError(e)


# ---- names and types ---------------------------------------------------------------


@dataclass(frozen=True)
class FlagType:
    """What the type checker needs to know about a flag."""

    type: str  # "bool" | "int" | "enum"
    values: tuple = ()  # for enums

    @property
    def value_type(self) -> str:
        return STR if self.type == "enum" else self.type


def subtrees(e: Expr):
    """Every node of an expression tree (iteratively: trees may be deep)."""
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        if isinstance(x, (Not, Neg)):
            stack.append(x.operand)
        elif isinstance(x, BoolOp):
            stack.extend(x.operands)
        elif isinstance(x, (Compare, Arith)):
            stack.extend((x.left, x.right))


def names_in(e: Expr | Effect) -> set[str]:
    """Flag names an expression reads (an effect's `+=`/`-=` also reads its target)."""
    if isinstance(e, Effect):
        return ({e.target} if e.op != "=" else set()) | names_in(e.value)
    return {x.name for x in subtrees(e) if isinstance(x, Var)}


def seen_in(e: Expr | Effect) -> set[str]:
    """Node ids named by seen(...) in an expression."""
    if isinstance(e, Effect):
        return seen_in(e.value)
    return {x.node for x in subtrees(e) if isinstance(x, Seen)}


def typecheck(e: Expr, flags: Mapping[str, FlagType], *, seen_ok: Callable[[str], bool] | None = None) -> str:
    """Return the type of `e` (bool, int or str), or raise ExprError."""
    try:
        return _typecheck(e, flags, seen_ok=seen_ok)
    except ExprError as exc:
        if exc.code == "expr-syntax":
            exc.code = "expr-type"
        raise


def _typecheck(e: Expr, flags: Mapping[str, FlagType], *, seen_ok: Callable[[str], bool] | None = None) -> str:
    if isinstance(e, Lit):
        return BOOL if isinstance(e.value, bool) else INT if isinstance(e.value, int) else STR
    if isinstance(e, Random):
        return INT
    if isinstance(e, Visits):
        if seen_ok is not None and not seen_ok(e.node):
            raise ExprError(
                f"{e.name} names no node of this chapter (and no choice `id:` of one, as node.choice-id)",
                e.offset,
                code="unknown-node",
            )
        return INT
    if isinstance(e, Var):
        ft = flags.get(e.name)
        if ft is None:
            raise ExprError(f"unknown flag '{e.name}'", e.offset, DECLARE_HINT, "unknown-flag", e.name)
        return ft.value_type
    if isinstance(e, Seen):
        if seen_ok is not None and ("." in e.node or not seen_ok(e.node)):
            raise ExprError(
                f'seen("{e.node}") names a node that does not exist in this chapter', e.offset, code="unknown-node"
            )
        return BOOL
    if isinstance(e, Not):
        _expect(e.operand, BOOL, flags, seen_ok, "`not` needs a true/false value")
        return BOOL
    if isinstance(e, Neg):
        _expect(e.operand, INT, flags, seen_ok, "`-` needs a number")
        return INT
    if isinstance(e, BoolOp):
        for x in e.operands:
            _expect(x, BOOL, flags, seen_ok, f"`{e.op}` joins true/false values")
        return BOOL
    if isinstance(e, Arith):
        _expect(e.left, INT, flags, seen_ok, f"`{e.op}` works on numbers", e.offset)
        _expect(e.right, INT, flags, seen_ok, f"`{e.op}` works on numbers", e.offset)
        return INT
    if isinstance(e, Compare):
        _check_unquoted_value(e.left, e.right, flags)
        _check_unquoted_value(e.right, e.left, flags)
        lt = _typecheck(e.left, flags, seen_ok=seen_ok)
        rt = _typecheck(e.right, flags, seen_ok=seen_ok)
        if lt != rt:
            raise ExprError(
                f"cannot compare {_describe(lt)} with {_describe(rt)} in `{unparse(e)}`", e.offset, COMPARE_HINT
            )
        if e.op in ("<", "<=", ">", ">=") and lt != INT:
            raise ExprError(
                f"`{e.op}` orders numbers; {_describe(lt)} can only be compared with == or !=",
                e.offset,
                "write `==` or `!=`, or compare a number flag",
            )
        if lt == STR:
            _check_enum_literal(e.left, e.right, flags)
            _check_enum_literal(e.right, e.left, flags)
            _check_enum_pair(e.left, e.right, flags, e.offset)
        return BOOL
    raise ExprError("unknown expression")


def _describe(t: str) -> str:
    return {BOOL: "a true/false value", INT: "a number", STR: "text"}[t]


_WANT_HINT = {
    BOOL: 'make it true or false: compare it (`nerve >= 2`, `fate == "dead"`) or use a bool flag',
    INT: "use a number here: an int flag or a whole number",
    STR: "use an enum flag or a quoted value here",
}


def _expect(e, want, flags, seen_ok, why, offset=None):
    got = _typecheck(e, flags, seen_ok=seen_ok)
    if got != want:
        raise ExprError(
            f"{why}, but `{unparse(e)}` is {_describe(got)}",
            offset if offset is not None else getattr(e, "offset", 0),
            _WANT_HINT[want],
        )


def _check_unquoted_value(side, other, flags):
    """`fate == dead`: an enum's value written without quotes reads as a flag name. Say so,
    rather than that the flag 'dead' is unknown."""
    if not isinstance(side, Var) or side.name in flags:
        return
    owner = (
        other.name
        if isinstance(other, Var) and other.name in flags and side.name in flags[other.name].values
        else next((n for n, ft in flags.items() if ft.type == "enum" and side.name in ft.values), None)
    )
    if owner is not None:
        raise ExprError(
            f"'{side.name}' is not a flag but a value of {owner}: a value is written in quotes",
            side.offset,
            f'write "{side.name}" (`{owner} == "{side.name}"`)',
            "unknown-flag",
            side.name,
        )


def _check_enum_literal(side, other, flags):
    if isinstance(side, Var) and isinstance(other, Lit):
        ft = flags.get(side.name)
        if ft is not None and ft.type == "enum" and other.value not in ft.values:
            raise ExprError(
                f"'{other.value}' is not a value of {side.name} (its values: {', '.join(ft.values)})",
                side.offset,
                "use one of its values, or add this one to the flag's `values`",
            )


def _check_enum_pair(left, right, flags, offset):
    """Two enum flags compared: they must share a value, or the comparison is decided before play."""
    if isinstance(left, Var) and isinstance(right, Var):
        a, b = flags.get(left.name), flags.get(right.name)
        if a and b and a.type == b.type == "enum" and not set(a.values) & set(b.values):
            raise ExprError(
                f"{left.name} and {right.name} never hold the same value ({', '.join(a.values)} against "
                f"{', '.join(b.values)}), so comparing them decides nothing",
                offset,
                "compare each flag with one of its own values instead",
            )


def typecheck_effect(eff: Effect, flags: Mapping[str, FlagType], *, seen_ok=None) -> None:
    try:
        _typecheck_effect(eff, flags, seen_ok=seen_ok)
    except ExprError as exc:
        if exc.code == "expr-syntax":
            exc.code = "expr-type"
        raise


def _typecheck_effect(eff: Effect, flags: Mapping[str, FlagType], *, seen_ok=None) -> None:
    ft = flags.get(eff.target)
    if ft is None:
        raise ExprError(f"unknown flag '{eff.target}'", 0, DECLARE_HINT, "unknown-flag", eff.target)
    _check_unquoted_value(eff.value, Var(eff.target, 0), flags)
    got = _typecheck(eff.value, flags, seen_ok=seen_ok)
    if eff.op != "=" and ft.type != "int":
        raise ExprError(
            f"`{eff.op}` works on number flags; {eff.target} is {ft.type}", 0, f"set it with `=`: `{eff.target} = ...`"
        )
    if got != ft.value_type:
        raise ExprError(
            f"{eff.target} holds {_describe(ft.value_type)}, but `{unparse(eff.value)}` is {_describe(got)}",
            0,
            _WANT_HINT[ft.value_type],
        )
    if ft.type == "enum" and isinstance(eff.value, Lit) and eff.value.value not in ft.values:
        raise ExprError(
            f"'{eff.value.value}' is not a value of {eff.target} (its values: {', '.join(ft.values)})",
            0,
            "use one of its values, or add this one to the flag's `values`",
        )
    if ft.type == "enum" and isinstance(eff.value, Var):
        other = flags[eff.value.name]
        extra = [v for v in other.values if v not in ft.values]
        if extra:
            raise ExprError(
                f"{eff.value.name} can be {', '.join(repr(v) for v in extra)}, which {eff.target} cannot "
                f"hold (its values: {', '.join(ft.values)})",
                0,
                f"add those values to {eff.target}, or set it from a literal",
            )


# ---- evaluation -----------------------------------------------------------------
#
# `evaluate` is a plain tree-walking interpreter (the reference); `compile_expr`
# builds closures over a state's value tuple for speed. Tests hold them equal.

CMP_FN = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _floordiv(a: int, b: int) -> int:
    # A divisor of zero is refused when written as a literal and reported by `check`
    # (int-division-zero) when a flag can be zero; if play meets one anyway, 0.
    return a // b if b else 0


def _mod(a: int, b: int) -> int:
    return a % b if b else 0


ARITH_FN = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": _floordiv, "%": _mod}


def evaluate(e: Expr, lookup: Callable[[str], Any], seen: Callable[[str], bool] = lambda n: False) -> Any:
    if isinstance(e, Lit):
        return e.value
    if isinstance(e, Var):
        return lookup(e.name)
    if isinstance(e, Seen):
        return seen(e.node)
    if isinstance(e, Not):
        return not evaluate(e.operand, lookup, seen)
    if isinstance(e, Neg):
        return -evaluate(e.operand, lookup, seen)
    if isinstance(e, BoolOp):
        if e.op == "and":
            return all(evaluate(x, lookup, seen) for x in e.operands)
        return any(evaluate(x, lookup, seen) for x in e.operands)
    if isinstance(e, Compare):
        return CMP_FN[e.op](evaluate(e.left, lookup, seen), evaluate(e.right, lookup, seen))
    if isinstance(e, Arith):
        return ARITH_FN[e.op](evaluate(e.left, lookup, seen), evaluate(e.right, lookup, seen))
    raise TypeError(e)  # (a Random has no value until play draws it: see engine.runtime.Draws)


Closure = Callable[[Any, int], Any]  # (values, seen_bits) -> value


def compile_expr(e: Expr, slot: Mapping[str, int], seen_bit: Mapping[str, int]) -> Closure:
    """Compile a type-checked expression to a closure over (values, seen_bits)."""
    if isinstance(e, Lit):
        v = e.value
        return lambda vals, seen: v
    if isinstance(e, Var):
        i = slot[e.name]
        return lambda vals, seen: vals[i]
    if isinstance(e, Seen):
        bit = seen_bit[e.node]
        return lambda vals, seen: (seen & bit) != 0
    if isinstance(e, Not):
        if isinstance(e.operand, Var):
            i = slot[e.operand.name]
            return lambda vals, seen: not vals[i]
        f = compile_expr(e.operand, slot, seen_bit)
        return lambda vals, seen: not f(vals, seen)
    if isinstance(e, Neg):
        f = compile_expr(e.operand, slot, seen_bit)
        return lambda vals, seen: -f(vals, seen)
    if isinstance(e, BoolOp):
        fs = [compile_expr(x, slot, seen_bit) for x in e.operands]
        if len(fs) == 2:
            a, b = fs
            if e.op == "and":
                return lambda vals, seen: a(vals, seen) and b(vals, seen)
            return lambda vals, seen: a(vals, seen) or b(vals, seen)
        if e.op == "and":
            return lambda vals, seen: all(f(vals, seen) for f in fs)
        return lambda vals, seen: any(f(vals, seen) for f in fs)
    if isinstance(e, (Compare, Arith)):
        op = CMP_FN[e.op] if isinstance(e, Compare) else ARITH_FN[e.op]
        if isinstance(e.left, Var) and isinstance(e.right, Lit):
            i, c = slot[e.left.name], cast(Any, e.right.value)
            return lambda vals, seen: op(vals[i], c)
        lf = compile_expr(e.left, slot, seen_bit)
        rf = compile_expr(e.right, slot, seen_bit)
        return lambda vals, seen: op(lf(vals, seen), rf(vals, seen))
    raise TypeError(e)


def compile_effect_value(eff: Effect, slot: Mapping[str, int], seen_bit: Mapping[str, int]) -> Closure:
    """A closure computing the flag's new (unclamped) value from the current values. A draw
    (`random(lo, hi)`) has none: whatever applies effects asks `model.Effect.draws_from` first,
    and this closure refuses to be called."""
    if isinstance(eff.value, Random):
        return _undrawn
    if eff.op == "=":
        return compile_expr(eff.value, slot, seen_bit)
    i = slot[eff.target]
    if isinstance(eff.value, Lit):
        n = cast(int, eff.value.value)  # the type check lets only a number be added or taken away
        c = n if eff.op == "+=" else -n
        return lambda vals, seen: vals[i] + c
    f = compile_expr(eff.value, slot, seen_bit)
    if eff.op == "+=":
        return lambda vals, seen: vals[i] + f(vals, seen)
    return lambda vals, seen: vals[i] - f(vals, seen)


def _undrawn(vals, seen):
    raise TypeError("a random() effect has no value until play draws it (model.Effect.draws_from)")
