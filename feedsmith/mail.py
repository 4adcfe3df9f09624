"""The issue as an email, and its delivery over SMTP.

Messages are deterministic: the MIME boundary and the Message-ID derive from the issue and the
recipient, so a retry after a crash or a timeout sends the very same message, which many receivers
then drop as a duplicate.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from feedsmith.config import DigestConfig, SmtpConfig
from feedsmith.errors import ConfigError, FeedsmithError


class DeliveryError(FeedsmithError):
    """The server refused a message or could not be reached."""


def message_id(month: str, number: int, sender: str, recipient: str | None = None) -> str:
    """`<YYYY-MM.issue-N[.recipient-hash]@sender-domain>`: the same on every retry."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    suffix = ""
    if recipient is not None:
        suffix = "." + hashlib.sha256(recipient.lower().encode()).hexdigest()[:12]
    return f"<{month}.issue-{number}{suffix}@{domain}>"


def compose(*, subject: str, text: str, html: str, digest: DigestConfig, to: Sequence[str],
            msg_id: str, date: datetime) -> EmailMessage:
    """multipart/alternative with the text part first and the HTML last, as clients prefer the
    last part they can show, and with the list headers mailbox providers look for."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject  # encoded per RFC 2047 when not ASCII
    message["From"] = digest.sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(date)  # the date's own offset, never "-0000"
    message["Message-ID"] = msg_id
    message["List-Id"] = f"{_quoted(digest.title)} <{digest.list_id}>"
    if digest.unsubscribe:
        message["List-Unsubscribe"] = ", ".join(f"<{target}>" for target in digest.unsubscribe)
        if any(target.startswith("https://") for target in digest.unsubscribe):
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message.set_boundary("feedsmith-" + hashlib.sha256(msg_id.encode()).hexdigest()[:24])
    return message


def _quoted(phrase: str) -> str:
    """A List-Id phrase, quoted as a display name would be when it needs to be."""
    return str(Address(display_name=phrase, addr_spec="x@x")).rpartition(" <")[0]


@contextmanager
def smtp_session(config: SmtpConfig) -> Iterator[smtplib.SMTP]:
    """A logged-in SMTP connection as configured; DeliveryError when it cannot be had."""
    password = ""
    if config.username:
        if not config.password_env or config.password_env not in os.environ:
            raise ConfigError(f"[digest.smtp] password_env: set the environment variable "
                              f"{config.password_env or '(not named)'} to the SMTP password")
        password = os.environ[config.password_env]
    where = f"{config.host}:{config.port}"
    try:
        context = ssl.create_default_context()
        if config.security == "ssl":
            session: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port,
                                                     timeout=config.timeout, context=context)
        else:
            session = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            if config.security == "starttls":
                session.starttls(context=context)
        if config.username:
            session.login(config.username, password)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP server {where} refused the login: {_reason(exc)}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"cannot reach SMTP server {where}: {_reason(exc)}") from None
    try:
        yield session
    finally:
        try:
            session.quit()
        except (OSError, smtplib.SMTPException):
            session.close()


def send(session: smtplib.SMTP, message: EmailMessage, sender: str, recipient: str) -> None:
    """Hand one message for one recipient to the server; DeliveryError if it is not accepted."""
    try:
        refused = session.send_message(message, from_addr=parseaddr(sender)[1],
                                       to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as exc:
        code, reason = exc.recipients.get(recipient, (0, b"refused"))
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else reason
        raise DeliveryError(f"{recipient}: refused by the server ({code} {text})") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{recipient}: not accepted: {_reason(exc)}") from None
    if refused:
        raise DeliveryError(f"{recipient}: refused by the server: {refused}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        return f"{exc.smtp_code} {error.decode(errors='replace') if isinstance(error, bytes) else error}"
    return str(exc) or type(exc).__name__
