"""Which issues are due at a moment: the periods whose send time has passed and that the ledger
has no record of, and built issues some recipient still lacks. `run-due` (cron) and the
`schedule` service act on it; `status` shows it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from feedsmith.config import Config
from feedsmith.newsletter.ledger import OUTCOME_UNKNOWN, SENT, Ledger
from feedsmith.period import Period
from feedsmith.schedule import MISFIRE_GRACE, Jobs, due_time
from feedsmith.store.engines import open_database


@dataclass(slots=True)
class DuePlan:
    """Which digests a run-due at some moment does, and which missed ones it leaves (catch-up)."""

    build: list[str] = field(default_factory=list)  # periods to build (and send), oldest first
    retry: list[str] = field(default_factory=list)  # built issues with undelivered recipients
    skipped: list[str] = field(default_factory=list)  # missed, left by the catch-up policy


def plan_due(config: Config, now: datetime) -> DuePlan:
    """Closed periods (months or weeks, by `[digest] cadence`) whose send time (the digest
    schedule's first fire in the following period) has passed, at most `max_lateness_days` ago,
    and that the ledger has no record of; and built issues in that window that some recipient
    still lacks. The catch-up policy picks among missed periods: "all" of them, the "latest"
    only (never one older than a period already done), or "none" (only a run within an hour of
    the send time does a period)."""
    catch_up, zone = config.schedule.catch_up, config.site.timezone
    plan = DuePlan()
    due: list[str] = []
    newer_handled = False  # a newer period is in the ledger or due now: "latest" skips older ones
    with open_database(config.store) as database:
        ledger = Ledger(database, zone)
        for period, when in _send_times(config, now):
            record = ledger.issue(period)
            if record is None:
                late = now - when > MISFIRE_GRACE
                if (catch_up == "none" and late) or (catch_up == "latest" and newer_handled):
                    plan.skipped.append(period)
                else:
                    due.append(period)
            elif record.number is not None and _undelivered(ledger, config, period):
                plan.retry.insert(0, period)
            newer_handled = True
    plan.build = due[::-1]  # oldest first
    return plan


def _send_times(config: Config, now: datetime) -> Iterator[tuple[str, datetime]]:
    """Each closed period whose send time has passed within the lateness window, newest first,
    with that send time."""
    schedule, zone = config.schedule, config.site.timezone
    trigger = Jobs.parse(schedule.build, schedule.digest, zone).digest
    window = timedelta(days=schedule.max_lateness_days)
    current = Period.containing(now.astimezone(zone).date(), config.digest.cadence)
    for back in itertools.count(1):
        span = current.shifted(-back)
        span_end, next_end = span.end(zone), span.shifted(1).end(zone)
        if next_end < now - window:
            return  # any send time of this period or older is past the lateness window
        when = due_time(trigger, span_end)
        if when is None or when >= next_end or when > now or now - when > window:
            continue  # no send time in the following period, not yet due, or too late
        yield span.key, when


def _undelivered(ledger: Ledger, config: Config, period: str) -> bool:
    """Whether some recipient lacks a built issue. Unknown outcomes wait for the operator: only
    those never tried or refused count."""
    settled = {d.recipient for d in ledger.deliveries(period)
               if d.state == SENT or d.state in OUTCOME_UNKNOWN}
    return bool(set(config.digest.to) - settled)
