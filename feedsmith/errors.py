"""What can go wrong, in one small tree.

    FeedsmithError          a user-facing failure: the CLI prints it as one `Error: ...` line
    ├── ConfigError         the config file is missing, unreadable, or has a bad key or value
    ├── SourceError         a source could not be read or holds no recognisable item
    │   ├── EmptyListing    it was read, and holds no item: a sign of a broken source
    │   └── Unavailable     no answer, or a server error: another try may get it
    ├── StoreError          the state database is locked, corrupt or unreadable
    ├── OutputError         a published file cannot be written (full disk, permissions)
    ├── DigestError         an issue cannot be built or rebuilt as asked
    └── DeliveryError       a message was not delivered (refused, or no connection)
        └── OutcomeUnknown  a message went out but its fate is unknown: never resent by itself

Problems with single items are not exceptions: readers collect them as `Problem`s so that one bad
item never spoils the rest of a listing.
"""

from __future__ import annotations

from typing import NamedTuple


class FeedsmithError(Exception):
    """A failure the user can act on; its message says what failed and what to try."""


class ConfigError(FeedsmithError):
    """The configuration is unusable."""


class SourceError(FeedsmithError):
    """A whole source (file or URL) is unusable."""


class EmptyListing(SourceError):
    """A listing was fetched or read and holds no item: a login page, a "we moved" page, a
    layout the selectors no longer match (see `feedsmith.sources.health`)."""


class Unavailable(SourceError):
    """A page could not be had now (no answer in time, a server error, a robots.txt that
    could not be had): unlike a 404 or a refusal, trying again later may get it."""


class StoreError(FeedsmithError):
    """The state database cannot be used."""


class OutputError(FeedsmithError):
    """A file in the output folder cannot be written."""


class DigestError(FeedsmithError):
    """An issue cannot be built, rebuilt or sent as asked."""


class DeliveryError(FeedsmithError):
    """The server refused a message or could not be reached: it was not delivered.

    `connection_lost`: the session is unusable; the next recipient needs a new connection.
    """

    def __init__(self, message: str, connection_lost: bool = False) -> None:
        super().__init__(message)
        self.connection_lost = connection_lost


class OutcomeUnknown(DeliveryError):
    """The message was handed over but the server's answer never came: it may have been
    accepted (RFC 1047), so it is never sent again without being asked to."""

    def __init__(self, message: str) -> None:
        super().__init__(message, connection_lost=True)


class Problem(NamedTuple):
    """A warning about one place in one input, e.g. an item that was left out."""

    origin: str  # "path:line"
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"
