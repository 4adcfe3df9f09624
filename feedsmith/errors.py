"""What can go wrong, in one small tree.

    FeedsmithError          a user-facing failure: the CLI prints it as one `Error: ...` line
    ├── ConfigError         the config file is missing, unreadable, or has a bad key or value
    ├── SourceError         a source could not be read or holds no recognisable item
    └── StoreError          the state database is locked, corrupt or unreadable

Problems with single items are not exceptions: readers collect them as `Problem`s so that one bad
item never spoils the rest of a listing.
"""

from __future__ import annotations

from dataclasses import dataclass


class FeedsmithError(Exception):
    """A failure the user can act on; its message says what failed and what to try."""


class ConfigError(FeedsmithError):
    """The configuration is unusable."""


class SourceError(FeedsmithError):
    """A whole source (file or URL) is unusable."""


class StoreError(FeedsmithError):
    """The state database cannot be used."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A warning about one place in one input, e.g. an item that was left out."""

    origin: str  # "path:line"
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"
