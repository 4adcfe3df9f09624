"""What `feedsmith status` reports: the last build, the next runs, the issues and their
deliveries, and what needs the operator's attention. The rules for "needs attention" live here;
the command line only prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from feedsmith.config import Config
from feedsmith.newsletter.delivery import recipient_key
from feedsmith.newsletter.due import plan_due
from feedsmith.newsletter.ledger import OUTCOME_UNKNOWN, SENT, Delivery, Ledger
from feedsmith.period import Period
from feedsmith.pipeline import LastBuild
from feedsmith.schedule import Jobs, next_runs
from feedsmith.store.articles import Articles
from feedsmith.store.engines import open_database
from feedsmith.store.health import SourceHealth
from feedsmith.store.queries import Store


class IssueStatus(NamedTuple):
    period: str
    number: int
    built_at: datetime
    sent: int  # recipients that have it
    not_delivered: int  # recipients tried without success (failed, or outcome unknown)


@dataclass(slots=True)
class Status:
    last_build: LastBuild | None
    next_build: datetime | None
    next_digest: datetime | None
    store: str = ""  # the engine and the file or database, never a password
    hub_ping: str = ""  # the last ping of the WebSub hub ([site] hub), as said
    item_pages: str = ""  # the pages kept for sources with follow = true, as said
    issues: list[IssueStatus] = field(default_factory=list)  # newest first
    attention: list[str] = field(default_factory=list)


def status(config: Config, now: datetime) -> Status:
    """The state of the store and the ledger at `now`; StoreError when there is no store yet."""
    zone = config.site.timezone
    with open_database(config.store, create=False) as database:
        store = Store(database)
        last = LastBuild.from_json(store.get_meta("last_build"))
        ledger = Ledger(database, zone)
        issues = ledger.issues()
        deliveries = {issue.period: ledger.deliveries(issue.period) for issue in issues}
        health = SourceHealth(database).states()
        hub_ping = json.loads(store.get_meta("websub_last") or "null")
        pages = Articles(database).counts() if any(s.follow for s in config.sources) else None
        where = f"{database.engine} {database.where}"
    local = now.astimezone(zone)
    # An interval ("every 15m") counts from the last build, as the service's clock does.
    jobs = Jobs.parse(config.schedule.build, config.schedule.digest, zone,
                      last.at.astimezone(zone) if last else local)
    build_runs, digest_runs = (next_runs(trigger, local, 1) for trigger in (jobs.build,
                                                                           jobs.digest))
    report = Status(last, next(iter(build_runs), None), next(iter(digest_runs), None), where)
    if config.site.hub and hub_ping:
        told = datetime.fromisoformat(hub_ping["at"]).astimezone(zone)
        report.hub_ping = (f"last told {told:%Y-%m-%d %H:%M %Z} of {hub_ping['feeds']} changed "
                           "feed(s)" if not hub_ping["failure"] else
                           f"the last ping, {told:%Y-%m-%d %H:%M %Z}, failed")
        if hub_ping["failure"]:
            report.attention.append(hub_ping["failure"])
    if pages is not None:
        kept, failed, again = pages
        report.item_pages = (f"{kept} kept, {failed} that gave nothing"
                             + (f", {again} to fetch with the next build" if again else ""))
    if last is None:
        report.attention.append("no build has run yet: `feedsmith build`")
    else:
        report.attention += [f"source failed in the last build: {f}" for f in last.failures]
        missed = next_runs(jobs.build, last.at.astimezone(zone), 2)
        if len(missed) == 2 and missed[1] < local:
            report.attention.append(
                f"no build since {last.at.astimezone(zone):%Y-%m-%d %H:%M %Z}, though "
                f"[schedule] build = {config.schedule.build!r}: is `feedsmith schedule` (or "
                "cron) running?")
    report.attention += [state.described() for state in health if state.suspect]
    for issue in reversed(issues):
        assert issue.number is not None
        sent = [d for d in deliveries[issue.period] if d.state == SENT]
        troubled = [d for d in deliveries[issue.period] if d.state != SENT]
        tried = {recipient_key(d.recipient) for d in deliveries[issue.period]}
        untried = [r for r in config.digest.to if recipient_key(r) not in tried]
        if untried:
            report.attention.append(f"issue {issue.period} not sent to {', '.join(untried)} yet: "
                                    f"`feedsmith digest {Period.parse(issue.period).option} "
                                    "--send`")
        report.issues.append(IssueStatus(issue.period, issue.number, issue.built_at, len(sent),
                                         len(troubled)))
        report.attention += [_delivery_problem(issue.period, d) for d in troubled]
    plan = plan_due(config, now)
    report.attention += [f"digest {m} is due and not built yet: `feedsmith run-due`"
                         for m in plan.build]
    report.attention += [f"digest {m} was missed (catch_up = {config.schedule.catch_up})"
                         for m in plan.skipped]
    return report


def _delivery_problem(period: str, delivery: Delivery) -> str:
    if delivery.state in OUTCOME_UNKNOWN:
        why = delivery.error or "the run stopped while handing it over"
        return (f"issue {period} to {delivery.recipient}: outcome unknown, it may have arrived "
                f"({why}). Check with the recipient or the server's log; it is not sent again "
                f"unless you run `feedsmith digest {Period.parse(period).option} --send "
                "--resend-unknown` "
                "(same Message-ID)")
    return (f"issue {period} to {delivery.recipient}: {delivery.state} after {delivery.attempts} "
            f"attempt(s){': ' + delivery.error if delivery.error else ''}")
