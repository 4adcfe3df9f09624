"""Recognising the date line of a listing item, in the listing's language.

A date line is a whole line such as "01 December 2023", "1er décembre 2023", "01 de diciembre de
2023" or "December 1, 2023". Month names come from CLDR (via Babel), so any language Babel knows
works; a date inside a title or summary is never taken, because the whole line must be a date.
"""

from __future__ import annotations

import importlib.util
import os
import re
from datetime import date
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from feedsmith.cleantext import fold_accents

if TYPE_CHECKING:
    from babel import Locale
    from babel.dates import DateTimePattern

_DAY_FIRST = re.compile(
    r"^(?P<day>\d{1,2})(?:er|st|nd|rd|th|º|°)?\.?\s+(?:de\s+)?(?P<month>[^\W\d_]+)\.?,?"
    r"\s+(?:de\s+)?(?P<year>\d{4})$",
    re.IGNORECASE,
)
_MONTH_FIRST = re.compile(
    r"^(?P<month>[^\W\d_]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})$",
    re.IGNORECASE,
)


def _fold(word: str) -> str:
    """Case- and accent-insensitive form of a month name ("Décembre" -> "decembre")."""
    return fold_accents(word.casefold()).rstrip(".")


@cache
def month_numbers(language: str) -> dict[str, int]:
    """Every wide and abbreviated month name of `language` (plus English) -> month number."""
    from babel.dates import get_month_names  # Babel loads only when a date is read or written

    numbers: dict[str, int] = {}
    for lang in dict.fromkeys(("en", language)):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context,
                                                    locale=babel_locale(lang)).items():
                    numbers.setdefault(_fold(name), number)
    return numbers


_PLAIN_TAG = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")  # as Babel spells it, on any file system


def language_tag(value: str) -> str | None:
    """The BCP 47 tag of a language Babel knows ("en_US" and "EN-us" -> "en-US"), else None.

    Tags are what pages, feeds and entries carry (`lang`, `xml:lang`); `babel_locale` turns one
    into what Babel takes.
    """
    if _PLAIN_TAG.fullmatch(value) and _has_locale_data(babel_locale(value)):
        return value  # as Babel would say, without loading it (~10 ms) on every config load
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(babel_locale(value))).replace("_", "-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _has_locale_data(identifier: str) -> bool:
    """Whether Babel holds CLDR data under exactly this locale identifier."""
    spec = importlib.util.find_spec("babel")
    folders = (spec.submodule_search_locations if spec else None) or []
    return any(os.path.isfile(os.path.join(folder, "locale-data", f"{identifier}.dat"))
               for folder in folders)


def babel_locale(tag: str) -> str:
    """A BCP 47 tag as a Babel/CLDR locale identifier: "es-ES" -> "es_ES"."""
    return tag.replace("-", "_")


def parse_date_line(line: str, language: str = "en") -> date | None:
    """The date a whole line states, or None when the line is not exactly a date."""
    line = line.strip()
    # Every accepted shape ends in a four-digit year and is short: most lines fail right here.
    if len(line) > 40 or not line[-4:].isdigit():
        return None
    return _parse_date_shape(line, language)


_MONTH_HEADER = re.compile(r"^(?P<month>[^\W\d_]+)\.?,?\s+(?P<year>\d{4})$")


def is_month_header(line: str, language: str = "en") -> bool:
    """Whether a whole line is a month and year ("September 2023", "Août 2023"): how listings
    head each month's items. Never an item's date, title or category."""
    match = _MONTH_HEADER.match(line.strip())
    return match is not None and _fold(match["month"]) in month_numbers(language)


# Languages tried for the dates of a listing whose language is not known (`init`), or not the
# one configured (a hint), most likely first.
DATE_LANGUAGES = ("en", "fr", "es", "de", "it", "pt", "nl")


def date_language_of(line: str) -> str | None:
    """The first language in which `line` is a date ("12 septembre 2023" -> "fr"), or None:
    a hint for a listing read in the wrong language."""
    return next((language for language in DATE_LANGUAGES
                 if parse_date_line(line, language) is not None), None)


def language_name(language: str) -> str:
    """"French" for "fr": a language's English name, as messages give it."""
    from babel import Locale

    return str(Locale.parse(babel_locale(language)).get_display_name("en"))


@cache  # only date-shaped lines get here: bounded by the calendar, not by the listing's size
def _parse_date_shape(line: str, language: str) -> date | None:
    match = _DAY_FIRST.match(line) or _MONTH_FIRST.match(line)
    if match is None:
        return None
    month = month_numbers(language).get(_fold(match["month"]))
    if month is None:
        return None
    try:
        return date(int(match["year"]), month, int(match["day"]))
    except ValueError:  # "31 February 2023"
        return None


@cache
def _pattern(language: str, form: str) -> tuple[Locale, DateTimePattern]:
    """The locale and a date pattern, looked up once: Babel's `format_date` parses both on
    every call, which costs more than the formatting, once per item or month of every page."""
    from babel import Locale
    from babel.dates import get_date_format, parse_pattern

    locale = Locale.parse(babel_locale(language))
    if form == "long":  # CLDR's long date for the locale; any other form is a pattern
        return locale, get_date_format("long", locale=locale)
    return locale, parse_pattern(form)


@lru_cache(maxsize=65_536)
def long_date(day: date, language: str) -> str:
    """"November 30, 2023" in `language` (CLDR's long date), as Babel's `format_date` writes it."""
    locale, pattern = _pattern(language, "long")
    return str(pattern.apply(day, locale))


def month_label(month: str, language: str) -> str:
    """"2023-11" -> "November 2023" in the site's language (for pages, digests and subjects):
    Babel's "LLLL yyyy", the standalone month name, a space and the four-digit year."""
    year, number = month.split("-")
    return f"{_month_name(int(number), language)} {year}".capitalize()


@cache
def _month_name(number: int, language: str) -> str:
    locale, pattern = _pattern(language, "LLLL")
    return str(pattern.apply(date(2000, number, 1), locale))
