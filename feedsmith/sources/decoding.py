"""Bytes from a file or the web to text, by the rules browsers and feed readers follow.

HTML (the WHATWG encoding sniffing order): a byte order mark, then the charset of the HTTP
Content-Type header, then a `<meta charset>` in the first 1024 bytes, then UTF-8 if the page
decodes as such, else windows-1252. Feeds take the same header into account through
feedparser (RFC 7303: BOM, then the header's charset, then the XML declaration). Text listings
are UTF-8 unless the server's header names another charset. Titles decoded wrongly would make
wrong ids, which never change afterwards: this is the one place that decides.
"""

from __future__ import annotations

import codecs
import re

from feedsmith.errors import SourceError

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_META = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# WHATWG maps these labels to windows-1252, as every browser decodes them.
_AS_WINDOWS_1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii",
                    "cp819", "ibm819", "iso-ir-100", "iso_8859-1", "windows-1252", "cp1252"}


def header_charset(content_type: str) -> str:
    """The `charset` parameter of a Content-Type header value, lowercased ("" if none)."""
    found = re.search(r"""charset\s*=\s*["']?([^"';\s]+)""", content_type, re.IGNORECASE)
    return found[1].lower() if found else ""


def _codec(label: str) -> str | None:
    label = label.strip().lower()
    if label in _AS_WINDOWS_1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _bom(raw: bytes) -> tuple[str, int] | None:
    for mark, name in _BOMS:
        if raw.startswith(mark):
            return name, len(mark)
    return None


def decode_html(raw: bytes, content_type: str = "") -> str:
    """An HTML page's text (see the module's docstring for the order of evidence)."""
    bom = _bom(raw)
    if bom:
        return raw[bom[1]:].decode(bom[0], errors="replace")
    declared = _codec(header_charset(content_type))
    if declared is None and (meta := _META.search(raw[:1024])):
        declared = _codec(meta[1].decode("ascii"))
        if declared and declared.startswith("utf-16"):  # a byte-level lie: WHATWG says UTF-8
            declared = "utf-8"
    if declared:
        return raw.decode(declared, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def decode_text(raw: bytes, origin: str, content_type: str = "") -> str:
    """A text listing: UTF-8 (with or without its BOM), unless the server names a charset."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    declared = _codec(header_charset(content_type))
    if declared:
        return raw.decode(declared, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(f"{origin}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                          "save the listing as UTF-8") from None
