"""Checking a mailbox ("Name <name@example.org>") from the config, and writing the default
sender, without loading the `email` package on every build (~9 ms): only a mailbox that is not
plain is handed to it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedsmith.config.table import Table

_SPECIALS = frozenset(r'()<>@,:;.\"[]')  # RFC 5322: a display name with one is quoted


def default_sender(name: str, address: str) -> str:
    """"Name <address>" as `email.headerregistry.Address` writes it, without loading the `email`
    package (~9 ms) on every build: only a config with a `from` is checked by it."""
    if not _SPECIALS.isdisjoint(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>" if name else address


# RFC 5322 dot-atoms, "name@example.org" or "Plain Words <name@example.org>": a mailbox this plain
# is one the `email` package reads without defect (a property test holds it to that), so most
# configs are checked without loading that package (~9 ms) on every build.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/^_`{|}~-]"  # RFC 5322 atext less "=" and "?": no encoded words
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS = rf"{_ATEXT}+(?:\.{_ATEXT}+)*@{_LABEL}(?:\.{_LABEL})+"
PLAIN_MAILBOX = re.compile(rf"{_ADDRESS}|{_ATEXT}+(?: {_ATEXT}+)* <{_ADDRESS}>")


def email_reads_one_mailbox(value: str) -> bool:
    """Whether the `email` package reads `value` as a To: header of one whole address."""
    from email import errors, policy

    try:
        header = policy.default.header_factory("To", value)
    except (IndexError, errors.HeaderParseError):  # Python's parser trips on some, e.g. "x@"
        return False
    addresses = header.addresses
    defects = [d for d in header.defects if isinstance(d, errors.InvalidHeaderDefect)]
    return (not defects and len(addresses) == 1 and bool(addresses[0].username)
            and bool(addresses[0].domain))


def mailbox(table: Table, key: str, value: str) -> str:
    """One address, with or without a display name: "Name <a@example.org>" or "a@example.org"."""
    if not (PLAIN_MAILBOX.fullmatch(value) or email_reads_one_mailbox(value)):
        table.fail(f"expected one email address per entry, such as \"Name <name@example.org>\" or "
                   f"\"name@example.org\", got {value!r}", key)
    return value
