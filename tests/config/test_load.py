"""Reading config.toml: a key no table knows is an error naming the table and the key, in
every table, so that a misspelt setting never falls back to its default in silence; and every
default and number range is the one the README's reference gives."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo

import pytest

from feedsmith.config import load_config
from feedsmith.config.model import Config
from feedsmith.errors import ConfigError
from tests.fixtures.project import REPO, Result

# Each table of config.toml, and how to give the shipped example that table with one unknown
# key in it (headings and social take any name, so they are not here).
TABLES = {
    "site": lambda text: text.replace("[site]\n", "[site]\nbogus_setting = 1\n", 1),
    "sources 'ilo-coop'": lambda text: text.replace("[[sources]]\n", "[[sources]]\nbogus_setting = 1\n",
                                                    1),
    "sources 'ilo-coop'.selectors": lambda text: text.replace(
        "[output]", '[sources.selectors]\nitem = "li"\ntitle = "a"\ndate = "time"\n'
                    "bogus_setting = 1\n\n[output]", 1),
    "output": lambda text: text.replace("[output]\n", "[output]\nbogus_setting = 1\n", 1),
    "store": lambda text: text + "\n[store]\nbogus_setting = 1\n",
    "digest": lambda text: text.replace("[digest.headings]", "bogus_setting = 1\n\n[digest.headings]",
                                        1),
    "digest.smtp": lambda text: text.replace("[digest.smtp]\n", "[digest.smtp]\nbogus_setting = 1\n",
                                             1),
    "schedule": lambda text: text + "\n[schedule]\nbogus_setting = 1\n",
    "fetch": lambda text: text + "\n[fetch]\nbogus_setting = 1\n",
    "alerts": lambda text: text + "\n[alerts]\nbogus_setting = 1\n",
    "follow": lambda text: text + "\n[follow]\nbogus_setting = 1\n",
}


@pytest.mark.parametrize("table", TABLES)
def test_an_unknown_key_is_refused_in_every_table(project: Path, cli: Callable[..., Result],
                                                  table: str) -> None:
    config = project / "config.toml"
    config.write_text(TABLES[table](config.read_text()))
    result = cli("check")
    assert result.exit_code == 1
    assert f"[{table}]" in result.stderr and "unknown key(s): bogus_setting" in result.stderr, \
        result.stderr
    assert "Traceback" not in result.output


def _tables(record: type, prefix: str = "") -> set[str]:
    """The tables a config record reads: its fields that are records themselves."""
    names = set()
    for name, kind in get_type_hints(record).items():
        if hasattr(kind, "_fields"):
            names |= {prefix + name, *_tables(kind, f"{prefix}{name}.")}
    return names


def test_every_table_the_config_reads_is_covered() -> None:
    """A table added to the config must be added above: its unknown keys need a test too."""
    covered = {name.replace(" 'ilo-coop'", "") for name in TABLES}
    assert _tables(Config) | {"sources", "sources.selectors"} == covered


@pytest.mark.parametrize(("change", "said"), [
    (lambda text: text.replace('paths = ["listings/*.txt"]', 'path = ["listings/*.txt"]'),
     "[sources 'ilo-coop']: unknown key(s): path (did you mean 'paths'?)"),
    (lambda text: text.replace("[output]", '[sources.selectors]\nitem = "li"\ntitle = "a"\n'
                                           'date = "time"\nimge = "img"\n\n[output]', 1),
     "unknown key(s): imge (did you mean 'image'?)"),
    (lambda text: text.replace('timezone = "Europe/Zurich"', 'timezone = "Europe/Londn"'),
     "got 'Europe/Londn' (did you mean 'Europe/London'?)"),
])
def test_a_first_hours_misspellings_get_a_did_you_mean(
        project: Path, cli: Callable[..., Result], change: Callable[[str], str],
        said: str) -> None:
    config = project / "config.toml"
    config.write_text(change(config.read_text()))
    result = cli("check")
    assert result.exit_code == 1 and said in result.stderr, result.output


# The README's configuration reference (its table of keys) is the spec the two tests below hold
# the code to: each key's default, and each number's range, as a user reads them there.
_REFERENCE_ROW = re.compile(r"^\| (`[^|]+`) \| ([^|]+) \| ([^|]+) \|$", re.MULTILINE)
_KEY = re.compile(r"`(\[[^\]]+\]|\[\[sources\]\]) (\w+)`|`(\w+)`")
_RANGE = re.compile(r"(\d[\d,.]*\d|\d)–(\d[\d,.]*\d|\d)(?=[);,])")  # "(1–1,000)", "(0.1–600;"
_MINIMAL = """[site]
title = "News"
link = "https://news.example.org/"
base_url = "https://feeds.example.org/"
id_authority = "example.org,2024"
{site}
[[sources]]
name = "news"
paths = ["news.txt"]
{sources}
{rest}"""


def _reference() -> list[tuple[str, str, str, str]]:
    """(table, key, default, range) for every key the README's reference gives a default or a
    range (a row naming several keys gives as many defaults and ranges, in order)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rows = []
    for keys, default, meaning in _REFERENCE_ROW.findall(text):
        names: list[tuple[str, str]] = []
        for table, key, more in _KEY.findall(keys):
            table = table or names[-1][0]
            names.append((table.strip("[]"), key or more))
        defaults = re.findall(r"`([^`]*)`", default)
        ranges = _RANGE.findall(meaning)
        for index, (table, key) in enumerate(names):
            rows.append((table, key, defaults[index] if len(defaults) == len(names) else "",
                         "–".join(ranges[index]) if len(ranges) == len(names) else ""))
    return rows


_PLAIN = _MINIMAL.format(site="", sources="", rest="")


def _write(tmp_path: Path, table: str, setting: str) -> Path:
    """The minimal config with `setting` (TOML lines) in `table`."""
    parts = {"site": "", "sources": "", "rest": ""}
    if table in ("site", "sources"):
        parts[table] = setting
    elif setting:
        parts["rest"] = f"[{table}]\n{setting}\n"
    config = tmp_path / "config.toml"
    config.write_text(_MINIMAL.format(**parts), encoding="utf-8")
    return config


def _load(tmp_path: Path, table: str, setting: str) -> Config:
    return load_config(_write(tmp_path, table, setting))


def _refusal(config: Path) -> str:
    """The message of the ConfigError that reading `config` must raise."""
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    return str(refused.value)


def _refused(tmp_path: Path, table: str, setting: str) -> str:
    return _refusal(_write(tmp_path, table, setting))


def _read(config: Config, table: str, key: str) -> object:
    """The value the config holds for `key`, written as the README writes it."""
    record: Any = config.sources[0] if table == "sources" else config
    for name in () if table == "sources" else table.split("."):
        record = getattr(record, name)
    value = getattr(record, "category" if key == "fallback_category" else key)
    if isinstance(value, Path):
        return value.relative_to(config.path.parent).as_posix()
    if isinstance(value, ZoneInfo):
        return value.key
    return list(value) if isinstance(value, tuple) else value


def _toml(text: str) -> object:
    """A README default read as the TOML value it spells, or None (prose such as "language")."""
    try:
        return tomllib.loads(f"value = {text}")["value"] if text else None
    except tomllib.TOMLDecodeError:
        return None


_DEFAULTS = [(table, key, default) for table, key, default, _ in _reference()
             if _toml(default) is not None]
_RANGES = [(table, key, bounds) for table, key, _, bounds in _reference() if bounds]


def test_the_readme_reference_names_the_settings_it_is_checked_on() -> None:
    """The two tests below read the README: were its table to change shape, they would check
    nothing. These keys, at least, must be read from it."""
    assert {("output", "max_entries"), ("fetch", "timeout"), ("digest.smtp", "timeout"),
            ("follow", "per_build"), ("sources", "max_pages")} <= {r[:2] for r in _RANGES}
    assert {("site", "timezone"), ("digest", "cadence"), ("fetch", "robots"),
            ("digest", "show_dates"), ("digest", "exclude")} <= {r[:2] for r in _DEFAULTS}
    assert len(_RANGES) >= 15 and len(_DEFAULTS) >= 40


@pytest.mark.parametrize(("table", "key", "default"), _DEFAULTS)
def test_each_default_is_the_one_the_readme_gives(tmp_path: Path, table: str, key: str,
                                                  default: str) -> None:
    assert _read(_load(tmp_path, table, ""), table, key) == _toml(default)


@pytest.mark.parametrize(("table", "key", "bounds"), _RANGES)
def test_each_number_takes_the_range_the_readme_gives(tmp_path: Path, table: str, key: str,
                                                      bounds: str) -> None:
    low, high = (float(bound.replace(",", "")) for bound in bounds.split("–"))
    step = 1 if low == int(low) else 0.01
    for value in (low, high):
        assert _read(_load(tmp_path, table, f"{key} = {_spelt(value)}"), table, key) == value
    for value in (low - step, high + step):
        refused = _refused(tmp_path, table, f"{key} = {_spelt(value)}")
        assert key in refused and str(tmp_path / "config.toml") in refused


def _spelt(number: float) -> str:
    """A number as TOML: a whole one as an integer (which every number key takes)."""
    return str(int(number)) if number == int(number) else f"{number:.2f}"


@pytest.mark.parametrize(("given", "read"), [
    ("https://www.example.org", "https://www.example.org:443"),  # as feedsmith.urls.origin
    ("https://www.example.org/", "https://www.example.org:443"),
    ("HTTP://127.0.0.1:8080", "http://127.0.0.1:8080"),
])
def test_allow_origins_takes_origins(tmp_path: Path, given: str, read: str) -> None:
    config = _load(tmp_path, "sources", f'allow_origins = ["{given}"]')
    assert config.sources[0].allow_origins == (read,)


@pytest.mark.parametrize("given", [
    "https://www.example.org/news", "https://www.example.org/X", "https://www.example.org/?page=2",
    "https://www.example.org/#latest", "https://editor@www.example.org", "ftp://www.example.org",
])
def test_allow_origins_refuses_anything_more_than_an_origin(tmp_path: Path, given: str) -> None:
    """An origin is scheme, host and port: a path or query would suggest a narrower rule than
    the one applied, and a user name has no place in it."""
    refused = _refused(tmp_path, "sources", f'allow_origins = ["{given}"]')
    assert f'allow_origins: expected origins such as "https://www.example.org", got {given!r}' \
        in refused


@pytest.mark.parametrize("url", ["postgresql://feeds@db.example.org/feeds",
                                 "postgres://feeds@db.example.org:5433/feeds"])
def test_a_postgresql_url_takes_either_scheme_libpq_takes(tmp_path: Path, url: str) -> None:
    store = _load(tmp_path, "store", f'url = "{url}"').store
    assert (store.url, store.password_env) == (url, "")


def test_a_postgresql_store_takes_its_password_from_the_environment_only(tmp_path: Path) -> None:
    url = "postgresql://feeds@db.example.org/feeds"
    store = _load(tmp_path, "store", f'url = "{url}"\npassword_env = "FEEDS_DB_PASSWORD"').store
    assert (store.url, store.password_env) == (url, "FEEDS_DB_PASSWORD")
    secret = ("[store] url: keep the password out of the URL: name an environment variable in "
              "password_env, or use PGPASSWORD or ~/.pgpass")
    for setting, says in [
            (f'url = "{url}"\npath = "feeds.db"', "[store] url: give either path"),
            ('url = "postgresql://feeds:secret@db.example.org/feeds"', secret),
            (f'url = "{url}?password=secret"', secret),
            ('url = "mysql://feeds@db.example.org/feeds"', "[store] url: expected a PostgreSQL")]:
        refused = _refused(tmp_path, "store", setting)
        assert says in refused, setting


def test_alerts_go_to_the_addresses_given_each_checked(tmp_path: Path) -> None:
    to = ("Ops <ops@example.org>", "editor@example.org")
    config = _load(tmp_path, "alerts", f"to = {list(to)!r}".replace("'", '"'))
    assert config.alerts.to == to
    refused = _refused(tmp_path, "alerts", 'to = ["ops@example.org, editor@example.org"]')
    assert "[alerts] to: expected one email address per entry" in refused


def test_fetching_names_the_site_and_finds_the_browser_given(tmp_path: Path) -> None:
    assert _load(tmp_path, "fetch", "").fetch.user_agent == "feedsmith (+https://feeds.example.org/)"
    fetch = _load(tmp_path, "fetch", 'browser = " /opt/chromium/chrome "\nuser_agent = "Bot/1"').fetch
    assert (fetch.browser, fetch.user_agent) == ("/opt/chromium/chrome", "Bot/1")


def test_a_selector_the_reader_cannot_use_is_refused(tmp_path: Path) -> None:
    selectors = '[sources.selectors]\nitem = "li"\ntitle = "a"\ndate = "time::text"\n'
    refused = _refused(tmp_path, "sources", selectors)
    assert "date = 'time::text' is not a CSS selector this reader knows" in refused


# Every key config.toml takes, each given a value other than its default.
_EVERY_KEY = """
[site]
title = "Coop News"
link = "https://www.example.org/news"
base_url = "https://feeds.example.org/coop"
id_authority = "example.org,2024-05"
timezone = "Europe/Zurich"
language = "fr_ch"
author = "News Desk <desk@example.org>"
locale = "de-CH"
icon = "icon.png"
logo = "https://cdn.example.org/logo.png"
hub = "https://hub.example.org/"
home_items = 7
page_items = 9

[[sources]]
name = "files"
paths = "news/*.txt"
format = "text"
max_pages = 3
allow_origins = ["https://www.example.org"]
follow = true
fallback_category = "Misc"
language = "de"

[[sources]]
name = "web"
url = "https://www.example.org/news"
render = "browser"
wait_for = " article.card "
category = " News "

[sources.selectors]
item = "article"
title = "h3"
date = "time"
image = "img"

[output]
dir = "public"
max_entries = 30
content = "full"
assets = "pictures"
search = true

[store]
path = "state/feeds.db"

[digest]
title = "Coop Weekly"
cadence = "weekly"
tagline = "Week of {period}"
brand_color = "#AA3300"
logo = "logo.png"
logo_alt = "Coop"
show_number = false
show_dates = false
intros = "notes"
send_without_unsubscribe = true
hold_when_suspect = false
from = "Desk <desk@example.org>"
to = ["Readers <readers@example.org>", "chief@example.org"]
list_id = "weekly.example.org"
unsubscribe = ["mailto:leave@example.org"]
contact = "Write to desk@example.org"
templates = "looks"
numbering = "yearly"
first_number = 40
lookback_months = 3
skip_empty = false
exclude = ["^Ad:"]
sections = ["News", "Events"]
lead_category = "Events"
max_html_bytes = 50000

[digest.headings]
News = "News of {period}"

[digest.social]
Mastodon = "https://social.example.org/@desk"

[digest.smtp]
host = "smtp.example.org"
port = 2525
security = "ssl"
username = "desk"
password_env = "SMTP_PASSWORD"
timeout = 30

[schedule]
build = "every 30m"
digest = "0 9 * * 2"
catch_up = "all"
max_lateness_days = 3

[fetch]
user_agent = "CoopBot/2"
timeout = 5.5
retries = 4
backoff = 0.5
max_bytes = 100000
max_redirects = 2
concurrency = 4
per_host = 1
robots = false
browser = "/opt/chromium/chrome"

[alerts]
to = ["ops@example.org"]

[follow]
max_age_days = 30
per_build = 10
"""


def test_every_key_is_read_into_the_config(tmp_path: Path) -> None:
    """Each key, given, arrives where the code that uses it reads it (a key read under another
    name would leave it unread: an "unknown key" error)."""
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "logo.png").write_bytes(b"\x89PNG")
    path = tmp_path / "config.toml"
    path.write_text(_EVERY_KEY, encoding="utf-8")
    config = load_config(path)
    base = "https://feeds.example.org/coop/"
    assert config.site._asdict() == {
        "title": "Coop News", "link": "https://www.example.org/news", "base_url": base,
        "id_authority": "example.org,2024-05", "timezone": ZoneInfo("Europe/Zurich"),
        "language": "fr-CH", "author_name": "News Desk", "author_email": "desk@example.org",
        "icon": base + "icon.png", "logo": "https://cdn.example.org/logo.png",
        "hub": "https://hub.example.org/", "locale": "de-CH", "home_items": 7, "page_items": 9}
    files, web = config.sources
    assert files._asdict() == {
        "name": "files", "paths": (str(tmp_path / "news/*.txt"),), "url": "",
        "category": "Misc", "replaces_categories": False, "language": "de", "format": "text",
        "max_pages": 3, "selectors": (), "allow_origins": ("https://www.example.org:443",),
        "render": "", "wait_for": "", "follow": True}
    assert web._asdict() == {
        "name": "web", "paths": (), "url": "https://www.example.org/news", "category": "News",
        "replaces_categories": True, "language": "fr-CH", "format": "auto", "max_pages": 1,
        "selectors": (("item", "article"), ("title", "h3"), ("date", "time"), ("image", "img")),
        "allow_origins": (), "render": "browser", "wait_for": "article.card", "follow": False}
    assert config.output._asdict() == {"dir": tmp_path / "public", "max_entries": 30,
                                       "content": "full", "search": True,
                                       "assets": tmp_path / "pictures"}
    assert config.store._asdict() == {"path": tmp_path / "state" / "feeds.db", "url": "",
                                      "password_env": ""}
    assert config.digest._asdict() == {
        "title": "Coop Weekly", "sender": "Desk <desk@example.org>",
        "to": ("Readers <readers@example.org>", "chief@example.org"),
        "list_id": "weekly.example.org", "unsubscribe": ("mailto:leave@example.org",),
        "contact": "Write to desk@example.org", "templates": tmp_path / "looks",
        "numbering": "yearly", "first_number": 40, "lookback_months": 3, "skip_empty": False,
        "exclude": ("^Ad:",), "sections": ("News", "Events"), "lead_category": "Events",
        "max_html_bytes": 50000, "smtp": config.digest.smtp, "cadence": "weekly",
        "logo": base + "logo.png", "logo_alt": "Coop", "brand_color": "#aa3300",
        "tagline": "Week of {period}", "headings": (("News", "News of {period}"),),
        "social": (("Mastodon", "https://social.example.org/@desk"),),
        "intros": tmp_path / "notes", "send_without_unsubscribe": True,
        "hold_when_suspect": False, "show_number": False, "show_dates": False}
    assert config.digest.smtp._asdict() == {
        "host": "smtp.example.org", "port": 2525, "security": "ssl", "username": "desk",
        "password_env": "SMTP_PASSWORD", "timeout": 30}
    assert config.schedule._asdict() == {"build": "every 30m", "digest": "0 9 * * 2",
                                         "catch_up": "all", "max_lateness_days": 3}
    assert config.fetch._asdict() == {
        "user_agent": "CoopBot/2", "timeout": 5.5, "retries": 4, "backoff": 0.5,
        "max_bytes": 100000, "max_redirects": 2, "browser": "/opt/chromium/chrome",
        "robots": False, "concurrency": 4, "per_host": 1}
    assert config.alerts.to == ("ops@example.org",)
    assert config.follow._asdict() == {"max_age_days": 30, "per_build": 10}


@pytest.mark.parametrize(("table", "key", "choices"), [
    ("sources", "format", ["auto", "text", "html", "feed"]),
    ("output", "content", ["summary", "full"]),
    ("digest", "cadence", ["monthly", "weekly"]),
    ("digest", "numbering", ["running", "yearly"]),
    ("digest.smtp", "security", ["starttls", "ssl", "none"]),
    ("schedule", "catch_up", ["latest", "all", "none"]),
])
def test_each_choice_the_readme_names_is_taken_and_no_other(tmp_path: Path, table: str, key: str,
                                                            choices: list[str]) -> None:
    for choice in choices:
        assert _read(_load(tmp_path, table, f'{key} = "{choice}"'), table, key) == choice
    refused = _refused(tmp_path, table, f'{key} = "sometimes"')
    assert f"{key}: expected" in refused and "got 'sometimes'" in refused
    assert all(choice in refused for choice in choices), refused


def test_a_weekly_digest_is_due_on_mondays_unless_told(tmp_path: Path) -> None:
    assert _load(tmp_path, "digest", 'cadence = "weekly"').schedule.digest == "0 8 * * 1"
    assert _load(tmp_path, "digest", 'cadence = "monthly"').schedule.digest == "0 8 1 * *"
    config = tmp_path / "config.toml"
    config.write_text(config.read_text() + '\n[schedule]\ndigest = "0 9 * * 5"\n')
    assert load_config(config).schedule.digest == "0 9 * * 5"


@pytest.mark.parametrize("setting", ['digest = "0 25 * * *"', 'build = "every 0m"'])
def test_a_schedule_that_cannot_run_is_refused(tmp_path: Path, setting: str) -> None:
    refused = _refused(tmp_path, "schedule", setting)
    assert refused.startswith(f"{tmp_path / 'config.toml'}: ")


def test_the_newsletters_logo_is_one_mail_clients_may_fetch(tmp_path: Path) -> None:
    digest = _load(tmp_path, "digest", 'logo = "https://cdn.example.org/logo.png"').digest
    assert (digest.logo, digest.logo_alt) == ("https://cdn.example.org/logo.png", "News")
    assert _load(tmp_path, "digest", "").digest.logo_alt == ""  # no logo, no alt text
    refused = _refused(tmp_path, "digest", 'logo = "http://cdn.example.org/logo.png"')
    assert "[digest] logo: expected an https:// URL (mail clients fetch it)" in refused
    config = tmp_path / "config.toml"  # a file under base_url is published with the pages
    config.write_text(config.read_text().replace("https://feeds.example.org/",
                                                 "http://feeds.example.org/"))
    config.write_text(config.read_text().replace('logo = "http://cdn.example.org/logo.png"',
                                                 'logo = "logo.png"'))
    assert load_config(config).digest.logo == "http://feeds.example.org/logo.png"


@pytest.mark.parametrize(("table", "setting", "says"), [
    ("digest", 'tagline = "Issue of {month}"', "[digest] tagline: only \"{period}\""),
    ("digest.headings", 'News = "News of {period} {year}"', "[digest.headings] News: only"),
    ("digest.social", 'Mastodon = "http://social.example.org/@desk"',
     "[digest.social] Mastodon: expected an https:// URL"),
])
def test_the_newsletters_texts_and_links_are_checked(tmp_path: Path, table: str, setting: str,
                                                     says: str) -> None:
    refused = _refused(tmp_path, table, setting)
    assert says in refused


@pytest.mark.parametrize(("setting", "says"), [
    ('fallback_category = "Misc"', "give either `paths` (files or globs) or `url`"),
    ('paths = ["news.txt", "  "]', "[sources 'news'] paths: must not be empty"),
    ("paths = [1]", "[sources 'news'] paths: expected a non-empty list"),
    ('url = "ftp://www.example.org/news"', "[sources 'news'] url: expected an absolute http(s)"),
    ('paths = ["news.txt"]\ncategory = "News"\nfallback_category = "Misc"',
     "give `category` (for a feed: replaces"),
])
def test_a_sources_own_settings_are_checked(tmp_path: Path, setting: str, says: str) -> None:
    config = tmp_path / "config.toml"
    text = _PLAIN.replace('paths = ["news.txt"]\n', "")
    config.write_text(text.replace('name = "news"\n', f'name = "news"\n{setting}\n'))
    refused = _refusal(config)
    assert says in refused


@pytest.mark.parametrize(("setting", "read"), [
    ('sections = "News"', ("News",)), ('exclude = "^Ad:"', ("^Ad:",)),
])
def test_a_list_of_one_may_be_written_as_its_string(tmp_path: Path, setting: str,
                                                    read: tuple[str, ...]) -> None:
    key = setting.partition(" ")[0]
    assert getattr(_load(tmp_path, "digest", setting).digest, key) == read


@pytest.mark.parametrize(("setting", "says"), [
    ('sections = ["News", " "]', "sections: must not be empty"),
    ("sections = [1]", "sections: expected a list of non-empty strings"),
    ('to = ["a@example.org", ""]', "to: must not be empty"),
])
def test_a_list_of_strings_holds_only_non_empty_strings(tmp_path: Path, setting: str,
                                                        says: str) -> None:
    refused = _refused(tmp_path, "digest", setting)
    assert f"[digest] {says}" in refused


def test_the_newsletters_defaults_follow_the_site(tmp_path: Path) -> None:
    digest = _load(tmp_path, "digest", "").digest
    assert (digest.title, digest.sender, digest.list_id, digest.contact, digest.templates) == (
        "News newsletter", "News <digest@feeds.example.org>", "digest.feeds.example.org",
        "News <digest@feeds.example.org>", None)
    assert (digest.tagline, digest.smtp.port, digest.smtp.username, digest.smtp.password_env) == (
        "", 587, "", "")
    assert _load(tmp_path, "digest.smtp", 'security = "ssl"').digest.smtp.port == 465
    contact = "The News Desk\nRue de Montbrillant 1\nGeneva"
    assert _load(tmp_path, "digest", f'contact = """{contact}"""').digest.contact == contact
    refused = _refused(tmp_path, "digest", 'from = "desk@example.org, chief@example.org"')
    assert "[digest] from: expected one email address" in refused
    refused = _refused(tmp_path, "digest", 'to = ["desk@example.org, chief@example.org"]')
    assert "[digest] to: expected one email address" in refused


@pytest.mark.parametrize("name", ["notes.txt", ".hidden.png", "sub/readme.md"])
def test_assets_are_pictures_only(tmp_path: Path, name: str) -> None:
    (tmp_path / "pictures" / "sub").mkdir(parents=True)
    (tmp_path / "pictures" / "logo.png").write_bytes(b"\x89PNG")
    assert _load(tmp_path, "output", 'assets = "pictures"').output.assets == tmp_path / "pictures"
    (tmp_path / "pictures" / name).write_bytes(b"x")
    refused = _refused(tmp_path, "output", 'assets = "pictures"')
    assert f"[output] assets: {tmp_path / 'pictures' / name}: expected only pictures" in \
        refused


@pytest.mark.parametrize(("author", "read"), [
    ("News Desk", ("News Desk", "")),
    ("News Desk <desk@example.org> ", ("News Desk", "desk@example.org")),
    ("Coop <News> Desk <desk@example.org>", ("Coop <News> Desk", "desk@example.org")),
])
def test_the_author_is_a_name_and_maybe_an_address(tmp_path: Path, author: str,
                                                   read: tuple[str, str]) -> None:
    site = _load(tmp_path, "site", f'author = "{author}"').site
    assert (site.author_name, site.author_email) == read


@pytest.mark.parametrize("author", ["News Desk <desk@example.org", "<desk@example.org>",
                                    "News Desk <desk>", "News Desk <desk@example.org> and co"])
def test_an_author_that_is_not_a_name_and_an_address_is_refused(tmp_path: Path,
                                                                author: str) -> None:
    refused = _refused(tmp_path, "site", f'author = "{author}"')
    assert '[site] author: expected "Name" or "Name <email@example.org>"' in refused


def test_a_source_without_a_name_is_named_by_its_place(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(_PLAIN + '[[sources]]\npaths = ["x"]\n')
    refused = _refusal(config)
    assert "[sources #2] name: is required but missing" in refused


def test_unknown_tables_are_named_each_with_the_nearest_known_one(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(_PLAIN
                      + '[outputs]\ndir = "x"\n\n[[source]]\nname = "x"\n')
    refused = _refusal(config)
    assert refused == (f"{config}: unknown table(s) or key(s): outputs (did you mean "
                                  "'output'?), source (did you mean 'sources'?)")


def test_a_choice_refused_is_told_its_choices(tmp_path: Path) -> None:
    refused = _refused(tmp_path, "digest", 'numbering = "roman"')
    assert refused.endswith('[digest] numbering: expected "running" or "yearly", got '
                                       "'roman'")


@pytest.mark.parametrize("name", ["../logo.png", "/srv/logo.png", "pictures\\\\logo.png",
                                  "c:logo.png"])
def test_a_pictures_file_name_stays_under_base_url(tmp_path: Path, name: str) -> None:
    assert _load(tmp_path, "site", 'icon = "pictures/icon.png"').site.icon == \
        "https://feeds.example.org/pictures/icon.png"
    refused = _refused(tmp_path, "site", f'icon = "{name}"')
    assert "[site] icon: expected an http(s) URL or a file name under base_url" in \
        refused


@pytest.mark.parametrize(("given", "read"), [("https://feeds.example.org/BOX", "BOX/"),
                                             ("https://feeds.example.org/BOX//", "BOX/")])
def test_base_url_ends_with_one_slash(tmp_path: Path, given: str, read: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(_PLAIN.replace(
        'base_url = "https://feeds.example.org/"', f'base_url = "{given}"'))
    assert load_config(config).site.base_url == f"https://feeds.example.org/{read}"


def test_wait_for_must_be_a_selector(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(_PLAIN.replace(
        'paths = ["news.txt"]', 'url = "https://www.example.org/news"\nrender = "browser"\n'
        'wait_for = "article..card"'))
    refused = _refusal(config)
    assert "[sources 'news']: wait_for = 'article..card' is not a CSS selector" in \
        refused
