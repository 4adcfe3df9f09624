"""A text listing as lines: what every text layout (`feedsmith.sources.text`, `.blocks`) reads."""

from __future__ import annotations

import re
from typing import NamedTuple

from feedsmith.cleantext import clean_document

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # Unix, Windows and old Mac files alike
# An image credit ("© SEWA 2022", "Photo: ..."): never a title or a category.
CREDIT = re.compile(r"^(©|\(c\)\s|copyright\b|photo\s*:|credit\s*:|image\s*:)", re.IGNORECASE)


class TextLine(NamedTuple):
    """One non-blank line of a listing: its number, its text (whitespace folded), whether a
    blank line comes before it, and its indentation. (A NamedTuple: one is made per line.)"""

    number: int
    text: str
    after_blank: bool
    indent: int


def text_lines(text: str) -> list[TextLine]:
    """The non-blank lines of a listing, cleaned (see `clean_document`)."""
    lines: list[TextLine] = []
    after_blank = False
    for number, raw in enumerate(_LINE_BREAK.split(clean_document(text)), start=1):
        words = raw.split()
        if not words:
            after_blank = True
            continue
        line = raw.expandtabs(4) if "\t" in raw else raw
        lines.append(TextLine(number, " ".join(words), after_blank,
                              len(line) - len(line.lstrip())))
        after_blank = False
    return lines
