"""Property tests: random listings and random configs, as a careless or hostile user writes them.

The text reader never raises and never loses an item the generator put there: each is read back
exactly, or (when written without a date) reported at its marker's line. Config loading gives a
Config or a ConfigError naming the file, never another exception.
"""

from __future__ import annotations

import json
import math
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from feedsmith.config import load_config
from feedsmith.config.mailbox import PLAIN_MAILBOX, default_sender, email_reads_one_mailbox
from feedsmith.dates import long_date, month_label
from feedsmith.errors import ConfigError
from feedsmith.sources.lines import CREDIT
from feedsmith.sources.text import read_text_listing
from feedsmith.web.pages import escape_html

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

words = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Lo")), min_size=1, max_size=10)
phrases = st.lists(words, min_size=1, max_size=8).map(" ".join).filter(
    lambda text: not CREDIT.match(unicodedata.normalize("NFC", text)))


@dataclass(frozen=True)
class Item:
    number: int
    number_alone: bool
    category: str | None
    title: list[str]  # the title's lines, wrapped where the generator chose
    day: date | None  # None: an item written without a date line
    summary: list[str]  # paragraphs


@st.composite
def items(draw: st.DrawFn) -> Item:
    title = draw(phrases)
    cut = draw(st.integers(0, title.count(" ")))
    parts = title.split(" ")
    lines = [" ".join(parts[:cut]), " ".join(parts[cut:])] if 0 < cut < len(parts) else [title]
    return Item(number=draw(st.integers(1, 10**7)), number_alone=draw(st.booleans()),
                category=draw(st.none() | phrases), title=lines,
                day=draw(st.none() | st.dates(date(1000, 1, 1), date(9999, 12, 31))),
                summary=draw(st.lists(phrases, max_size=3)))


@st.composite
def listings(draw: st.DrawFn) -> tuple[str, list[Item], list[int]]:
    """A listing's text, its items, and the line of each item's marker."""
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    marker_indent = draw(st.integers(0, 4))
    inner = " " * (marker_indent + draw(st.integers(1, 6)))
    if marker_indent < 4 and draw(st.booleans()):
        inner = "\t"  # four columns, deeper than the marker
    blank = [""] * draw(st.integers(1, 2))
    trailing = draw(st.sampled_from(["", " ", "\t"]))
    lines: list[str] = ["News, stories and statements on cooperatives", ""]
    listed = draw(st.lists(items(), min_size=1, max_size=12))
    markers = []
    for item in listed:
        markers.append(len(lines) + 1)
        paragraphs = ([[item.category]] if item.category else []) + [item.title]
        if item.day is not None:
            month = MONTHS[item.day.month - 1]
            paragraphs.append([f"{item.day.day:02d} {month} {item.day.year}"])
        paragraphs += [[text] for text in item.summary]
        marker = " " * marker_indent + f"{item.number}."
        if item.number_alone:
            lines.append(marker)
            if draw(st.booleans()):  # the first paragraph right below, or after a blank line
                lines += [inner + text + trailing for text in paragraphs.pop(0)]
        else:  # the marker's line is a paragraph of its own: the category, or a whole title
            first = paragraphs.pop(0)
            lines.append(f"{marker} {' '.join(first)}")
        for paragraph in paragraphs:
            lines += blank + [inner + text + trailing for text in paragraph]
        lines += blank
    return ending.join(lines), listed, markers


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(listings())
def test_random_listings_never_raise_and_never_lose_an_item(
        listing: tuple[str, list[Item], list[int]]) -> None:
    text, listed, markers = listing
    read, problems = read_text_listing(text, "random.txt")
    expected = [(item, line) for item, line in zip(listed, markers, strict=True) if item.day]
    assert [(r.title, r.day, r.category, r.summary, r.line) for r in read] == [
        (_folded(" ".join(item.title)), item.day,
         _folded(item.category) if item.category else None,
         _folded(" ".join(item.summary)), line) for item, line in expected]
    undated = [line for item, line in zip(listed, markers, strict=True) if not item.day]
    assert [p.origin for p in problems] == [f"random.txt:{line}" for line in undated]


MINIMAL = """
[site]
title = "Random"
link = "https://news.example.org/"
base_url = "https://feeds.example.org/"
id_authority = "example.org,2024"

[[sources]]
name = "main"
paths = ["listings/*.txt"]
"""
KEYS = {
    "site": ["title", "link", "base_url", "id_authority", "timezone", "language", "author"],
    "sources": ["name", "paths", "url", "category", "language", "format", "max_pages",
                "allow_origins", "selectors", "nonsense"],
    "output": ["dir", "max_entries", "max_entires"],
    "store": ["path"],
    "digest": ["title", "from", "to", "list_id", "unsubscribe", "contact", "templates",
               "numbering", "first_number", "lookback_months", "skip_empty", "exclude",
               "sections", "lead_category", "max_html_bytes", "smtp"],
    "digest.smtp": ["host", "port", "security", "username", "password_env", "timeout"],
    "schedule": ["build", "digest", "catch_up", "max_lateness_days"],
    "fetch": ["user_agent", "timeout", "retries", "backoff", "max_bytes", "max_redirects"],
    "": ["unknown_table", "sources", "site"],
}
NASTY = ["", " ", "\n", "x\r\nBcc: y@example.org", "0 0 31 2 *", "every 0s", "every 5 x",
         "* * * * * *", "0 8 1 * 1", "..", "/", "/dev/null", "en_US", "zz", "a@b",
         "Name <a@b.c>, c@d.org", "http://", "https://x.org", "ftp://x", "[", "(",
         "Europe/Nowhere", "running", "yearly", "ssl", "text", "feed", "listings/*.txt",
         "\u2028", "\x00", "é" * 500, "%s%n", "{{ 7*7 }}"]
values = st.recursive(
    st.sampled_from(NASTY) | st.text(max_size=30) | st.booleans()
    | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NASTY[:8])
                                                                | st.text(max_size=5),
                                                                inner, max_size=2),
    max_leaves=6)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml(v)}"
                           for k, v in value.items()) + "}"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(KEYS)), st.data(), values), min_size=1,
                max_size=4))
def test_random_config_values_give_an_error_never_a_traceback(
        tmp_path_factory: Any, edits: list[tuple[str, st.DataObject, Any]]) -> None:
    folder: Path = tmp_path_factory.mktemp("config")
    document = tomllib.loads(MINIMAL)
    top: dict[str, Any] = {}
    tables: dict[str, dict[str, Any]] = {"site": document["site"]}
    source: dict[str, Any] = document["sources"][0]
    for table, data, value in edits:
        key = data.draw(st.sampled_from(KEYS[table]))
        (top if table == "" else source if table == "sources"
         else tables.setdefault(table, {}))[key] = value
    text = "".join(f"{k} = {_toml(v)}\n" for k, v in top.items())  # before any table header
    for name, table_values in tables.items():
        text += f"\n[{name}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in table_values.items())
    text += "\n[[sources]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in source.items())
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
        event("loaded")
    except ConfigError as error:
        assert str(error).startswith(str(path))
        event(str(error)[len(str(path)) + 2:][:25])


@settings(max_examples=300)
@given(name=st.text(max_size=30).filter(lambda text: "\r" not in text and "\n" not in text))
def test_the_default_sender_is_written_as_the_email_package_writes_it(name: str) -> None:
    """The default `from` is built without loading `email` on every build: it must be the text
    the `email` package writes for the same name and address."""
    from email.headerregistry import Address

    written = default_sender(name, "digest@feeds.example.org")
    assert written == str(Address(display_name=name, addr_spec="digest@feeds.example.org"))


@settings(max_examples=500)
@given(mailbox=st.from_regex(PLAIN_MAILBOX, fullmatch=True))
def test_a_plain_mailbox_is_one_the_email_package_reads(mailbox: str) -> None:
    """Config checks a plain mailbox without the `email` package: each one it lets through must
    be one address to that package too, with no defect."""
    assert email_reads_one_mailbox(mailbox)


@pytest.mark.parametrize("mailbox", [
    "Desk <desk@example.org>", "a.b+c@mail.example.org", "O'Brien-Smith <x_y@ex-ample.co.uk>"])
def test_common_mailboxes_are_plain(mailbox: str) -> None:
    assert PLAIN_MAILBOX.fullmatch(mailbox) and email_reads_one_mailbox(mailbox)


@pytest.mark.parametrize("mailbox", [
    "a@b", "a@@example.org", "a..b@example.org", ".a@example.org", "Desk  <d@example.org>",
    "Desk <d@example.org", "a@example.org, b@example.org", "=?utf-8?q?x?= <d@example.org>",
    "Café <d@example.org>", "a@-example.org", "Desk <d@example.org> x"])
def test_anything_else_is_left_to_the_email_package(mailbox: str) -> None:
    assert not PLAIN_MAILBOX.fullmatch(mailbox)


@given(text=st.text(alphabet=st.sampled_from("&<>\"'#;") | st.characters()))
def test_pages_escape_text_exactly_as_markupsafe_does(text: str) -> None:
    from markupsafe import escape

    assert escape_html(text) == str(escape(text))


@settings(max_examples=200)
@given(day=st.dates(date(1900, 1, 1), date(2100, 12, 31)),
       language=st.sampled_from(["en", "en-GB", "fr", "es", "de", "ja", "ar", "ru", "pt-BR"]))
def test_long_dates_are_babels(day: date, language: str) -> None:
    from babel.dates import format_date

    assert long_date(day, language) == format_date(day, "long", locale=language.replace("-", "_"))


@settings(max_examples=200)
@given(day=st.dates(date(1900, 1, 1), date(2100, 12, 31)),
       language=st.sampled_from(["en", "fr", "de", "ja", "ar", "ru", "pl", "cs", "fi"]))
def test_month_labels_are_babels_standalone_month_and_year(day: date, language: str) -> None:
    """The month's standalone name ("listopad 2026" in Polish, not the "listopada" of a date)."""
    from babel.dates import format_date

    expected = format_date(day, "LLLL yyyy", locale=language).capitalize()
    assert month_label(day.strftime("%Y-%m"), language) == expected
