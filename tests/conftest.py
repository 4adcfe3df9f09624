"""Every test's fixtures, from the modules in `tests/fixtures/` named for what they start; and
the rule that runs a module's project tests on both store engines."""

from __future__ import annotations

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


@pytest.fixture(autouse=True)
def fresh_slugs() -> None:
    """Category slugs are memoised: each test works them out anew, so that a test exercises the
    rules rather than a memo an earlier test left (mutation testing forks with it warm)."""
    from feedsmith.identity import category_slug

    category_slug.cache_clear()
