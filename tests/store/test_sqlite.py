"""The store under faults an unlucky operator meets: an emptied or foreign file, a replaced
store, a read-only or full disk, several first runs at once. Nothing is ever reset, and nothing
is sent twice because of it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feedsmith.cli import main
from feedsmith.errors import StoreError
from feedsmith.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.fixtures.project import Result, contents
from tests.fixtures.smtp import Inbox, set_smtp

NOW = "2023-12-01T08:00"
READER = "reader@example.org"


def test_an_emptied_store_is_refused_and_the_issue_is_not_sent_again(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    set_smtp(project, port, [READER])
    assert cli("run-due", "--now", NOW).exit_code == 0
    assert len(server.messages) == 1
    store = project / "feedsmith.db"
    for leftover in project.glob("feedsmith.db-*"):
        leftover.unlink()
    store.write_bytes(b"")  # a botched restore, a full disk at the wrong moment
    published = contents(project / "feeds")
    for command in (("run-due", "--now", NOW), ("build",), ("status",), ("entries",)):
        result = cli(*command)
        assert result.exit_code == 1, command
        assert f"{store}: the state database is an empty file (0 bytes)" in result.stderr
        assert "Traceback" not in result.output
    assert store.read_bytes() == b"" and len(server.messages) == 1
    assert contents(project / "feeds") == published


def test_an_issue_the_ledger_lost_but_the_archive_lists_is_not_sent_again(
        project: Path, cli: Callable[..., Result], inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    set_smtp(project, port, [READER])
    assert cli("run-due", "--now", NOW).exit_code == 0
    shutil.move(project / "feedsmith.db", project / "old.db")  # a store from somewhere else
    for leftover in project.glob("feedsmith.db-*"):
        leftover.unlink()
    due = cli("run-due", "--now", "2023-12-01T09:00")
    assert due.exit_code == 1
    refused = cli("digest", "--month", "2023-11", "--send")
    assert refused.exit_code == 1
    assert "has no issue for 2023-11, but it was published before" in refused.stderr
    assert "--ignore-archive" in refused.stderr
    assert len(server.messages) == 1
    deliberate = cli("digest", "--month", "2023-11", "--send", "--ignore-archive")
    assert deliberate.exit_code == 0, deliberate.output
    assert len(server.messages) == 2


def test_a_file_that_is_not_a_feedsmith_store_is_refused(project: Path,
                                                        cli: Callable[..., Result]) -> None:
    store = project / "feedsmith.db"
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE accounts (name TEXT)")
    before = store.read_bytes()
    result = cli("build")
    assert result.exit_code == 1
    assert "this SQLite database is not a feedsmith store" in result.stderr
    assert store.read_bytes() == before
    store.write_bytes(b"<html>not a database</html>")
    assert "not a feedsmith store (not an SQLite database)" in cli("build").stderr


def test_several_first_runs_on_an_old_store_migrate_it_once(project: Path) -> None:
    """Both runs read the old version while a third holds the write lock: the second to get
    the lock must see the migration done, not apply it again (and call the store corrupt)."""
    store = project / "feedsmith.db"
    with sqlite3.connect(store) as db:
        for script in MIGRATIONS[:2]:
            assert isinstance(script, str)
            db.executescript(script)
        db.execute("PRAGMA user_version = 2")
        db.execute("PRAGMA journal_mode = WAL")
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    opener = ("import sys, pathlib; from feedsmith.store.engines import open_database\n"
              "from feedsmith.store.queries import Store\n"
              "with open_database(pathlib.Path(sys.argv[1])) as d: print(Store(d).count())")
    runs = [subprocess.Popen([sys.executable, "-c", opener, str(store)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    try:
        time.sleep(1.5)  # each run reads the old version, then queues for the write lock
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    outcomes = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outcomes
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """A real file system of our own (tmpfs), to fill up or make read-only."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (CI runs as root)")
    mounts: list[Path] = []

    def mount(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                       check=True)
        mounts.append(point)
        return point

    yield mount
    for point in mounts:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _project_on(disk: Path, project: Path) -> Path:
    config = project / "config.toml"
    config.write_text(config.read_text().replace('dir = "feeds"', f'dir = "{disk}/feeds"')
                      + f'\n[store]\npath = "{disk}/state/feedsmith.db"\n')
    return config


def test_a_read_only_file_system_is_named_as_such_not_corrupt(
        project: Path, cli: Callable[..., Result], small_disk: Callable[[str, str], Path]) -> None:
    disk = small_disk("disk", "16m")
    _project_on(disk, project)
    assert cli("build").exit_code == 0
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    for command in (("build",), ("status",)):
        result = cli(*command)
        assert result.exit_code == 1
        assert "read-only file system" in result.stderr, result.stderr
        assert "corrupt" not in result.stderr and "move it aside" not in result.stderr
    with pytest.raises(StoreError) as debug:
        main(["--config", str(project / "config.toml"), "--debug", "status"])
    assert isinstance(debug.value.__cause__, sqlite3.OperationalError)


def test_a_full_disk_is_named_as_such_and_the_next_run_recovers(
        project: Path, cli: Callable[..., Result], small_disk: Callable[[str, str], Path]) -> None:
    disk = small_disk("disk", "1m")
    _project_on(disk, project)
    with (disk / "ballast").open("wb", buffering=0) as ballast, pytest.raises(OSError):
        while True:
            ballast.write(b"x" * 4096)
    result = cli("build")
    assert result.exit_code == 1
    assert "full" in result.stderr or "No space left on device" in result.stderr, result.stderr
    assert "corrupt" not in result.stderr and "Traceback" not in result.output
    (disk / "ballast").unlink()
    shutil.rmtree(disk / "feeds", ignore_errors=True)
    again = cli("build")
    assert again.exit_code == 0, again.output
    assert len(list((disk / "feeds").glob("*.atom"))) == 11  # all, and 10 categories


def test_permission_denied_is_named_as_such_not_corrupt(
        project: Path, cli: Callable[..., Result], request: pytest.FixtureRequest) -> None:
    """Root ignores file modes, so the check runs in a forked child that gives up root (after
    everything it needs is imported: the Python install may not be readable by others)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to an unprivileged user (CI runs as root)")
    shared = Path(tempfile.mkdtemp(prefix="feedsmith-perm-"))  # others can reach /tmp/x
    shared.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(shared, ignore_errors=True))
    shutil.copytree(project, shared, dirs_exist_ok=True)
    config = shared / "config.toml"
    assert cli("build", config=config).exit_code == 0
    assert cli("status", config=config).exit_code == 0  # and so imports all it needs
    for path in [shared, *shared.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # readable by all, writable by root
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (reported through the pipe)
        try:
            os.setgid(65534)
            os.setuid(65534)
            result = cli("status", config=config)
            os.write(writer, f"{result.exit_code}\n{result.stderr}".encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        code, _, stderr = pipe.read().partition("\n")
    os.waitpid(child, 0)
    assert code == "1", stderr
    assert "permission denied" in stderr and "not writable by this user" in stderr, stderr
    assert "corrupt" not in stderr
