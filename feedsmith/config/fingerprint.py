"""Which config fields shape what feedsmith writes, so that changing one marks the output stale.

Both fingerprints are derived from the config records themselves: every field of [site] and
[output] shapes the published feeds and pages, and every field of a [[sources]] table shapes the
entries read from it, except the fields listed below with why. A field added to a record is
therefore counted unless someone decides otherwise here; and a test
(`tests/config/test_fingerprint.py`) fails for a field of any other table until it is listed.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from feedsmith.config.model import Config, SiteConfig, SourceConfig

# [site] and [output] fields that do not change a published feed or page.
NOT_RENDERED = {
    "output.dir": "where the files go, not what they hold",
}
# The other tables: none of their fields changes a published feed or page.
OUTSIDE_RENDERING = {
    "path": "where the config is; relative paths in it are already resolved",
    "sources": "what sources give reaches pages through the store (see source_settings)",
    "store": "where the state is kept",
    "digest": "the newsletter's own files are frozen per issue in the ledger",
    "schedule": "when runs happen",
    "fetch": "how pages are fetched, not what they say",
}
# [[sources]] fields that do not change the entries read from a listing.
NOT_READ = {
    "paths": "which files are read: each file is fingerprinted under its own path",
    "url": "which page is read: each page is fingerprinted under its own URL",
    "allow_origins": "where a fetch may be redirected, not what a page says",
}
# [site] fields that shape the entries read from every source (their ids and times).
SITE_FIELDS_READ = ("id_authority", "timezone")


def render_settings(config: Config) -> str:
    """Every setting that shapes the published feeds and pages, as text to hash."""
    shaping = {f"site.{name}": value for name, value in _values(config.site)}
    shaping |= {f"output.{name}": value for name, value in _values(config.output)}
    return _spelled({name: value for name, value in shaping.items()
                     if name not in NOT_RENDERED})


def source_settings(source: SourceConfig, site: SiteConfig) -> str:
    """Every setting that shapes the entries read from `source`, as text to hash."""
    shaping = {name: value for name, value in _values(source) if name not in NOT_READ}
    shaping |= {f"site.{name}": getattr(site, name) for name in SITE_FIELDS_READ}
    return _spelled(shaping)


def _values(record: Any) -> list[tuple[str, Any]]:
    return [(item.name, getattr(record, item.name)) for item in fields(record)]


def _spelled(settings: dict[str, Any]) -> str:
    """Name=value lines in name order (every value's repr is the same from run to run)."""
    return "\n".join(f"{name}={value!r}" for name, value in sorted(settings.items()))
