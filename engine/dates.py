"""In-world dates of varying precision: a year, a month, a day, or an interval.

A date is kept as the span of days it could mean, so comparisons stay honest:
"1980" is every day of 1980, and one date is *before* another only when the
whole of the first ends before the second can begin.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass

_PART = r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
_ONE = re.compile(rf"^{_PART}$")
_SPAN = re.compile(rf"^{_PART}/{_PART}$")


class DateError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class DateSpan:
    first: int  # proleptic Gregorian ordinal of the first day it could mean
    last: int  # ... and of the last
    text: str

    def before(self, other: DateSpan) -> bool:
        """Wholly before `other` (every day of self precedes every day of other)."""
        return self.last < other.first

    def on_or_before(self, other: DateSpan) -> bool:
        """Not possibly after: self ends no later than other begins."""
        return self.last <= other.first

    def overlaps(self, other: DateSpan) -> bool:
        return self.first <= other.last and other.first <= self.last

    def within(self, other: DateSpan) -> bool:
        return other.first <= self.first and self.last <= other.last

    def __str__(self) -> str:
        return self.text

    def human(self) -> str:
        """'2 August 1980', 'August 1980', '1980', '1957-1959'."""
        if "/" in self.text:
            a, b = self.text.split("/")
            return f"{parse_date(a).human()} to {parse_date(b).human()}"
        parts = self.text.split("-")
        if len(parts) == 1:
            return parts[0]
        month = calendar.month_name[int(parts[1])]
        if len(parts) == 2:
            return f"{month} {parts[0]}"
        return f"{int(parts[2])} {month} {parts[0]}"


def _bounds(y: str, m: str | None, d: str | None, text: str) -> tuple[int, int]:
    year = int(y)
    if not 1 <= year <= 9999:
        raise DateError(f"'{text}' has no valid year")
    if m is None:
        return _dt.date(year, 1, 1).toordinal(), _dt.date(year, 12, 31).toordinal()
    month = int(m)
    if not 1 <= month <= 12:
        raise DateError(f"'{text}' has month {m}; months run 01 to 12")
    if d is None:
        last = calendar.monthrange(year, month)[1]
        return _dt.date(year, month, 1).toordinal(), _dt.date(year, month, last).toordinal()
    day = int(d)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise DateError(f"'{text}' has day {d}, which {calendar.month_name[month]} {year} does not have")
    o = _dt.date(year, month, day).toordinal()
    return o, o


def parse_date(value, *, allow_span: bool = True) -> DateSpan:
    """Parse YYYY, YYYY-MM, YYYY-MM-DD, or (when allowed) an interval A/B."""
    text = str(value).strip()
    m = _ONE.match(text)
    if m:
        y, mo, d = m.groups()
        first, last = _bounds(y, mo, d, text)
        return DateSpan(first, last, text)
    m = _SPAN.match(text)
    if m and allow_span:
        g = m.groups()
        a_first, _ = _bounds(g[0], g[1], g[2], text)
        _, b_last = _bounds(g[3], g[4], g[5], text)
        if b_last < a_first:
            raise DateError(f"'{text}' ends before it begins")
        return DateSpan(a_first, b_last, text)
    if m:
        raise DateError(f"'{text}' is an interval; here write one date (YYYY, YYYY-MM or YYYY-MM-DD)")
    raise DateError(
        f"'{text}' is not a date; write YYYY, YYYY-MM or YYYY-MM-DD" + (" (or A/B for a span)" if allow_span else "")
    )
