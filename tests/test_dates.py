"""In-world dates: precision is kept as a span of days, so comparisons stay honest."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dates import DateError, parse_date


def test_each_precision_is_the_span_it_could_mean():
    year, month, day = parse_date("1980"), parse_date("1980-02"), parse_date("1980-02-29")
    assert (year.last - year.first + 1) == 366
    assert (month.last - month.first + 1) == 29
    assert day.first == day.last == dt.date(1980, 2, 29).toordinal()
    assert parse_date(1980) == year  # YAML may hand over a bare year as a number
    assert parse_date("1957/1959").first == dt.date(1957, 1, 1).toordinal()
    assert parse_date("1957/1959").last == dt.date(1959, 12, 31).toordinal()


def test_before_means_wholly_before():
    assert parse_date("1980-07").before(parse_date("1980-08-02"))
    assert not parse_date("1980").before(parse_date("1980-08-02"))  # 1980 might be after 2 August
    assert not parse_date("1980-08-02").before(parse_date("1980-08-02"))
    assert parse_date("1980-08-02").on_or_before(parse_date("1980-08-02"))
    assert parse_date("1980").overlaps(parse_date("1980-08"))
    assert parse_date("1980-08").within(parse_date("1980"))
    assert not parse_date("1980").within(parse_date("1980-08"))


def test_human_forms():
    assert parse_date("1980-08-02").human() == "2 August 1980"
    assert parse_date("1980-08").human() == "August 1980"
    assert parse_date("1980").human() == "1980"
    assert parse_date("1957/1959").human() == "1957 to 1959"


@pytest.mark.parametrize(
    "text, words",
    [
        ("1980-13", "months run 01 to 12"),
        ("1981-02-29", "which February 1981 does not have"),
        ("1980-04-31", "April 1980 does not have"),
        ("0000", "no valid year"),
        ("1980/1979", "ends before it begins"),
        ("August 1980", "is not a date"),
        ("1980-8-2", "is not a date"),
        ("", "is not a date"),
    ],
)
def test_bad_dates_are_refused_with_a_reason(text, words):
    with pytest.raises(DateError) as err:
        parse_date(text)
    assert words in str(err.value)


def test_an_interval_is_refused_where_one_date_is_wanted():
    with pytest.raises(DateError, match="is an interval; here write one date"):
        parse_date("1957/1959", allow_span=False)


dates = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(2999, 12, 31))


@settings(max_examples=examples(200), deadline=None)
@given(dates, st.sampled_from(["y", "m", "d"]))
def test_a_date_lies_within_its_coarser_forms(d, precision):
    text = {"y": f"{d.year:04d}", "m": f"{d.year:04d}-{d.month:02d}", "d": d.isoformat()}[precision]
    span = parse_date(text)
    assert span.first <= d.toordinal() <= span.last
    assert span.within(parse_date(f"{d.year:04d}"))
    assert str(span) == text


@settings(max_examples=examples(200), deadline=None)
@given(dates, dates)
def test_before_agrees_with_the_calendar_for_days(a, b):
    assert parse_date(a.isoformat()).before(parse_date(b.isoformat())) == (a < b)
