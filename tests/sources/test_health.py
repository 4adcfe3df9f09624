"""A source that breaks is caught before readers see it: a listing page on a real HTTP server
(127.0.0.1) that changes between builds (fewer items, an empty page, a login page, links gone, a
500 for three builds), alerts counted by a real SMTP server, and the newsletter held meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from tests.fixtures.http import Site
from tests.fixtures.project import Result, query
from tests.fixtures.smtp import Inbox, set_smtp

BOTH_ENGINES = True  # each test of a project runs on SQLite and on PostgreSQL (conftest)

NOW = "2023-12-01T08:00"  # November 2023's issue is due
SELECTORS = {"item": "li", "title": "a", "date": ".d", "category": ".cat", "summary": ".s"}
LOGIN = b"""<html><body><form action="/login"><h1>Please sign in</h1>
<input name="user"><input type="password" name="password"></form></body></html>"""


def _listing(count: int, links: bool = True, start: int = 1) -> bytes:
    """A listing page of `count` items dated in November 2023, newest first."""
    items = "".join(
        '<li><span class="cat">News</span>'
        + (f'<a href="/item-{n}">Item number {n}</a>' if links else f"<a>Item number {n}</a>")
        + f'<span class="d">{30 - n % 28:02d} November 2023</span>'
        f'<span class="s">What happened in item {n}.</span></li>'
        for n in range(start, start + count))
    return f"<html><body><ol>{items}</ol></body></html>".encode()


def use_listing_page(project: Path, url: str) -> Path:
    """The example's source reads the listing page at `url` (with `SELECTORS`), not its files."""
    config = project / "config.toml"
    selectors = "".join(f'{key} = "{value}"\n' for key, value in SELECTORS.items())
    text = config.read_text().replace('paths = ["listings/*.txt"]', f'url = "{url}"')
    config.write_text(text.replace("[output]", f"[sources.selectors]\n{selectors}\n[output]", 1))
    return config


@pytest.fixture
def watched(project: Path, web: Site, inbox: tuple[Inbox, int]) -> Path:
    """The example, reading a 40-item listing page instead of its files, sending its digest and
    its alerts to a real SMTP server."""
    web.route("/news", _listing(40))
    set_smtp(project, inbox[1], ["reader@example.org"])
    config = use_listing_page(project, f"{web.base}/news")
    config.write_text(config.read_text() + '\n[alerts]\nto = ["ops@example.org"]\n')
    return project


def _alerts(server: Inbox) -> list[str]:
    return [message["Subject"] for envelope, message in server.messages
            if envelope == ["ops@example.org"]]


BREAKS = {
    "a markup change that reads 3 items": (_listing(3), "read 3 item(s), under half the median"),
    "an empty page": (b"<html><body><p>No news.</p></body></html>", "read nothing where"),
    "a login page": (LOGIN, "read nothing where"),
    "links gone": (_listing(40, links=False), "no item has a link where 100% of items had one"),
}


@pytest.mark.parametrize("broken", BREAKS, ids=list(BREAKS))
def test_a_broken_source_is_caught_named_alerted_once_and_holds_the_issue(
        watched: Path, cli: Callable[..., Result], web: Site, inbox: tuple[Inbox, int],
        broken: str) -> None:
    server, _ = inbox
    first = cli("build")
    assert first.exit_code == 0, first.output
    published = {e.id for e in feedparser.parse(watched / "feeds" / "all.atom").entries}
    body, why = BREAKS[broken]
    web.route("/news", body)
    result = cli("build")
    assert result.exit_code == 1, result.output  # cron mails the operator
    assert "source 'ilo-coop' looks broken: " in result.stderr
    assert why in result.stderr and "feedsmith sources accept ilo-coop" in result.stderr
    still = {e.id for e in feedparser.parse(watched / "feeds" / "all.atom").entries}
    assert published <= still  # nothing it published is removed
    assert _alerts(server) == ["[feedsmith] source 'ilo-coop' looks broken"]
    again = cli("build")  # the same broken page: still suspect, no second alert
    assert again.exit_code == 1 and len(_alerts(server)) == 1
    status = cli("status", "--now", NOW)
    assert "source 'ilo-coop' looks broken: " in status.stdout and why in status.stdout
    due = cli("run-due", "--now", NOW)
    assert due.exit_code == 1
    assert "issue 2023-11 is held while a source looks broken" in due.stderr
    assert not [m for m in server.messages if m[0] == ["reader@example.org"]]
    assert query(watched, "SELECT COUNT(*) FROM issues")[0][0] == 0  # nothing frozen
    web.route("/news", _listing(40, start=1))  # fixed
    recovered = cli("build")
    assert recovered.exit_code == 0, recovered.output
    assert _alerts(server)[1:] == ["[feedsmith] source 'ilo-coop' recovered"]
    sent = cli("run-due", "--now", NOW)
    assert sent.exit_code == 0, sent.output
    assert [m[0] for m in server.messages].count(["reader@example.org"]) == 1


def test_a_source_that_fails_three_builds_in_a_row_is_suspect(
        watched: Path, cli: Callable[..., Result], web: Site, inbox: tuple[Inbox, int]) -> None:
    server, _ = inbox
    assert cli("build").exit_code == 0
    web.route("/news", status=500)
    config = watched / "config.toml"
    config.write_text(config.read_text() + "\n[fetch]\nretries = 0\ntimeout = 2\n")
    for build in (1, 2):
        result = cli("build")
        assert result.exit_code == 1 and "looks broken" not in result.stderr, build
        assert "source 'ilo-coop': " in result.stderr  # failures name their source
    third = cli("build")
    assert "source 'ilo-coop' looks broken: failed 3 builds in a row" in third.stderr
    assert len(_alerts(server)) == 1


def test_a_failed_fetch_does_not_end_an_incident(
        watched: Path, cli: Callable[..., Result], web: Site, inbox: tuple[Inbox, int]) -> None:
    server, _ = inbox
    assert cli("build").exit_code == 0
    web.route("/news", _listing(3))
    assert cli("build").exit_code == 1
    web.route("/news", status=500)
    config = watched / "config.toml"
    config.write_text(config.read_text() + "\n[fetch]\nretries = 0\ntimeout = 2\n")
    assert cli("build").exit_code == 1
    assert "looks broken: http" in cli("status", "--now", NOW).stdout
    assert _alerts(server) == ["[feedsmith] source 'ilo-coop' looks broken"]  # no "recovered"


def test_accepting_a_source_makes_its_new_size_the_normal(
        watched: Path, cli: Callable[..., Result], web: Site) -> None:
    assert cli("build").exit_code == 0
    web.route("/news", _listing(10))
    assert cli("build").exit_code == 1
    accepted = cli("sources", "accept", "ilo-coop")
    assert accepted.exit_code == 0 and "Accepted source 'ilo-coop'" in accepted.stdout
    web.route("/news", _listing(4, start=3))  # under half the new normal: caught again
    assert "under half the median of its last 1 read(s) (10)" in cli("build").stderr
    assert cli("sources", "accept", "ilo-coop").exit_code == 0
    assert cli("build").exit_code == 0  # the accepted page, read again: normal now
    web.route("/news", _listing(4, start=2))  # a normal day at the new size
    later = cli("build")
    assert later.exit_code == 0, later.output
    assert "looks broken" not in cli("status", "--now", NOW).stdout
    assert "is not suspect" in cli("sources", "accept", "ilo-coop").stdout
    unknown = cli("sources", "accept", "ilo")
    assert unknown.exit_code == 2 and "no source 'ilo'" in unknown.stderr
    assert "its sources are: ilo-coop" in unknown.stderr


def test_the_issue_can_be_sent_anyway_while_a_source_is_suspect(
        watched: Path, cli: Callable[..., Result], web: Site, inbox: tuple[Inbox, int]) -> None:
    server, _ = inbox
    assert cli("build").exit_code == 0
    web.route("/news", _listing(2))
    assert cli("build").exit_code == 1
    held = cli("digest", "--now", NOW, "--send")
    assert held.exit_code == 1 and "--accept-suspect" in held.stderr
    sent = cli("digest", "--now", NOW, "--send", "--accept-suspect")
    assert sent.exit_code == 0, sent.output
    assert [m[0] for m in server.messages].count(["reader@example.org"]) == 1


def test_with_hold_off_a_suspect_source_does_not_hold_the_issue(
        watched: Path, cli: Callable[..., Result], web: Site) -> None:
    config = watched / "config.toml"
    config.write_text(config.read_text().replace('cadence = "monthly"',
                                                 'cadence = "monthly"\nhold_when_suspect = false'))
    assert cli("build").exit_code == 0
    web.route("/news", _listing(2))
    assert cli("build").exit_code == 1
    assert cli("digest", "--now", NOW, "--send").exit_code == 0


def test_a_held_rebuild_keeps_the_frozen_issue(
        watched: Path, cli: Callable[..., Result], web: Site) -> None:
    assert cli("build").exit_code == 0
    assert cli("digest", "--now", NOW).exit_code == 0  # built, not sent
    web.route("/news", _listing(2))
    assert cli("build").exit_code == 1
    rebuilt = cli("digest", "--now", NOW, "--rebuild")
    assert rebuilt.exit_code == 1 and "is held while a source looks broken" in rebuilt.stderr
    assert query(watched, "SELECT month, number FROM issues") == [("2023-11", 1)]
    again = cli("digest", "--now", NOW)  # the frozen issue's files: written as they were
    assert again.exit_code == 0 and "(already built, unchanged)" in again.stdout, again.output
