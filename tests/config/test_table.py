"""The strict reading of one TOML table: each mistake gets a message that names the file, the
table and key, what was expected and where in the text the fault is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feedsmith.config.table import Table
from feedsmith.errors import ConfigError

FILE = Path("/srv/feeds/config.toml")


def _error(data: Any, read: Any, name: str = "site") -> str:
    with pytest.raises(ConfigError) as caught:
        read(Table(data, name, FILE))
    return str(caught.value)


def test_a_value_that_is_not_a_table_is_named_by_its_type() -> None:
    assert _error([1, 2], lambda table: None, "digest") == (
        "/srv/feeds/config.toml: [digest]: expected a table, got list")


def test_an_empty_string_is_refused_with_its_key() -> None:
    assert _error({"title": "  "}, lambda table: table.get("title", str)) == (
        "/srv/feeds/config.toml: [site] title: must not be empty")


@pytest.mark.parametrize(("text", "multiline", "fault"), [
    ("a\tb", False, "a control character (U+0009) at position 2"),
    ("ab\nc", False, "a line break (U+000A) at position 3"),
    ("ab\r\nc", False, "a line break (U+000D) at position 3"),
    ("a\u2028b", False, "a line break (U+2028) at position 2"),
    ("a\x85b", True, "a line break (U+0085) at position 2"),
    ("one\r\ntwo\x07", True, "a control character (U+0007) at position 9"),
    ("one\ntwo\rthree", True, "a line break (U+000D) at position 8"),
    ("one\n\ntwo\u2029", True, "a line break (U+2029) at position 9"),
])
def test_a_control_character_is_named_with_its_code_point_and_position(
        text: str, multiline: bool, fault: str) -> None:
    message = _error({"intro": text}, lambda table: table.get("intro", str, multiline=multiline))
    assert message == (f"/srv/feeds/config.toml: [site] intro: contains {fault}: write it on one "
                       f"line, without control characters, got {text!r}")


@pytest.mark.parametrize("text", ["one\ntwo", "one\r\ntwo\r\n\r\nthree", "tab-free\n"])
def test_line_breaks_are_allowed_where_the_key_is_multiline(text: str) -> None:
    table = Table({"intro": text}, "digest", FILE)
    assert table.get("intro", str, multiline=True) == text
    table.done()


def test_the_strings_of_a_list_are_checked_each() -> None:
    message = _error({"to": ["a@example.org", "b@example.org\n"]},
                     lambda table: table.get("to", list))
    assert "[site] to: contains a line break (U+000A) at position 14" in message


@pytest.mark.parametrize(("kind", "expected"), [
    (int, "a whole number"), ((list, str), "a list or a string"), (dict, "a table"),
    ((str, list), "a string or a list"), (bool, "true or false"),
])
def test_a_value_of_the_wrong_kind_says_what_was_expected(kind: Any, expected: str) -> None:
    assert _error({"width": True if kind is not bool else "yes"},
                  lambda table: table.get("width", kind)) == (
        f"/srv/feeds/config.toml: [site] width: expected {expected}, got "
        f"{True if kind is not bool else 'yes'!r}")


def test_unknown_keys_are_listed_in_order_each_with_the_nearest_known_key() -> None:
    def read(table: Table) -> None:
        table.get("title", str)
        table.get("timezone", str, "UTC")
        table.done()

    assert _error({"title": "News", "timzone": "UTC", "colour": "red"}, read) == (
        "/srv/feeds/config.toml: [site]: unknown key(s): colour, timzone (did you mean "
        "'timezone'?) (see the README for the keys this table takes)")
