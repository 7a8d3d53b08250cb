"""The expression language: parsing, printing, type checking, and the two evaluators.

Property tests generate well-typed expression trees over a fixed set of flags and
hold three things equal: a tree and the parse of its printed form; the compiled
closure and the reference tree-walking interpreter; and the type the generator
meant and the type the checker infers. Junk text never escapes as anything but
ExprError, and everything outside the language is refused by name.
"""

from __future__ import annotations

import pytest
from conftest import examples
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.expr import (
    BOOL,
    INT,
    STR,
    Arith,
    BoolOp,
    Compare,
    Effect,
    ExprError,
    FlagType,
    Lit,
    Neg,
    Not,
    Seen,
    Var,
    compile_effect_value,
    compile_expr,
    evaluate,
    names_in,
    parse_condition,
    parse_effect,
    seen_in,
    typecheck,
    typecheck_effect,
    unparse,
)

FLAGS = {
    "b0": FlagType("bool"),
    "b1": FlagType("bool"),
    "i0": FlagType("int"),
    "i1": FlagType("int"),
    "mood": FlagType("enum", ("calm", "angry", 'a "quoted" one', "tab\there")),
    "temper": FlagType("enum", ("calm", "angry", 'a "quoted" one', "tab\there")),
    "weather": FlagType("enum", ("gale", "fog")),
}
SLOTS = {name: i for i, name in enumerate(FLAGS)}
NODES = ["tower", "stair", "the-door"]
SEEN_BITS = {n: 1 << i for i, n in enumerate(NODES)}
BY_TYPE = {BOOL: ["b0", "b1"], INT: ["i0", "i1"]}
ENUMS = ["mood", "temper", "weather"]

SETTINGS = settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- strategies: well-typed trees ---------------------------------------------------

ints = st.integers(min_value=-50, max_value=50)


def int_expr(depth: int):
    leaves = st.one_of(ints.map(Lit), st.sampled_from(BY_TYPE[INT]).map(Var))
    if depth <= 0:
        return leaves
    sub = st.deferred(lambda: int_expr(depth - 1))
    return st.one_of(
        leaves,
        st.builds(Arith, st.sampled_from("+-*"), sub, sub),
        # `-5` is read as the literal -5, so a negation is generated over non-literals only
        sub.filter(lambda e: not isinstance(e, Lit)).map(Neg),
    )


def enum_compare():
    def make(draw):
        name = draw(st.sampled_from(ENUMS))
        values = FLAGS[name].values
        other = draw(
            st.one_of(
                st.sampled_from(values).map(Lit),
                st.sampled_from([n for n in ENUMS if FLAGS[n].values == values]).map(Var),
            )
        )
        op = draw(st.sampled_from(["==", "!="]))
        left, right = (Var(name), other) if draw(st.booleans()) else (other, Var(name))
        return Compare(op, left, right)

    return st.composite(lambda draw: make(draw))()


def bool_expr(depth: int):
    leaves = st.one_of(
        st.booleans().map(Lit), st.sampled_from(BY_TYPE[BOOL]).map(Var), st.sampled_from(NODES).map(Seen)
    )
    if depth <= 0:
        return leaves
    sub = st.deferred(lambda: bool_expr(depth - 1))
    isub = int_expr(depth - 1)
    return st.one_of(
        leaves,
        sub.map(Not),
        st.builds(BoolOp, st.sampled_from(["and", "or"]), st.lists(sub, min_size=2, max_size=3).map(tuple)),
        st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), isub, isub),
        st.builds(Compare, st.sampled_from(["==", "!="]), sub, sub),
        enum_compare(),
    )


conditions = bool_expr(3)
int_exprs = int_expr(3)


@st.composite
def effects(draw):
    target = draw(st.sampled_from(list(FLAGS)))
    ft = FLAGS[target]
    if ft.type == "int":
        return Effect(target, draw(st.sampled_from(["=", "+=", "-="])), draw(int_exprs))
    if ft.type == "bool":
        return Effect(target, "=", draw(conditions))
    same = [n for n in ENUMS if FLAGS[n].values == ft.values]
    return Effect(target, "=", draw(st.one_of(st.sampled_from(ft.values).map(Lit), st.sampled_from(same).map(Var))))


@st.composite
def environments(draw):
    values = {}
    for name, ft in FLAGS.items():
        if ft.type == "bool":
            values[name] = draw(st.booleans())
        elif ft.type == "int":
            values[name] = draw(st.integers(-1000, 1000))
        else:
            values[name] = draw(st.sampled_from(ft.values))
    seen = draw(st.sets(st.sampled_from(NODES)))
    return values, seen


def shape(e):
    """A tree as nested tuples, with the Python type of every literal (so 1 and true differ)."""
    if isinstance(e, Lit):
        return ("Lit", type(e.value).__name__, e.value)
    if isinstance(e, Effect):
        return ("Effect", e.target, e.op, shape(e.value))
    fields = []
    for name in e.__dataclass_fields__:
        if name == "offset":
            continue
        v = getattr(e, name)
        fields.append(
            tuple(shape(x) for x in v)
            if isinstance(v, tuple)
            else shape(v)
            if hasattr(v, "__dataclass_fields__")
            else v
        )
    return (type(e).__name__, *fields)


# ---- round trip --------------------------------------------------------------------


@SETTINGS
@given(conditions)
def test_condition_round_trips_through_its_printed_form(e):
    text = unparse(e)
    assume(len(text) <= 500)
    back = parse_condition(text)
    assert back == e
    assert shape(back) == shape(e)
    assert unparse(back) == text


@SETTINGS
@given(effects())
def test_effect_round_trips_through_its_printed_form(eff):
    text = unparse(eff)
    assume(len(text) <= 500)
    back = parse_effect(text)
    assert shape(back) == shape(eff)


def test_round_trip_keeps_meaning_of_tricky_forms():
    for text, value in [
        ("not (b0 and b1)", {"b0": True, "b1": False}),
        ("i0 - (i1 - 3)", {"i0": 10, "i1": 2}),
        ("-(i0 * i1) < 0", {"i0": 2, "i1": 3}),
        ("(i0 < 1) == b0", {"i0": 0, "b0": True}),
        ("i0 - -5", {"i0": 1}),
        ("2 < i0 < 5", {"i0": 3}),
    ]:
        tree = parse_condition(text)
        again = parse_condition(unparse(tree))
        assert again == tree, text
        assert evaluate(again, value.get) == evaluate(tree, value.get)
    assert parse_condition("2 < i0 < 5") == parse_condition("2 < i0 and i0 < 5")


def test_positions_do_not_make_equal_expressions_unequal():
    assert parse_condition("b0 and i0 > 1") == parse_condition("  b0   and   i0>1")
    assert parse_condition("i0 > 1").offset == 0 and parse_condition("(i0 > 1)").offset == 1


# ---- evaluation: the compiled closure agrees with the reference interpreter ------------


@SETTINGS
@given(st.one_of(conditions, int_exprs), environments())
def test_compiled_closure_agrees_with_reference_interpreter(e, env):
    values, seen = env
    vals = tuple(values[n] for n in FLAGS)
    bits = sum(SEEN_BITS[n] for n in seen)
    expected = evaluate(e, values.__getitem__, seen.__contains__)
    got = compile_expr(e, SLOTS, SEEN_BITS)(vals, bits)
    assert got == expected
    assert type(got) is type(expected)


@SETTINGS
@given(effects(), environments())
def test_compiled_effect_agrees_with_reference_interpreter(eff, env):
    values, seen = env
    vals = tuple(values[n] for n in FLAGS)
    bits = sum(SEEN_BITS[n] for n in seen)
    rhs = evaluate(eff.value, values.__getitem__, seen.__contains__)
    expected = {
        "=": rhs,
        "+=": values[eff.target] + rhs if eff.op == "+=" else None,
        "-=": values[eff.target] - rhs if eff.op == "-=" else None,
    }[eff.op]
    assert compile_effect_value(eff, SLOTS, SEEN_BITS)(list(vals), bits) == expected


# ---- types -----------------------------------------------------------------------------


@SETTINGS
@given(conditions)
def test_generated_conditions_type_check_as_bool(e):
    assert typecheck(e, FLAGS, seen_ok=NODES.__contains__) == BOOL


@SETTINGS
@given(int_exprs)
def test_generated_arithmetic_type_checks_as_int(e):
    assert typecheck(e, FLAGS) == INT


@SETTINGS
@given(effects())
def test_generated_effects_type_check(eff):
    typecheck_effect(eff, FLAGS, seen_ok=NODES.__contains__)


@pytest.mark.parametrize(
    "text, words",
    [
        ("i0 + true", "`+` works on numbers, but `true` is a true/false value"),
        ("b0 + 1", "`+` works on numbers"),
        ("not i0", "`not` needs a true/false value"),
        ("b0 and 3", "`and` joins true/false values"),
        ("b0 < b1", "`<` orders numbers"),
        ('mood > "calm"', "`>` orders numbers"),
        ("i0 == true", "cannot compare a number with a true/false value"),
        ("mood == 3", "cannot compare text with a number"),
        ('mood == "happy"', "'happy' is not a value of mood (its values: calm, angry"),
        ('"happy" != mood', "'happy' is not a value of mood"),
        ("mood == weather", "mood and weather"),
        ("-b0 > 1", "`-` needs a number"),
        ("nerve > 1", "unknown flag 'nerve'"),
    ],
)
def test_type_errors_are_refused_with_a_reason(text, words):
    with pytest.raises(ExprError) as err:
        typecheck(parse_condition(text), FLAGS)
    assert words in err.value.message
    assert err.value.code in ("expr-type", "unknown-flag")


@pytest.mark.parametrize(
    "text, words",
    [
        ("b0 += 1", "`+=` works on number flags; b0 is bool"),
        ("i0 = true", "i0 holds a number, but `true` is a true/false value"),
        ('mood = "happy"', "'happy' is not a value of mood"),
        ("mood = weather", "weather"),
        ("mood = 1", "mood holds text"),
        ("nerve = 1", "unknown flag 'nerve'"),
    ],
)
def test_effect_type_errors_are_refused_with_a_reason(text, words):
    with pytest.raises(ExprError) as err:
        typecheck_effect(parse_effect(text), FLAGS)
    assert words in err.value.message


def test_a_condition_that_is_not_true_or_false_is_still_typed_so_the_compiler_can_refuse_it():
    assert typecheck(parse_condition("i0 + 1"), FLAGS) == INT
    assert typecheck(parse_condition("mood"), FLAGS) == STR


def test_seen_of_an_unknown_node_is_refused():
    with pytest.raises(ExprError) as err:
        typecheck(parse_condition('seen("nowhere")'), FLAGS, seen_ok=NODES.__contains__)
    assert err.value.code == "unknown-node"
    assert "nowhere" in err.value.message


def test_names_and_seen_nodes_are_collected():
    e = parse_condition('b0 and (i0 + i1 > 2 or seen("tower")) and not seen("stair")')
    assert names_in(e) == {"b0", "i0", "i1"}
    assert seen_in(e) == {"tower", "stair"}
    assert names_in(parse_effect("i0 += i1")) == {"i0", "i1"}
    assert names_in(parse_effect("i0 = i1")) == {"i1"}


# ---- what the language refuses ----------------------------------------------------------


@pytest.mark.parametrize(
    "text, words",
    [
        ("__import__('os')", "the only functions are seen"),
        ("__import__('os').system('true')", "the only functions are seen"),
        ("b0.real", "attribute access (`.`) is not allowed"),
        ("().__class__.__bases__", "attribute access"),
        ("open('/etc/passwd')", "the only functions are seen"),
        ("eval('1')", "the only functions are seen"),
        ("seen('a', 'b')", "seen takes one quoted node id"),
        ("seen(b0)", "seen takes one quoted node id"),
        ("seen(node='a')", "seen takes one quoted node id"),
        ("b0[0]", "indexing (`[...]`) is not allowed"),
        ("lambda: 1", "lambda functions cannot be used"),
        ("f'{b0}' == mood", "f-strings cannot be used"),
        ("(b0 := true)", "`:=`"),
        ("i0 ** 2 > 1", "only + - * // % are allowed"),
        ("i0 / 2 > 1", "use `//` for whole-number division"),
        ("i0 // 0 > 1", "divides by zero"),
        ("i0 % 0 == 1", "divides by zero"),
        ("b0 if b1 else b0", "`x if c else y` expressions cannot be used"),
        ("[b0][0]", "indexing"),
        ("[b0]", "lists cannot be used"),
        ("{b0}", "sets cannot be used"),
        ("i0 > 1.5", "decimal numbers"),
        ("i0 == None", "None cannot be used"),
        ("mood in 'calm'", "comparisons are not part of the language"),
        ("b0 is true", "comparisons are not part of the language"),
        ("~i0 > 0", "`~` is not part of the language"),
        ("[x for x in b0]", "comprehensions cannot be used"),
        ("", "the expression is empty"),
        ("b0 and\nb1", "one line"),
        ("x" * 501, "the limit is 500"),
        ("not " * 40 + "b0", "nested more than"),
        ("b0 and", "cannot parse expression"),
        ("b0\x00", "cannot parse"),
    ],
)
def test_constructs_outside_the_language_are_refused_by_name(text, words):
    with pytest.raises(ExprError) as err:
        parse_condition(text)
    assert words in err.value.message
    assert err.value.message[0].isalpha() or err.value.message[0] in "`'"


@pytest.mark.parametrize(
    "text, words",
    [
        ("b0", "an effect must change a flag"),
        ("i0 *= 2", "only `=`, `+=` and `-=`"),
        ("i0 = i1 = 2", "one flag"),
        ("b0.x = 1", "one flag"),
        ("import os", "an effect must be"),
        ("i0 += 1; i1 += 1", "one effect per list item"),
        ("true = false", "cannot assign to the literal true"),
        ("i0 = __import__('os')", "the only functions are seen"),
        ("del b0", "an effect must be"),
        ("i0: int = 3", "an effect must be"),
    ],
)
def test_effects_outside_the_language_are_refused(text, words):
    with pytest.raises(ExprError) as err:
        parse_effect(text)
    assert words in err.value.message


def test_non_text_is_refused():
    with pytest.raises(ExprError, match="must be text"):
        parse_condition(3)  # type: ignore[arg-type]
    with pytest.raises(ExprError, match="must be text"):
        parse_effect(None)  # type: ignore[arg-type]


def test_error_offsets_point_into_the_expression():
    with pytest.raises(ExprError) as err:
        parse_condition("b0 and open('x')")
    assert err.value.offset == 7
    with pytest.raises(ExprError) as err:
        typecheck(parse_condition("b0 and nerve"), FLAGS)
    assert err.value.offset == 7


# ---- junk never escapes as anything but ExprError --------------------------------------

TOKENS = [
    "b0",
    "i0",
    "mood",
    "seen",
    "(",
    ")",
    '"calm"',
    "'x'",
    "and",
    "or",
    "not",
    "==",
    "<",
    "+",
    "-",
    "*",
    "/",
    "**",
    ".",
    "[",
    "]",
    ",",
    ":",
    "=",
    "+=",
    "-=",
    "lambda",
    "if",
    "else",
    "1",
    "0x1f",
    "1e9",
    "9" * 30,
    "__import__",
    "yield",
    "await",
    "async",
    "f'",
    "{",
    "}",
    "\\",
    "#",
    ";",
    "\t",
    " ",
    "@",
    ":=",
    "...",
    "!",
]
junk = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
)


@settings(max_examples=examples(600), deadline=None)
@given(junk)
def test_junk_raises_only_expr_error(text):
    for parse in (parse_condition, parse_effect):
        try:
            tree = parse(text)
        except ExprError as exc:
            assert isinstance(exc.message, str) and exc.message
            continue
        # Whatever parses also prints, re-parses to the same tree, and type-checks or is refused cleanly.
        assert shape(
            parse_condition(unparse(tree)) if parse is parse_condition else parse_effect(unparse(tree))
        ) == shape(tree)
        try:
            (typecheck if parse is parse_condition else typecheck_effect)(tree, FLAGS, seen_ok=NODES.__contains__)
        except ExprError:
            pass


def test_python_warnings_about_odd_spacing_do_not_leak_to_the_terminal():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = parse_condition("i0 >= 1and b0")
        parse_condition('"\\d" == mood')
    assert tree == parse_condition("i0 >= 1 and b0")
    assert [str(w.message) for w in caught] == []


# ---- random(lo, hi): a draw, the whole value of an effect -----------------------------------

draws = st.integers(-(2**31), 2**31 - 1).flatmap(
    lambda lo: st.integers(lo, min(lo + 999, 2**31 - 1)).map(lambda hi: (lo, hi))
)


@SETTINGS
@given(draws, st.sampled_from(["i0", "i1"]))
def test_a_draw_round_trips_through_its_printed_form_and_type_checks_as_int(ends, target):
    from engine.expr import Random

    lo, hi = ends
    eff = parse_effect(f"{target} = random({lo}, {hi})")
    assert eff.value == Random(lo, hi)
    assert parse_effect(unparse(eff)) == eff
    typecheck_effect(eff, FLAGS)


@SETTINGS
@given(draws, st.integers(0, 2**32 - 1), st.integers(0, 50))
def test_the_generator_draws_inside_the_range_and_the_same_each_time(ends, luck, k):
    from engine import luck as lk

    lo, hi = ends
    x = lk.draw(luck, k, lo, hi)
    assert lo <= x <= hi and x == lk.draw(luck, k, lo, hi)
    assert 0 <= lk.following(luck) <= lk.MASK and 0 <= lk.pick(luck, k, 3) < 3


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("i0 = random(3, 1)", "lowest value after its highest"),
        ("i0 = random(0, 1000)", "at most 1,000"),
        ("i0 = random(i1, 3)", "written whole numbers"),
        ("i0 = 2 * random(1, 3)", "whole value of an effect"),
        ("i0 = random(1, 2, 3)", "two whole numbers"),
        ("i0 = random(lo=1, hi=2)", "two whole numbers"),
    ],
)
def test_a_draw_outside_its_one_form_is_refused(text, words):
    with pytest.raises(ExprError, match=words):
        parse_effect(text)


def test_a_draw_is_no_condition_and_has_no_computed_value():
    with pytest.raises(ExprError, match="whole value of an effect"):
        parse_condition("random(1, 6) > 3")
    eff = parse_effect("i0 = random(1, 6)")
    with pytest.raises(TypeError, match="draws it"):
        compile_effect_value(eff, SLOTS, SEEN_BITS)([0] * len(SLOTS), 0)
