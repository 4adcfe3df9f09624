"""Text cleanup shared by every reader: what a title or summary looks like once it is an entry."""

from __future__ import annotations

import re
import unicodedata

# Characters XML 1.0 forbids (C0 controls but tab/newline/CR, lone surrogates, U+FFFE/U+FFFF).
# lxml refuses them deep inside feedgen, so they never get past the readers.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """Normalise to NFC, drop XML-illegal characters and fold all whitespace to single spaces.

    Typographic quotes and dashes are kept: they are the publisher's text, not noise.
    """
    return fold(clean_document(text))


def clean_document(text: str) -> str:
    """NFC and no XML-illegal characters, line structure kept: the cheap way to clean a whole page."""
    return _XML_ILLEGAL.sub("", unicodedata.normalize("NFC", text))


def fold_accents(text: str) -> str:
    """Accents and other combining marks removed, compatibility forms decomposed ("ﬁ" -> "fi"):
    for keys that must not tell "Café" from "Cafe". ASCII passes through unchanged."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """All runs of (Unicode) whitespace to one space, none at the ends."""
    return " ".join(text.split())


def html_text(fragment: str) -> str:
    """A (sanitised) HTML fragment as plain text: entries carry text, as listings do."""
    if not fragment.strip():
        return ""
    import lxml.html  # here: only feeds carry HTML, and a no-change build reads none

    return clean(lxml.html.fragment_fromstring(fragment, create_parent="div").text_content())
