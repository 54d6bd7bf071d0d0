"""A period picked as two days (`?from=2026-11-01&to=2026-11-30`), as the mentions view and the care report read
it: either day may be left out, a reversed pair is put right, and the period runs from the start of the first day
to the end of the last in the current time zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class DayRange:
    start: date | None = None
    end: date | None = None
    bad: tuple[str, ...] = ()  # the fields given that are not dates, in the order asked

    @property
    def given(self) -> bool:
        return self.start is not None or self.end is not None

    def window(self) -> tuple[datetime | None, datetime | None]:
        """[since, until) in the current time zone; None where the range is open."""
        zone = timezone.get_current_timezone()
        since = datetime.combine(self.start, time.min, zone) if self.start else None
        until = datetime.combine(self.end + timedelta(days=1), time.min, zone) if self.end else None
        return since, until

    def error(self, params: Mapping[str, str]) -> str:
        """The message naming the first field that is not a date ("" when both are)."""
        if not self.bad:
            return ""
        name = self.bad[0]
        return f"{name}: {params.get(name, '')[:20]!r} is not a date (YYYY-MM-DD)"


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def day_range(params: Mapping[str, str], names: tuple[str, str] = ("from", "to")) -> DayRange:
    """The days named by these two parameters; a value that is not a date is left out and named in `bad`."""
    raw = [(params.get(n) or "").strip() for n in names]
    start, end = (_day(v) for v in raw)
    bad = tuple(n for n, v, d in zip(names, raw, (start, end), strict=True) if v and d is None)
    if start and end and end < start:
        start, end = end, start
    return DayRange(start, end, bad)
