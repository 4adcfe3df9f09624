"""Text cleanup shared by every reader: what a title or summary looks like once it is an entry."""

from __future__ import annotations

import re
import unicodedata

# Characters XML 1.0 forbids (C0 controls but tab/newline/CR, lone surrogates, U+FFFE/U+FFFF).
# lxml refuses them deep inside feedgen, so they never get past the readers.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WHITESPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Normalise to NFC, drop XML-illegal characters and fold all whitespace to single spaces.

    Typographic quotes and dashes are kept: they are the publisher's text, not noise.
    """
    text = unicodedata.normalize("NFC", text)
    text = _XML_ILLEGAL.sub("", text)
    return _WHITESPACE.sub(" ", text).strip()
