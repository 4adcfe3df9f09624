"""Shared fixtures: a copy of the shipped example project, a site config, and a CLI runner."""

from __future__ import annotations

import contextlib
import email
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result

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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the shipped example: config.toml and listings/, output into feeds/."""
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    shutil.copytree(REPO / "listings", tmp_path / "listings")
    shutil.copytree(REPO / "digest", tmp_path / "digest")  # the example's editorials
    return tmp_path


@pytest.fixture
def cli(project: Path) -> Callable[..., Result]:
    """Run `feedsmith --config <project>/config.toml ARGS...` in-process."""

    def run(*args: str, config: Path | None = None) -> Result:
        config_path = config or project / "config.toml"
        return CliRunner().invoke(main, ["--config", str(config_path), *args])

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
