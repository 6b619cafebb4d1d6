"""`backups.schedule`: a documented subset of systemd's calendar events, checked offline.

systemd.time(7), "Calendar Events" (https://www.freedesktop.org/software/systemd/man/latest/systemd.time.html#
Calendar%20Events): `[weekdays] [year-month-day] hour:minute[:second] [time zone]`, shorthands such as `daily`,
values joined with `,`, ranges written `a..b`, repetitions `start/step`. This module accepts:

- the shorthands hourly, daily, weekly, monthly, quarterly, semiannually, yearly and annually, optionally
  followed by a time zone;
- `[WEEKDAYS] [DATE] HH:MM[:SS] [ZONE]` where
  - WEEKDAYS is a `,`-list of English weekdays (Mon or Monday, any case) and `..` ranges of them;
  - DATE is `MM-DD` or `*-MM-DD` (every year: a backup schedule names no single year); MM and DD are `*` or
    `,`-lists of numbers, `a..b` ranges and `a/step` or `a..b/step` repetitions;
  - HH is the same kind of field (0-23); MM and SS are single numbers, so the job runs at most once an hour;
  - ZONE is UTC or an IANA time zone (Europe/Berlin) known to this machine's time zone database.

Everything else is refused with the forms above, including what systemd accepts but a nightly backup has no
use for (`minutely`, `~` last days, fractional seconds, a fixed year) and what never happens (`*-02-30`).
`tests/stack_config/test_calendar.py` runs `systemd-analyze calendar` on every accepted and refused sample.
"""

import re
import zoneinfo
from dataclasses import dataclass

SHORTHANDS = ("hourly", "daily", "weekly", "monthly", "quarterly", "semiannually", "yearly", "annually")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The longest accepted expression is far shorter; the bound keeps a hostile value from costing anything.
MAX_LENGTH = 256
# Days in each month of a leap year: February 29 happens.
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_NUMBER = re.compile(r"[0-9]{1,2}")
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]{0,30}(/[A-Za-z0-9_+-]{1,30}){0,2}")

ALLOWED_FORMS = (
    f"allowed: {', '.join(SHORTHANDS[:-1])}, or '[weekdays] [*-MM-DD] HH:MM[:SS] [time zone]' "
    "(systemd.time(7) calendar events; lists with ',', ranges with '..', repetitions with '/'; minutes and seconds "
    "single numbers), e.g. 'Mon..Fri *-*-* 02:30 UTC'"
)


class ScheduleError(ValueError):
    """Why a schedule is refused; the message ends with the allowed forms."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"is not a schedule this stack supports ({reason}); {ALLOWED_FORMS}")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int


_MONTH = _Field("month", 1, 12)
_DAY = _Field("day", 1, 31)
_HOUR = _Field("hour", 0, 23)
_MINUTE = _Field("minute", 0, 59)
_SECOND = _Field("second", 0, 59)


def _number(text: str, field: _Field) -> int:
    if not _NUMBER.fullmatch(text):
        raise ScheduleError(f"the {field.name} is not a number")
    value = int(text)
    if not field.low <= value <= field.high:
        raise ScheduleError(f"{field.name} {value} is out of range {field.low}-{field.high}")
    return value


def _values(text: str, field: _Field) -> set[int]:
    """The values a field selects: '*', or a ','-list of N, N..M, N/S and N..M/S."""
    if text == "*":
        return set(range(field.low, field.high + 1))
    chosen: set[int] = set()
    for item in text.split(","):
        spec, _, step_text = item.partition("/")
        low_text, dots, high_text = spec.partition("..")
        low = _number(low_text, field)
        high = _number(high_text, field) if dots else (field.high if step_text else low)
        if high < low:
            raise ScheduleError(f"the {field.name} range {low}..{high} runs backwards")
        step = 1
        if step_text:
            if not _NUMBER.fullmatch(step_text) or int(step_text) == 0:
                raise ScheduleError(f"the {field.name} repetition is not a number from 1 to 99")
            step = int(step_text)
        chosen.update(range(low, high + 1, step))
    return chosen


def _weekday(text: str) -> int:
    lowered = text.lower()
    for names in (WEEKDAYS, _FULL_WEEKDAYS):
        if lowered in names:
            return names.index(lowered)
    raise ScheduleError("a weekday is not Mon-Sun")


def _weekdays(text: str) -> None:
    for item in text.split(","):
        first, dots, last = item.partition("..")
        if dots and _weekday(last) < _weekday(first):
            raise ScheduleError("a weekday range runs backwards")
        _weekday(first)


def _date(text: str) -> None:
    parts = text.split("-")
    if len(parts) == 3:
        if parts[0] != "*":
            raise ScheduleError("a date names a year; a backup schedule repeats every year: write *-MM-DD")
        parts = parts[1:]
    if len(parts) != 2:
        raise ScheduleError("the date is not MM-DD or *-MM-DD")
    months, days = _values(parts[0], _MONTH), _values(parts[1], _DAY)
    if not any(day <= _MONTH_DAYS[month - 1] for month in months for day in days):
        raise ScheduleError("no month has the days this date names, so it never happens")


def _time(text: str) -> None:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ScheduleError("the time is not HH:MM or HH:MM:SS")
    _values(parts[0], _HOUR)
    _number(parts[1], _MINUTE)
    if len(parts) == 3:
        _number(parts[2], _SECOND)


def _zone(text: str) -> None:
    if text.upper() == "UTC":
        return
    if not _ZONE.fullmatch(text):
        raise ScheduleError("the time zone is not UTC or an IANA name such as Europe/Berlin")
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("the time zone is not in the time zone database") from None


def _is_zone(word: str) -> bool:
    return word.upper() == "UTC" or ("/" in word and _ZONE.fullmatch(word) is not None)


def parse_schedule(value: str) -> str:
    """The schedule with its words separated by single spaces, or ScheduleError saying why it is refused."""
    if len(value) > MAX_LENGTH:
        raise ScheduleError(f"it is longer than {MAX_LENGTH} characters")
    words = value.split()
    if not words:
        raise ScheduleError("it is empty")
    if words[-1] != words[0] and _is_zone(words[-1]):
        _zone(words[-1])
        rest = words[:-1]
    else:
        rest = words
    if rest[0].lower() == "minutely":
        raise ScheduleError("'minutely' backs up every minute; at most hourly")
    if rest[0] in SHORTHANDS:
        if len(rest) > 1:
            raise ScheduleError("a shorthand stands alone, or with a time zone")
        return " ".join(words)
    if len(rest) > 3:
        raise ScheduleError("it has more parts than weekdays, a date and a time")
    *before, time = rest
    _time(time)
    if len(before) == 2:
        _weekdays(before[0])
        _date(before[1])
    elif before and ("-" in before[0] or before[0][:1].isdigit() or before[0][:1] == "*"):
        _date(before[0])
    elif before:
        _weekdays(before[0])
    return " ".join(words)
