"""A store on PostgreSQL shared by several machines: the lock and the ledger hold across worker
processes, a killed worker sends nothing twice, and a store copied between the engines builds
the same bytes. (The store, digest and delivery tests also run on PostgreSQL: BOTH_ENGINES.)"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from feedsmith import pipeline
from feedsmith.config import load_config
from feedsmith.store.postgres import RUN_LOCK
from tests.fixtures.postgres import Postgres
from tests.fixtures.project import Result, contents, query, use_store
from tests.fixtures.smtp import Inbox, free_port, set_smtp

A, B = "enews@lists.example.org", "editor@example.org"
NOW = "2023-12-01T08:00"


@pytest.fixture
def pg_project(project: Path, postgres: Postgres) -> Path:
    """The example project with its store in a new PostgreSQL database."""
    use_store(project, f'url = "{postgres.new_database()}"')
    return project


def _url(project: Path) -> str:
    config = load_config(project / "config.toml")
    return config.store.url


def _feedsmith(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "feedsmith", "--config", str(project / "config.toml"), *args]


def test_ids_and_times_sort_by_bytes_whatever_the_databases_collation(pg_project: Path,
        cli_in: Callable[..., Result]) -> None:
    """The test server's databases sort text by ICU en-US rules; feedsmith's queries order by
    id (which title correction wins, the feeds' order) and compare times as text, so its
    columns must compare as SQLite's do: byte by byte."""
    assert cli_in(pg_project, "build").exit_code == 0
    columns = query(pg_project, "SELECT table_name, column_name, collation_name FROM "
                                "information_schema.columns WHERE table_schema = "
                                "current_schema() AND data_type = 'text'")
    assert len(columns) > 40 and {collation for _, _, collation in columns} == {"C"}, columns
    ids = [i for (i,) in query(pg_project, "SELECT id FROM entries ORDER BY id")]
    assert ids == sorted(ids, key=lambda i: i.encode()) and len(ids) == 50
    words = ["a-b", "ab", "B", "a_c"]
    collation = query(pg_project, "SELECT x FROM (VALUES ('a-b'), ('ab'), ('B'), ('a_c')) v(x) "
                                  "ORDER BY x")
    assert [w for (w,) in collation] != sorted(words)  # the database's own order is not bytes


def test_status_names_the_engine_and_database_and_never_a_password(
        pg_project: Path, monkeypatch: pytest.MonkeyPatch, cli_in: Callable[..., Result]) -> None:
    monkeypatch.setenv("FEEDSMITH_TEST_PGPASSWORD", "s3cret-value")
    config = pg_project / "config.toml"
    config.write_text(config.read_text().replace(
        "[store]\n", '[store]\npassword_env = "FEEDSMITH_TEST_PGPASSWORD"\n'))
    assert cli_in(pg_project, "build").exit_code == 0  # trust auth: the password is not needed
    status = cli_in(pg_project, "status", "--now", NOW)
    assert status.exit_code == 0
    assert f"Store: PostgreSQL {_url(pg_project)}\n" in status.stdout
    assert "s3cret" not in status.stdout + status.stderr


@pytest.mark.parametrize(("setting", "expected"), [
    ('url = "postgresql://feeds:hunter2@db.example.org/feeds"', "keep the password out of the URL"),
    ('url = "postgresql://feeds@db/feeds?password=x"', "keep the password out of the URL"),
    ('url = "mysql://feeds@db/feeds"', "expected a PostgreSQL URL"),
    ('url = "postgresql://feeds@db/feeds"\npath = "x.db"', "give either path"),
])
def test_a_bad_store_setting_is_one_clear_line(project: Path, setting: str, expected: str,
        cli_in: Callable[..., Result]) -> None:
    use_store(project, setting)
    result = cli_in(project, "build")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert f"config.toml: [store] url: {expected}" in result.stderr
    assert "hunter2" not in result.stderr


def test_an_unreachable_server_or_missing_password_is_a_clear_error(
        project: Path, tmp_path: Path, cli_in: Callable[..., Result]) -> None:
    use_store(project, f'url = "postgresql://feedsmith@/feeds?host={tmp_path}/nowhere"\n'
                       'password_env = "FEEDSMITH_TEST_UNSET"')
    result = cli_in(project, "build")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "the environment variable FEEDSMITH_TEST_UNSET ([store] password_env) is not set" \
        in result.stderr
    config = project / "config.toml"
    config.write_text(config.read_text().replace('password_env = "FEEDSMITH_TEST_UNSET"\n', ""))
    result = cli_in(project, "build")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "cannot connect to the PostgreSQL server" in result.stderr
    assert not (project / "feeds").exists()


_HOLD_THE_LOCK = """
import psycopg, sys, time
connection = psycopg.connect(sys.argv[1], autocommit=True)
connection.execute("SELECT pg_advisory_lock(%s)", (int(sys.argv[2]),))
print("held", flush=True)
time.sleep(60)
"""


def test_the_run_lock_is_held_in_the_database_honours_wait_and_dies_with_its_holder(
        pg_project: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_THE_LOCK, _url(pg_project), str(RUN_LOCK)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started = time.monotonic()
        blocked = subprocess.run(_feedsmith(pg_project, "build", "--wait", "0.5"),
                                 check=False, capture_output=True, text=True)
        assert blocked.returncode == 1 and time.monotonic() - started >= 0.5
        assert "another feedsmith run is still working on this store (waited 0.5 s)" \
            in blocked.stderr
        assert not (pg_project / "feeds").exists()
        waiting = subprocess.Popen(_feedsmith(pg_project, "build", "--wait", "60"),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        assert waiting.poll() is None  # still waiting for the lock
        holder.send_signal(signal.SIGKILL)  # the server drops its lock with its connection
        out, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 0, err
        assert "50 new" in out
    finally:
        holder.kill()
        holder.communicate()


def test_workers_on_several_machines_build_and_send_one_issue_once(
        pg_project: Path, inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    """Four workers, each with its own folder (its own machine), share one database: they
    build at the same moment, then run `run-due` at the same moment; each recipient gets one
    copy."""
    server, port = inbox
    set_smtp(pg_project, port, [A, B])
    folders = [tmp_path / f"worker{number}" for number in range(4)]
    for folder in folders:
        shutil.copytree(pg_project, folder)
    builds, _ = _all_at_once(folders, "build")
    assert sum("Entries: 50 new" in out for out in builds) == 1  # the others found them stored
    _all_at_once(folders, "run-due", "--now", NOW)
    assert len(server.to(A)) == len(server.to(B)) == 1
    assert query(pg_project, "SELECT month, number FROM issues") == [("2023-11", 1)]
    assert query(pg_project, "SELECT COUNT(*) FROM entries") == [(50,)]
    assert sorted(query(pg_project, "SELECT recipient, state, attempts FROM deliveries")) == [
        (B, "sent", 1), (A, "sent", 1)]


def _all_at_once(folders: list[Path], *command: str) -> tuple[list[str], list[str]]:
    """Run the command in every folder at the same moment; their outputs, once all succeeded."""
    workers = [subprocess.Popen(_feedsmith(folder, *command), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for folder in folders]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * len(folders), outputs
    return [out for out, _ in outputs], [err for _, err in outputs]


class HoldingInbox(Inbox):
    """Keeps the message to `held` unanswered: the sender is mid-send until it is killed."""

    def __init__(self, held: str) -> None:
        super().__init__()
        self.held = held
        self.holding = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.held in envelope.rcpt_tos:
            self.holding.set()
            await asyncio.sleep(30)
            return "451 4.3.0 gave up"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def holding_inbox() -> Iterator[tuple[HoldingInbox, int]]:
    handler, port = HoldingInbox(B), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_a_worker_killed_mid_send_leaves_nothing_to_send_twice(
        pg_project: Path, holding_inbox: tuple[HoldingInbox, int], tmp_path: Path,
        cli_in: Callable[..., Result]) -> None:
    server, port = holding_inbox
    set_smtp(pg_project, port, [A, B])
    other = tmp_path / "other-machine"
    shutil.copytree(pg_project, other)
    assert cli_in(pg_project, "build").exit_code == 0
    worker = subprocess.Popen(_feedsmith(pg_project, "run-due", "--now", NOW),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert server.holding.wait(120), worker.communicate()
    worker.send_signal(signal.SIGKILL)
    worker.communicate()
    assert sorted(query(pg_project, "SELECT recipient, state FROM deliveries")) == [
        (B, "sending"), (A, "sent")]
    again = subprocess.run(_feedsmith(other, "run-due", "--now", "2023-12-01T09:00"),
                           check=False, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert len(server.to(A)) == 1 and server.to(B) == []  # nothing twice, nothing guessed
    status = cli_in(other, "status", "--now", "2023-12-01T09:00").stdout
    assert f"issue 2023-11 to {B}: outcome unknown, it may have arrived" in status


def _add_item(project: Path) -> None:
    listing = min((project / "listings").glob("*.txt"))
    text = listing.read_text()
    at = text.index("  1. ")
    listing.write_text(text[:at] + "  1. News\n\n    A new item after the copy\n\n"
                       "    03 January 2024\n\n" + text[at:].replace("  1. ", "  0. ", 1))


def test_a_store_copied_between_engines_builds_the_same_bytes(
        project: Path, postgres: Postgres, tmp_path: Path, cli_in: Callable[..., Result]) -> None:
    first = datetime(2023, 12, 1, 9, tzinfo=UTC)
    pipeline.build(load_config(project / "config.toml"), first)
    assert cli_in(project, "digest", "--month", "2023-11", "--now", NOW).exit_code == 0
    on_postgres, back = tmp_path / "on-postgres", tmp_path / "back-on-sqlite"
    url = postgres.new_database()
    for folder in (on_postgres, back):
        shutil.copytree(project, folder)
        (folder / "feedsmith.db").unlink()
    copied = cli_in(project, "store", "copy", "--to", url)
    assert copied.exit_code == 0, copied.stderr
    assert "50 entries, 1 ledger issue(s)" in copied.stdout
    use_store(on_postgres, f'url = "{url}"')
    again = cli_in(on_postgres, "store", "copy", "--to", str(back / "feedsmith.db"))
    assert again.exit_code == 0, again.stderr
    refused = cli_in(project, "store", "copy", "--to", url)
    assert refused.exit_code == 1 and "already holds a feedsmith store" in refused.stderr
    later = datetime(2024, 1, 3, 9, tzinfo=UTC)
    for folder in (project, on_postgres, back):
        _add_item(folder)
        report = pipeline.build(load_config(folder / "config.toml"), later)
        assert report.merge.new == 1
    assert contents(on_postgres / "feeds") == contents(project / "feeds")
    assert contents(back / "feeds") == contents(project / "feeds")
    ledger = "SELECT month, number, subject, eml FROM issues"
    assert query(on_postgres, ledger) == query(back, ledger) == query(project, ledger)


def test_a_failed_copy_leaves_no_target_behind(project: Path, tmp_path: Path,
        cli_in: Callable[..., Result]) -> None:
    target = tmp_path / "copy.db"
    missing = cli_in(project, "store", "copy", "--to", str(target))
    assert missing.exit_code == 1 and "no state database yet" in missing.stderr
    assert not target.exists() and not os.path.exists(f"{target}.lock")

