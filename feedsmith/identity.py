"""Who an item is: its id, the other ids it may be stored under, when a new title is only a
corrected old one, what counts as an edit of it; and who a category is (its slug, and so its
feed). Readers, the store and the feeds ask here; no I/O.

Ids never change once published (feed readers key items by them): an item's id is built only
from what identifies it on a listing without links (its date and its title key), or from its
link when the listing gives one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from functools import lru_cache

from feedsmith.cleantext import fold_accents
from feedsmith.entry import Entry

_WORDS = re.compile(r"[^\W_]+")


def title_key(title: str) -> str:
    """The part of a title that identifies it: letters and digits only, case and accents folded.

    "ILO’s “Practical” Guide" and "ILO's "practical" guide" have the same key, so a publisher who
    straightens quotes or fixes capitalisation does not create a new item.
    """
    return " ".join(_WORDS.findall(fold_accents(title.casefold())))


def entry_id(authority: str, day: date, title: str) -> str:
    """The RFC 4151 tag URI of an item: `tag:<authority>:<YYYY-MM-DD>/<16 hex of sha256(key)>`.

    Built only from what identifies an item on a listing without links (its date and its title
    key), never from the summary, category, source or position, so the same item read from two
    overlapping pages, in two runs, or after its summary was edited keeps one id.
    """
    digest = hashlib.sha256(title_key(title).encode("utf-8")).hexdigest()[:16]
    return f"tag:{authority}:{day.isoformat()}/{digest}"


def link_id(authority: str, link: str) -> str:
    """The id of an item whose listing gives its link: `tag:<authority>:link/<16 hex>`, from
    `link_key(link)`. An item first stored under another id keeps it (see `ids_for`)."""
    return f"tag:{authority}:link/{_hex(link_key(link))}"


def guid_id(authority: str, source: str, guid: str) -> str:
    """The id of a feed item that carries its own (Atom `id`, RSS `guid`, JSON Feed `id`):
    `tag:<authority>:guid/<16 hex>`, scoped to the source, so two feeds that both number their
    items "1", "2", ... never share one, and items that share a link keep apart."""
    scoped = f"{source}\x1f{guid.strip()}"
    return f"tag:{authority}:guid/{_hex(scoped)}"


def _hex(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


# Query parameters that only say where a click came from (campaigns, ad clicks, mailing tools).
_TRACKING = re.compile(r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi)$",
                       re.IGNORECASE)
# Fragments that point into an item's own page rather than to an item of a listing.
_NOISE_FRAGMENT = re.compile(r"^(|comments?|respond|reply|disqus_thread|more(-\d+)?|top|main|"
                             r"content|main-content|article|:~:.*)$", re.IGNORECASE)


def link_key(link: str) -> str:
    """What identifies the item a link points to: the link without tracking parameters
    (`utm_*`, `fbclid`, ...) and without a fragment that is only noise (`#comments`, `#more-12`);
    a fragment naming an anchor stays, for `page.html#item-1` and `page.html#item-2` are two
    items of one listing page."""
    bare, _, fragment = link.strip().partition("#")
    if "?" in bare:
        path, _, query = bare.partition("?")
        kept = [part for part in query.split("&")
                if part and not _TRACKING.match(part.split("=", 1)[0])]
        bare = f"{path}?{'&'.join(kept)}" if kept else path
    return bare if _NOISE_FRAGMENT.match(fragment) else f"{bare}#{fragment}"


def legacy_id(entry: Entry) -> str | None:
    """The id feedsmith 0.1 gave a linked entry (from its link cut at "#", tracking parameters
    and all) when it differs from its id now, else None. Entries stored under it keep it (see
    `Merge`); as 0.1 gave one id to every item of a page, it stands for this entry only when
    their titles agree (`same_title`)."""
    if not entry.link:
        return None
    authority = entry.id[len("tag:"):].split(":", 1)[0]
    old = f"tag:{authority}:link/{_hex(entry.link.split('#', 1)[0].strip())}"
    return None if old == entry.id else old


def same_title(stored: str, read: str) -> bool:
    """Whether a stored title and one read now name the same item: equal keys, or a correction."""
    return title_key(stored) == title_key(read) or corrected(read, [("", stored)]) is not None


def ids_for(authority: str, day: date, title: str, link: str, guid: str = "",
            source: str = "") -> tuple[str, tuple[str, ...]]:
    """An item's id and the ids it may already be stored under (its aliases).

    A feed item's own id (`guid`) makes its id; else its link does (a title edit keeps it);
    else its date and title. Either way the date-and-title id is an alias: an item first
    stored from a text listing keeps that id (see `Merge`).
    """
    title_id = entry_id(authority, day, title)
    if guid:
        return guid_id(authority, source, guid), (title_id,)
    return (link_id(authority, link), (title_id,)) if link else (title_id, ())


def permalink(entry_id: str, listed_day: str) -> str:
    """An entry's place in the web edition, relative to base_url: the archive page of the month it
    is listed in (the store's frozen `day`, "YYYY-MM-DD"), at an anchor taken from its id:
    "archive/2023-11.html#item-2023-11-30-9f86d081884c7d65". Neither part can change once the
    entry is stored, so the link in a feed, a digest or a bookmark keeps working."""
    return f"{archive_page(listed_day[:7])}#{anchor(entry_id)}"


ARCHIVE = "archive"  # the output folder's folder of month pages


def archive_page(month: str) -> str:
    """The web edition's page for a month ("YYYY-MM"), relative to base_url."""
    return f"{ARCHIVE}/{month}.html"


_NOT_IN_ANCHOR = re.compile(r"[^A-Za-z0-9_-]")


def anchor(entry_id: str) -> str:
    """An HTML id from an entry id: its part after the tagging entity, made id-safe."""
    return "item-" + _NOT_IN_ANCHOR.sub("-", entry_id.rsplit(":", 1)[-1])


def content_hash(entry: Entry) -> str:
    """What counts as an edit of an item once its id is fixed: category, summary, link and
    picture (a picture only when there is one, so entries stored before pictures keep their
    hash)."""
    material = f"{entry.category}\x1f{entry.summary}\x1f{entry.link}"
    if entry.image:
        material += f"\x1f{entry.image}\x1f{entry.image_alt}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


# A title correction: same day, category and summary, and titles this alike with the same numbers.
_TITLE_SIMILARITY = 0.9


def corrected(title: str, candidates: list[tuple[str, str]]) -> str | None:
    """The id of the candidate whose title `title` corrects, if any (see `Store._find_corrections`)."""
    import difflib  # here: a build with nothing new never compares titles

    key = title_key(title)
    numbers = re.findall(r"\d+", key)
    best: tuple[float, str] | None = None
    for stored_id, stored_title in candidates:
        stored_key = title_key(stored_title)
        if re.findall(r"\d+", stored_key) != numbers:
            continue
        ratio = difflib.SequenceMatcher(None, stored_key, key).ratio()
        if ratio >= _TITLE_SIMILARITY and (best is None or ratio > best[0]):
            best = (ratio, stored_id)
    return best[1] if best else None


ALL = "all"  # the slug of the feed of everything
# File names the output folder uses for itself: a category may not take them.
_RESERVED_SLUGS = {ALL, "index", "feeds", "digest"}


_SLUG_LENGTH = 80


@lru_cache(maxsize=4096)
def category_slug(category: str) -> str:
    """A category's identity and file-name stem: "Spotlight Interviews with Co-operators" ->
    "spotlight-interviews-with-co-operators".

    Spellings that differ only in case, accents or punctuation share a slug, and so one feed
    (the harvest warns when it sees two). Any other difference gives another slug, whatever
    order the items come in: a name the readable slug cannot tell apart from others (symbols
    such as "C++" or emoji, letters outside the Latin alphabet, more than 80 characters) gets
    a short hash of its `category_key` appended: "c-1f0e3dad".
    """
    from slugify import slugify  # ~15 ms of regexes to compile: only builds that name categories

    full = slugify(category)
    slug = slugify(category, max_length=_SLUG_LENGTH, word_boundary=True)
    if not slug or slug != full or not _spelled_by_slug(category):
        digest = hashlib.sha256(category_key(category).encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:_SLUG_LENGTH - 9] or 'category'}-{digest}".replace("--", "-")
    return f"{slug}-category" if slug in _RESERVED_SLUGS else slug


def category_key(category: str) -> str:
    """What tells categories apart: letters, digits and symbols, case and accents folded."""
    return "".join(c for c in fold_accents(category.casefold())
                   if unicodedata.category(c)[0] in "LNS")


def _spelled_by_slug(category: str) -> bool:
    """Whether a slug can keep all that tells this name apart: Latin letters and digits (accents
    aside), punctuation and spaces, and no symbols."""
    for char in unicodedata.normalize("NFKD", category):
        kind = unicodedata.category(char)
        if kind[0] == "S" or kind[0] in "LN" and not char.isascii():
            return False
    return True
