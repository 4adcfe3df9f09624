"""The fingerprints that mark output stale: every config field is on a decided side, and
changing a field that counts changes its fingerprint while one that does not, does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from feedsmith.config import load_config
from feedsmith.config.fingerprint import (
    NOT_READ,
    NOT_RENDERED,
    OUTSIDE_RENDERING,
    SITE_FIELDS_READ,
    render_settings,
    source_settings,
)
from feedsmith.config.model import SiteConfig, SourceConfig
from feedsmith.pipeline import render_fingerprint
from tests.fixtures.project import Result


def _leaves(record: Any, prefix: str = "") -> list[str]:
    """Every field of a config record, a nested record's by dotted name ("digest.smtp.host");
    the sources as one ("sources": their fields have a fingerprint of their own)."""
    names = []
    for name, value in record._asdict().items():
        if hasattr(value, "_fields"):  # a nested record
            names += _leaves(value, f"{prefix}{name}.")
        else:
            names.append(f"{prefix}{name}")
    return names


def test_every_config_field_is_placed(project: Path) -> None:
    """A field added to the config counts for the feeds and pages (it is in [site] or
    [output]) or is listed, with why, as not shaping them: never forgotten."""
    config = load_config(project / "config.toml")
    outside = [name for names in OUTSIDE_RENDERING.values() for name in names]
    assert len(outside) == len(set(outside))
    rendered = [name for name in _leaves(config) if name.split(".")[0] in ("site", "output")]
    undecided = set(_leaves(config)) - set(rendered) - set(outside)
    assert not undecided, f"place these in feedsmith/config/fingerprint.py: {undecided}"
    assert set(outside) <= set(_leaves(config)), "listed, but not in the config"
    assert NOT_RENDERED.keys() <= set(rendered)
    assert NOT_READ.keys() <= set(SourceConfig._fields)
    assert set(SITE_FIELDS_READ) <= set(SiteConfig._fields)


def _changed(value: Any) -> Any:
    """Another value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, Path):
        return value / "elsewhere"
    if isinstance(value, ZoneInfo):
        return ZoneInfo("Asia/Tokyo" if value.key != "Asia/Tokyo" else "UTC")
    if isinstance(value, tuple):
        return (*value, ("item", "x.y") if value and isinstance(value[0], tuple) else "x")
    raise AssertionError(f"no other value for {value!r}")


@pytest.mark.parametrize("table", ["site", "output"])
def test_each_rendered_field_changes_the_render_fingerprint(project: Path, table: str) -> None:
    config = load_config(project / "config.toml")
    before = render_fingerprint(config, False)
    record = getattr(config, table)
    for name, value in record._asdict().items():
        edited = config._replace(**{table: record._replace(**{name: _changed(value)})})
        changed = render_fingerprint(edited, False) != before
        assert changed == (f"{table}.{name}" not in NOT_RENDERED), name


def test_other_tables_do_not_change_the_render_fingerprint(project: Path) -> None:
    config = load_config(project / "config.toml")
    edited = config._replace(digest=config.digest._replace(title="Another"),
                             fetch=config.fetch._replace(timeout=3.0), sources=())
    assert render_settings(edited) == render_settings(config)


def test_each_source_field_that_is_read_changes_the_source_settings(project: Path) -> None:
    config = load_config(project / "config.toml")
    source, site = config.sources[0], config.site
    before = source_settings(source, site)
    for name, value in source._asdict().items():
        changed = source_settings(source._replace(**{name: _changed(value)}), site) != before
        assert changed == (name not in NOT_READ), name
    for name in ("id_authority", "timezone", "title"):
        edited_site = site._replace(**{name: _changed(getattr(site, name))})
        assert (source_settings(source, edited_site) != before) == (name in SITE_FIELDS_READ)


def test_a_new_time_zone_or_id_authority_reads_every_listing_again(
        project: Path, cli: Callable[..., Result]) -> None:
    """Both shape every entry (its time, its id): the files are read again, not trusted."""
    assert cli("build").exit_code == 0
    assert set(SITE_FIELDS_READ) == {"timezone", "id_authority"}
    config = project / "config.toml"
    for old, new in (('timezone = "Europe/Zurich"', 'timezone = "America/New_York"'),
                     ('id_authority = "feeds.example.org,2024"',
                      'id_authority = "feeds.example.org,2025"')):
        config.write_text(config.read_text().replace(old, new))
        assert cli("build").stdout.startswith("Sources: 5 listing(s) read, 0 unchanged"), new
