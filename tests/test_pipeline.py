"""Build behaviour: same input same bytes, failures leave the published folder alone, stable ids."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest

from feedsmith import pipeline
from feedsmith.config import load_config
from feedsmith.entry import Entry, dated, day_offsets
from feedsmith.identity import entry_id, title_key
from feedsmith.web import feeds, publish
from tests.fixtures.project import Result, tree

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ITEM = """  {n}. News

    {title}

    {day}

    {summary}
"""


def _listing(*items: tuple[str, str, str]) -> str:
    body = "".join(ITEM.format(n=n, title=t, day=d, summary=s)
                   for n, (t, d, s) in enumerate(items, start=1))
    return "News, stories and statements on cooperatives\n\n" + body


def test_same_input_same_bytes_and_no_rewrite(project: Path, cli: Callable[..., Result],
                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    assert cli("build").exit_code == 0
    first = tree(project / "feeds")
    second_run = cli("build")
    assert second_run.exit_code == 0
    assert "is up to date, nothing written" in second_run.output
    assert tree(project / "feeds") == first  # bytes and mtimes
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(project / "config.toml", elsewhere / "config.toml")
    for folder in ("listings", "assets"):
        shutil.copytree(project / folder, elsewhere / folder)
    assert cli("build", config=elsewhere / "config.toml").exit_code == 0
    assert {n: b for n, (b, _) in tree(elsewhere / "feeds").items()} == \
           {n: b for n, (b, _) in first.items()}


def test_a_run_with_nothing_readable_leaves_the_feeds_as_they_were(
        project: Path, cli: Callable[..., Result]) -> None:
    assert cli("build").exit_code == 0
    before = tree(project / "feeds")
    for listing in (project / "listings").glob("*.txt"):
        listing.write_text("<html><body>Service unavailable</body></html>\n")
    result = cli("build")
    assert result.exit_code == 1
    assert "Error: nothing could be read, the feeds are left as they were" in result.stderr
    assert "000_254e8c6e76770959.txt: no listing item found" in result.stderr
    assert "Traceback" not in result.output
    assert tree(project / "feeds") == before


def test_a_render_failure_writes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(project / "config.toml")
    real_render, calls = feeds.render_atom, []

    def failing_render(*args: object) -> bytes:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk-full stand-in")
        return real_render(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(publish, "render_atom", failing_render)
    with pytest.raises(RuntimeError):
        pipeline.build(config, NOW)
    assert not (project / "feeds").exists() or not any((project / "feeds").iterdir())


def test_every_file_is_on_the_disk_before_the_first_rename(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the build hands to fsync (from its thread pool) and to rename, in order: a crash
    after any rename must find every other new file complete. Small enough not to fork."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        real_fsync(fd)
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))

    def replace(source: str, target: str) -> None:
        events.append(("rename", str(source)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    pipeline.build(load_config(project / "config.toml"), NOW)
    renamed = [path for kind, path in events if kind == "rename"]
    synced_first = {path for kind, path in events[:events.index(("rename", renamed[0]))]
                    if kind == "fsync"}
    assert len(renamed) == len(tree(project / "feeds")) > 40
    assert set(renamed) <= synced_first


def test_one_bad_file_does_not_spoil_the_others(project: Path, cli: Callable[..., Result]) -> None:
    (project / "listings" / "000_254e8c6e76770959.txt").write_bytes(b"\xff\xfe not utf-8\n")
    result = cli("build")
    assert result.exit_code == 1  # cron should notice
    assert "000_254e8c6e76770959.txt:1: not UTF-8 text" in result.stderr
    assert "Entries: 40 new" in result.output
    assert len(feedparser.parse(project / "feeds" / "all.atom").entries) == 40


def test_bad_items_are_warnings_and_the_rest_is_published(
        project: Path, cli: Callable[..., Result]) -> None:
    listing = project / "listings" / "001_8fbb353530fffbeb.txt"
    text = listing.read_text() + "\n  11. News\n\n    Cut off before its date\n"
    listing.write_text(text)
    line = text.splitlines().index("  11. News") + 1
    result = cli("build")
    assert result.exit_code == 0
    assert f"warning: {listing}:{line}: item has no date line: the page looks cut off" \
        in result.stderr
    assert "1 warning(s)" in result.output and "Entries: 50 new" in result.output


def test_same_item_on_two_overlapping_pages_is_one_entry_with_one_id(
        project: Path, cli: Callable[..., Result]) -> None:
    shared = ("Cooperatives rebuild after the floods", "04 March 2024", "First wording.")
    for listing in (project / "listings").glob("*.txt"):
        listing.unlink()
    (project / "listings" / "page1.txt").write_text(_listing(
        ("Newest item", "05 March 2024", "A."), shared))
    (project / "listings" / "page2.txt").write_text(_listing(
        ("Cooperatives rebuild after the floods", "4 March 2024", "Second wording."),
        ("Oldest item", "01 March 2024", "C.")))
    assert cli("build").exit_code == 0
    entries = feedparser.parse(project / "feeds" / "all.atom").entries
    assert [e.title for e in entries] == ["Newest item", shared[0], "Oldest item"]
    assert entries[1].id == entry_id("feeds.example.org,2024", date(2024, 3, 4), shared[0])


def test_edited_summary_and_straightened_quotes_keep_the_id(
        project: Path, cli: Callable[..., Result]) -> None:
    listing = project / "listings" / "000_254e8c6e76770959.txt"
    assert cli("build").exit_code == 0
    before = {e.id for e in feedparser.parse(project / "feeds" / "all.atom").entries}
    text = listing.read_text()
    text = text.replace("Facilitators were trained", "Facilitators have been trained")
    text = text.replace("Interview with Ekaterina Dimitrova", "interview with Ekaterina Dimitrova")
    listing.write_text(text.replace("’", "'"))
    assert cli("build").exit_code == 0
    after = feedparser.parse(project / "feeds" / "all.atom").entries
    assert {e.id for e in after} == before
    assert any("have been trained" in e.summary for e in after)


def test_title_key_ignores_case_quotes_accents_and_spacing() -> None:
    assert title_key("ILO’s “Practical”  Guide – Café") == title_key("ilo's \"practical\" guide cafe")
    assert title_key("Guide 2023") != title_key("Guide 2024")


def _entry(title: str, day: date) -> Entry:
    moment = dated(day, ZoneInfo("Europe/Zurich"))
    return Entry(id=title, title=title, category="News", published=moment, updated=moment)


def test_same_day_items_get_distinct_times_that_new_items_do_not_move() -> None:
    day = date(2023, 11, 30)
    listed = [_entry("c", day), _entry("b", day), _entry("a", day), _entry("z", day - timedelta(1))]

    def times(entries: list[Entry]) -> dict[str, datetime]:
        return {e.title: e.published + timedelta(seconds=offset)
                for e, offset in zip(entries, day_offsets(entries), strict=True)}

    first = times(listed)
    assert len(set(first.values())) == 4
    assert first["c"] > first["b"] > first["a"] > first["z"]
    later = times([_entry("new", day), *listed])
    assert {title: t for title, t in later.items() if title != "new"} == first
    assert day_offsets([_entry("d", day), _entry("e", day)], {day: 2}) == [4, 3]


def test_an_item_listed_twice_on_one_page_is_one_entry(
        project: Path, cli: Callable[..., Result]) -> None:
    for listing in (project / "listings").glob("*.txt"):
        listing.unlink()
    twice = ("Cooperative week opens", "02 October 2024", "Listed in the news block.")
    (project / "listings" / "page.txt").write_text(_listing(
        twice, ("Another item", "01 October 2024", "B."),
        ("Cooperative Week opens", "2 October 2024", "Listed again in the highlights block.")))
    assert cli("build").exit_code == 0
    entries = feedparser.parse(project / "feeds" / "all.atom").entries
    assert [e.title for e in entries] == ["Cooperative week opens", "Another item"]
    assert entries[0].summary == "Listed in the news block."
