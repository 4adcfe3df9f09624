"""The issue as an email, and its delivery over SMTP.

Messages are deterministic: the MIME boundary and the Message-ID derive from the issue and the
recipient, so a retry after a crash or a timeout sends the very same message, which many receivers
then drop as a duplicate.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from feedsmith.config import DigestConfig, SmtpConfig
from feedsmith.errors import ConfigError, DeliveryError, OutcomeUnknown


def message_id(period: str, number: int, sender: str, recipient: str | None = None) -> str:
    """`<YYYY-MM.issue-N[.recipient-hash]@sender-domain>`: the same on every retry."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    suffix = ""
    if recipient is not None:
        suffix = "." + hashlib.sha256(recipient.lower().encode()).hexdigest()[:12]
    return f"<{period}.issue-{number}{suffix}@{domain}>"


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


def body_unsubscribe(unsubscribe: Sequence[str]) -> str:
    """The way out an issue's body links to: the https:// URL if there is one, else the first."""
    return next((u for u in unsubscribe if u.startswith("https://")),
                unsubscribe[0] if unsubscribe else "")


def _quoted(phrase: str) -> str:
    """A List-Id phrase, quoted as a display name would be when it needs to be."""
    return str(Address(display_name=phrase, addr_spec="x@x")).rpartition(" <")[0]


def smtp_password(config: SmtpConfig, file: Path | None = None) -> str:
    """The SMTP password from the environment variable `password_env` names ("" without a
    login): never from the config file itself, which is often shared or committed."""
    if not config.username:
        return ""
    if not config.password_env or config.password_env not in os.environ:
        raise ConfigError(f"{f'{file}: ' if file else ''}[digest.smtp] password_env: set the "
                          f"environment variable {config.password_env or '(not named)'} to the "
                          "SMTP password")
    return os.environ[config.password_env]


@contextmanager
def smtp_session(config: SmtpConfig) -> Iterator[smtplib.SMTP]:
    """A logged-in SMTP connection as configured; DeliveryError when it cannot be had."""
    password = smtp_password(config)
    where = f"{config.host}:{config.port}"
    session: smtplib.SMTP | None = None
    try:
        context = ssl.create_default_context()
        if config.security == "ssl":
            session = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                       context=context)
        else:
            session = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            if config.security == "starttls":
                session.starttls(context=context)
        if config.username:
            session.login(config.username, password)
    except (OSError, smtplib.SMTPException) as exc:
        if session is not None:
            session.close()  # connected, then refused: the socket is not left to the collector
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            raise DeliveryError(f"SMTP server {where} refused the login: {_reason(exc)}") from None
        raise DeliveryError(f"cannot reach SMTP server {where}: {_reason(exc)}") from None
    try:
        yield session
    except BaseException:
        session.close()  # mid-transaction: a QUIT would wait for a server that waits for data
        raise
    try:
        session.quit()
    except (OSError, smtplib.SMTPException):
        session.close()


def send(session: smtplib.SMTP, message: EmailMessage, sender: str, recipient: str,
         handing_over: Callable[[], None]) -> None:
    """Hand one message for one recipient to the server, step by step, so that what is known
    about the outcome is exact: DeliveryError while nothing was handed over (MAIL, RCPT, DATA
    refused, or the connection lost before), OutcomeUnknown when the connection is lost after
    the message was sent and before the server answered. `handing_over` is called just before
    the message itself goes out: the moment from which a copy may exist."""
    envelope_from, envelope_to = bare_address(sender), bare_address(recipient)
    data = message.as_bytes()
    try:
        session.ehlo_or_helo_if_needed()
        options = []
        if not (envelope_from + envelope_to).isascii():
            if not session.has_extn("smtputf8"):
                raise DeliveryError(f"{recipient}: the address needs SMTPUTF8, which the server "
                                    "does not offer")
            options = ["SMTPUTF8"]
        _expect(session, recipient, session.mail(envelope_from, options), (250,), "sender")
        _expect(session, recipient, session.rcpt(envelope_to), (250, 251), "recipient")
        _expect(session, recipient, session.docmd("DATA"), (354,), "message")
    except DeliveryError:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{recipient}: not sent: {_reason(exc)}", connection_lost=True) from exc
    handing_over()
    try:
        session.send(_dot_stuffed(data))
        code, reply = session.getreply()
    except (OSError, smtplib.SMTPException) as exc:
        raise OutcomeUnknown(
            f"{recipient}: outcome unknown: the connection was lost after the message was handed "
            f"over and before the server answered ({_reason(exc)}); it may have been "
            "delivered") from exc
    if code != 250:
        raise DeliveryError(f"{recipient}: message refused by the server ({code} "
                            f"{reply.decode(errors='replace')})")


def _expect(session: smtplib.SMTP, recipient: str, answer: tuple[int, bytes],
            codes: tuple[int, ...], what: str) -> None:
    code, reply = answer
    if code not in codes:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            session.rset()
        text = reply.decode(errors="replace")
        noun = "refused by the server" if what == "recipient" else f"{what} refused by the server"
        raise DeliveryError(f"{recipient}: {noun} ({code} {text})")


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload: leading dots doubled, ending in CRLF "." CRLF (RFC 5321 4.5.2)."""
    stuffed = re.sub(rb"(?m)^\.", b"..", data)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def bare_address(mailbox: str) -> str:
    """The address alone ("a@example.org" from "Name <a@example.org>"): what the envelope takes."""
    return parseaddr(mailbox)[1] or mailbox


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        return f"{exc.smtp_code} {error.decode(errors='replace') if isinstance(error, bytes) else error}"
    return str(exc) or type(exc).__name__
