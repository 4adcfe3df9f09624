"""Shared fixtures: a copy of the shipped example project, a site config, and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
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
