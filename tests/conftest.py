"""Shared fixtures: a copy of the shipped example project (on SQLite, or on a real PostgreSQL
server in modules that set BOTH_ENGINES), a site config, a CLI runner, SMTP and HTTP servers."""

from __future__ import annotations

import contextlib
import email
import glob
import io
import itertools
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from feedsmith.cli import main
from feedsmith.config import SiteConfig

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def require(program: str, why: str) -> str:
    """The path of a system program a test drives, or skip saying why (fail under CI=true, where
    `tests/system-packages` should have installed it)."""
    found = shutil.which(program)
    if found is None:
        message = f"{program} is not installed ({why}); tests/system-packages installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` (relative path) -> its bytes and mtime: what a build published."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def contents(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path) -> its bytes."""
    return {name: data for name, (data, _) in tree(folder).items()}


ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """In a module that sets BOTH_ENGINES, every test of a project runs on each engine, but for
    those marked `sqlite_only` (they look at the SQLite file itself)."""
    if ("project" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_ENGINES", False)
            and not metafunc.definition.get_closest_marker("sqlite_only")):
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def project(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> Path:
    """A fresh copy of the shipped example: config.toml and listings/, output into feeds/; its
    store in a new PostgreSQL database when `engine` says so."""
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    shutil.copytree(REPO / "listings", tmp_path / "listings")
    shutil.copytree(REPO / "digest", tmp_path / "digest")  # the example's editorials
    if engine == "postgresql":
        server: Postgres = request.getfixturevalue("postgres")
        use_store(tmp_path, f'url = "{server.new_database()}"')
    return tmp_path


@pytest.fixture
def copy_project(engine: str, request: pytest.FixtureRequest) -> Callable[[Path, Path], None]:
    """Copy a project to a new folder with a store of its own (on PostgreSQL, a new database)."""

    def copy(project: Path, folder: Path) -> None:
        shutil.copytree(project, folder)
        if engine == "postgresql":
            server: Postgres = request.getfixturevalue("postgres")
            config = folder / "config.toml"
            text = config.read_text()
            old = tomllib.loads(text)["store"]["url"]
            config.write_text(text.replace(old, server.new_database()))

    return copy


def use_store(project: Path, setting: str) -> None:
    """Give the project's config a [store] table (before [site], so that later edits that cut
    the config's tail keep it)."""
    config = project / "config.toml"
    text = config.read_text()
    at = text.index("[site]")
    config.write_text(f"{text[:at]}[store]\n{setting}\n\n{text[at:]}")


def query(project: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of `sql` (with `?` placeholders) from the project's store, read with the engine's own
    client (sqlite3 or psycopg), not with feedsmith's."""
    store = tomllib.loads((project / "config.toml").read_text()).get("store", {})
    if "url" in store:
        import psycopg

        with psycopg.connect(store["url"], autocommit=True) as connection:
            return connection.execute(sql.replace("?", "%s"), params).fetchall()
    with contextlib.closing(sqlite3.connect(project / store.get("path", "feedsmith.db"))) as db:
        return db.execute(sql, params).fetchall()


class Postgres:
    """A PostgreSQL server of the test session's own: a temporary cluster listening on a Unix
    socket only, whose default collation (ICU en-US) does not sort by bytes, as many
    production databases do not."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "socket"
        self._names = itertools.count(1)

    def url(self, database: str) -> str:
        return f"postgresql://feedsmith@/{database}?host={self.socket}"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = f"store{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu "
                               "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
        return self.url(name)


def _postgres_programs() -> Path | None:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob(
        "/usr/lib/postgresql/*/bin/initdb"), reverse=True)), None)
    return Path(found).resolve().parent if found else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """Start a PostgreSQL server for the session (initdb and pg_ctl; as the `postgres` user when
    the tests run as root, which PostgreSQL refuses), stop it at the end."""
    programs = _postgres_programs()
    if programs is None:
        message = ("PostgreSQL is not installed (the store's tests run on a real server too); "
                   "tests/system-packages installs it")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="feedsmith-pg-"))
    server = Postgres(folder)
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, log = folder / "data", folder / "server.log"
    subprocess.run([*as_user, "mkdir", str(server.socket)], check=True)
    subprocess.run([*as_user, str(programs / "initdb"), "-D", str(data), "-U", "feedsmith",
                    "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                    "-o", f"-c listen_addresses='' -k {server.socket} -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        yield server
    finally:
        subprocess.run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Result:
    """How one in-process `feedsmith` run ended and what it printed."""

    exit_code: int
    stdout: str
    stderr: str
    output: str  # both, interleaved as a terminal shows them
    exception: Exception | None  # an error that escaped `main` (with --debug)


class _Tee(io.StringIO):
    def __init__(self, both: io.StringIO) -> None:
        super().__init__()
        self.both = both

    def write(self, text: str) -> int:
        self.both.write(text)
        return super().write(text)


def invoke(*args: str) -> Result:
    """Run `feedsmith ARGS...` in this process, as the console script would."""
    both = io.StringIO()
    out, err = _Tee(both), _Tee(both)
    exit_code, exception = 0, None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as stop:
            exit_code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        except Exception as error:  # noqa: BLE001 - what the test looks at
            exit_code, exception = 1, error
    return Result(exit_code, out.getvalue(), err.getvalue(), both.getvalue(), exception)


@pytest.fixture
def cli(project: Path) -> Callable[..., Result]:
    """Run `feedsmith --config <project>/config.toml ARGS...` in-process."""

    def run(*args: str, config: Path | None = None) -> Result:
        return invoke("--config", str(config or project / "config.toml"), *args)

    return run


@pytest.fixture
def site() -> SiteConfig:
    return SiteConfig(title="Test site", link="https://news.example.org/listing",
                      base_url="https://feeds.example.org/", id_authority="example.org,2024",
                      timezone=ZoneInfo("Europe/Zurich"), author_name="Test Desk")


class Inbox:
    """An aiosmtpd handler that keeps every accepted message and refuses chosen recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()
        self.drop_after_data: set[str] = set()  # accept, then hang up without answering

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        if self.drop_after_data.intersection(envelope.rcpt_tos):
            server.transport.close()  # the message is in; the client never hears so
        return "250 Message accepted for delivery"

    def to(self, recipient: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if recipient in rcpts]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def set_smtp(project: Path, port: int, to: list[str]) -> None:
    config = project / "config.toml"
    text = config.read_text()
    text = text[:text.index("[digest.smtp]")]
    text = text.replace('to = ["coop-enews@lists.example.org"]', f"to = {json.dumps(to)}")
    config.write_text(text + f'[digest.smtp]\nhost = "127.0.0.1"\nport = {port}\n'
                             'security = "none"\n')


class Site:
    """A real HTTP server on 127.0.0.1 serving `routes`: path (with query) -> Route."""

    def __init__(self) -> None:
        self.routes: dict[str, dict[str, Any]] = {}
        self.hits: dict[str, int] = {}
        self.requests: list[dict[str, str]] = []
        self.base = ""

    def route(self, path: str, body: bytes = b"", status: int = 200, etag: str = "",
              delay: float = 0, content_type: str = "text/html; charset=utf-8",
              location: str = "", fail_times: int = 0, last_modified: str = "",
              trickle: float = 0) -> None:
        self.routes[path] = {"body": body, "status": status, "etag": etag, "delay": delay,
                             "type": content_type, "location": location, "fail": fail_times,
                             "modified": last_modified, "trickle": trickle}


@pytest.fixture
def web() -> Iterator[Site]:
    with serve_site() as site:
        yield site


@pytest.fixture
def other_web() -> Iterator[Site]:
    """A second server: another origin (another port on 127.0.0.1)."""
    with serve_site() as site:
        yield site


@contextlib.contextmanager
def serve_site() -> Iterator[Site]:
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    site = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.hits[self.path] = site.hits.get(self.path, 0) + 1
            site.requests.append({k.lower(): v for k, v in self.headers.items()})
            route = site.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            time.sleep(route["delay"])
            if route["fail"] > 0:
                route["fail"] -= 1
                self.send_error(503)
                return
            if (route["etag"] and self.headers.get("If-None-Match") == route["etag"]) or (
                    route["modified"]
                    and self.headers.get("If-Modified-Since") == route["modified"]):
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route["status"])
            if route["location"]:
                self.send_header("Location", route["location"])
            self.send_header("Content-Type", route["type"])
            if route["etag"]:
                self.send_header("ETag", route["etag"])
            if route["modified"]:
                self.send_header("Last-Modified", route["modified"])
            self.send_header("Content-Length", str(len(route["body"])))
            self.end_headers()
            if route["trickle"]:
                for byte in route["body"]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(route["trickle"])
                return
            self.wfile.write(route["body"])

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that hung up (a cut deadline, a size limit) is part of the tests

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
