"""The monthly digest: what an issue holds, how it reads in each part, and that it is sent once.

Mail goes to a real SMTP server (aiosmtpd) on 127.0.0.1 that counts what arrives; the .eml and
the HTML are read back with the stdlib `email` package and lxml.
"""

from __future__ import annotations

import email
import json
from collections.abc import Callable
from datetime import date, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import html as lxml_html

from feedsmith.newsletter import delivery, mail
from tests.fixtures.project import DATA, Result, query
from tests.fixtures.smtp import Inbox, free_port, set_smtp

BOTH_ENGINES = True  # each test of a project runs on SQLite and on PostgreSQL (conftest)

NOW = "2023-12-01T08:00"
GOOD, OTHER, BAD = "enews@lists.example.org", "editor@example.org", "bad@example.org"


@pytest.fixture
def mail_project(project: Path, inbox: tuple[Inbox, int]) -> Path:
    set_smtp(project, inbox[1], [GOOD, OTHER])
    return project


def _digest(cli: Callable[..., Result], *args: str) -> Result:
    assert cli("build").exit_code in (0, 1)
    return cli("digest", "--now", NOW, *args)


def _eml(project: Path, month: str = "2023-11") -> EmailMessage:
    raw = (project / "feeds" / "digest" / f"{month}.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _november_titles() -> set[str]:
    golden = json.loads((DATA / "golden" / "000_254e8c6e76770959.json").read_text())
    return {e["title"] for e in golden if e["date"].startswith("2023-11")}


def _web_items(page: Path) -> list[tuple[str, str]]:
    """(section heading, item title) in reading order, as a browser's DOM has them (section
    headings carry an id; an editorial's headings do not)."""
    tree = lxml_html.parse(str(page))
    found, heading = [], "lead"
    for element in tree.iter("h2", "p"):
        if element.tag == "h2" and element.get("id"):
            heading = element.text_content().strip()
        elif "font-weight:bold" in (element.get("style") or "").replace(" ", ""):
            found.append((heading, element.text_content().strip()))
    return found


def test_the_november_2023_issue_holds_exactly_its_nine_items_by_category(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    result = _digest(cli)  # --now 2023-12-01: the default month is November 2023
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ILO COOP eNewsUpdate Issue No. 1, November 2023 (new)")
    items = _web_items(mail_project / "feeds" / "digest" / "2023-11.html")
    assert {title for _, title in items} == _november_titles()
    assert len(items) == 9
    assert [h for h, _ in items] == ["lead"] + ["News highlights for November 2023"] * 7 + [
        "Spotlight Interviews with Co-operators: November 2023"]  # [digest.headings]
    text = _eml(mail_project).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for title in _november_titles():
        assert " ".join(title.split()) in " ".join(text.replace("\n  ", " ").split())


def test_every_story_links_where_the_feeds_link_it(mail_project: Path,
                                                   cli: Callable[..., Result]) -> None:
    assert _digest(cli).exit_code == 0
    links = {e.title: e.link for e in feedparser.parse(mail_project / "feeds" / "all.atom").entries}
    message = _eml(mail_project)
    page = lxml_html.fromstring(message.get_body(("html",)).get_content())  # type: ignore[union-attr]
    stories = {a.text_content().strip(): a.get("href") for a in page.iter("a")
               if a.text_content().strip() in _november_titles()}
    assert stories == {title: links[title] for title in _november_titles()}
    assert all(link.startswith("https://feeds.example.org/ilo-coop/archive/2023-11.html#item-")
               for link in stories.values())
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert all(link in text for link in stories.values())


def test_the_eml_has_the_parts_and_headers_a_list_mail_needs(mail_project: Path,
                                                            cli: Callable[..., Result]) -> None:
    assert _digest(cli).exit_code == 0
    message = _eml(mail_project)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "ILO COOP eNewsUpdate Issue No. 1, November 2023"
    assert message["From"] == "ILO COOP eNewsUpdate <enews@feeds.example.org>"
    assert message["To"] == "undisclosed-recipients:;"  # the archive is public
    raw = (mail_project / "feeds" / "digest" / "2023-11.eml").read_bytes()
    assert GOOD.encode() not in raw and OTHER.encode() not in raw
    assert message["Date"] == "Fri, 01 Dec 2023 08:00:00 +0100"
    assert message["Message-ID"] == "<2023-11.issue-1@feeds.example.org>"
    assert message["List-Id"] == "ILO COOP eNewsUpdate <coop-enews.lists.example.org>"
    assert message["List-Unsubscribe"] == ("<https://feeds.example.org/ilo-coop/unsubscribe>, "
                                           "<mailto:coop-enews-leave@lists.example.org>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_non_ascii_subject_is_rfc_2047_encoded(mail_project: Path,
                                                 cli: Callable[..., Result]) -> None:
    config = mail_project / "config.toml"
    config.write_text(config.read_text().replace('title = "ILO COOP eNewsUpdate"',
                                                 'title = "Coopératives – eNewsUpdate"'))
    assert _digest(cli).exit_code == 0
    raw = (mail_project / "feeds" / "digest" / "2023-11.eml").read_bytes()
    subject_line = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in subject_line.lower()
    assert _eml(mail_project)["Subject"] == "Coopératives – eNewsUpdate Issue No. 1, November 2023"


def test_the_html_is_email_safe(mail_project: Path, cli: Callable[..., Result]) -> None:
    assert _digest(cli).exit_code == 0
    part = _eml(mail_project).get_body(("html",))
    assert part is not None
    source = part.get_content()
    tree = lxml_html.fromstring(source)
    assert tree.get("lang") == "en"
    links = [a.get("href") for a in tree.iter("a")]
    assert links and all(h.startswith(("https://", "mailto:")) for h in links), links
    assert all(img.get("alt") is not None for img in tree.iter("img"))
    assert not list(tree.iter("script")) and "fonts.googleapis" not in source
    assert tree.xpath("//meta[@name='viewport']")
    assert "max-width:600px" in source.replace(" ", "")
    assert "@media only screen and (min-width:480px)" in source  # columns stack below it
    preheader = "9 new items in November 2023: ILO offers a clinic"
    assert preheader in tree.text_content()
    assert "View online" in source and "Unsubscribe" in source and "Past issues" in source


def test_hostile_titles_come_through_as_text_in_both_parts(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    hostile = 'A & B <C> <script>alert("x")</script> “quoted” \'single\''
    listing = mail_project / "listings" / "000_254e8c6e76770959.txt"
    listing.write_text(listing.read_text().replace(
        "Engaging with platform cooperatives to build a fairer digital economy", hostile))
    assert _digest(cli).exit_code == 0
    message = _eml(mail_project)
    html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    tree = lxml_html.fromstring(html_part.get_content())
    assert not list(tree.iter("script"))
    assert any(p.text_content().strip() == hostile for p in tree.iter("p"))
    assert hostile in text_part.get_content()
    web = lxml_html.parse(str(mail_project / "feeds" / "digest" / "2023-11.html"))
    assert not list(web.iter("script"))


def test_digest_again_changes_nothing_and_send_again_sends_nothing(
        mail_project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, _ = inbox
    first = _digest(cli, "--send")
    assert first.exit_code == 0, first.output
    assert "Sent to 2 recipient(s); 0 had it already." in first.stdout
    assert len(server.to(GOOD)) == len(server.to(OTHER)) == 1
    folder = mail_project / "feeds" / "digest"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    again = cli("digest", "--now", "2023-12-02T08:00", "--month", "2023-11", "--send")
    assert again.exit_code == 0
    assert "(already built, unchanged)" in again.stdout
    assert "Sent to 0 recipient(s); 2 had it already." in again.stdout
    assert len(server.messages) == 2
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == before
    forced = cli("digest", "--month", "2023-11", "--send", "--force")
    assert forced.exit_code == 0 and len(server.messages) == 4
    ids = [m["Message-ID"] for m in server.to(GOOD)]
    assert ids[0] == ids[1] and ids[0] != server.to(OTHER)[0]["Message-ID"]  # per recipient


def test_each_recipient_gets_its_own_copy_of_the_frozen_issue(
        mail_project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    assert _digest(cli, "--send").exit_code == 0
    delivered = inbox[0].to(GOOD)[0]
    assert delivered["To"] == GOOD
    assert delivered["Date"] == "Fri, 01 Dec 2023 08:00:00 +0100"  # the site's zone, sent at --now
    frozen = _eml(mail_project)
    assert delivered["Subject"] == frozen["Subject"]
    body, frozen_body = delivered.get_body(("html",)), frozen.get_body(("html",))
    assert body is not None and frozen_body is not None
    assert body.get_content() == frozen_body.get_content()


def test_a_refused_recipient_is_recorded_and_retried_by_the_next_run(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    set_smtp(project, port, [GOOD, BAD])
    server.refuse.add(BAD)
    result = _digest(cli, "--send")
    assert result.exit_code == 1
    assert f"error: {BAD}: refused by the server (550 5.1.1 mailbox unavailable)" in result.stderr
    assert "Error: 1 delivery problem(s); they are recorded" in result.stderr
    assert len(server.to(GOOD)) == 1 and server.to(BAD) == []
    states = dict(query(project, "SELECT recipient, state FROM deliveries"))
    assert states == {GOOD: "sent", BAD: "failed"}
    status = cli("status", "--now", NOW).stdout
    assert f"issue 2023-11 to {BAD}: failed after 1 attempt(s): {BAD}: refused by the server " \
           "(550 5.1.1 mailbox unavailable)" in status
    # built at NOW, shown in the site's time zone (Europe/Zurich), whatever the machine's
    assert "  No. 1    2023-11  built 2023-12-01 08:00  sent 1/2, 1 not delivered\n" in status
    server.refuse.clear()
    retry = cli("digest", "--month", "2023-11", "--send")
    assert retry.exit_code == 0
    assert len(server.to(GOOD)) == 1 and len(server.to(BAD)) == 1


def test_a_server_that_is_down_is_a_clear_error_and_the_next_run_sends(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    set_smtp(project, free_port(), [GOOD])  # nothing listens there
    down = _digest(cli, "--send")
    assert down.exit_code == 1
    assert "cannot reach SMTP server 127.0.0.1:" in down.stderr
    assert "Traceback" not in down.output
    status = cli("status", "--now", NOW)  # the reason is kept with the delivery
    assert f"issue 2023-11 to {GOOD}: failed after 1 attempt(s): cannot reach SMTP server" in \
        status.stdout
    set_smtp(project, port, [GOOD])
    assert cli("digest", "--month", "2023-11", "--send").exit_code == 0
    assert len(server.to(GOOD)) == 1


def test_a_run_killed_before_handing_over_sends_that_copy_next_time(
        mail_project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, _ = inbox
    real_send, calls = mail.send, []

    def crash_on_second(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # dies while talking to the server, before the message
        real_send(*args)

    monkeypatch.setattr(delivery, "send", crash_on_second)
    crashed = _digest(cli, "--send")
    assert crashed.exit_code == 130 and crashed.stderr.startswith("Aborted. What was done is kept")
    assert "Traceback" not in crashed.output
    assert len(server.messages) == 1
    states = dict(query(mail_project, "SELECT recipient, state FROM deliveries"))
    assert states == {GOOD: "sent"}  # nothing of OTHER's copy ever left
    monkeypatch.setattr(delivery, "send", real_send)
    resumed = cli("digest", "--month", "2023-11", "--send")
    assert resumed.exit_code == 0
    assert "Sent to 1 recipient(s); 1 had it already." in resumed.stdout
    assert len(server.to(GOOD)) == 1 and len(server.to(OTHER)) == 1


def test_a_run_killed_while_handing_over_never_resends_by_itself(
        mail_project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, _ = inbox
    real_send, calls = mail.send, []

    def crash_handing_over_second(session: Any, message: Any, sender: str, recipient: str,
                                  handing_over: Callable[[], None]) -> None:
        calls.append(1)

        def then_die() -> None:
            handing_over()
            if len(calls) == 2:
                raise KeyboardInterrupt  # killed as the message goes out: did it arrive?

        real_send(session, message, sender, recipient, then_die)

    monkeypatch.setattr(delivery, "send", crash_handing_over_second)
    assert _digest(cli, "--send").exit_code == 130
    states = dict(query(mail_project, "SELECT recipient, state FROM deliveries"))
    assert states == {GOOD: "sent", OTHER: "sending"}
    monkeypatch.setattr(delivery, "send", real_send)
    again = cli("digest", "--month", "2023-11", "--send")
    assert again.exit_code == 0 and len(server.messages) == 1
    assert f"Not sent again to {OTHER}: an earlier copy's outcome is unknown" in again.stderr
    due = cli("run-due", "--now", "2023-12-01T09:00")
    assert due.exit_code == 0 and len(server.messages) == 1
    status = cli("status", "--now", "2023-12-01T09:00")
    assert f"issue 2023-11 to {OTHER}: outcome unknown, it may have arrived (the run stopped " \
           "while handing it over)" in status.stdout
    assert "--resend-unknown" in status.stdout
    resent = cli("digest", "--month", "2023-11", "--send", "--resend-unknown")
    assert resent.exit_code == 0 and "Sent to 1 recipient(s); 1 had it already." in resent.stdout
    assert len(server.to(OTHER)) == 1 and len(server.to(GOOD)) == 1
    assert server.to(OTHER)[0]["Message-ID"] == mail.message_id(
        "2023-11", 1, "ILO COOP eNewsUpdate <enews@feeds.example.org>", OTHER)


def test_late_arrivals_get_their_own_section_and_no_entry_is_in_two_issues(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    assert _digest(cli).exit_code == 0  # issue 1: November 2023, built on 1 December
    listing = mail_project / "listings" / "000_254e8c6e76770959.txt"
    listing.write_text(listing.read_text().replace("  1. News\n", (
        "  1. News\n\n    A December story\n\n    05 December 2023\n\n"
        "  1. News\n\n    A November story the page showed late\n\n    25 November 2023\n\n"
        "  1. News\n"), 1))
    assert cli("build").exit_code == 0  # first seen now, after issue 1 was built
    december = cli("digest", "--now", "2024-01-01T08:00")
    assert december.exit_code == 0, december.output
    assert "Also new: earlier items that reached us late (late arrivals): 1 item(s)" in \
        december.stdout
    items = _web_items(mail_project / "feeds" / "digest" / "2023-12.html")
    assert ("Also new: earlier items that reached us late",
            "A November story the page showed late") in items
    coffee = ("ILO COOP participates in a #CoffeePeople webinar on Occupational Safety and "
              "Health through Cooperatives")
    assert {t for _, t in items} == {coffee, "A December story",
                                     "A November story the page showed late"}
    counts = query(mail_project, "SELECT month, late, COUNT(*) FROM issue_entries "
                                 "GROUP BY month, late ORDER BY month, late")
    assert counts == [("2023-11", 0, 9), ("2023-12", 0, 2), ("2023-12", 1, 1)]  # why each is in


def test_the_listings_own_newsletter_announcements_are_left_out(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    result = _digest(cli, "--month", "2020-09", "--dry-run")
    assert result.exit_code == 0
    assert "ILO COOP eNewsUpdate Issue No. 8" not in result.stdout
    assert "Italy-ILO cooperation to support Palestinian cooperatives" in result.stdout


def test_exclude_patterns_ignore_case(mail_project: Path, cli: Callable[..., Result]) -> None:
    config = mail_project / "config.toml"
    config.write_text(config.read_text().replace(
        'sections = [', 'exclude = ["^italy-ilo COOPERATION"]\nsections = ['))
    result = _digest(cli, "--month", "2020-09", "--dry-run")
    assert result.exit_code == 0
    assert "Italy-ILO cooperation to support Palestinian cooperatives" not in result.stdout
    assert "ILO COOP eNewsUpdate Issue No. 8" in result.stdout  # no longer the default exclude


def test_a_month_with_nothing_new_is_recorded_and_numbering_goes_on(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    empty = _digest(cli, "--month", "2019-01")
    assert empty.exit_code == 0
    assert empty.stdout == "2019-01: nothing new, so no issue (recorded in the ledger).\n"
    assert not (mail_project / "feeds" / "digest").exists()
    assert "Issue No. 1, November 2023" in cli("digest", "--month", "2023-11").stdout
    assert "Issue No. 2, March 2021" in cli("digest", "--month", "2021-03").stdout
    ledger = query(mail_project, "SELECT month, number FROM issues ORDER BY month")
    assert ledger == [("2019-01", None), ("2021-03", 2), ("2023-11", 1)]
    archive = (mail_project / "feeds" / "digest" / "index.html").read_text()
    assert archive.index("Issue No. 1, November 2023") < archive.index("Issue No. 2, March 2021")


def test_a_period_recorded_as_empty_gets_an_issue_when_items_arrive_late(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    """"Nothing new" is a decision for then, not forever: items listed later for that month
    make its issue on the next run, numbered as the next one."""
    assert "2019-01: nothing new" in _digest(cli, "--month", "2019-01").stdout
    (mail_project / "listings" / "late.txt").write_text(
        "News, stories and statements on cooperatives\n\n  1. News\n\n"
        "    A January item listed late\n\n    15 January 2019\n\n")
    result = _digest(cli, "--month", "2019-01")
    assert result.exit_code == 0, result.output
    assert "Issue No. 1, January 2019 (new)" in result.stdout
    assert query(mail_project, "SELECT number FROM issues WHERE month = '2019-01'") == [(1,)]


def test_yearly_numbering_restarts(mail_project: Path, cli: Callable[..., Result]) -> None:
    config = mail_project / "config.toml"
    config.write_text(config.read_text().replace('sections = [', 'numbering = "yearly"\nsections = ['))
    assert cli("build").exit_code == 0
    assert "Issue No. 1, March 2021" in cli("digest", "--month", "2021-03").stdout
    assert "Issue No. 1, November 2023" in cli("digest", "--month", "2023-11").stdout
    assert "Issue No. 2, December 2023" in cli("digest", "--month", "2023-12").stdout


def test_dry_run_records_and_writes_nothing(mail_project: Path,
                                            cli: Callable[..., Result]) -> None:
    result = _digest(cli, "--dry-run")
    assert result.exit_code == 0
    assert "Issue No. 1, November 2023 (new)" in result.stdout
    assert "2023-11-20  Interview with Ekaterina Dimitrova" in result.stdout
    assert not (mail_project / "feeds" / "digest").exists()
    assert query(mail_project, "SELECT COUNT(*) FROM issues") == [(0,)]


def test_rebuild_is_refused_once_sent(mail_project: Path, cli: Callable[..., Result]) -> None:
    assert _digest(cli, "--send").exit_code == 0
    result = cli("digest", "--month", "2023-11", "--rebuild")
    assert result.exit_code == 1
    assert "issue 2023-11 has been sent" in result.stderr


def _big_month(folder: Path, count: int) -> None:
    for listing in folder.glob("*.txt"):
        listing.unlink()
    lines = ["News, stories and statements on cooperatives", ""]
    for number in range(count):
        day = date(2024, 3, 31) - timedelta(days=number % 31)
        lines += [f"  {number % 10 + 1}. Category {number % 6}", "",
                  f"    Cooperative story number {number}: members build a fairer economy together",
                  "", f"    {day.day:02d} March 2024", "",
                  f"    Summary {number}: " + "a cooperative in a rural district trained its "
                  "members in governance, bookkeeping and decent work, with partners. " * 2, ""]
    (folder / "march.txt").write_text("\n".join(lines))


def test_a_150_item_month_stays_under_gmails_clipping_size(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    _big_month(mail_project / "listings", 150)
    assert cli("build").exit_code == 0
    result = cli("digest", "--month", "2024-03")
    assert result.exit_code == 0
    message = _eml(mail_project, "2024-03")
    html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    size = len(html_part.get_content().encode())
    assert 80_000 < size <= 95_000  # filled up to the budget, under Gmail's ~102 KB
    tree = lxml_html.fromstring(html_part.get_content())
    more = [a.text_content() for a in tree.iter("a") if "more item" in a.text_content()]
    shown = sum(1 for p in tree.iter("p") if "Cooperative story number" in p.text_content())
    hidden = sum(int(text.split()[0]) for text in more)
    assert more and shown + hidden == 150
    web = _web_items(mail_project / "feeds" / "digest" / "2024-03.html")
    assert len(web) == 150  # the page online carries everything
    assert text_part.get_content().count("* Cooperative story number") == 149  # + the lead


def test_the_archive_feed_lists_every_issue(mail_project: Path,
                                            cli: Callable[..., Result]) -> None:
    assert _digest(cli).exit_code == 0
    assert cli("digest", "--month", "2021-03").exit_code == 0
    parsed = feedparser.parse(mail_project / "feeds" / "digest" / "issues.atom")
    assert not parsed.bozo
    assert [e.title for e in parsed.entries] == [
        "ILO COOP eNewsUpdate Issue No. 1, November 2023",
        "ILO COOP eNewsUpdate Issue No. 2, March 2021"]
    assert parsed.entries[0].link == "https://feeds.example.org/ilo-coop/digest/2023-11.html"
    assert parsed.entries[0].id == "tag:feeds.example.org,2024:digest/2023-11"


def test_operators_can_replace_a_template_and_choose_the_lead(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    (mail_project / "my-templates").mkdir()
    (mail_project / "my-templates" / "digest.txt.j2").write_text(
        "{{ title }} No. {{ number }}\n{% for s in sections %}{{ s.heading }}: "
        "{{ s.entries | length }}\n{% endfor %}Lead: {{ lead.title }}\n")
    config = mail_project / "config.toml"
    config.write_text(config.read_text().replace(
        'sections = [', 'templates = "my-templates"\n'
        'lead_category = "Spotlight Interviews with Co-operators"\nsections = ['))
    assert _digest(cli).exit_code == 0
    text = _eml(mail_project).get_body(("plain",))
    assert text is not None
    assert text.get_content().replace("\r\n", "\n") == (
        "ILO COOP eNewsUpdate No. 1\nNews highlights for November 2023: 8\nLead: Interview with "
        "Ekaterina Dimitrova, Project Manager, Monnaie Léman, Geneva, "
        "Switzerland\n")


def test_a_login_without_its_password_variable_is_a_clear_error(
        mail_project: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEEDSMITH_TEST_PASSWORD", raising=False)
    config = mail_project / "config.toml"
    config.write_text(config.read_text() + 'username = "enews"\n'
                                           'password_env = "FEEDSMITH_TEST_PASSWORD"\n')
    result = _digest(cli, "--send")
    assert result.exit_code == 1
    assert (f"{config}: [digest.smtp] password_env: set the environment variable "
            "FEEDSMITH_TEST_PASSWORD to the SMTP password") in result.stderr
    assert query(mail_project, "SELECT month FROM issues") == []  # refused before anything


@pytest.mark.parametrize("refusal", [
    ('to = ["coop-enews@lists.example.org"]', "to = []", "[digest] to: no recipients"),
    (('unsubscribe = ["https://feeds.example.org/ilo-coop/unsubscribe", '
      '"mailto:coop-enews-leave@lists.example.org"]'), "unsubscribe = []",
     "[digest] unsubscribe is empty"),
])
def test_a_refused_send_writes_and_freezes_nothing(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int],
        refusal: tuple[str, str, str]) -> None:
    server, port = inbox
    config = project / "config.toml"
    good = config.read_text()
    assert refusal[0] in good
    config.write_text(good.replace(refusal[0], refusal[1]))
    assert cli("build").exit_code == 0
    before = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    refused = cli("digest", "--now", NOW, "--month", "2023-11", "--send")
    assert refused.exit_code == 1 and refusal[2] in refused.stderr, refused.output
    after = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    assert after == before  # no digest/2023-11.*, no archive, no issues.atom
    assert query(project, "SELECT COUNT(*) FROM issues")[0][0] == 0
    config.write_text(good)  # fixed: the issue is built now, with today's settings, and sent
    set_smtp(project, port, [GOOD])
    sent = cli("digest", "--now", NOW, "--month", "2023-11", "--send")
    assert sent.exit_code == 0 and "Issue No. 1, November 2023 (new)" in sent.stdout, sent.output
    [(_, message)] = server.messages
    body = message.get_body(("html",))
    assert body is not None and "https://feeds.example.org/ilo-coop/unsubscribe" in \
        body.get_content()


def test_a_frozen_issue_without_the_unsubscribe_link_is_not_sent(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    set_smtp(project, port, [GOOD])
    config = project / "config.toml"
    good = config.read_text()
    config.write_text(good.replace('unsubscribe = ["https://feeds.example.org/ilo-coop/'
                                   'unsubscribe", "mailto:coop-enews-leave@lists.example.org"]',
                                   'unsubscribe = []').replace(
        'from = "ILO COOP eNewsUpdate <enews@feeds.example.org>"',
        'from = "Old Sender <old@example.org>"'))
    assert _digest(cli, "--month", "2023-11").exit_code == 0  # built, not sent
    config.write_text(good)
    again = cli("digest", "--now", NOW, "--month", "2023-11")
    assert "note: digest.sender, digest.unsubscribe changed since this issue was built" in \
        again.stderr, again.output
    assert "`feedsmith digest --month 2023-11 --rebuild` builds it with today's" in again.stderr
    refused = cli("digest", "--now", NOW, "--month", "2023-11", "--send")
    assert refused.exit_code == 1 and not server.messages
    assert "was built without the unsubscribe link https://feeds.example.org/ilo-coop/" \
           "unsubscribe in its body" in refused.stderr
    assert "--rebuild --send" in refused.stderr
    rebuilt = cli("digest", "--now", NOW, "--month", "2023-11", "--rebuild", "--send")
    assert rebuilt.exit_code == 0, rebuilt.output
    [(_, message)] = server.messages
    assert message["From"] == "ILO COOP eNewsUpdate <enews@feeds.example.org>"
    assert "old@example.org" not in message.as_string()


def test_a_month_that_is_not_over_gets_no_issue(mail_project: Path,
                                                cli: Callable[..., Result]) -> None:
    early = _digest(cli, "--month", "2023-12")  # --now is 1 December 2023
    assert early.exit_code == 1
    assert "Error: 2023-12 is not over until 2024-01-01 00:00 CET" in early.stderr
    preview = cli("digest", "--now", NOW, "--month", "2023-12", "--dry-run")
    assert preview.exit_code == 0 and "December 2023 (new)" in preview.stdout


def test_the_past_issues_page_looks_like_the_site_and_leads_back(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    assert _digest(cli).exit_code == 0
    page_path = mail_project / "feeds" / "digest" / "index.html"
    page = lxml_html.parse(str(page_path)).getroot()
    [stylesheet] = page.xpath("//link[@rel='stylesheet']/@href")
    assert (page_path.parent / stylesheet).resolve() == (mail_project / "feeds" / "style.css")
    assert (mail_project / "feeds" / "style.css").exists()
    back = [a.get("href") for a in page.iter("a") if a.get("href") == "../index.html"]
    assert len(back) == 3  # the masthead, the navigation's "Latest" and the footer
    assert (page_path.parent / back[0]).resolve() == (mail_project / "feeds" / "index.html")
    [nav] = page.xpath("//nav[@aria-label='Site']")
    links = {a.text_content(): a.get("href") for a in nav.iter("a")}
    assert (page_path.parent / links["Archive"]).resolve() == (
        mail_project / "feeds" / "archive" / "index.html")
    assert nav.xpath(".//a[@aria-current='page']/text()") == ["Newsletter"]
    assert page.xpath("//main//li/a/@href") == ["2023-11.html"]


def test_past_issues_stay_in_calendar_order_when_the_cadence_changes(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    """"2023-W47" sorts after "2023-12" as text; the week came first."""
    config = mail_project / "config.toml"
    monthly = config.read_text()
    config.write_text(monthly.replace('cadence = "monthly"', 'cadence = "weekly"'))
    assert cli("build").exit_code == 0
    assert cli("digest", "--week", "2023-W47", "--now", "2023-11-27T08:00").exit_code == 0
    config.write_text(monthly)
    assert cli("digest", "--month", "2023-12", "--now", "2024-01-01T08:00").exit_code == 0
    digest = mail_project / "feeds" / "digest"
    past = lxml_html.parse(str(digest / "index.html")).getroot()
    assert past.xpath("//main//li/a/@href") == ["2023-12.html", "2023-W47.html"]  # newest first
    december = lxml_html.parse(str(digest / "2023-12.html")).getroot()
    [previous] = december.xpath("//nav[@aria-label='Other issues']//a[@rel='prev']/@href")
    assert previous.endswith("/2023-W47.html")


def test_each_issues_web_copy_leads_to_the_issues_before_and_after_it(
        mail_project: Path, cli: Callable[..., Result]) -> None:
    assert _digest(cli).exit_code == 0  # No. 1, November 2023
    digest = mail_project / "feeds" / "digest"
    first = (digest / "2023-11.html").read_text(encoding="utf-8")

    def others(name: str) -> dict[str, str]:
        page = lxml_html.parse(str(digest / name)).getroot()
        [nav] = page.xpath("//nav[@aria-label='Other issues']")
        return {a.get("rel") or a.text_content(): a.get("href") for a in nav.iter("a")}

    base = "https://feeds.example.org/ilo-coop/digest/"
    assert others("2023-11.html") == {"All issues": f"{base}index.html"}
    assert cli("digest", "--now", "2024-01-01T08:00", "--month", "2023-12").exit_code == 0
    assert others("2023-11.html") == {"All issues": f"{base}index.html",
                                      "next": f"{base}2023-12.html"}
    assert others("2023-12.html") == {"prev": f"{base}2023-11.html",
                                      "All issues": f"{base}index.html"}
    later = (digest / "2023-11.html").read_text(encoding="utf-8")
    assert "No. 2, December 2023 →" in later

    def without_nav(page: str) -> str:
        return page[:page.index("<nav")] + page[page.index("</nav>") + len("</nav>"):]

    assert without_nav(later) == without_nav(first)  # the issue itself: as it was frozen
