"""The store: history beyond the listing, edits, title corrections, incremental and safe builds."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import html as lxml_html

from feedsmith import pipeline
from feedsmith.config import load_config
from feedsmith.forked import ChildFailed, InChild
from feedsmith.store.engines import open_database
from feedsmith.store.merge import _chunks
from feedsmith.store.queries import Store
from feedsmith.store.schema import SCHEMA_VERSION
from feedsmith.web import publish
from tests.fixtures.project import Result, contents, query, tree

BOTH_ENGINES = True  # each test of a project runs on SQLite and on PostgreSQL (conftest)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
SAMPLE_000 = "000_254e8c6e76770959.txt"


def _build(project: Path, now: datetime = NOW) -> pipeline.BuildReport:
    return pipeline.build(load_config(project / "config.toml"), now)


def _entries(project: Path, name: str = "all.atom") -> list[feedparser.FeedParserDict]:
    entries: list[feedparser.FeedParserDict] = feedparser.parse(project / "feeds" / name).entries
    return entries


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_feeds_keep_items_that_dropped_off_the_listing(project: Path) -> None:
    _build(project)
    (project / "listings" / SAMPLE_000).unlink()  # the listing page moved on
    report = _build(project, LATER)
    assert report.stored == 50
    assert len(_entries(project)) == 50
    assert _entries(project)[0].title.startswith("ILO COOP participates in a #CoffeePeople")


def test_an_edited_summary_keeps_the_id_gets_a_new_updated_and_rewrites_only_its_feeds(
        project: Path) -> None:
    _build(project)
    before = {e.id: e for e in _entries(project)}
    _edit(project / "listings" / SAMPLE_000, "Facilitators were trained", "Facilitators trained")
    report = _build(project, LATER)
    assert (report.merge.new, report.merge.changed) == (0, 1)
    assert sorted(report.written) == ["all.atom", "all.json", "all.rss", "archive/2023-11.html",
                                      "index.html", "news.atom", "news.html", "news.json",
                                      "news.rss"]
    after = {e.id: e for e in _entries(project)}
    assert after.keys() == before.keys()
    edited = next(e for e in after.values() if e.summary.startswith("Facilitators trained"))
    assert edited.published == before[edited.id].published
    assert datetime.fromisoformat(edited.updated) == LATER
    assert all(after[i].updated == before[i].updated for i in after if i != edited.id)


def test_edits_in_one_build_each_get_their_own_updated_never_before_the_build(
        project: Path) -> None:
    _build(project)
    listing = project / "listings" / SAMPLE_000
    for old in ("ILO COOP unit joined", "ILO contributed to the 2023-2024",
                "ILO participates and contributes"):
        _edit(listing, old, old + " (corrected)")
    report = _build(project, LATER)
    assert report.merge.changed == 3
    times = sorted(datetime.fromisoformat(e.updated) for e in _entries(project)
                   if "(corrected)" in e.summary)
    assert len(times) == len(set(times)) == 3  # readers see three edits, in a stable order
    assert times[0] >= LATER and times[-1] - times[0] < timedelta(seconds=1)


def test_a_relabelled_category_moves_the_entry_between_feeds(project: Path) -> None:
    _build(project)
    _edit(project / "listings" / "004_c6c9b199964335b5.txt", "  2. Video", "  2. Videos")
    report = _build(project, LATER)
    assert {"video.atom", "videos.atom", "all.atom", "index.html"} <= set(report.written)
    moved = _entries(project, "videos.atom")
    assert [e.title[:30] for e in moved] == ["ILO and cooperatives raise awa"]
    assert moved[0].id in {e.id for e in _entries(project, "all.atom")}
    emptied = feedparser.parse(project / "feeds" / "video.atom")
    assert not emptied.bozo and emptied.entries == []


def test_a_relabel_in_the_same_build_as_a_config_change_still_empties_the_old_feed(
        project: Path) -> None:
    _build(project)
    _edit(project / "listings" / "004_c6c9b199964335b5.txt", "  2. Video", "  2. Videos")
    _edit(project / "config.toml", "max_entries = 50", "max_entries = 40")
    report = _build(project, LATER)
    assert "video.atom" in report.written
    emptied = feedparser.parse(project / "feeds" / "video.atom")
    assert not emptied.bozo and emptied.entries == []
    assert "video.atom" not in (project / "feeds" / "index.html").read_text()


def test_a_later_item_of_a_stored_day_is_dated_after_it_and_moves_nothing(project: Path) -> None:
    _build(project)
    before = {e.id: e.published for e in _entries(project)}
    listing = project / "listings" / SAMPLE_000
    listing.write_text(listing.read_text().replace(
        "  1. News\n", "  1. News\n\n    A late addition on the last day of November\n\n"
        "    30 November 2023\n\n  1. News\n", 1))
    assert _build(project, LATER).merge.new == 1
    after = {e.id: e.published for e in _entries(project)}
    added = next(e for e in _entries(project) if e.title.startswith("A late addition"))
    same_day = {i: p for i, p in before.items() if p.startswith("2023-11-30")}
    assert len(same_day) == 3
    assert {i: after[i] for i in same_day} == same_day
    assert all(added.published > p for p in same_day.values())
    assert len(set(before) - set(after)) == 1  # only the oldest, pushed past the cap of 50


def test_a_corrected_title_is_the_same_entry(project: Path) -> None:
    _build(project)
    old = next(e for e in _entries(project) if e.title.startswith("My.Coop roll-out"))
    _edit(project / "listings" / "001_8fbb353530fffbeb.txt",
          "My.Coop roll-out trajectory in Myanmar", "My.Coop roll-out trajectories in Myanmar")
    _edit(project / "listings" / "003_fd667bf2a0372e0d.txt",
          "The story of a friendship: Juan Somavia and Ivano Barberini",
          "The story of a friendship: Juan Somavia and Ivano Barbarini")  # a second, elsewhere
    report = _build(project, LATER)
    assert (report.merge.new, report.merge.corrected, report.merge.changed) == (0, 2, 2)
    assert report.stored == 50  # each month counts its entries once
    assert query(project, "SELECT SUM(entries) FROM month_counts") == [(50,)]
    corrected = next(e for e in _entries(project) if e.id == old.id)
    assert corrected.title == "My.Coop roll-out trajectories in Myanmar"
    assert _build(project, LATER + timedelta(hours=1)).merge.new == 0  # the alias is remembered


@pytest.mark.parametrize(("old", "new"), [
    ("“Cultivate the COOPs” - Vol.3", "“Cultivate the COOPs” - Vol.4"),  # another number
    ("The story of a friendship: Juan Somavia and Ivano Barberini",
     "The story of a partnership: Ivano Barberini and the ILO"),  # not near-identical
])
def test_titles_that_are_not_corrections_make_new_entries(project: Path, old: str,
                                                          new: str) -> None:
    _build(project)
    _edit(project / "listings" / "003_fd667bf2a0372e0d.txt", old, new)
    report = _build(project, LATER)
    assert (report.merge.new, report.merge.corrected) == (1, 0)
    assert report.stored == 51


def test_a_no_change_build_parses_nothing_and_touches_nothing(project: Path) -> None:
    _build(project)
    before = tree(project / "feeds")
    report = _build(project, LATER)
    assert (report.files_read, report.files_unchanged) == (0, 5)
    assert report.written == report.unchanged == []
    assert tree(project / "feeds") == before


def test_a_deleted_feed_file_is_written_again(project: Path) -> None:
    _build(project)
    original = (project / "feeds" / "blog.rss").read_bytes()
    (project / "feeds" / "blog.rss").unlink()
    report = _build(project, LATER)
    assert "blog.rss" in report.written
    assert (project / "feeds" / "blog.rss").read_bytes() == original


def test_a_config_change_rewrites_every_feed(project: Path) -> None:
    _build(project)
    _edit(project / "config.toml", 'title = "ILO COOP: ', 'title = "ILO Cooperatives: ')
    report = _build(project, LATER)
    assert len(report.written) == 61  # all but the stylesheets
    assert feedparser.parse(project / "feeds" / "all.atom").feed.title.startswith("ILO Cooperatives")


def test_changing_only_max_entries_rewrites_the_feeds(project: Path) -> None:
    _build(project)
    _edit(project / "config.toml", "max_entries = 50", "max_entries = 5")
    report = _build(project, LATER)
    assert {"all.atom", "all.rss", "news.atom", "news.rss"} <= set(report.written)
    assert len(_entries(project)) == 5 and len(_entries(project, "news.atom")) == 5


def test_the_index_escapes_what_it_shows(project: Path) -> None:
    _edit(project / "config.toml", 'title = "ILO COOP: ', 'title = "<script>alert(1)</script> ')
    listing = project / "listings" / SAMPLE_000
    _edit(listing, "  1. News", "  1. <b onmouseover=alert(2)>News</b>")
    _build(project)
    page = lxml_html.parse(str(project / "feeds" / "index.html")).getroot()
    assert not list(page.iter("script")) and not list(page.iter("b"))
    assert page.findtext(".//title").startswith("<script>alert(1)</script>")
    assert "<b onmouseover=alert(2)>News</b>" in page.text_content()


@pytest.mark.sqlite_only
def test_a_second_run_waits_then_gives_up_with_a_clear_message(
        project: Path, cli: Callable[..., Result]) -> None:
    with open(project / "feedsmith.db.lock", "w") as lock:  # another run holds the store
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = cli("build", "--wait", "0.2")
    assert result.exit_code == 1
    assert "feedsmith.db.lock: another feedsmith run is still working on this store" in result.stderr
    assert not (project / "feeds").exists()


def test_concurrent_builds_do_the_work_once(project: Path) -> None:
    command = [sys.executable, "-m", "feedsmith", "--config", str(project / "config.toml"),
               "build"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    summaries = sorted(out.splitlines()[1] for out, _ in outputs)
    assert summaries == ["Entries: 0 new, 0 updated, 50 in the store."] * 2 + [
        "Entries: 50 new, 0 updated, 50 in the store."]
    assert len(_entries(project)) == 50


@pytest.mark.sqlite_only
def test_a_corrupt_store_is_a_clear_error_and_nothing_is_lost(
        project: Path, cli: Callable[..., Result]) -> None:
    assert cli("build").exit_code == 0
    feeds = contents(project / "feeds")
    store = project / "feedsmith.db"
    for leftover in project.glob("feedsmith.db-*"):
        leftover.unlink()
    damaged = store.read_bytes()[:100] + b"this is not a database" * 100  # header kept
    store.write_bytes(damaged)
    result = cli("build")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {store}: the state database is unreadable or corrupt")
    assert "Traceback" not in result.output
    assert store.read_bytes() == damaged
    assert contents(project / "feeds") == feeds


@pytest.mark.sqlite_only
def test_schema_is_versioned_and_a_newer_store_is_refused(project: Path,
                                                          cli: Callable[..., Result]) -> None:
    assert cli("build").exit_code == 0
    with sqlite3.connect(project / "feedsmith.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    result = cli("build")
    assert result.exit_code == 1
    assert "written by a newer feedsmith" in result.stderr


@pytest.mark.sqlite_only
def test_the_store_may_not_live_in_the_published_folder(project: Path,
                                                        cli: Callable[..., Result]) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text() + '\n[store]\npath = "feeds/state.db"\n')
    result = cli("build")
    assert result.exit_code == 1
    assert "[store] path: " in result.stderr and "is inside the published folder" in result.stderr


def test_entries_lists_what_the_store_holds(project: Path, cli: Callable[..., Result]) -> None:
    assert "no state database yet" in cli("entries").stderr
    config = project / "config.toml"
    config.write_text(config.read_text().replace("max_entries = 50", "max_entries = 5"))
    assert cli("build").exit_code == 0
    header, *november = cli("entries", "--month", "2023-11").stdout.splitlines()
    assert header.split() == ["DATE", "FEEDS", "CATEGORY", "TITLE"]
    assert len(november) == 9
    assert all(line.startswith("2023-11-") for line in november)
    assert november[0].split()[1] == "all+cat"  # among the newest 5 of both feeds
    assert november[4].split()[1] == "-"  # 28 November: #6 in both, past the cap of 5
    spotlight = next(line for line in november if "Spotlight" in line)
    assert spotlight.split()[1] == "cat"  # #1 of its category, #8 of everything
    long = cli("entries", "--category", "VIDEO", "--long").stdout
    assert "  title:      ILO and cooperatives raise awareness" in long
    assert "#1 in video" in long and "in video" in long
    bad = cli("entries", "--month", "2023-13")
    assert bad.exit_code == 2 and "expected YYYY-MM" in bad.stderr


@pytest.mark.parametrize("point", ["insert", "stage-1", "stage-20", "replace-1", "replace-3",
                                   "replace-6", "published"])
@pytest.mark.sqlite_only
def test_a_build_killed_anywhere_is_completed_by_the_next(
        project: Path, tmp_path_factory: pytest.TempPathFactory, point: str) -> None:
    new_page = project / "listings" / SAMPLE_000
    held_back = new_page.read_bytes()
    new_page.unlink()
    _build(project)  # state A: four listings
    old_feeds = contents(project / "feeds")
    new_page.write_bytes(held_back)  # state B: a new page and an edited summary
    _edit(project / "listings" / "001_8fbb353530fffbeb.txt", "My.Coop – Training", "My.Coop training")

    reference = tmp_path_factory.mktemp("reference")
    shutil.copytree(project, reference, dirs_exist_ok=True)
    _build(reference, LATER)
    new_feeds = contents(reference / "feeds")
    assert new_feeds != old_feeds

    killed = subprocess.run([sys.executable, str(Path(__file__).parent / "killed_build.py"),
                             str(project / "config.toml"), point, LATER.isoformat()],
                            capture_output=True, text=True, timeout=60, check=False)
    assert killed.returncode == -9, killed.stderr
    with sqlite3.connect(project / "feedsmith.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    published = {n: d for n, d in contents(project / "feeds").items()
                 if not n.endswith(".feedsmith-tmp")}
    for name, data in published.items():
        assert data in (old_feeds.get(name), new_feeds[name]), name
    if point.startswith("stage-"):  # staged, none renamed: the published folder is untouched
        assert published == old_feeds

    _build(project, LATER)
    assert contents(project / "feeds") == new_feeds
    with open_database(project / "feedsmith.db") as database:
        assert Store(database).pending_feeds() == set()


def _processes_running(marker: str) -> list[int]:
    """Pids of live processes whose command line holds `marker`."""
    found = []
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if marker in status.read_bytes().decode(errors="replace"):
                state = (status.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(status.parent.name))
    return found


@pytest.mark.sqlite_only
def test_the_reading_child_dies_with_a_killed_build_and_never_holds_the_lock(
        project: Path) -> None:
    """Listings are parsed in a forked child while the parent merges: a parent killed mid-merge
    must leave no process behind holding the store's lock."""
    killed = subprocess.Popen([sys.executable, str(Path(__file__).parent / "killed_build.py"),
                               str(project / "config.toml"), "insert-slow-reads",
                               LATER.isoformat()],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert killed.wait(timeout=60) == -9  # (a pipe on its output would wait for the child too)
    assert _processes_running(str(project / "config.toml"))  # the child, still parsing
    with open(project / "feedsmith.db.lock", "w") as lock:  # yet the lock is free
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    deadline = time.monotonic() + 10
    while _processes_running(str(project / "config.toml")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_running(str(project / "config.toml")) == []
    assert _build(project, LATER).merge.new == 50


@pytest.mark.sqlite_only
def test_a_bug_in_the_reading_child_fails_the_build_and_changes_nothing(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _build(project)
    before = contents(project / "feeds")
    for listing in (project / "listings").glob("*.txt"):
        _edit(listing, "cooperative", "co-operative")

    def broken(raw: bytes, origin: str, *args: object, **kwargs: object) -> None:
        raise ZeroDivisionError(f"a bug while reading {origin}")

    monkeypatch.setattr("feedsmith.sources.listing.parse_listing", broken)
    with pytest.raises(ChildFailed, match="ZeroDivisionError: a bug while reading"):
        _build(project, LATER)
    assert contents(project / "feeds") == before
    with open_database(project / "feedsmith.db") as database:
        assert Store(database).pending_feeds() == set()
        assert not any("co-operative" in e.entry.summary
                       for e in Store(database).entries(ZoneInfo("UTC")))


@pytest.mark.sqlite_only
def test_archive_months_rendered_in_a_child_process_are_the_same_files(
        project: Path, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With enough to render, a forked child process renders half (feeds and months): the
    output must be the bytes a single process writes, and a re-run find every file unchanged."""
    lines = []
    for number in range(400):  # three years and more of items, newest first
        day = date(2023, 4, 30) - timedelta(days=number * 3)
        lines += [f"  {number % 10 + 1}. News", "", f"    Item {number} of a long archive", "",
                  f"    {day.day:02d} {day:%B} {day.year}", ""]
    (project / "listings" / "long.txt").write_text("\n".join(lines))
    alone = tmp_path_factory.mktemp("alone")
    shutil.copytree(project, alone, dirs_exist_ok=True)
    forks = []

    class Counted(InChild[object]):
        def __init__(self, *args: Any) -> None:
            forks.append(1)
            super().__init__(*args)

    monkeypatch.setattr(publish, "InChild", Counted)
    monkeypatch.setattr(publish, "FORK_AT_US", 1)
    helped = _build(project)
    assert forks == [1]
    monkeypatch.setattr(publish, "FORK_AT_US", 10**12)
    single = _build(alone)
    assert forks == [1]
    assert contents(project / "feeds") == contents(alone / "feeds")
    assert sorted(helped.written) == sorted(single.written) and len(single.written) > 40
    monkeypatch.setattr(publish, "FORK_AT_US", 1)
    with open_database(project / "feedsmith.db") as database:
        database.execute("DELETE FROM meta WHERE key = 'render_fingerprint'")
    again = _build(project, LATER)  # every page rendered again, half of them by a child
    assert forks == [1, 1] and again.written == [] and len(again.unchanged) > 40


@pytest.mark.sqlite_only
def test_a_failing_archive_child_publishes_nothing_and_leaves_no_temp_files(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = []
    for number in range(400):
        day = date(2023, 4, 30) - timedelta(days=number * 3)
        lines += ["  1. News", "", f"    Item {number} of a long archive", "",
                  f"    {day.day:02d} {day:%B} {day.year}", ""]
    (project / "listings" / "long.txt").write_text("\n".join(lines))
    _build(project)
    before = contents(project / "feeds")
    from feedsmith.web.pages import render_month as render

    parent, rendered_in_child = os.getpid(), []

    def fails_in_the_child(month: str, *args: Any) -> bytes:
        if os.getpid() != parent:
            rendered_in_child.append(month)
            if len(rendered_in_child) == 3:  # after two pages staged
                raise ZeroDivisionError(f"a bug rendering {month}")
        return render(month, *args)

    monkeypatch.setattr(publish, "render_month", fails_in_the_child)
    monkeypatch.setattr(publish, "FORK_AT_US", 1)
    with open_database(project / "feedsmith.db") as database:
        database.execute("DELETE FROM meta WHERE key = 'render_fingerprint'")
    _edit(project / "config.toml", 'title = "', 'title = "New: ')
    with pytest.raises(ChildFailed, match="a bug rendering 20"):
        _build(project, LATER)
    assert contents(project / "feeds") == before  # no temp file left, nothing replaced


@pytest.mark.sqlite_only
def test_a_store_from_the_first_schema_is_migrated_and_keeps_its_entries(project: Path) -> None:
    from feedsmith.store.schema import MIGRATIONS

    path = project / "feedsmith.db"
    with sqlite3.connect(path) as db:
        first = MIGRATIONS[0]
        assert isinstance(first, str)
        db.executescript(first + "; PRAGMA user_version = 1;")
        db.execute("INSERT INTO entries VALUES ('tag:x,2024:2023-01-05/a', 'src', 'News', 'news', "
                   "'An old entry', '', '', '2023-01-05', 0, '2023-01-05T11:00:00.000000Z', "
                   "'2023-01-05T11:00:00.000000Z', 'h', '2023-01-06T00:00:00.000000Z', "
                   "'2023-01-06T00:00:00.000000Z', 'old.txt:1')")
    report = _build(project)
    assert report.stored == 51 and report.merge.new == 50
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("SELECT language FROM entries WHERE title = 'An old entry'"
                          ).fetchone() == ("",)
    old = [e for e in _entries(project, "news.atom") if e.title == "An old entry"]
    assert [e.id for e in old] == ["tag:x,2024:2023-01-05/a"]


def test_an_entry_stored_before_merges_were_numbered_takes_its_edit(project: Path) -> None:
    """A store migrated from before merge numbers has rows seen in merge 0 and no count yet: its
    merges must never be numbered 0 again, or a row not listed since the migration would pass
    for one already listed in this build, and its edit would be dropped."""
    _build(project)
    with open_database(load_config(project / "config.toml").store) as database:
        database.execute("UPDATE entries SET added_in = 0, seen_in = 0")  # as the migration left
        database.execute("DELETE FROM meta WHERE key = 'merges'")  # them
    listing = project / "listings" / SAMPLE_000
    text = listing.read_text()
    listing.unlink()
    (project / "listings" / "late.txt").write_text(
        "  1. News\n\n    A late item about November\n\n    15 November 2023\n")
    _build(project, LATER)  # the first numbered merge: it does not list this file's entries
    listing.write_text(text.replace("Facilitators were trained", "Facilitators trained"))
    report = _build(project, LATER + timedelta(hours=1))
    assert (report.merge.new, report.merge.changed) == (0, 1)
    assert any(e.summary.startswith("Facilitators trained") for e in _entries(project))


@pytest.mark.sqlite_only
def test_a_moved_project_reads_nothing_again(project: Path, tmp_path_factory: pytest.TempPathFactory
                                             ) -> None:
    _build(project)
    moved = tmp_path_factory.mktemp("elsewhere") / "project"
    shutil.move(project, moved)
    report = _build(moved, LATER)
    assert (report.files_read, report.files_unchanged) == (0, 5)  # keyed relative to the config
    assert report.written == []


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock ten seconds ahead: the listings look as old as a cron job finds them, settled
    past the window in which a file's `stat` is not trusted."""
    real = time.time_ns
    monkeypatch.setattr("feedsmith.sources.harvest.time.time_ns", lambda: real() + 10_000_000_000)


def _listings_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the listing files read from now on."""
    read: list[str] = []
    real = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.parent.name == "listings":
            read.append(path.name)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return read


def test_a_settled_unchanged_listing_is_not_even_read(project: Path, settled: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _build(project)
    read = _listings_read(monkeypatch)
    report = _build(project, LATER)
    assert (report.files_read, report.files_unchanged, read) == (0, 5, [])


@pytest.mark.sqlite_only
def test_a_settled_no_change_build_commits_only_what_status_shows(
        project: Path, settled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each commit costs fsyncs, most of a no-change build's I/O: no merge number is taken and
    no source health rewritten when nothing was read and nothing failed."""
    _build(project)
    statements: list[str] = []
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = real(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect)
    assert _build(project, LATER).files_read == 0
    writes = [s for s in statements if not s.lstrip().startswith(("SELECT", "WITH", "PRAGMA"))]
    assert len(writes) == 3, writes
    assert writes[0] == "BEGIN IMMEDIATE" and writes[2] == "COMMIT"
    assert writes[1].startswith("INSERT INTO meta (key, value) VALUES ('last_build', ")


def test_a_rewrite_keeping_size_and_mtime_is_still_seen(project: Path, settled: None) -> None:
    _build(project)
    listing = project / "listings" / SAMPLE_000
    before = listing.stat()
    time.sleep(0.05)  # past the file system clock's tick: the change time moves
    _edit(listing, "Facilitators were trained", "Facilitators were drained")  # same length
    os.utime(listing, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `touch -r` would
    assert (listing.stat().st_size, listing.stat().st_mtime_ns) == (before.st_size,
                                                                    before.st_mtime_ns)
    report = _build(project, LATER)
    assert report.files_read == 1
    assert any("Facilitators were drained" in e.summary for e in _entries(project))


def test_a_touched_listing_is_read_once_then_trusted_again(
        project: Path, settled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _build(project)
    (project / "listings" / SAMPLE_000).touch()
    read = _listings_read(monkeypatch)
    assert _build(project, LATER).files_unchanged == 5
    assert read == [SAMPLE_000]  # hashed: the same bytes, so not parsed
    read.clear()
    assert _build(project, LATER + timedelta(hours=1)).files_unchanged == 5
    assert read == []


def test_a_settings_change_reads_settled_listings_again(project: Path, settled: None) -> None:
    _build(project)
    _edit(project / "config.toml", 'category = "News"', 'category = "Updates"')
    assert _build(project, LATER).files_read == 5


def test_a_listing_changed_moments_ago_is_not_trusted_by_its_stat(project: Path) -> None:
    """Files written in the last two seconds get no signature: a second write in the same tick
    of the file system's clock would leave their times as they are."""
    for listing in (project / "listings").iterdir():
        listing.touch()  # written just now (setting up a PostgreSQL database can take seconds)
    _build(project)
    with open_database(load_config(project / "config.toml").store) as database:
        fingerprints, signatures = Store(database).file_fingerprints()
    assert len(fingerprints) == 5 and signatures == {}


def test_every_listing_read_again_counts_its_entries_seen(project: Path) -> None:
    _build(project)
    with open_database(load_config(project / "config.toml").store) as database:
        database.execute("DELETE FROM listing_files")  # forgotten: each file is read again
    report = _build(project, LATER)
    assert (report.files_read, report.merge.new, report.merge.changed) == (5, 0, 0)
    assert report.merge.seen == 50  # in all five, not the last one's


def test_ids_go_to_the_database_900_to_a_statement_each_once() -> None:
    """Under SQLite's limit of host parameters, and no more statements than that needs: one per
    id instead of one per 900 made a build of 1,800 items take a minute instead of a second."""
    values = [str(n) for n in range(1801)]
    chunks = list(_chunks(values))
    assert [len(chunk) for chunk in chunks] == [900, 900, 1]
    assert [value for chunk in chunks for value in chunk] == values


def test_month_counts_follow_the_entries(project: Path) -> None:
    _build(project)
    _edit(project / "listings" / SAMPLE_000, "Facilitators were trained", "Facilitators trained")
    listing = project / "listings" / "late.txt"
    listing.write_text("  1. News\n\n    A late item about November\n\n    15 November 2023\n")
    _build(project, LATER)
    kept = dict(query(project, "SELECT month, entries FROM month_counts"))
    counted = dict(query(project, "SELECT substr(day, 1, 7), COUNT(*) FROM entries GROUP BY 1"))
    assert kept == counted and kept["2023-11"] == 10


def test_a_build_stopped_by_ctrl_c_says_the_next_build_completes_it(
        project: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the feeds are being written

    monkeypatch.setattr(publish, "publish", interrupted)
    stopped = cli("build")
    assert stopped.exit_code == 130 and "Traceback" not in stopped.output
    assert "running the same command again completes the rest" in stopped.stderr
    monkeypatch.undo()
    assert not (project / "feeds" / "all.atom").exists()
    result = cli("build")
    assert result.exit_code == 0 and "Entries: 0 new" in result.stdout  # merged before the stop
    assert len(feedparser.parse(project / "feeds" / "all.atom").entries) == 50


_UNTITLED = ("Cooperative news\n\n12 March 2010\n\nThe ILO opened a regional meeting on "
             "cooperatives in Nairobi. Fifteen countries took part.\n")
_TITLED = ("Cooperative news\n\nILO meeting on cooperatives in Nairobi\n\n12 March 2010\n\n"
           "The ILO opened a regional meeting on cooperatives in Nairobi. Fifteen countries "
           "took part.\n")


_ANOTHER = ("\nCooperative news\n\nCooperatives and decent work in Kenya\n\n2 March 2010\n\n"
            "A study of cooperative employment.\n")


def _only_listing(project: Path, text: str) -> None:
    for sample in (project / "listings").glob("*.txt"):
        sample.unlink()
    (project / "listings" / "news.txt").write_text(text, encoding="utf-8")


def test_a_title_listed_later_replaces_the_one_made_from_the_summary(project: Path) -> None:
    _only_listing(project, _UNTITLED)
    _build(project)
    [made] = _entries(project)
    assert made.title == "The ILO opened a regional meeting on cooperatives in Nairobi"
    _only_listing(project, _TITLED)  # the page now lists its title
    report = _build(project, LATER)
    assert (report.merge.new, report.merge.corrected) == (0, 1)
    [listed] = _entries(project)
    assert (listed.id, listed.title) == (made.id, "ILO meeting on cooperatives in Nairobi")
    _only_listing(project, _UNTITLED)  # and a made title never replaces a listed one
    report = _build(project, LATER + timedelta(hours=1))
    assert (report.merge.new, report.merge.corrected) == (0, 0)
    [kept] = _entries(project)
    assert (kept.id, kept.title) == (made.id, "ILO meeting on cooperatives in Nairobi")
    assert _build(project, LATER + timedelta(hours=2)).merge.new == 0


def test_a_listed_title_is_kept_when_the_listing_drops_it(project: Path) -> None:
    _only_listing(project, _TITLED + _ANOTHER)
    _build(project)
    listed, _ = _entries(project)
    _only_listing(project, _UNTITLED + _ANOTHER)  # the page lists it without its title now
    report = _build(project, LATER)
    assert (report.merge.new, report.merge.corrected, report.merge.seen) == (0, 0, 2)
    kept, _ = _entries(project)
    assert (kept.id, kept.title) == (listed.id, "ILO meeting on cooperatives in Nairobi")
    assert query(project, "SELECT last_seen FROM entries") == [("2026-11-23T10:00:00.000000Z",)] * 2
    assert _build(project, LATER + timedelta(hours=1)).merge.new == 0  # the alias is remembered
    _only_listing(project, _UNTITLED.replace("Fifteen", "Sixteen") + _ANOTHER)  # and edited
    assert _build(project, LATER + timedelta(hours=2)).merge.changed == 1
    edited, _ = _entries(project)
    assert (edited.id, edited.title) == (listed.id, "ILO meeting on cooperatives in Nairobi")
    assert "Sixteen countries" in edited.summary
    _only_listing(project, _UNTITLED.replace("Fifteen", "Sixteen") + _ANOTHER + "\n")
    assert _build(project, LATER + timedelta(hours=3)).merge.seen == 2  # listed so again
    assert _entries(project)[0].title == "ILO meeting on cooperatives in Nairobi"
