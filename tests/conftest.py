"""Every test's fixtures, from the modules in `tests/fixtures/` named for what they start; and
the rule that runs a module's project tests on both store engines."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures.project", "tests.fixtures.postgres", "tests.fixtures.smtp",
                  "tests.fixtures.http", "tests.fixtures.chromium"]

ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """In a module that sets BOTH_ENGINES, every test of a project runs on each engine, but for
    those marked `sqlite_only` (they look at the SQLite file itself)."""
    if ("project" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_ENGINES", False)
            and not metafunc.definition.get_closest_marker("sqlite_only")):
        metafunc.parametrize("engine", ENGINES, indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under mutmut, a mutant's tests run fastest first (durations from mutmut's own stats): most
    mutants are killed by a quick unit test, and `-x` then stops before the builds and browsers
    that file order would run first. A verdict does not depend on the order; its time does."""
    stats = Path("mutmut-stats.json")
    if not os.environ.get("MUTANT_UNDER_TEST") or not stats.exists():
        return
    durations = json.loads(stats.read_text())["duration_by_test"]
    items.sort(key=lambda item: durations.get(item.nodeid, math.inf))


@pytest.fixture(autouse=True)
def fresh_slugs() -> None:
    """Category slugs are memoised: each test works them out anew, so that a test exercises the
    rules rather than a memo an earlier test left (mutation testing forks with it warm)."""
    from feedsmith.identity import category_slug

    category_slug.cache_clear()
