"""Who an item and a category are (`feedsmith.identity`), rule by rule: the promises readers
rely on (an id never changes, two items never share one, a category keeps its feed)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from feedsmith.entry import Entry
from feedsmith.identity import (
    anchor,
    category_slug,
    content_hash,
    corrected,
    entry_id,
    guid_id,
    ids_for,
    link_id,
    link_key,
    permalink,
    same_title,
    title_key,
)

AUTHORITY = "example.org,2024"
DAY = date(2023, 11, 14)
HEX8 = re.compile(r"-[0-9a-f]{8}$")


@pytest.mark.parametrize(("one", "other"), [
    ("ILO’s “Practical” Guide", "ILO's \"practical\" guide"),
    ("Coopératives  en   Afrique", "cooperatives en afrique"),
    ("COVID-19: a guide", "covid 19 a guide"),
])
def test_titles_that_differ_only_in_case_accents_or_punctuation_share_an_id(one: str,
                                                                            other: str) -> None:
    assert title_key(one) == title_key(other)
    assert entry_id(AUTHORITY, DAY, one) == entry_id(AUTHORITY, DAY, other)


@pytest.mark.parametrize(("one", "other"), [
    ("Report 2023", "Report 2024"), ("Coops in Africa", "Coops in Asia"),
    ("Co-op", "Coop"),  # the hyphen separates words: "co op" is not "coop"
])
def test_other_words_or_numbers_make_another_id(one: str, other: str) -> None:
    assert entry_id(AUTHORITY, DAY, one) != entry_id(AUTHORITY, DAY, other)


def test_an_id_is_a_tag_uri_of_the_authority_the_day_and_the_title() -> None:
    made = entry_id(AUTHORITY, DAY, "Coops in Africa")
    assert re.fullmatch(r"tag:example\.org,2024:2023-11-14/[0-9a-f]{16}", made)
    assert entry_id(AUTHORITY, date(2023, 11, 15), "Coops in Africa") != made
    assert entry_id("other.org,2024", DAY, "Coops in Africa") != made


def test_a_linked_item_is_its_link_and_keeps_its_title_id_as_an_alias() -> None:
    made, aliases = ids_for(AUTHORITY, DAY, "Title", "https://a.org/x")
    assert made == link_id(AUTHORITY, "https://a.org/x")
    assert re.fullmatch(r"tag:example\.org,2024:link/[0-9a-f]{16}", made)
    assert aliases == (entry_id(AUTHORITY, DAY, "Title"),)
    assert ids_for(AUTHORITY, DAY, "Title", "") == (entry_id(AUTHORITY, DAY, "Title"), ())


def test_a_feed_items_own_id_wins_and_is_scoped_to_its_source() -> None:
    made, aliases = ids_for(AUTHORITY, DAY, "Title", "https://a.org/x", guid="42", source="a")
    assert made == guid_id(AUTHORITY, "a", "42") != guid_id(AUTHORITY, "b", "42")
    assert re.fullmatch(r"tag:example\.org,2024:guid/[0-9a-f]{16}", made)
    assert aliases == (entry_id(AUTHORITY, DAY, "Title"),)
    assert guid_id(AUTHORITY, "a", " 42 ") == made  # surrounding space is not identity
    assert guid_id(AUTHORITY, "a", "4") != guid_id(AUTHORITY, "a4", "")  # no run-together


@pytest.mark.parametrize(("link", "key"), [
    ("https://a.org/p#item-1", "https://a.org/p#item-1"),
    ("https://a.org/p#comments", "https://a.org/p"),
    ("https://a.org/p#Comment", "https://a.org/p"),
    ("https://a.org/p#respond", "https://a.org/p"),
    ("https://a.org/p#more-12", "https://a.org/p"),
    ("https://a.org/p#:~:text=coop", "https://a.org/p"),
    ("https://a.org/p#", "https://a.org/p"),
    ("https://a.org/p#more-than-that", "https://a.org/p#more-than-that"),
    (" https://a.org/p?utm_source=x&utm_medium=mail&id=3 ", "https://a.org/p?id=3"),
    ("https://a.org/p?fbclid=1&gclid=2&mc_cid=3&mc_eid=4", "https://a.org/p"),
    ("https://a.org/p?utmost=1", "https://a.org/p?utmost=1"),  # not a tracking parameter
    ("https://a.org/p?a=1&&b=2", "https://a.org/p?a=1&b=2"),
    ("https://a.org/p?utm_source=a=b&id=1", "https://a.org/p?id=1"),  # "=" in a value
    ("https://a.org/p?utm_source=x?y", "https://a.org/p"),  # "?" in a value
])
def test_what_identifies_a_link(link: str, key: str) -> None:
    assert link_key(link) == key


def test_titles_agree_when_equal_or_a_correction() -> None:
    assert same_title("Coops in Africa", "coops in africa")
    assert same_title("Cooperatives in Afirca and Asia", "Cooperatives in Africa and Asia")
    assert not same_title("First", "Second")
    assert not same_title("Report 2023 on coops", "Report 2024 on coops")  # other numbers


def test_a_correction_is_the_most_alike_candidate_with_the_same_numbers() -> None:
    candidates = [("a", "ILO report on coops 2023"), ("b", "ILO reports on coops 2023"),
                  ("c", "ILO report on coops 2024")]
    assert corrected("ILO reports on coop 2023", candidates) == "b"
    assert corrected("ILO report on coops 2024!", candidates) == "c"
    assert corrected("Something else entirely 2023", candidates) is None
    assert corrected("ILO report on coops", candidates) is None  # a number went missing


def test_a_correction_needs_nine_tenths_alike_and_the_first_of_equals_wins() -> None:
    assert corrected("abcdefghik", [("a", "abcdefghij")]) == "a"  # 18/20 alike: just enough
    assert corrected("abcdefghkk", [("a", "abcdefghij")]) is None  # 16/20
    assert corrected("abcdefghij", [("first", "abcdefghik"), ("second", "abcdefghix")]) == \
        "first"


def _entry(**changes: Any) -> Entry:
    moment = datetime(2023, 11, 14, 12, tzinfo=UTC)
    return Entry(id="x", title="T", category="News", published=moment, updated=moment,
                 summary="S", link="https://a.org/x")._replace(**changes)


@pytest.mark.parametrize("field", ["category", "summary", "link", "image"])
def test_an_edit_is_a_change_of_category_summary_link_or_picture(field: str) -> None:
    assert content_hash(_entry(**{field: "changed"})) != content_hash(_entry())


def test_title_source_and_origin_are_not_edits() -> None:
    assert content_hash(_entry(title="Other", source="s", origin="f:3")) == \
        content_hash(_entry())
    assert content_hash(_entry(image="https://a.org/i.png", image_alt="A")) != \
        content_hash(_entry(image="https://a.org/i.png", image_alt="B"))
    assert content_hash(_entry(image_alt="ignored without a picture")) == content_hash(_entry())
    assert content_hash(_entry(category="A", summary="BC")) != \
        content_hash(_entry(category="AB", summary="C"))  # fields kept apart


def test_a_permalink_is_the_listed_month_page_at_an_anchor_of_the_id() -> None:
    made = entry_id(AUTHORITY, DAY, "Coops")
    assert permalink(made, "2023-11-14") == f"archive/2023-11.html#{anchor(made)}"
    assert re.fullmatch(r"item-2023-11-14-[0-9a-f]{16}", anchor(made))
    assert anchor("tag:a.org,2024:guid/ab:c?d") == "item-c-d"


@pytest.mark.parametrize(("one", "other"), [
    ("Spotlight Interviews", "spotlight interviews"),
    ("Coopératives", "Cooperatives"),
    ("C++", "c++"),
    ("Ελληνικά νέα", "ελληνικά νέα"),
    ("日本のニュース", "日本のニュース"),
])
def test_spellings_of_one_category_share_its_feed(one: str, other: str) -> None:
    assert category_slug(one) == category_slug(other)


@pytest.mark.parametrize(("one", "other"), [
    ("C++", "C#"), ("C++", "C"), ("Ελληνικά", "Ελληνική"), ("日本", "中国"), ("News", "New"),
    ("R+D", "R D"), ("☕ Coffee", "Coffee"), ("A" * 85 + "x", "A" * 85 + "y"),
])
def test_other_categories_get_other_feeds(one: str, other: str) -> None:
    assert category_slug(one) != category_slug(other)


@pytest.mark.parametrize(("category", "slug"), [
    ("Spotlight Interviews with Co-operators", "spotlight-interviews-with-co-operators"),
    ("Coopératives et économie sociale", "cooperatives-et-economie-sociale"),
    ("News 2024", "news-2024"),
    ("all", "all-category"), ("Index", "index-category"), ("feeds", "feeds-category"),
    ("Digest", "digest-category"),
])
def test_a_readable_name_gets_a_readable_slug(category: str, slug: str) -> None:
    assert category_slug(category) == slug


@pytest.mark.parametrize("category", ["C++", "R+D", "☕ Coffee", "Ελληνικά", "日本", "A" * 90,
                                      "Ü-bahn ©"])
def test_a_name_the_slug_cannot_spell_gets_a_hash(category: str) -> None:
    slug = category_slug(category)
    assert HEX8.search(slug), slug
    assert len(slug) <= 80 and not slug.startswith("-") and "--" not in slug


def test_ids_are_made_as_the_readme_states_so_they_never_change_across_versions() -> None:
    """`tag:<authority>:<day>/<first 16 hex of sha256(title key)>`, the key being the title's
    letters and digits, case and accents folded, one space apart: a store made by any version
    must find its ids again."""
    import hashlib

    key = "ilo s practical guide to coops 2023"
    assert title_key("ILO’s “Practical” Guide to Coops, 2023!") == key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    assert entry_id(AUTHORITY, DAY, "ILO’s “Practical” Guide to Coops, 2023!") == \
        f"tag:{AUTHORITY}:2023-11-14/{digest}"
    link = hashlib.sha256(b"https://a.org/p#item-1").hexdigest()[:16]
    assert link_id(AUTHORITY, "https://a.org/p?utm_source=x#item-1") == f"tag:{AUTHORITY}:link/{link}"
    guid = hashlib.sha256(b"partner\x1f42").hexdigest()[:16]
    assert guid_id(AUTHORITY, "partner", "42") == f"tag:{AUTHORITY}:guid/{guid}"
