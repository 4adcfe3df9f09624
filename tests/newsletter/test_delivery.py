"""Delivery under faults: what the SMTP envelope carries, and outcomes nobody can know.

Every message goes to a real SMTP server (aiosmtpd) on 127.0.0.1; what it received is read back
with the stdlib `email` package.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.project import Result, query
from tests.fixtures.smtp import Inbox, set_smtp

BOTH_ENGINES = True  # each test of a project runs on SQLite and on PostgreSQL (conftest)

NOW = "2023-12-01T08:00"
FIRST, SECOND, THIRD = "first@example.org", "second@example.org", "third@example.org"


def _send(cli: Callable[..., Result], *args: str) -> Result:
    assert cli("build").exit_code == 0
    return cli("digest", "--now", NOW, "--send", *args)


def _states(project: Path) -> dict[str, str]:
    return dict(query(project, "SELECT recipient, state FROM deliveries"))


def test_a_connection_lost_after_the_message_is_an_unknown_outcome_never_resent(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    set_smtp(project, port, [FIRST, SECOND, THIRD])
    server.drop_after_data.add(SECOND)  # accepts SECOND's copy, then hangs up without a word
    result = _send(cli)
    assert result.exit_code == 1
    assert f"{SECOND}: outcome unknown: the connection was lost after the message" in result.stderr
    assert "Traceback" not in result.output
    assert _states(project) == {FIRST: "sent", SECOND: "unknown", THIRD: "sent"}
    assert [len(server.to(r)) for r in (FIRST, SECOND, THIRD)] == [1, 1, 1]
    assert server.greetings == 2  # THIRD's copy went on a new connection
    again = cli("digest", "--month", "2023-11", "--send")
    assert again.exit_code == 0 and len(server.messages) == 3
    status = cli("status", "--now", NOW)
    assert f"issue 2023-11 to {SECOND}: outcome unknown" in status.stdout


def test_the_envelope_takes_the_bare_address_and_the_header_the_display_name(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox  # aiosmtpd offers no SMTPUTF8 unless told to
    named = "Zoë Müller-Ōta <zoe@example.org>"
    set_smtp(project, port, [named, FIRST])
    result = _send(cli)
    assert result.exit_code == 0, result.output
    envelope, message = server.messages[0]
    assert envelope == ["zoe@example.org"]
    assert message["To"] == named
    assert message["List-Unsubscribe"] == ("<https://feeds.example.org/ilo-coop/unsubscribe>, "
                                           "<mailto:coop-enews-leave@lists.example.org>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _states(project) == {"zoe@example.org": "sent", FIRST: "sent"}


def test_one_person_listed_three_ways_or_renamed_gets_one_copy(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    set_smtp(project, port, ["zoe@example.org", "Zoe@Example.org", "Zoë <zoe@example.org>",
                             FIRST])
    result = _send(cli)
    assert result.exit_code == 0, result.output
    assert sorted(envelope[0] for envelope, _ in server.messages) == [FIRST, "zoe@example.org"]
    set_smtp(project, port, ["Zoë Müller <ZOE@example.org>", FIRST])  # renamed later
    again = cli("digest", "--now", NOW, "--month", "2023-11", "--send")
    assert again.exit_code == 0 and len(server.messages) == 2, again.output
    assert "Sent to 0 recipient(s); 2 had it already." in again.stdout


@pytest.mark.parametrize("password", ["correct horse", "wrong"])
def test_the_login_takes_its_password_from_the_environment_variable_named(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int],
        monkeypatch: pytest.MonkeyPatch, password: str) -> None:
    server, port = inbox
    set_smtp(project, port, [FIRST])
    config = project / "config.toml"
    config.write_text(config.read_text() + 'username = "enews"\n'
                                           'password_env = "FEEDSMITH_TEST_SMTP_PASSWORD"\n')
    monkeypatch.setenv("FEEDSMITH_TEST_SMTP_PASSWORD", password)
    result = _send(cli)
    assert set(server.logins) == {("enews", password == server.password)}  # each mechanism tried
    if password == server.password:
        assert result.exit_code == 0, result.output
        assert [envelope for envelope, _ in server.messages] == [[FIRST]]
    else:
        assert result.exit_code == 1 and not server.messages
        assert f"SMTP server 127.0.0.1:{port} refused the login" in result.stderr
        assert _states(project) == {FIRST: "failed"}


def test_a_refused_recipient_costs_no_new_connection(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    set_smtp(project, port, [FIRST, SECOND, THIRD])
    server.refuse.add(FIRST)
    assert _send(cli).exit_code == 1
    assert _states(project) == {FIRST: "failed", SECOND: "sent", THIRD: "sent"}
    assert server.greetings == 1  # a 550 for one address leaves the session usable


def test_a_copy_recorded_as_sent_under_another_spelling_is_not_sent_again(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    """Stores from before deliveries were keyed by bare address hold one row per `to` line: the
    strongest state of one person's rows decides, whatever order they are read in."""
    server, port = inbox
    set_smtp(project, port, ["Zoë <zoe@example.org>", FIRST])
    server.refuse.add("zoe@example.org")
    assert _send(cli).exit_code == 1
    assert _states(project) == {"zoe@example.org": "failed", FIRST: "sent"}
    query(project, "INSERT INTO deliveries (month, recipient, state, attempts, message_id, "
          "changed_at, error) SELECT month, 'Zoë <ZOE@example.org>', 'sent', 1, message_id, "
          "changed_at, '' FROM deliveries WHERE recipient = 'zoe@example.org'")
    server.refuse.clear()
    again = cli("digest", "--month", "2023-11", "--send")
    assert again.exit_code == 0, again.output
    assert "Sent to 0 recipient(s); 2 had it already." in again.stdout
    assert len(server.messages) == 1


@pytest.mark.parametrize("entry", ["a@example.org, b@example.org", "A <a@example.org> b@x.org",
                                   "no address here", "<>", "x@", "Name <x@>",
                                   "@example.org", "Zoë <zoe@>"])
def test_a_to_entry_must_hold_exactly_one_address(project: Path, cli: Callable[..., Result],
                                                  entry: str) -> None:
    set_smtp(project, 25, [entry])
    result = cli("build")
    assert result.exit_code == 1
    assert "[digest] to: expected one email address per entry" in result.stderr
    assert "Traceback" not in result.output


def test_each_hand_over_counts_as_an_attempt(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    set_smtp(project, port, [FIRST, SECOND])
    server.drop_after_data.add(SECOND)
    assert _send(cli).exit_code == 1
    again = cli("digest", "--now", NOW, "--month", "2023-11", "--send", "--resend-unknown")
    assert again.exit_code == 1  # the server hangs up on SECOND again
    attempts = dict(query(project, "SELECT recipient, attempts FROM deliveries"))
    assert attempts == {FIRST: 1, SECOND: 2}
