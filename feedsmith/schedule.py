"""When things are due: standard crontab expressions, digest due times and catch-up, and the
long-running service (APScheduler 3) that calls the same core as `feedsmith run-due`.

The ledger in the store, not APScheduler's job store, is the truth about what was sent: jobs live
in memory, every job just asks the ledger what is due, and `run-due` at start-up is the catch-up.
So a restart, a DST change or a missed fire time can neither skip nor double an issue.
"""

from __future__ import annotations

import logging
import re
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import NamedTuple
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feedsmith.errors import ConfigError

log = logging.getLogger("feedsmith.schedule")

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # cron: 0 and 7 = Sunday
_INTERVAL = re.compile(r"^every\s+(\d+)\s*(s|m|h)$", re.IGNORECASE)
# A job run later than this after its time still runs (APScheduler's default is one second).
MISFIRE_GRACE = timedelta(hours=1)


def crontab(expression: str, zone: ZoneInfo, key: str) -> CronTrigger:
    """A five-field crontab expression with its standard meaning (day-of-week 1 = Monday,
    0 or 7 = Sunday), as an APScheduler trigger; ConfigError naming `key` when it is not one."""
    fields = expression.split()
    if len(fields) != 5:
        raise ConfigError(f"[schedule] {key}: expected five crontab fields "
                          f"(minute hour day month weekday), got {expression!r}")
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise ConfigError(f"[schedule] {key}: {expression!r} restricts both the day of the month "
                          "and the day of the week, which cron reads as either-or; use one of them")
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=_weekday_names(weekday), timezone=zone)
    except ValueError as exc:
        raise ConfigError(f"[schedule] {key}: {expression!r} is not a valid crontab "
                          f"expression: {exc}") from None


def _weekday_names(field: str) -> str:
    """Cron's weekday numbers (0-7, Sunday = 0 and 7) as the names APScheduler reads the same way
    (its numbers start at Monday = 0)."""
    if field == "*" or not any(c.isdigit() for c in field):
        return field
    days: list[str] = []
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            first, last = (int(n) for n in base.split("-", 1))
        else:
            first = last = int(base)
        if not 0 <= first <= last <= 7:
            raise ValueError(f"weekday {part!r} is not within 0-7")
        days += [_DAY_NAMES[n] for n in range(first, last + 1, int(step or 1))]
    return ",".join(dict.fromkeys(days))


def build_trigger(expression: str, zone: ZoneInfo, start: datetime | None = None) -> BaseTrigger:
    """`[schedule] build`: a crontab expression, or "every N s|m|h" counted from `start`
    (default: now)."""
    interval = _INTERVAL.match(expression.strip())
    if interval:
        amount, unit = int(interval[1]), interval[2].lower()
        seconds = amount * {"s": 1, "m": 60, "h": 3600}[unit]
        if seconds < 1:
            raise ConfigError("[schedule] build: the interval must be at least 1 second")
        return IntervalTrigger(seconds=seconds, timezone=zone, start_date=start)
    return crontab(expression, zone, "build")


def due_time(trigger: CronTrigger, month_end: datetime) -> datetime | None:
    """The digest schedule's first fire time at or after `month_end`. It is the send time of the
    month that ended then if it falls within the following month (see `plan_due`)."""
    fire: datetime | None = trigger.get_next_fire_time(None, month_end)
    return fire


def next_runs(trigger: BaseTrigger, now: datetime, count: int) -> list[datetime]:
    runs: list[datetime] = []
    previous: datetime | None = None
    moment = now
    while len(runs) < count:
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        runs.append(fire)
        previous, moment = fire, fire + timedelta(microseconds=1)
    return runs


class Jobs(NamedTuple):
    """The two schedules, parsed: the one place `[schedule] build` and `digest` are read."""

    build: BaseTrigger
    digest: CronTrigger

    @classmethod
    def parse(cls, build: str, digest: str, zone: ZoneInfo,
              start: datetime | None = None) -> Jobs:
        """ConfigError naming the key when either is not a valid schedule."""
        return cls(build_trigger(build, zone, start), crontab(digest, zone, "digest"))


def serve(jobs: Jobs, run_build: Callable[[], None], run_due: Callable[[], None]) -> None:
    """Run until SIGTERM or Ctrl-C: `run_due` now (the catch-up), then each job on its schedule.

    One job at a time (one worker, max_instances=1, coalesced missed runs): the store's lock keeps
    a cron job beside the service from overlapping too. On a signal the running job finishes,
    then the service stops.
    """
    scheduler = BlockingScheduler(executors={"default": {"type": "threadpool",
                                                         "max_workers": 1}},
                                  job_defaults={"max_instances": 1, "coalesce": True,
                                                "misfire_grace_time": int(
                                                    MISFIRE_GRACE.total_seconds())})
    scheduler.add_job(_logged(run_due, "catch-up"), id="catch-up")
    scheduler.add_job(_logged(run_build, "build"), jobs.build, id="build")
    scheduler.add_job(_logged(run_due, "digest"), jobs.digest, id="digest")

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the current job, then stopping",
                 signal.Signals(signum).name)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("service started; next build %s, next digest check %s",
             jobs.build.get_next_fire_time(None, datetime.now(jobs.digest.timezone)),
             jobs.digest.get_next_fire_time(None, datetime.now(jobs.digest.timezone)))
    scheduler.start()
    log.info("service stopped")


def _logged(job: Callable[[], None], name: str) -> Callable[[], None]:
    """A job that logs its failures instead of dying with them: the next run tries again."""

    def run() -> None:
        log.info("%s: starting", name)
        try:
            job()
        except Exception:
            log.exception("%s: failed; the next run will try again", name)
        else:
            log.info("%s: done", name)

    return run
