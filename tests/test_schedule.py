"""Running by itself: run-due through month boundaries, missed months, DST weekends, restarts and
overlaps, with the clock injected and a real SMTP server counting what arrives; and the real
service process started and stopped."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest

from feedsmith import pipeline
from feedsmith.config import load_config
from feedsmith.errors import ConfigError
from feedsmith.schedule import crontab, next_runs
from feedsmith.unattended import run_due
from tests.fixtures.project import DATA, Result, query
from tests.fixtures.smtp import Inbox, free_port, set_smtp

BOTH_ENGINES = True  # each test of a project runs on SQLite and on PostgreSQL (conftest)

ZURICH = ZoneInfo("Europe/Zurich")
A, B = "enews@lists.example.org", "editor@example.org"


def _configure(project: Path, port: int, schedule: str = "", zone: str = "") -> Path:
    set_smtp(project, port, [A, B])
    config = project / "config.toml"
    text = config.read_text()
    if zone:
        text = text.replace('timezone = "Europe/Zurich"', f'timezone = "{zone}"')
    config.write_text(text + ("\n[schedule]\n" + schedule if schedule else ""))
    return config


def _run(config: Path, when: str | datetime) -> None:
    loaded = load_config(config)
    moment = when if isinstance(when, datetime) else \
        datetime.fromisoformat(when).replace(tzinfo=loaded.site.timezone)
    run_due(loaded, moment)


def _ledger(project: Path) -> list[tuple[str, int | None]]:
    return query(project, "SELECT month, number FROM issues ORDER BY month")


@pytest.mark.parametrize(("expression", "first_fire"), [
    ("0 8 * * 1", "2024-01-08 08:00"),  # cron's 1 is Monday (APScheduler's would be Tuesday)
    ("0 8 * * 0", "2024-01-07 08:00"),  # 0 and 7 are Sunday
    ("0 8 * * 7", "2024-01-07 08:00"),
    ("0 8 * * 1-5", "2024-01-05 08:00"),
    ("0 8 * * 6", "2024-01-06 08:00"),
    ("0 8 1 * *", "2024-02-01 08:00"),
])
def test_crontab_days_have_their_standard_meaning(expression: str, first_fire: str) -> None:
    friday_noon = datetime(2024, 1, 5, 7, 0, tzinfo=ZURICH)  # a Friday
    fire = next_runs(crontab(expression, ZURICH, "digest"), friday_noon, 1)[0]
    assert fire.strftime("%Y-%m-%d %H:%M") == first_fire


@pytest.mark.parametrize(("expression", "message"), [
    ("0 8 1 * 1", "restricts both the day of the month and the day of the week"),
    ("0 8 * *", "expected five crontab fields"),
    ("0 25 * * *", "is not a valid crontab expression"),
    ("0 8 * * 9", "not within 0-7"),
])
def test_bad_schedules_are_clear_errors_at_start(project: Path, cli: Callable[..., Result],
                                                 expression: str, message: str) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text() + f'\n[schedule]\ndigest = "{expression}"\n')
    result = cli("schedule", "--print")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {config}: [schedule] digest: ")
    assert message in result.stderr
    with pytest.raises(ConfigError):
        crontab(expression, ZURICH, "digest")


def test_schedule_print_lists_next_runs(project: Path, cli: Callable[..., Result]) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text() + '\n[schedule]\nbuild = "every 20m"\n')
    lines = cli("schedule", "--print", "--now", "2024-03-30T23:50").stdout.splitlines()
    assert lines[0].startswith("build  (every 20m): 2024-03-30 23:50 CET, 2024-03-31 00:10 CET")
    assert lines[1].startswith("digest (0 8 1 * *): 2024-04-01 08:00 CEST, 2024-05-01 08:00 CEST")


def test_the_issue_goes_out_once_at_its_send_time(project: Path,
                                                  inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    config = _configure(project, port)
    for moment in ("2023-11-30T23:00", "2023-12-01T07:59"):
        _run(config, moment)
        assert server.messages == [] and _ledger(project) == []
    _run(config, "2023-12-01T08:00")
    assert _ledger(project) == [("2023-11", 1)]
    assert len(server.to(A)) == len(server.to(B)) == 1
    _run(config, "2023-12-01T08:15")
    _run(config, "2023-12-03T10:00")
    assert len(server.messages) == 2


@pytest.mark.parametrize(("policy", "ledger", "sent_subjects"), [
    ("all", [("2023-11", 1), ("2023-12", 2)],
     ["ILO COOP eNewsUpdate Issue No. 1, November 2023",
      "ILO COOP eNewsUpdate Issue No. 2, December 2023"]),
    ("latest", [("2023-12", 1)], ["ILO COOP eNewsUpdate Issue No. 1, December 2023"]),
    ("none", [], []),
])
def test_missed_months_follow_the_catch_up_policy(
        project: Path, inbox: tuple[Inbox, int], cli: Callable[..., Result], policy: str,
        ledger: list[tuple[str, int]], sent_subjects: list[str]) -> None:
    server, port = inbox
    config = _configure(project, port, f'catch_up = "{policy}"\nmax_lateness_days = 40\n')
    _run(config, "2024-01-03T09:00")  # the machine was down on 1 December and 1 January
    assert _ledger(project) == ledger
    assert [m["Subject"] for m in server.to(A)] == sent_subjects
    status = cli("status", "--now", "2024-01-03T09:05").stdout
    missed = {"all": [], "latest": ["2023-11"], "none": ["2023-11", "2023-12"]}[policy]
    for month in missed:
        assert f"digest {month} was missed (catch_up = {policy})" in status
    _run(config, "2024-01-03T10:00")  # and a second run changes nothing
    assert len(server.to(A)) == len(sent_subjects)


def _first_send(config: Path, server: Inbox, start: datetime, end: datetime,
                every: timedelta) -> datetime | None:
    """Run run-due at every step from `start` to `end`; the first moment mail arrived."""
    first = None
    while start <= end:
        _run(config, start)
        if first is None and server.messages:
            first = start
        start += every
    return first


def test_a_dst_weekend_in_zurich_neither_skips_nor_doubles(project: Path,
                                                           inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    # 25 October 2020: 02:00-03:00 happens twice in Zurich. September 2020's issue is due then.
    config = _configure(project, port, 'digest = "30 2 25 10 *"\nmax_lateness_days = 1\n')
    first_send = _first_send(config, server, datetime(2020, 10, 24, 22, 0, tzinfo=UTC),
                             datetime(2020, 10, 25, 4, 0, tzinfo=UTC), timedelta(minutes=20))
    assert _ledger(project) == [("2020-09", 1)]
    assert len(server.to(A)) == len(server.to(B)) == 1
    assert first_send == datetime(2020, 10, 25, 0, 40, tzinfo=UTC)  # first run after 02:30 CEST


def test_a_dst_weekend_in_new_york_neither_skips_nor_doubles(project: Path,
                                                             inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    (project / "listings" / "october.txt").write_text(
        "News\n\n  1. News\n\n    An October story from New York\n\n    20 October 2020\n")
    # 1 November 2020: 01:00-02:00 happens twice in New York. October's issue is due at 01:30.
    config = _configure(project, port, 'digest = "30 1 1 11 *"\nmax_lateness_days = 1\n',
                        zone="America/New_York")
    first_send = _first_send(config, server, datetime(2020, 11, 1, 4, 0, tzinfo=UTC),
                             datetime(2020, 11, 1, 8, 0, tzinfo=UTC), timedelta(minutes=15))
    assert _ledger(project) == [("2020-10", 1)]
    assert len(server.to(A)) == 1
    assert first_send == datetime(2020, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first one


def test_a_restart_after_a_failed_send_completes_it(project: Path,
                                                    inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    config = _configure(project, free_port())  # the mail server is down at send time
    _run(config, "2023-12-01T08:00")
    assert dict(query(project, "SELECT recipient, state FROM deliveries")) == {
        A: "failed", B: "failed"}
    _configure(project, port)  # the service restarts, the server is back
    _run(config, "2023-12-01T09:00")
    assert len(server.to(A)) == len(server.to(B)) == 1
    assert _ledger(project) == [("2023-11", 1)]


def test_two_run_dues_at_once_do_the_work_once(project: Path, inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    config = _configure(project, port)
    command = [sys.executable, "-m", "feedsmith", "--config", str(config), "run-due",
               "--now", "2023-12-01T08:00"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert len(server.to(A)) == len(server.to(B)) == 1
    assert _ledger(project) == [("2023-11", 1)]
    log = "".join(err for _, err in outputs)
    assert "INFO feedsmith: digest 2023-11: ILO COOP eNewsUpdate Issue No. 1, November 2023; " \
           "sent to 2, 0 already had it" in log


def test_the_service_runs_jobs_and_stops_cleanly(project: Path, inbox: tuple[Inbox, int]) -> None:
    config = _configure(project, inbox[1], 'build = "every 1s"\n')
    log_file = project / "service.log"
    service = subprocess.Popen([sys.executable, "-m", "feedsmith", "--config", str(config),
                                "schedule", "--log-file", str(log_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            log = log_file.read_text() if log_file.exists() else ""
            if "catch-up: done" in log and log.count("build: done") >= 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"no scheduled build ran: {log}")
    finally:
        service.send_signal(signal.SIGTERM)
        _, stderr = service.communicate(timeout=30)
    assert service.returncode == 0, stderr
    log = log_file.read_text()
    assert "received SIGTERM: finishing the current job, then stopping" in log
    assert log.rstrip().endswith("INFO feedsmith.schedule: service stopped")
    assert "Traceback" not in stderr and (project / "feeds" / "all.atom").exists()
    assert query(project, "SELECT COUNT(*) FROM entries") == [(50,)]


def test_quiet_run_due_is_silent_for_cron_but_logs_to_its_file(
        project: Path, inbox: tuple[Inbox, int], cli: Callable[..., Result]) -> None:
    _configure(project, inbox[1])
    log_file = project / "feedsmith.log"
    result = cli("run-due", "--quiet", "--log-file", str(log_file), "--now", "2023-11-15T10:00")
    assert result.exit_code == 0
    assert result.stderr == "" and result.stdout == ""
    assert "INFO feedsmith: build: 50 new, 0 updated, 64 file(s) written" in log_file.read_text()


def _golden_titles(first: str, last: str) -> set[str]:
    golden = json.loads((DATA / "golden" / "000_254e8c6e76770959.json").read_text())
    return {e["title"] for e in golden if first <= e["date"] <= last}


def test_a_weekly_issue_goes_out_once_through_run_due(project: Path, inbox: tuple[Inbox, int],
                                                      cli: Callable[..., Result]) -> None:
    server, port = inbox
    config = _configure(project, port, "max_lateness_days = 2\n")  # week 46 is past catching up
    config.write_text(config.read_text().replace('cadence = "monthly"', 'cadence = "weekly"'))
    _run(config, "2023-11-27T07:59")  # Monday: week 47 (20-26 November) is over, not yet due
    assert server.messages == [] and _ledger(project) == []
    _run(config, "2023-11-27T08:00")
    assert _ledger(project) == [("2023-W47", 1)]
    [copy] = server.to(A)
    assert copy["Subject"] == "ILO COOP eNewsUpdate Issue No. 1, Week 47, 20–26 November 2023"
    html = copy.get_body(("html",)).get_content()  # type: ignore[union-attr]
    week = _golden_titles("2023-11-20", "2023-11-26")
    assert week and all(escape(title, quote=False) in html for title in week)
    assert not any(escape(t, quote=False) in html for t in _golden_titles("2023-11-27", "2023-12-31"))
    for moment in ("2023-11-27T08:15", "2023-11-29T10:00"):
        _run(config, moment)
    assert len(server.messages) == 2  # once per recipient
    _run(config, "2023-12-04T08:00")  # week 48 (27 November - 3 December)
    assert _ledger(project) == [("2023-W47", 1), ("2023-W48", 2)]
    assert len(server.to(B)) == 2
    again = cli("digest", "--week", "2023-W47", "--send", "--now", "2023-12-05T09:00")
    assert again.exit_code == 0 and "0 recipient(s); 2 had it already" in again.stdout
    assert len(server.messages) == 4
    wrong = cli("digest", "--month", "2023-11", "--now", "2023-12-05T09:00")
    assert wrong.exit_code == 1 and "[digest] cadence is 'weekly'" in wrong.output
    issues = feedparser.parse(project / "feeds" / "digest" / "issues.atom").entries
    assert [e.title for e in issues] == [
        "ILO COOP eNewsUpdate Issue No. 2, Week 48, 27 November–3 December 2023",
        "ILO COOP eNewsUpdate Issue No. 1, Week 47, 20–26 November 2023"]
    assert "2023-W47.html" in (project / "feeds" / "digest" / "index.html").read_text()
    status = cli("status", "--now", "2023-12-05T09:05").stdout
    assert "2023-W48" in status


def test_status_counts_the_next_build_from_the_last_and_says_when_builds_stopped(
        project: Path, cli: Callable[..., Result]) -> None:
    pipeline.build(load_config(project / "config.toml"),
                   datetime(2024, 1, 3, 9, 0, tzinfo=ZoneInfo("Europe/Zurich")))
    soon = cli("status", "--now", "2024-01-03T09:05").stdout
    assert "Next build: 2024-01-03 09:15 CET (every 15m), when `feedsmith schedule` runs" in soon
    assert "no build since" not in soon
    late = cli("status", "--now", "2024-01-03T09:40").stdout
    assert ("no build since 2024-01-03 09:00 CET, though [schedule] build = 'every 15m': is "
            "`feedsmith schedule` (or cron) running?") in late
