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


# Words after which a full stop does not end a sentence: titles, initials, "No. 8", "e.g.".
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "vol", "vs", "etc", "e.g", "i.e", "inc",
    "ltd", "co", "jr", "sr", "art", "fig", "p", "pp", "u.s", "u.n", "sra", "mme", "m",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})
# A full stop, "!" or "?" (and closing quotes) followed by a space: a sentence may end there.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")
TITLE_LIMIT = 120  # characters of a title made from a summary, an ellipsis included


def first_sentence(text: str, limit: int = TITLE_LIMIT) -> str:
    """A title for an item its listing gives only a summary: the summary's first sentence, its
    full stop dropped, cut at a word (with "…") when longer than `limit` characters.

    A full stop after an abbreviation or an initial ("Mr.", "No. 8", "A. Smith") or before a
    lowercase word does not end the sentence.
    """
    text = fold(text)
    sentence = text
    for end in _SENTENCE_END.finditer(text):
        word = text[:end.start()].rsplit(" ", 1)[-1].casefold()
        following = text[end.end():].lstrip()[:1]
        if text[end.start()] == "." and (word in _ABBREVIATIONS or len(word) == 1
                                         or following.islower()):
            continue
        sentence = text[:end.end()]
        break
    sentence = sentence.rstrip()
    sentence = sentence.removesuffix(".")
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit - 1].rsplit(" ", 1)[0] if " " in sentence[:limit - 1] else sentence[:limit - 1]
    return cut.rstrip(" ,;:–—-") + "…"
