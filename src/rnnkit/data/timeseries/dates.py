"""Dates of a series: its season from the usual spacing, and the dates after its last one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

__all__ = ["infer_season", "next_dates"]


def _parse(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=None) if when.tzinfo is not None else when


def _spacing(dates: Sequence[str]) -> tuple[timedelta | None, list[datetime]]:
    parsed = [_parse(d) for d in dates[-200:]]
    deltas = Counter(b - a for a, b in zip(parsed, parsed[1:]))
    return (deltas.most_common(1)[0][0] if deltas else None), parsed


def _business_days(parsed: list[datetime]) -> bool:
    return len(parsed) >= 5 and all(d.weekday() < 5 for d in parsed)


def infer_season(dates: Sequence[str] | None) -> int:
    """A season from the dates' usual spacing: half-hourly 48, hourly 24, daily 7 (5 for
    trading days with no weekend), weekly 52, monthly 12, quarterly 4; otherwise (and
    without dates) 1, which makes the seasonal naive forecast the persistence one."""
    if not dates or len(dates) < 3:
        return 1
    step, parsed = _spacing(dates)
    if step is None:
        return 1
    if step == timedelta(days=1):
        return 5 if _business_days(parsed) else 7
    if timedelta(days=28) <= step <= timedelta(days=31):
        return 12
    if timedelta(days=89) <= step <= timedelta(days=92):
        return 4
    known = {timedelta(minutes=30): 48, timedelta(hours=1): 24, timedelta(weeks=1): 52}
    return known.get(step, 1)


def _add_months(when: datetime, months: int) -> datetime:
    import calendar

    month = when.month - 1 + months
    year, month = when.year + month // 12, month % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def next_dates(dates: Sequence[str] | None, steps: int) -> list[str] | None:
    """The ``steps`` dates after the last of ``dates``, in their format (None without
    dates): their usual spacing, weekdays only where the dates have no weekend, and
    calendar months for monthly dates."""
    if not dates or len(dates) < 2:
        return None
    step, parsed = _spacing(dates)
    last = parsed[-1]
    out: list[datetime] = []
    monthly = step is not None and timedelta(days=28) <= step <= timedelta(days=31)
    business = step == timedelta(days=1) and _business_days(parsed)
    current = last
    for k in range(1, steps + 1):
        if monthly:
            current = _add_months(last, k)
        elif business:
            current = current + timedelta(days=1)
            while current.weekday() >= 5:
                current += timedelta(days=1)
        else:
            current = current + step
        out.append(current)
    text = dates[-1]
    if len(text) == 10:  # a plain date
        return [date(d.year, d.month, d.day).isoformat() for d in out]
    sep = "T" if "T" in text else " "
    spec = "minutes" if len(text) == 16 else "seconds"
    return [d.isoformat(sep=sep, timespec=spec) for d in out]
