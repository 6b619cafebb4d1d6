"""`backups.schedule`: every form accepted offline is one systemd accepts and that elapses; every refused sample is
refused by systemd or never elapses, or is one the documented subset leaves out on purpose."""

import shutil
import subprocess

import pytest

from stack_config.calendar import ScheduleError, parse_schedule
from tests.stack_config.conftest import load, problems

ACCEPTED = [
    "hourly", "daily", "weekly", "monthly", "quarterly", "semiannually", "yearly", "annually", "daily UTC",
    "*-*-* 02:00:00 UTC", "*-*-* 02:00", "02:00", "2:00", "*-*-* 23:59:59", "Mon *-*-* 02:00", "mon 02:00",
    "Monday 03:00", "Mon..Fri *-*-* 03:30:00 Europe/Berlin", "Mon,Wed..Fri 02:00", "Sat,Sun 03:30 UTC",
    "*-*-1,15 02:00", "*-*-1/7 02:00", "*-1,7-1 04:00", "*-2..5-1 02:00", "02-29 02:00", "*-02-29 02:00",
    "*-*-* 2/3:00", "*-*-* 2..5/2:00", "*-*-* 0,12:00", "*-*-* *:00", "Sun *-01..12-01 05:00 America/New_York",
    "*-*-*   04:30",
]  # fmt: skip

# (sample, why this stack refuses it); each is refused by systemd, never elapses, or is left out of the subset
# on purpose (LEFT_OUT).
REFUSED = [
    ("whenever", "the time is not HH:MM or HH:MM:SS"),
    ("", "it is empty"),
    ("*-*-* 24:00", "hour 24 is out of range 0-23"),
    ("*-*-* 02:60", "minute 60 is out of range 0-59"),
    ("*-*-* 02:00:60", "second 60 is out of range 0-59"),
    ("*-*-* 5..2:00", "the hour range 5..2 runs backwards"),
    ("*-*-* 0..23/0:00", "the hour repetition is not a number from 1 to 99"),
    ("*-*-* */4:00", "the hour is not a number"),
    ("*-02-30 02:00", "no month has the days this date names, so it never happens"),
    ("*-04-31 02:00", "no month has the days this date names, so it never happens"),
    ("*-13-01 02:00", "month 13 is out of range 1-12"),
    ("2020-01-01 02:00", "a date names a year; a backup schedule repeats every year: write *-MM-DD"),
    ("*-*-* 02:00 Mars/Olympus", "the time zone is not in the time zone database"),
    ("Fri..Mon 02:00", "a weekday range runs backwards"),
    ("Funday 02:00", "a weekday is not Mon-Sun"),
    ("daily; rm -rf /", "it has more parts than weekdays, a date and a time"),
    ("$(reboot) 02:00", "a weekday is not Mon-Sun"),
    ("daily 02:00", "a shorthand stands alone, or with a time zone"),
]
# Forms systemd accepts that the subset leaves out: a backup every minute, several times an hour, "last day of
# the month", fractional seconds.
LEFT_OUT = [
    ("minutely", "'minutely' backs up every minute; at most hourly"),
    ("*-*-* *:*:00", "the minute is not a number"),
    ("*-*-* 02:00,30", "the minute is not a number"),
    ("*-*~01 02:00", "the day is not a number"),
    ("*-*-* 02:00:00.5", "the second is not a number"),
]


def systemd_analyze(expression: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("systemd-analyze")
    if binary is None:
        pytest.fail("systemd-analyze (package systemd) is needed to check schedules against systemd itself")
    return subprocess.run(
        [binary, "calendar", expression], capture_output=True, text=True, check=False, env={"TZ": "UTC"}
    )


@pytest.mark.parametrize("expression", ACCEPTED)
def test_an_accepted_schedule_is_one_systemd_accepts_and_that_elapses(expression: str) -> None:
    assert parse_schedule(expression) == " ".join(expression.split())
    result = systemd_analyze(expression)
    assert result.returncode == 0, result.stderr
    assert "Next elapse: never" not in result.stdout
    assert "Next elapse:" in result.stdout


@pytest.mark.parametrize(("expression", "reason"), REFUSED)
def test_a_refused_schedule_is_one_systemd_refuses_or_that_never_elapses(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError) as refused:
        parse_schedule(expression)
    assert str(refused.value).startswith(f"is not a schedule this stack supports ({reason}); allowed: hourly, ")
    result = systemd_analyze(expression)
    assert result.returncode != 0 or "Next elapse: never" in result.stdout, result.stdout


@pytest.mark.parametrize(("expression", "reason"), LEFT_OUT)
def test_forms_left_out_of_the_subset_are_refused_with_the_allowed_forms(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError) as refused:
        parse_schedule(expression)
    assert str(refused.value).startswith(f"is not a schedule this stack supports ({reason}); allowed: hourly, ")
    assert systemd_analyze(expression).returncode == 0  # systemd takes them: leaving them out is a choice


def test_the_message_names_the_key_and_the_allowed_forms() -> None:
    assert problems("staging", {"backups": {"schedule": "whenever"}}) == [
        "hetzner-coolify:backups.schedule: 'whenever' is not a schedule this stack supports (the time is not HH:MM "
        "or HH:MM:SS); allowed: hourly, daily, weekly, monthly, quarterly, semiannually, yearly, or '[weekdays] "
        "[*-MM-DD] HH:MM[:SS] [time zone]' (systemd.time(7) calendar events; lists with ',', ranges with '..', "
        "repetitions with '/'; minutes and seconds single numbers), e.g. 'Mon..Fri *-*-* 02:30 UTC'"
    ]


def test_the_default_and_a_berlin_schedule_load() -> None:
    assert load("staging").backups.schedule == "*-*-* 02:00:00 UTC"
    changed = load("staging", {"backups": {"schedule": "Mon..Fri *-*-* 03:30:00 Europe/Berlin"}})
    assert changed.backups.schedule == "Mon..Fri *-*-* 03:30:00 Europe/Berlin"
