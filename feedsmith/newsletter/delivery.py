"""Sending a frozen issue: one message per recipient, each step recorded in the ledger as it
happens, so that no recipient ever gets it twice without being asked.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from feedsmith.config import Config
from feedsmith.errors import ConfigError, DeliveryError, OutcomeUnknown
from feedsmith.newsletter.ledger import (
    FAILED,
    OUTCOME_UNKNOWN,
    SENDING,
    SENT,
    UNKNOWN,
    IssueRecord,
    Ledger,
)
from feedsmith.newsletter.mail import compose, message_id, send, smtp_session


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
    pending = _recipients(ledger, config, period, again, report)
    with contextlib.ExitStack() as connections:
        session = None
        for index, recipient in enumerate(pending):
            msg_id = message_id(period, number, options.sender, recipient)
            if session is None:
                try:
                    session = connections.enter_context(smtp_session(options.smtp))
                except DeliveryError as error:  # no connection: the rest are not sent
                    for rest in pending[index:]:
                        ledger.mark(period, rest, FAILED,
                                    message_id(period, number, options.sender, rest), now,
                                    str(error))
                    report.failed.append(error)
                    return
            message = compose(subject=rendered.subject, text=rendered.text, html=rendered.html,
                              digest=options, to=[recipient], msg_id=msg_id,
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


def _recipients(ledger: Ledger, config: Config, period: str, again: Resend,
                report: Deliveries) -> list[str]:
    """Who gets a copy this time: never tried or refused before; with `resend_unknown` those
    whose copy's fate is unknown; with `force` everyone. The report says who was left out."""
    if not config.digest.to:
        raise ConfigError(f"{config.path}: [digest] to: no recipients to send to")
    if not config.digest.unsubscribe and not config.digest.send_without_unsubscribe:
        raise ConfigError(
            f"{config.path}: [digest] unsubscribe is empty, so the issue is not sent: mail to a "
            "list needs a way out (Gmail and Yahoo require one-click unsubscribe for bulk mail). "
            "Add an https:// URL and/or a mailto: address, or, for a private list, set "
            "send_without_unsubscribe = true")
    states = {d.recipient: d.state for d in ledger.deliveries(period)}

    def wanted(recipient: str) -> bool:
        state = states.get(recipient)
        if again.force or state is None or state == FAILED:
            return True
        return state in OUTCOME_UNKNOWN and again.unknown

    to = config.digest.to
    report.already_sent = [r for r in to if states.get(r) == SENT and not again.force]
    report.unknown = [r for r in to if states.get(r) in OUTCOME_UNKNOWN and not wanted(r)]
    return [r for r in to if wanted(r)]
