"""Reading config.toml: a key no table knows is an error naming the table and the key, in
every table, so that a misspelt setting never falls back to its default in silence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import get_type_hints

import pytest

from feedsmith.config.model import Config
from tests.fixtures.project import Result

# Each table of config.toml, and how to give the shipped example that table with one unknown
# key in it (headings and social take any name, so they are not here).
TABLES = {
    "site": lambda text: text.replace("[site]\n", "[site]\nbogus_setting = 1\n", 1),
    "sources 'ilo-coop'": lambda text: text.replace("[[sources]]\n", "[[sources]]\nbogus_setting = 1\n",
                                                    1),
    "sources 'ilo-coop'.selectors": lambda text: text.replace(
        "[output]", '[sources.selectors]\nitem = "li"\ntitle = "a"\ndate = "time"\n'
                    "bogus_setting = 1\n\n[output]", 1),
    "output": lambda text: text.replace("[output]\n", "[output]\nbogus_setting = 1\n", 1),
    "store": lambda text: text + "\n[store]\nbogus_setting = 1\n",
    "digest": lambda text: text.replace("[digest.headings]", "bogus_setting = 1\n\n[digest.headings]",
                                        1),
    "digest.smtp": lambda text: text.replace("[digest.smtp]\n", "[digest.smtp]\nbogus_setting = 1\n",
                                             1),
    "schedule": lambda text: text + "\n[schedule]\nbogus_setting = 1\n",
    "fetch": lambda text: text + "\n[fetch]\nbogus_setting = 1\n",
    "alerts": lambda text: text + "\n[alerts]\nbogus_setting = 1\n",
    "follow": lambda text: text + "\n[follow]\nbogus_setting = 1\n",
}


@pytest.mark.parametrize("table", TABLES)
def test_an_unknown_key_is_refused_in_every_table(project: Path, cli: Callable[..., Result],
                                                  table: str) -> None:
    config = project / "config.toml"
    config.write_text(TABLES[table](config.read_text()))
    result = cli("check")
    assert result.exit_code == 1
    assert f"[{table}]" in result.stderr and "unknown key(s): bogus_setting" in result.stderr, \
        result.stderr
    assert "Traceback" not in result.output


def _tables(record: type, prefix: str = "") -> set[str]:
    """The tables a config record reads: its fields that are records themselves."""
    names = set()
    for name, kind in get_type_hints(record).items():
        if hasattr(kind, "_fields"):
            names |= {prefix + name, *_tables(kind, f"{prefix}{name}.")}
    return names


def test_every_table_the_config_reads_is_covered() -> None:
    """A table added to the config must be added above: its unknown keys need a test too."""
    covered = {name.replace(" 'ilo-coop'", "") for name in TABLES}
    assert _tables(Config) | {"sources", "sources.selectors"} == covered


@pytest.mark.parametrize(("change", "said"), [
    (lambda text: text.replace('paths = ["listings/*.txt"]', 'path = ["listings/*.txt"]'),
     "[sources 'ilo-coop']: unknown key(s): path (did you mean 'paths'?)"),
    (lambda text: text.replace("[output]", '[sources.selectors]\nitem = "li"\ntitle = "a"\n'
                                           'date = "time"\nimge = "img"\n\n[output]', 1),
     "unknown key(s): imge (did you mean 'image'?)"),
    (lambda text: text.replace('timezone = "Europe/Zurich"', 'timezone = "Europe/Londn"'),
     "got 'Europe/Londn' (did you mean 'Europe/London'?)"),
])
def test_a_first_hours_misspellings_get_a_did_you_mean(
        project: Path, cli: Callable[..., Result], change: Callable[[str], str],
        said: str) -> None:
    config = project / "config.toml"
    config.write_text(change(config.read_text()))
    result = cli("check")
    assert result.exit_code == 1 and said in result.stderr, result.output
