"""The archive's search ([output] search): Pagefind's index built by a build, searched in
Chromium from `feedsmith serve`, with nothing fetched from elsewhere and no box without
JavaScript."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feedsmith.config import load_config
from feedsmith.errors import ConfigError
from feedsmith.pipeline import build
from feedsmith.web.serve import make_server

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _search_on(project: Path) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text().replace("[output]\n", "[output]\nsearch = true\n", 1))


@pytest.fixture
def served(project: Path) -> Iterator[tuple[Path, str]]:
    _search_on(project)
    build(load_config(project / "config.toml"), NOW)
    server = make_server(project / "feeds", "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield project / "feeds", f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_the_archive_is_searched_in_the_browser_from_serve(served: tuple[Path, str],
                                                           browser: Any) -> None:
    _, base = served
    page = browser.new_page(viewport={"width": 375, "height": 800})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(base)
    page.get_by_placeholder("Search").fill("WIPO")  # Pagefind's box, shown by the page's script
    first = page.locator(".pagefind-ui__result-link").first
    first.wait_for(timeout=10_000)
    assert first.get_attribute("href") == "/archive/2023-11.html"
    assert first.inner_text() == "November 2023"  # the month page's h1: where the item lives
    assert "WIPO" in page.locator(".pagefind-ui__result-excerpt").first.inner_text()
    assert all(url.startswith(base) for url in requests)  # nothing from elsewhere
    page.close()


def test_without_javascript_there_is_no_search_box(served: tuple[Path, str],
                                                   browser: Any) -> None:
    _, base = served
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base)
    assert not page.get_by_role("heading", name="Search the archive").is_visible()
    assert page.get_by_role("heading", name="Latest news").is_visible()
    context.close()


def test_the_index_changes_only_with_the_archive(served: tuple[Path, str],
                                                 project: Path) -> None:
    folder, _ = served
    index = {p: p.read_bytes() for p in (folder / "pagefind").rglob("*") if p.is_file()}
    assert folder / "pagefind" / "pagefind-entry.json" in index
    report = build(load_config(project / "config.toml"), NOW)
    assert report.written == []  # nothing changed: the index is not even rebuilt
    config = project / "config.toml"  # the feeds change, no month page does
    config.write_text(config.read_text().replace("max_entries = 50", "max_entries = 10"))
    report = build(load_config(config), NOW)
    assert "all.atom" in report.written
    assert not [n for n in report.written + report.unchanged if n.startswith("pagefind/")]
    assert {p: p.read_bytes() for p in (folder / "pagefind").rglob("*") if p.is_file()} == index


def test_search_without_pagefind_is_a_clear_error(project: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _search_on(project)
    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "pagefind_bin" else found(name, *rest))
    with pytest.raises(ConfigError) as caught:
        load_config(project / "config.toml")
    assert str(caught.value) == (f"{project / 'config.toml'}: [output] search: needs Pagefind, "
                                 "which is not installed: pip install 'feedsmith[search]'")
