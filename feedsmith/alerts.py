"""Telling the operator, by email, when a source turns suspect and when it recovers: one message
each way per incident, through the newsletter's SMTP settings. What went out is recorded with
the source's health (`SourceHealth.mark_alerted`) only once the server took it, so a rerun sends
no second alert and a failed one is tried again at the next build.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from feedsmith.config import Config
from feedsmith.errors import ConfigError, DeliveryError
from feedsmith.store.health import SourceHealth, SourceState


def send_alerts(config: Config, health: SourceHealth, now: datetime) -> tuple[list[str], str]:
    """Send the alerts that are due; the sources alerted about, and what went wrong ("")."""
    import smtplib

    from feedsmith.newsletter.mail import bare_address, smtp_session

    due = [state for state in health.states() if state.alert_due]
    if not config.alerts.to or not due:
        return [], ""
    sent: list[str] = []
    try:
        with smtp_session(config.digest.smtp) as session:
            for state in due:
                session.send_message(_message(config, state, now),
                                     bare_address(config.digest.sender),
                                     [bare_address(to) for to in config.alerts.to])
                health.mark_alerted(state.name, state.suspect)
                sent.append(state.name)
    except (DeliveryError, ConfigError, OSError, smtplib.SMTPException) as error:
        why = f"alert about source {due[len(sent)].name!r} not sent ({error})"
        return sent, f"{why}; the next build tries again"
    return sent, ""


def _message(config: Config, state: SourceState, now: datetime) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = config.digest.sender
    message["To"] = ", ".join(config.alerts.to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=config.digest.sender.rpartition("@")[2]
                                       .rstrip(">") or None)
    where = f"{config.site.title} ({config.path})"
    if state.suspect:
        message["Subject"] = f"[feedsmith] source {state.name!r} looks broken"
        message.set_content(
            f"Source {state.name!r} of {where} is suspect:\n\n  {state.suspect}\n\n"
            f"Its last read: {state.figures or 'none'}.\n\n"
            "Its entries stay in the feeds, and the newsletter holds its next issue while it "
            "is suspect ([digest] hold_when_suspect).\n\n"
            f"Look at what it reads:    feedsmith --config {config.path} check\n"
            f"If its new layout is right: feedsmith --config {config.path} sources accept "
            f"{state.name}\n")
    else:
        message["Subject"] = f"[feedsmith] source {state.name!r} recovered"
        message.set_content(f"Source {state.name!r} of {where} reads normally again "
                            f"(last read: {state.figures or 'none'}).\n")
    return message
