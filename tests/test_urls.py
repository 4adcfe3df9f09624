"""What feedsmith fetches and publishes: absolute http(s) URLs, and the origins its redirects and
next pages are held to (`feedsmith.urls`)."""

from __future__ import annotations

import pytest

from feedsmith.urls import is_http_url, origin


@pytest.mark.parametrize(("url", "expected"), [
    ("https://Example.org/news?page=2", "https://example.org:443"),
    ("HTTP://example.org", "http://example.org:80"),
    ("http://example.org:443/", "http://example.org:443"),  # a port given is kept
    ("https://example.org:8443/x", "https://example.org:8443"),
])
def test_an_origin_always_writes_its_port(url: str, expected: str) -> None:
    assert origin(url) == expected


def test_the_same_site_by_another_scheme_or_port_is_another_origin() -> None:
    assert origin("https://example.org/") == origin("https://example.org:443/a")
    assert origin("http://example.org/") != origin("https://example.org/")
    assert origin("https://example.org/") != origin("https://www.example.org/")


@pytest.mark.parametrize(("value", "fetched"), [
    ("https://example.org/x", True), ("http://127.0.0.1:8000/", True), ("HTTPS://a.org", True),
    ("ftp://example.org/", False), ("file:///etc/passwd", False), ("javascript:alert(1)", False),
    ("/relative/path", False), ("https://", False), ("http://example.org:99999/", False),
    ("mailto:a@example.org", False),
])
def test_only_absolute_http_urls_with_a_host_are_fetched(value: str, fetched: bool) -> None:
    assert is_http_url(value) is fetched
