"""Sending a frozen issue: one message per recipient, each step recorded in the ledger as it
happens, so that no recipient ever gets it twice without being asked.
"""

from __future__ import annotations

import contextlib
import functools
import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from feedsmith.config import Config
from feedsmith.errors import ConfigError, DeliveryError, DigestError, OutcomeUnknown
from feedsmith.newsletter.ledger import (
    FAILED,
    OUTCOME_UNKNOWN,
    SENDING,
    SENT,
    UNKNOWN,
    IssueRecord,
    Ledger,
)
from feedsmith.newsletter.mail import (
    bare_address,
    body_unsubscribe,
    compose,
    message_id,
    send,
    smtp_password,
    smtp_session,
)
from feedsmith.period import Period


@dataclass(slots=True)
class Deliveries:
    """What one run's delivery did, recipient by recipient."""

    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # outcome unknown before: not sent again
    failed: list[DeliveryError] = field(default_factory=list)


class Resend(NamedTuple):
    """Who gets a copy again: with `unknown`, those whose copy's fate is unknown (same
    Message-ID); with `force`, everyone. By default only those never tried or refused."""

    force: bool = False
    unknown: bool = False


def deliver(ledger: Ledger, config: Config, issue: IssueRecord, now: datetime,
            again: Resend, report: Deliveries) -> None:
    """Send to every recipient not yet sent to, recording each step as it happens.

    A recipient is marked `sending` just before the message itself goes out and `sent` once the
    server accepted it. A copy whose outcome is unknown (the connection was lost in between, or
    the run was killed there) is never sent again unless asked (`resend_unknown`, or `force` for
    everyone), and then with the same Message-ID. After a lost connection, the remaining
    recipients get a new one.
    """
    options, period = config.digest, issue.period
    number, rendered = issue.number, issue.rendered
    assert number is not None and rendered is not None, "only a numbered issue is sent"
    pending = list(_recipients(ledger, config, period, again, report).items())
    with contextlib.ExitStack() as connections:
        session = None
        for index, (recipient, line) in enumerate(pending):
            msg_id = message_id(period, number, options.sender, recipient)
            if session is None:
                try:
                    session = connections.enter_context(smtp_session(options.smtp))
                except DeliveryError as error:  # no connection: the rest are not sent
                    for rest, _ in pending[index:]:
                        ledger.mark(period, rest, FAILED,
                                    message_id(period, number, options.sender, rest), now,
                                    str(error))
                    report.failed.append(error)
                    return
            message = compose(subject=rendered.subject, text=rendered.text, html=rendered.html,
                              digest=options, to=[line], msg_id=msg_id,
                              date=now.astimezone(config.site.timezone))
            try:
                send(session, message, options.sender, recipient,
                     functools.partial(ledger.mark, period, recipient, SENDING, msg_id, now))
            except DeliveryError as error:
                state = UNKNOWN if isinstance(error, OutcomeUnknown) else FAILED
                ledger.mark(period, recipient, state, msg_id, now, str(error))
                report.failed.append(error)
                session = None if error.connection_lost else session
                continue
            ledger.mark(period, recipient, SENT, msg_id, now)
            report.sent.append(recipient)


def check_sendable(config: Config) -> None:
    """Refuse a send the config cannot make, before anything is selected, numbered, frozen or
    written: no recipients, no way to unsubscribe, no SMTP password where one is needed."""
    options = config.digest
    if not options.to:
        raise ConfigError(f"{config.path}: [digest] to: no recipients to send to")
    if not options.unsubscribe and not options.send_without_unsubscribe:
        raise ConfigError(
            f"{config.path}: [digest] unsubscribe is empty, so the issue is not sent: mail to a "
            "list needs a way out (Gmail and Yahoo require one-click unsubscribe for bulk mail). "
            "Add an https:// URL and/or a mailto: address, or, for a private list, set "
            "send_without_unsubscribe = true")
    smtp_password(options.smtp, config.path)


def check_frozen_sendable(config: Config, issue: IssueRecord) -> None:
    """Refuse to send a frozen issue whose body lacks a way to unsubscribe that the config now
    gives (it was built before `unsubscribe` was set): the header alone is not enough."""
    rendered = issue.rendered
    assert rendered is not None
    link = body_unsubscribe(config.digest.unsubscribe)
    if link and f'href="{html.escape(link)}"' not in rendered.html:
        raise DigestError(
            f"issue {issue.period} (No. {issue.number}) was built without the unsubscribe link "
            f"{link} in its body, so it is not sent. If nothing has been sent of it yet, "
            f"`feedsmith digest {Period.parse(issue.period).option} --rebuild --send` builds "
            "it with today's settings and sends it")


def recipient_key(recipient: str) -> str:
    """Who a `to` line reaches: its bare address, case folded ("Zoë <Zoe@Example.org>" ->
    "zoe@example.org"). Deliveries are keyed by it, so one person listed twice, or renamed,
    gets one copy. (RFC 5321 lets a server tell "Zoe" from "zoe"; no mail provider does, and a
    second copy is the worse mistake.)"""
    return bare_address(recipient).strip().casefold()


# Of two ledger rows for one address (one written under the `to` line as it was spelt before
# deliveries were keyed by address), the one that says more about what may have arrived counts.
_WEIGHT = {FAILED: 0, SENDING: 1, UNKNOWN: 1, SENT: 2}


def _recipients(ledger: Ledger, config: Config, period: str, again: Resend,
                report: Deliveries) -> dict[str, str]:
    """Who gets a copy this time, by bare address (each once) with the `to` line it was first
    listed as: never tried or refused before; with `resend_unknown` those whose copy's fate is
    unknown; with `force` everyone. The report says who was left out."""
    check_sendable(config)
    states: dict[str, str] = {}
    for delivery in ledger.deliveries(period):
        key = recipient_key(delivery.recipient)
        if _WEIGHT[delivery.state] >= _WEIGHT.get(states.get(key, ""), -1):
            states[key] = delivery.state

    def wanted(recipient: str) -> bool:
        state = states.get(recipient)
        if again.force or state is None or state == FAILED:
            return True
        return state in OUTCOME_UNKNOWN and again.unknown

    to: dict[str, str] = {}
    for line in config.digest.to:
        to.setdefault(recipient_key(line), line)
    report.already_sent = [r for r in to if states.get(r) == SENT and not again.force]
    report.unknown = [r for r in to if states.get(r) in OUTCOME_UNKNOWN and not wanted(r)]
    return {key: line for key, line in to.items() if wanted(key)}
