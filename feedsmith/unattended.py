"""The runs nobody watches, cron's `run-due` and the `schedule` service's jobs: a feed build,
then every newsletter issue that is due, each step logged as it happens (to stderr and the
log file that `feedsmith.cli.logs` sets up). The order of the stages within each is
`feedsmith.pipeline`'s and `feedsmith.newsletter.run`'s.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from feedsmith.config import Config
from feedsmith.errors import FeedsmithError
from feedsmith.newsletter.due import DuePlan, plan_due
from feedsmith.newsletter.run import DigestReport, IssueRequest, run_issue
from feedsmith.pipeline import BuildReport, build

log = logging.getLogger("feedsmith")


@dataclass(slots=True)
class DueReport:
    """What a run-due did: the build (or why it failed), the plan, each issue's report."""

    plan: DuePlan
    build: BuildReport | None = None
    build_error: str = ""
    digests: list[DigestReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def logged_build(config: Config, now: datetime, wait: float = 60) -> BuildReport:
    """A feed build that logs what it did: the unattended runs' (run-due, the service) build."""
    report = build(config, now, wait)
    log.info("build: %d new, %d updated, %d file(s) written", report.merge.new,
             report.merge.changed, len(report.written))
    for failure in report.failures:
        log.error("build: %s", failure)
    for suspect in report.suspects:
        log.error("build: source %r is suspect: %s (last read: %s)", suspect.name,
                  suspect.suspect, suspect.figures or "none")
    if report.alert_failure:
        log.warning("build: %s", report.alert_failure)
    return report


def run_due(config: Config, now: datetime, wait: float = 60) -> DueReport:
    """Rebuild the feeds, then build and (when `[digest] to` is set) send every digest that is
    due. Idempotent: run it twice, or twice at once, and the work is done once."""
    report = DueReport(plan=DuePlan())
    try:
        report.build = logged_build(config, now, wait)
    except FeedsmithError as error:
        report.build_error = str(error)
        log.error("build failed: %s", error)
    report.plan = plan_due(config, now)
    for period in report.plan.skipped:
        log.warning("digest %s was missed and is skipped (catch_up = %s)", period,
                    config.schedule.catch_up)
    for period in report.plan.build + report.plan.retry:
        try:
            result = run_issue(config, period, now, IssueRequest(deliver=bool(config.digest.to)),
                               wait)
        except FeedsmithError as error:
            report.errors.append(f"digest {period}: {error}")
            log.error("digest %s: %s", period, error)
            continue
        report.digests.append(result)
        if result.number is None:
            log.info("digest %s: nothing new, no issue (recorded)", period)
        else:
            log.info("digest %s: %s; sent to %d, %d already had it", period, result.subject,
                     len(result.delivery.sent), len(result.delivery.already_sent))
        for problem in result.delivery.failed:
            report.errors.append(f"digest {period}: {problem}")
            log.error("digest %s: %s", period, problem)
    return report
