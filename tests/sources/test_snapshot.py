"""Selectors under test: `check --save DIR` keeps what a source's page gave, `check --against
DIR` reads it again offline with today's config and fails, with a diff, where items differ."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tests.fixtures.http import Site
from tests.fixtures.project import Result
from tests.sources.test_health import _listing, use_listing_page


def test_saved_listings_are_read_again_offline_and_a_changed_selector_fails(
        project: Path, cli: Callable[..., Result], web: Site, tmp_path: Path) -> None:
    web.route("/news", _listing(5))
    config = use_listing_page(project, f"{web.base}/news")
    saved = tmp_path / "snapshots"
    result = cli("check", "--save", str(saved))
    assert result.exit_code == 0, result.output
    items = (saved / "ilo-coop" / "items.txt").read_text()
    assert items.count("[News]  Item number") == 5 and "link: http" in items
    web.route("/news", status=500)  # offline from now on: the saved page is what is read
    same = cli("check", "--against", str(saved))
    assert same.exit_code == 0 and "reads its saved listing in" in same.stdout, same.output
    config.write_text(config.read_text().replace('summary = ".s"', 'summary = ".nothing"'))
    changed = cli("check", "--against", str(saved))
    assert changed.exit_code == 1
    assert "Source 'ilo-coop' reads its saved listing differently" in changed.stdout
    assert "-    summary: What happened in item 1." in changed.stdout
    assert not (project / "feedsmith.db").exists()  # nothing touched


def test_a_file_source_is_saved_under_its_path_relative_to_the_config(
        project: Path, cli: Callable[..., Result], tmp_path: Path) -> None:
    saved = tmp_path / "snapshots"
    assert cli("check", "--save", str(saved)).exit_code == 0
    items = (saved / "ilo-coop" / "items.txt").read_text()
    assert items.startswith("# listings/") and str(project) not in items
    moved = project / "another-checkout"  # the same config elsewhere: still the same reading
    for folder in ("listings", "assets"):
        shutil.copytree(project / folder, moved / folder)
    shutil.copy(project / "config.toml", moved / "config.toml")
    result = cli("check", "--against", str(saved), config=moved / "config.toml")
    assert result.exit_code == 0, result.output
    both = cli("check", "--save", str(saved), "--against", str(saved),
               config=moved / "config.toml")
    assert both.exit_code == 2 and "give --save or --against, not both" in both.stderr
