"""Shared fixtures: a copy of the shipped example project, a site config, and a CLI runner."""

from __future__ import annotations

import email
import json
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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the shipped example: config.toml and listings/, output into feeds/."""
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    shutil.copytree(REPO / "listings", tmp_path / "listings")
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

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
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
