"""config.toml -> frozen records, with every default in one place and every mistake named.

Relative paths resolve against the config file's folder, so a config works from any directory.
Unknown keys are errors: a misspelt `max_entires` must not silently fall back to a default.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feedsmith.config.mailbox import default_sender, mailbox
from feedsmith.config.model import (
    CONTENTS,
    DEFAULT_EXCLUDE,
    FORMATS,
    OUTPUT_DIR,
    SELECTOR_KEYS,
    AlertsConfig,
    Config,
    DigestConfig,
    FetchConfig,
    FollowConfig,
    OutputConfig,
    ScheduleConfig,
    SiteConfig,
    SmtpConfig,
    SourceConfig,
    StoreConfig,
    default,
)
from feedsmith.config.table import Table, did_you_mean
from feedsmith.dates import language_tag
from feedsmith.errors import ConfigError
from feedsmith.period import CADENCES, WEEKLY
from feedsmith.urls import is_http_url, origin

# RFC 4151 tagging entity: a domain name or email address, a comma, and a date the owner held it.
_TAGGING_ENTITY = re.compile(r"^[A-Za-z0-9.@-]+\.[A-Za-z]{2,},\d{4}(-\d{2}(-\d{2})?)?$")

def load_config(path: Path) -> Config:
    """Read and check the config file at `path`; raise ConfigError naming the file and key."""
    path = path.resolve()
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (pass --config PATH)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    root = Table(raw, "", path)
    folder = path.parent
    site = _site(root.table("site"))
    sources = _sources(root.data.pop("sources", None), path, folder, site.language)
    output = _output(root.table("output"), folder)
    store = _store(root.table("store"), folder, output.dir)
    digest = _digest(root.table("digest"), folder, site)
    schedule = _schedule(root.table("schedule"), site, digest.cadence)
    fetch = _fetch(root.table("fetch"), site)
    alerts = _alerts(root.table("alerts"))
    follow = _follow(root.table("follow"))
    if root.data:
        unknown = ", ".join(f"{key}{did_you_mean(key, root.known | {'sources'})}"
                            for key in sorted(root.data))
        raise ConfigError(f"{path}: unknown table(s) or key(s): {unknown}")
    return Config(path=path, site=site, sources=sources, output=output, store=store,
                  digest=digest, schedule=schedule, fetch=fetch, alerts=alerts, follow=follow)


def _url(table: Table, key: str) -> str:
    value: str = table.get(key, str)
    if not is_http_url(value):
        table.fail(f"expected an absolute http(s) URL, got {value!r}", key)
    return value


def _site(table: Table) -> SiteConfig:
    title = table.get("title", str)
    link = _url(table, "link")
    base_url = _url(table, "base_url").rstrip("/") + "/"
    authority = table.get("id_authority", str)
    if not _TAGGING_ENTITY.match(authority) or not _real_date(authority.rpartition(",")[2]):
        table.fail(
            f"expected a domain you own and a date, such as \"example.org,2024\", got {authority!r}"
            " (it is the root of every entry id: choose it once and never change it)",
            "id_authority",
        )
    zone_name = table.get("timezone", str, "UTC")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        from zoneinfo import available_timezones

        table.fail(f"expected an IANA time zone such as \"Europe/Zurich\", got {zone_name!r}"
                   f"{did_you_mean(zone_name, available_timezones())}", "timezone")
    language = _language(table)
    author_name, author_email = _author(table, title)
    icon, logo = (_image(table, key, base_url) for key in ("icon", "logo"))
    hub = _url(table, "hub") if "hub" in table.data else ""
    locale = table.get("locale", str, language)
    if language_tag(locale) is None:
        table.fail(f"expected a language tag Babel knows, such as \"en-GB\", got {locale!r}",
                   "locale")
    home_items = table.number("home_items", default(SiteConfig, "home_items"), 1, 1000)
    page_items = table.number("page_items", default(SiteConfig, "page_items"), 1, 1000)
    table.done()
    return SiteConfig(title=title, link=link, base_url=base_url, id_authority=authority,
                      timezone=zone, language=language, author_name=author_name or title,
                      author_email=author_email, icon=icon, logo=logo, hub=hub,
                      locale=language_tag(locale) or language, home_items=home_items,
                      page_items=page_items)


def _image(table: Table, key: str, base_url: str) -> str:
    """An absolute http(s) URL, or a file in the output folder ("logo.png": under base_url)."""
    value: str = table.get(key, str, "")
    if value and not is_http_url(value):
        if ":" in value or value.startswith("/") or "\\" in value or ".." in value.split("/"):
            table.fail(f"expected an http(s) URL or a file name under base_url, got {value!r}",
                       key)
        value = base_url + value
    return value


def _real_date(text: str) -> bool:
    """"2024", "2024-05" or "2024-05-17", naming a date that exists."""
    year, month, day = (text.split("-") + ["01", "01"])[:3]
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _author(table: Table, default: str) -> tuple[str, str]:
    """"Name" or "Name <email>": parentheses are part of a name here, not an RFC 822 comment."""
    value: str = table.get("author", str, default)
    name, bracket, rest = value.rpartition("<")  # the address is the last <...>
    if not bracket:
        return value.strip(), ""
    email = rest.rstrip().removesuffix(">").strip()
    if not rest.rstrip().endswith(">") or "@" not in email or not name.strip():
        table.fail(f"expected \"Name\" or \"Name <email@example.org>\", got {value!r}", "author")
    return name.strip(), email


def _language(table: Table, fallback: str = default(SiteConfig, "language")) -> str:
    """A BCP 47 language tag ("en", "fr-CH"); "en_US" and "EN-us" are accepted as "en-US"."""
    language: str = table.get("language", str, fallback)
    tag = language_tag(language)
    if tag is None:
        table.fail(f"expected a language code such as \"en\", \"fr\" or \"es-ES\", got "
                   f"{language!r}", "language")
    return tag


def _sources(raw: Any, file: Path, folder: Path, language: str) -> tuple[SourceConfig, ...]:
    if not raw:
        raise ConfigError(f"{file}: no [[sources]]: add at least one with `name` and `paths`")
    if not isinstance(raw, list):
        raise ConfigError(f"{file}: `sources` must be written as [[sources]] tables")
    sources: list[SourceConfig] = []
    for number, data in enumerate(raw, start=1):
        source = _source(Table(data, f"sources #{number}", file), folder, language)
        if any(s.name == source.name for s in sources):
            raise ConfigError(f"{file}: [[sources]] name {source.name!r} is used twice")
        sources.append(source)
    return tuple(sources)


def _source(table: Table, folder: Path, language: str) -> SourceConfig:
    name = table.get("name", str)
    table.name = f"sources {name!r}"
    url = table.get("url", str, default(SourceConfig, "url"))
    paths = table.get("paths", (list, str), [])
    paths = [paths] if isinstance(paths, str) else paths
    if bool(url) == bool(paths):
        misspelt = sorted(set(table.data) - {*SourceConfig._fields, "fallback_category"})
        if misspelt and not url:  # "path" for `paths` is named as such
            table.fail("unknown key(s): " + ", ".join(
                f"{key}{did_you_mean(key, {'paths', 'url'})}" for key in misspelt))
        table.fail("give either `paths` (files or globs) or `url`, not both or neither")
    if paths and not all(isinstance(p, str) for p in paths):  # Table.get refuses blank ones
        table.fail("expected a non-empty list of file paths or glob patterns", "paths")
    if url and not is_http_url(url):
        table.fail(f"expected an absolute http(s) URL, got {url!r}", "url")
    source_format = table.get("format", str, default(SourceConfig, "format"))
    if source_format not in FORMATS:
        table.fail(f"expected one of {', '.join(FORMATS)}, got {source_format!r}", "format")
    if "category" in table.data and "fallback_category" in table.data:
        table.fail("give `category` (for a feed: replaces its categories) or "
                   "`fallback_category` (only for items listed without one), not both")
    replaces = "category" in table.data
    fallback = table.get("fallback_category", str, default(SourceConfig, "category")).strip()
    source = SourceConfig(
        name=name, paths=tuple(str(folder / p) for p in paths), url=url,
        category=table.get("category", str, fallback).strip(),
        replaces_categories=replaces,
        language=_language(table, language), format=source_format,
        max_pages=table.number("max_pages", default(SourceConfig, "max_pages"), 1, 100),
        allow_origins=tuple(_origin(table, value) for value in _strings(table, "allow_origins", ())),
        selectors=_selectors(table.table("selectors")),
        render=table.get("render", str, default(SourceConfig, "render")),
        wait_for=table.get("wait_for", str, default(SourceConfig, "wait_for")).strip(),
        follow=table.get("follow", bool, default(SourceConfig, "follow")))
    if source.render not in ("", "browser"):
        table.fail(f"expected \"browser\" (or no render), got {source.render!r}", "render")
    if source.render and not source.url:
        table.fail("render = \"browser\" loads a page from the web: give the source a `url`")
    if source.wait_for and not source.render:
        table.fail("wait_for is for a page rendered in a browser: set render = \"browser\" too")
    if source.wait_for:
        _check_selector(table, "wait_for", source.wait_for)
    if source.follow and not source.allowed_origins():
        table.fail("follow = true fetches item pages only from the sites a source names: give "
                   "this file source allow_origins (e.g. [\"https://www.example.org\"])")
    table.done()
    return source


def _origin(table: Table, value: str) -> str:
    """"https://www.example.org" (scheme, host and port, nothing else), as `origin` spells it."""
    parts = urlsplit(value)
    if not is_http_url(value) or parts.path.strip("/") or parts.query or parts.fragment \
            or parts.username:
        table.fail(f"expected origins such as \"https://www.example.org\", got {value!r}",
                   "allow_origins")
    return origin(value)


def _output(table: Table, folder: Path) -> OutputConfig:
    out_dir = folder / table.get("dir", str, OUTPUT_DIR)
    max_entries = table.number("max_entries", default(OutputConfig, "max_entries"), 1, 10_000)
    content = table.get("content", str, default(OutputConfig, "content"))
    if content not in CONTENTS:
        table.fail(f"expected one of {', '.join(CONTENTS)}, got {content!r}", "content")
    search = table.get("search", bool, default(OutputConfig, "search"))
    if search and importlib.util.find_spec("pagefind_bin") is None:
        table.fail("needs Pagefind, which is not installed: pip install 'feedsmith[search]'",
                   "search")
    assets = _assets(table, folder)
    table.done()
    return OutputConfig(dir=out_dir, max_entries=max_entries, content=content, search=search,
                        assets=assets)


PICTURES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico")


def _assets(table: Table, folder: Path) -> Path | None:
    """[output] assets: a folder whose pictures (a logo, an icon) are published as they are,
    under the same names, so that `logo = "name.png"` finds them under base_url. Pictures only:
    no name can then clash with a page or feed feedsmith writes."""
    name: str = table.get("assets", str, "")
    if not name:
        return None
    assets = folder / name
    if not assets.is_dir():
        table.fail(f"expected a folder of pictures, but {assets} is not a folder", "assets")
    for path in sorted(assets.rglob("*")):
        if path.is_file() and (path.suffix.lower() not in PICTURES or path.name.startswith(".")):
            table.fail(f"{path}: expected only pictures ({', '.join(PICTURES)})", "assets")
    return assets


def _follow(table: Table) -> FollowConfig:
    follow = FollowConfig(
        max_age_days=table.number("max_age_days", default(FollowConfig, "max_age_days"), 0,
                                  3650),
        per_build=table.number("per_build", default(FollowConfig, "per_build"), 1, 100_000))
    table.done()
    return follow


def _store(table: Table, folder: Path, output_dir: Path) -> StoreConfig:
    if "url" in table.data:
        return _postgres_store(table)
    path = (folder / table.get("path", str, "feedsmith.db")).resolve()
    if path.is_relative_to(output_dir.resolve()):
        table.fail(f"{path} is inside the published folder {output_dir}: keep the state database "
                   "where the web server does not serve it", "path")
    table.done()
    return StoreConfig(path=path)


def _postgres_store(table: Table) -> StoreConfig:
    url: str = table.get("url", str)
    if "path" in table.data:
        table.fail("give either path (an SQLite file) or url (PostgreSQL), not both", "url")
    if problem := postgres_url_problem(url):
        table.fail(problem, "url")
    password_env = table.get("password_env", str, "")
    table.done()
    return StoreConfig(url=url, password_env=password_env)


def postgres_url_problem(url: str) -> str:
    """What is wrong with a PostgreSQL store's URL, or "" (a password never belongs in it: the
    URL is shown by `status` and kept in config files)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        return "expected a PostgreSQL URL: postgresql://user@host:port/database"
    if parts.password is not None or "password=" in parts.query:
        return ("keep the password out of the URL: name an environment variable in "
                "password_env, or use PGPASSWORD or ~/.pgpass")
    return ""


def _strings(table: Table, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    values = table.get(key, (list, str), list(default))
    values = [values] if isinstance(values, str) else values
    if not all(isinstance(v, str) for v in values):  # Table.get refuses blank ones
        table.fail("expected a list of non-empty strings", key)
    return tuple(values)


def _digest(table: Table, folder: Path, site: SiteConfig) -> DigestConfig:
    host = urlsplit(site.base_url).hostname or "localhost"
    given_sender = table.get("from", str, "")
    sender = (mailbox(table, "from", given_sender) if given_sender
              else default_sender(site.author_name, f"digest@{host}"))
    unsubscribe = _strings(table, "unsubscribe", ())
    for target in unsubscribe:
        if not target.startswith(("https://", "mailto:")):
            table.fail(f"expected an https:// URL or a mailto: address, got {target!r}",
                       "unsubscribe")
    templates = table.get("templates", str, "")
    digest = DigestConfig(
        title=table.get("title", str, f"{site.title} newsletter"), sender=sender,
        to=tuple(mailbox(table, "to", value) for value in _strings(table, "to", ())),
        list_id=table.get("list_id", str, f"digest.{host}"), unsubscribe=unsubscribe,
        contact=table.get("contact", str, sender, multiline=True),
        templates=folder / templates if templates else None,
        smtp=_smtp(table.table("smtp")), intros=folder / table.get("intros", str, "digest/intro"),
        **_issue_settings(table), **_look(table, site))
    table.done()
    return digest


def _alerts(table: Table) -> AlertsConfig:
    """[alerts] to: addresses told when a source turns suspect (through [digest.smtp])."""
    alerts = AlertsConfig(to=tuple(mailbox(table, "to", value)
                                   for value in _strings(table, "to", ())))
    table.done()
    return alerts


def _issue_settings(table: Table) -> dict[str, Any]:
    """What goes into an issue and how it is numbered: [digest] numbering, cadence, exclude..."""
    settings: dict[str, Any] = {
        key: table.get(key, bool, default(DigestConfig, key))
        for key in ("skip_empty", "send_without_unsubscribe", "hold_when_suspect", "show_number",
                    "show_dates")}
    settings |= {key: table.number(key, default(DigestConfig, key), low, high)
                 for key, low, high in (("first_number", 1, 1_000_000),
                                        ("lookback_months", 0, 24),
                                        ("max_html_bytes", 10_000, 10_000_000))}
    for key, allowed in (("numbering", ("running", "yearly")), ("cadence", CADENCES)):
        value = settings[key] = table.get(key, str, default(DigestConfig, key))
        if value not in allowed:
            spelled = " or ".join(f'"{choice}"' for choice in allowed)
            table.fail(f"expected {spelled}, got {value!r}", key)
    settings["exclude"] = _strings(table, "exclude", DEFAULT_EXCLUDE)
    for pattern in settings["exclude"]:
        try:
            re.compile(pattern)
        except re.error as exc:
            table.fail(f"{pattern!r} is not a valid regular expression: {exc}", "exclude")
    settings["sections"] = _strings(table, "sections", default(DigestConfig, "sections"))
    settings["lead_category"] = table.get("lead_category", str,
                                          default(DigestConfig, "lead_category"))
    return settings


def _look(table: Table, site: SiteConfig) -> dict[str, Any]:
    """The issue's look: [digest] logo, brand_color, tagline, headings and social links."""
    given = table.data.get("logo", "")
    logo = _image(table, "logo", site.base_url)  # a URL, or a file published under base_url
    if logo and logo == given and not logo.startswith("https://"):
        table.fail(f"expected an https:// URL (mail clients fetch it) or a file name under "
                   f"base_url, got {logo!r}", "logo")
    brand_color = table.get("brand_color", str, default(DigestConfig, "brand_color"))
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", brand_color):
        table.fail(f'expected a colour such as "{default(DigestConfig, "brand_color")}", got '
                   f"{brand_color!r}", "brand_color")
    headings_table = table.table("headings")
    headings = tuple((name, _with_period(headings_table, name, headings_table.get(name, str)))
                     for name in list(headings_table.data))
    social_table = table.table("social")
    social = tuple((name, social_table.get(name, str)) for name in list(social_table.data))
    for name, url in social:
        if not url.startswith("https://") or not is_http_url(url):
            social_table.fail(f"expected an https:// URL, got {url!r}", name)
    return {"logo": logo, "brand_color": brand_color.lower(), "headings": headings,
            "social": social,
            "logo_alt": table.get("logo_alt", str, "") or (f"{site.title}" if logo else ""),
            "tagline": _with_period(table, "tagline", table.get("tagline", str, ""))}


def _with_period(table: Table, key: str, text: str) -> str:
    """A text where "{period}" stands for the issue's period ("November 2023"); no other braces."""
    if re.search(r"[{}]", text.replace("{period}", "")):
        table.fail(f'only "{{period}}" may stand in braces, got {text!r}', key)
    return text


def _smtp(table: Table) -> SmtpConfig:
    defaults = SmtpConfig()
    security = table.get("security", str, defaults.security)
    if security not in ("starttls", "ssl", "none"):
        table.fail(f'expected "starttls", "ssl" or "none", got {security!r}', "security")
    smtp = SmtpConfig(host=table.get("host", str, defaults.host),
                      port=table.number("port", 465 if security == "ssl" else defaults.port, 1,
                                        65_535),
                      security=security, username=table.get("username", str, defaults.username),
                      password_env=table.get("password_env", str, defaults.password_env),
                      timeout=table.number("timeout", defaults.timeout, 1, 3_600))
    table.done()
    return smtp


def _schedule(table: Table, site: SiteConfig, cadence: str) -> ScheduleConfig:
    # A week's issue is due on the Monday after it, 08:00; a month's on the 1st.
    defaults = ScheduleConfig(digest="0 8 * * 1") if cadence == WEEKLY else ScheduleConfig()
    schedule = ScheduleConfig(
        build=table.get("build", str, defaults.build),
        digest=table.get("digest", str, defaults.digest),
        catch_up=table.get("catch_up", str, defaults.catch_up),
        max_lateness_days=table.number("max_lateness_days", defaults.max_lateness_days, 0, 366))
    if schedule.catch_up not in ("latest", "all", "none"):
        table.fail(f'expected "latest", "all" or "none", got {schedule.catch_up!r}', "catch_up")
    if (schedule.build, schedule.digest) != (defaults.build, defaults.digest):
        # The defaults are known to parse: a plain build does not load the scheduler (~55 ms).
        from feedsmith.schedule import Jobs  # schedule imports no config

        try:
            Jobs.parse(schedule.build, schedule.digest, site.timezone)
        except ConfigError as error:
            raise ConfigError(f"{table.file}: {error}") from None
    table.done()
    return schedule


def _selectors(table: Table) -> tuple[tuple[str, str], ...]:
    chosen = tuple((key, table.get(key, str)) for key in SELECTOR_KEYS if key in table.data)
    table.known.update(SELECTOR_KEYS)  # what a misspelt key ("imge") may have meant
    table.done()
    if chosen and not {"item", "title", "date"} <= dict(chosen).keys():
        table.fail("needs at least `item`, `title` and `date` (CSS selectors)")
    for key, selector in chosen:
        _check_selector(table, key, selector)
    return chosen


def _check_selector(table: Table, key: str, selector: str) -> None:
    # lxml and cssselect load only for a source with selectors
    from cssselect import SelectorError
    from cssselect.xpath import ExpressionError
    from lxml.cssselect import CSSSelector

    try:
        CSSSelector(selector)
    except (SelectorError, ExpressionError) as exc:
        table.fail(f"{key} = {selector!r} is not a CSS selector this reader knows: {exc}")


def _fetch(table: Table, site: SiteConfig) -> FetchConfig:
    defaults = FetchConfig()
    number = (int, float)
    seconds = {key: float(table.get(key, number, getattr(defaults, key)))
               for key in ("timeout", "backoff")}
    if not 0.1 <= seconds["timeout"] <= 600 or not 0 <= seconds["backoff"] <= 600:
        table.fail("timeout must be from 0.1 to 600 seconds and backoff from 0 to 600")
    fetch = FetchConfig(
        user_agent=table.get("user_agent", str, f"feedsmith (+{site.base_url})"),
        retries=table.number("retries", defaults.retries, 0, 10),
        max_bytes=table.number("max_bytes", defaults.max_bytes, 1_000, 1_000_000_000),
        max_redirects=table.number("max_redirects", defaults.max_redirects, 0, 20),
        browser=table.get("browser", str, defaults.browser).strip(),
        robots=table.get("robots", bool, defaults.robots),
        concurrency=table.number("concurrency", defaults.concurrency, 1, 64),
        per_host=table.number("per_host", defaults.per_host, 1, 16), **seconds)
    table.done()
    return fetch
