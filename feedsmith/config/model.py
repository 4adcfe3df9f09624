"""The config as records: one per table of config.toml, each default stated once, here.

`load` reads a file into these and checks every value; everything else reads only these. Like
every value in feedsmith that never changes once made, they are NamedTuples (see the README's
Development section).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

DEFAULT_CATEGORY = "Uncategorised"
OUTPUT_DIR = "feeds"  # [output] dir when the config gives none, beside the config
# The listing announces each newsletter issue as an item: an issue should not list itself.
DEFAULT_EXCLUDE = (r"^ILO COOP eNewsUpdate",)


class SiteConfig(NamedTuple):
    """[site]: what every feed and page says about the site, and the root of every id."""

    title: str
    link: str  # the listing page people read
    base_url: str  # where the output folder is published; always ends with "/"
    id_authority: str  # RFC 4151 tagging entity, e.g. "ilo.org,2024"
    timezone: ZoneInfo
    language: str = "en"
    author_name: str = ""
    author_email: str = ""
    icon: str = ""  # absolute URLs of a small square icon and a wider logo, for pages and feeds
    logo: str = ""
    hub: str = ""  # a WebSub hub: named in every feed and told of each build's changed feeds
    locale: str = ""  # how dates are written (BCP 47: "en-GB" gives "30 November 2023"); "" = language
    home_items: int = 15  # the newest items the home page shows (the archive has the rest)
    page_items: int = 20  # items on each page of a category (news.html, news/2.html, ...)

    def date_locale(self) -> str:
        """The locale dates are written in on pages and in the newsletter."""
        return self.locale or self.language


SELECTOR_KEYS = ("item", "category", "title", "link", "date", "summary", "image")
FORMATS = ("auto", "text", "html", "feed")


class SourceConfig(NamedTuple):
    """One [[sources]] table: where a listing is, and how to read it."""

    name: str
    paths: tuple[str, ...] = ()  # absolute file paths or glob patterns
    url: str = ""  # or a listing page / feed on the web (http or https only)
    # The category of items listed without one; for a feed, given as `category` (not as
    # `fallback_category`), it replaces the feed's own categories (`replaces_categories`).
    category: str = DEFAULT_CATEGORY
    replaces_categories: bool = False
    language: str = "en"  # of the listing's dates
    format: str = "auto"  # "auto", "text", "html" or "feed"
    max_pages: int = 1  # listing pages to follow per run ("next" links)
    selectors: tuple[tuple[str, str], ...] = ()  # CSS selectors for HTML, by SELECTOR_KEYS
    # Origins besides the URL's own that its redirects and next pages may lead to.
    allow_origins: tuple[str, ...] = ()
    # "browser": load the page in headless Chromium, for items a script adds (see
    # `feedsmith.sources.render`), waiting for `wait_for` (a CSS selector) to match.
    render: str = ""
    wait_for: str = ""
    # Fetch each item's own page for its full text, picture, times and author (see
    # `feedsmith.sources.follow`); only pages within the allowed origins.
    follow: bool = False

    def allowed_origins(self) -> frozenset[str]:
        """Where its redirects, next pages and followed item pages may lead: the origin of its
        URL (if it has one) and `allow_origins`, as `feedsmith.urls.origin` writes them."""
        from feedsmith.urls import origin

        return frozenset({*([origin(self.url)] if self.url else []), *self.allow_origins})


class FetchConfig(NamedTuple):
    """[fetch]: how listing pages and feeds are fetched (limits that keep a build bounded)."""

    user_agent: str = ""
    timeout: float = 20.0
    retries: int = 2  # after the first try, on 5xx and connection errors only
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    browser: str = ""  # Chromium for sources with render = "browser" ("": found on PATH)
    robots: bool = True  # honour each host's robots.txt (see `feedsmith.sources.polite`)
    concurrency: int = 8  # requests open at once, in all and to one host (host and port)
    per_host: int = 2


class FollowConfig(NamedTuple):
    """[follow]: how often the item pages of sources with `follow = true` are fetched again."""

    max_age_days: int = 0  # fetch a kept page again after this many days (0: only when asked)
    per_build: int = 100  # the most item pages one build fetches, newest items first


CONTENTS = ("summary", "full")


class OutputConfig(NamedTuple):
    """[output]: where the web edition is written, how many entries a feed carries, and whether
    feeds carry each item's full text (from its followed page) or its summary."""

    dir: Path
    max_entries: int = 50
    content: str = "summary"
    search: bool = False  # a Pagefind index of the archive and a search box (feedsmith[search])
    assets: Path | None = None  # a folder of pictures (a logo) published as they are


class StoreConfig(NamedTuple):
    """Where the state database is: an SQLite file (`path`, never inside the published folder),
    or a PostgreSQL database (`url`, whose password comes from `password_env` or libpq's
    PGPASSWORD or ~/.pgpass, never from the config)."""

    path: Path | None = None
    url: str = ""
    password_env: str = ""

    @property
    def where(self) -> str:
        """The store as messages name it, without a password."""
        return self.url or str(self.path)


class SmtpConfig(NamedTuple):
    """[digest.smtp]: the server that relays the newsletter."""

    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # "starttls", "ssl" or "none"
    username: str = ""
    password_env: str = ""  # name of the environment variable holding the password
    timeout: int = 60


class DigestConfig(NamedTuple):
    """[digest]: the newsletter: its addresses, what an issue holds, and its look."""

    title: str
    sender: str  # `from`
    to: tuple[str, ...]
    list_id: str
    unsubscribe: tuple[str, ...]  # https URL and/or mailto:
    contact: str  # footer contact address
    templates: Path | None  # a folder whose templates replace the shipped ones
    numbering: str = "running"  # or "yearly"
    first_number: int = 1
    lookback_months: int = 1
    skip_empty: bool = True
    exclude: tuple[str, ...] = ()  # title patterns (case-insensitive) left out of issues
    sections: tuple[str, ...] = ()  # category order; the others follow alphabetically
    lead_category: str = ""  # lead story: newest of this category, else the newest item
    max_html_bytes: int = 95_000  # Gmail clips at ~102 KB
    smtp: SmtpConfig = SmtpConfig()
    cadence: str = "monthly"  # or "weekly" (ISO weeks in the site's time zone)
    # The look: masthead logo (absolute https URL) and its alt text, the brand colour, a tagline
    # and per-category section headings ("{period}" is replaced by the period), social
    # links for the footer (name, https URL).
    logo: str = ""
    logo_alt: str = ""
    brand_color: str = "#1e2d6b"
    tagline: str = ""
    headings: tuple[tuple[str, str], ...] = ()
    social: tuple[tuple[str, str], ...] = ()
    intros: Path | None = None  # folder of editorials, one Markdown file per issue: 2023-11.md
    send_without_unsubscribe: bool = False  # a private list with no way to leave: say so
    hold_when_suspect: bool = True  # no issue is frozen or sent while a source is suspect
    show_number: bool = True  # "Issue No. 8, August 2020" under the masthead
    show_dates: bool = True  # each story's date before its summary


class ScheduleConfig(NamedTuple):
    """[schedule]: when the `schedule` service and `run-due` build and send."""

    build: str = "every 15m"  # crontab expression, or "every N s|m|h"
    digest: str = "0 8 1 * *"  # crontab, in the site's time zone: when a month's issue is due
    catch_up: str = "latest"  # "latest", "all" or "none"
    max_lateness_days: int = 7


class AlertsConfig(NamedTuple):
    """[alerts]: who hears, by email, when a source turns suspect and when it recovers."""

    to: tuple[str, ...] = ()


class Config(NamedTuple):
    """The whole config file, checked: what every stage is given."""

    path: Path
    site: SiteConfig
    sources: tuple[SourceConfig, ...]
    output: OutputConfig
    store: StoreConfig
    digest: DigestConfig
    schedule: ScheduleConfig = ScheduleConfig()
    fetch: FetchConfig = FetchConfig()
    alerts: AlertsConfig = AlertsConfig()
    follow: FollowConfig = FollowConfig()


def default(record: type[Any], name: str) -> Any:
    """The default a config record declares for its field `name`: `load` asks here rather than
    repeating it, so that each default is stated once, on the record."""
    defaults: dict[str, Any] = record._field_defaults
    if name not in defaults:
        raise TypeError(f"{record.__name__}.{name} has no default")
    return defaults[name]
