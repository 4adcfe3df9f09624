"""Which config fields shape what feedsmith writes, so that changing one marks the output stale.

Both fingerprints are derived from the config records themselves: every field of [site] and
[output] shapes the published feeds and pages, and every field of a [[sources]] table shapes the
entries read from it, except the fields listed below with why: a field added to those records
counts unless it is listed. Every field of the other tables is listed by name with why it does
not shape the feeds and pages, and `tests/config/test_fingerprint.py` fails for a field that is
in neither place.
"""

from __future__ import annotations

from typing import Any

from feedsmith.config.model import Config, SiteConfig, SourceConfig

# [site] and [output] fields that do not change a published feed or page.
NOT_RENDERED = {
    "output.dir": "where the files go, not what they hold",
}
# Every field of the other tables, none of which changes a published feed or page, by reason.
# A field added to one of these tables is listed here, or moved into [site] or [output]: the
# test fails until it is.
OUTSIDE_RENDERING = {
    "where the config is; relative paths in it are already resolved": ("path",),
    "what a source gives reaches the pages through the store (see `source_settings`)":
        ("sources",),
    "where the state is kept": ("store.path", "store.url", "store.password_env"),
    "the newsletter: each issue's files are frozen in the ledger when it is built": (
        "digest.title", "digest.sender", "digest.to", "digest.list_id", "digest.unsubscribe",
        "digest.contact", "digest.templates", "digest.numbering", "digest.first_number",
        "digest.lookback_months", "digest.skip_empty", "digest.exclude", "digest.sections",
        "digest.lead_category", "digest.max_html_bytes", "digest.cadence", "digest.logo",
        "digest.logo_alt", "digest.brand_color", "digest.tagline", "digest.headings",
        "digest.social", "digest.intros", "digest.send_without_unsubscribe",
        "digest.hold_when_suspect", "digest.show_number", "digest.show_dates",
        "digest.smtp.host", "digest.smtp.port", "digest.smtp.security", "digest.smtp.username",
        "digest.smtp.password_env", "digest.smtp.timeout"),
    "who is told when a source breaks": ("alerts.to",),
    "when item pages are fetched again, not what they say": ("follow.max_age_days",
                                                             "follow.per_build"),
    "when runs happen": ("schedule.build", "schedule.digest", "schedule.catch_up",
                         "schedule.max_lateness_days"),
    "how pages are fetched, not what they say": (
        "fetch.user_agent", "fetch.timeout", "fetch.retries", "fetch.backoff", "fetch.max_bytes",
        "fetch.max_redirects", "fetch.browser", "fetch.robots", "fetch.concurrency",
        "fetch.per_host"),
}
# [[sources]] fields that do not change the entries read from a listing.
NOT_READ = {
    "paths": "which files are read: each file is fingerprinted under its own path",
    "url": "which page is read: each page is fingerprinted under its own URL",
    "allow_origins": "where a fetch may be redirected, not what a page says",
    "follow": "whether item pages are fetched: what they give is kept apart (`articles`)",
}
# [site] fields that shape the entries read from every source (their ids and times).
SITE_FIELDS_READ = ("id_authority", "timezone")


# The [digest] and [site] fields an issue is rendered with: the ledger keeps their values with
# each frozen issue, so `digest` can say which changed since (see `issue_settings`).
ISSUE_SHAPING = (
    "digest.title", "digest.sender", "digest.list_id", "digest.unsubscribe", "digest.contact",
    "digest.templates", "digest.lookback_months", "digest.exclude", "digest.sections",
    "digest.lead_category", "digest.max_html_bytes", "digest.logo", "digest.logo_alt",
    "digest.brand_color", "digest.tagline", "digest.headings", "digest.social",
    "digest.show_number", "digest.show_dates", "site.title", "site.base_url", "site.language", "site.timezone",
)


def issue_settings(config: Config) -> dict[str, str]:
    """The settings an issue is rendered with, by name ("digest.sender"), each value's repr."""
    records = {"digest": config.digest, "site": config.site}
    return {name: repr(getattr(records[name.split(".")[0]], name.split(".")[1]))
            for name in ISSUE_SHAPING}


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
    return list(record._asdict().items())


def _spelled(settings: dict[str, Any]) -> str:
    """Name=value lines in name order (every value's repr is the same from run to run)."""
    return "\n".join(f"{name}={value!r}" for name, value in sorted(settings.items()))
