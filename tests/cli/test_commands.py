"""The command line: one clear `Error:` line and an exit code for every user mistake."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from feedsmith.cli import main
from feedsmith.config import load_config
from feedsmith.dates import language_tag
from feedsmith.errors import ConfigError
from tests.fixtures.project import Result

MINIMAL = """
[site]
title = "Minimal"
link = "https://news.example.org/"
base_url = "https://feeds.example.org"
id_authority = "example.org,2024"

[[sources]]
name = "main"
paths = ["listings/*.txt"]
"""


def _config(project: Path, text: str) -> Path:
    path = project / "config.toml"
    path.write_text(text)
    return path


def test_build_prints_a_summary(cli: Callable[..., Result]) -> None:
    result = cli("build")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Sources: 5 listing(s) read, 0 unchanged, 0 failed; 0 warning(s).",
                         "Entries: 50 new, 0 updated, 50 in the store."]
    assert re.fullmatch(r"Output: 64 file\(s\) written to .*feeds/, 0 unchanged\.", lines[2])
    again = cli("build").stdout.splitlines()
    assert again[0] == "Sources: 0 listing(s) read, 5 unchanged, 0 failed; 0 warning(s)."
    assert re.fullmatch(r"Output: .*feeds/ is up to date, nothing written\.", again[2])


def test_optional_keys_take_their_documented_defaults(project: Path,
                                                      cli: Callable[..., Result]) -> None:
    _config(project, MINIMAL)
    assert cli("build").exit_code == 0
    parsed = feedparser.parse(project / "feeds" / "all.atom")  # default output dir: feeds/
    assert len(parsed.entries) == 50  # default max_entries
    assert parsed.entries[0].published == "2023-12-01T12:00:00+00:00"  # default timezone: UTC
    assert parsed.feed.author == "Minimal"  # default author: the site title
    assert parsed.feed.links[0].href == "https://feeds.example.org/all.atom"


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t + "\n[output]\nmax_entires = 5\n", "[output]: unknown key(s): max_entires"),
    (lambda t: t.replace('title = "Minimal"', 'title = "Minimal"\ntimezone = "Mars/Base"'),
     '[site] timezone: expected an IANA time zone such as "Europe/Zurich", got \'Mars/Base\''),
    (lambda t: t.replace('title = "Minimal"', f'title = "Minimal"\ntimezone = "{"é" * 300}"'),
     "[site] timezone: expected an IANA time zone"),  # longer than a file name may be
    (lambda t: t.replace("example.org,2024", "example"), "[site] id_authority: expected a domain"),
    (lambda t: t.replace('base_url = "https://feeds.example.org"\n', ""),
     "[site] base_url: is required but missing"),
    (lambda t: t.replace('"https://news.example.org/"', '"news.example.org"'),
     "[site] link: expected an absolute http(s) URL"),
    (lambda t: t + "\n[output]\nmax_entries = 0\n",
     "[output] max_entries: expected a whole number from 1 to 10,000, got 0"),
    (lambda t: t + "\n[output]\nmax_entries = \"ten\"\n", "[output] max_entries: expected a whole number, got 'ten'"),
    (lambda t: t.replace("[[sources]]", "[[sorces]]"), "no [[sources]]"),
    (lambda t: t.replace('paths = ["listings/*.txt"]', 'paths = []'),
     "[sources 'main']: give either `paths` (files or globs) or `url`"),
    (lambda t: t.replace('paths = ["listings/*.txt"]', 'url = "ftp://example.org/x"'),
     "[sources 'main'] url: expected an absolute http(s) URL"),
    (lambda t: t + '\n[sources.selectors]\nitem = "li"\n',
     "[sources 'main'.selectors]: needs at least `item`, `title` and `date`"),
    (lambda t: t.replace("[site]", "[site\n"), "not valid TOML"),
    (lambda t: t + "\n[outptu]\nmax_entries = 5\n",
     "unknown table(s) or key(s): outptu (did you mean 'output'?)"),
])
def test_config_mistakes_name_the_file_and_key(project: Path, cli: Callable[..., Result],
                                               edit: Callable[[str], str], message: str) -> None:
    path = _config(project, edit(MINIMAL))
    result = cli("build")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}")
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not (project / "feeds").exists()


@pytest.mark.parametrize(("table", "line", "message"), [
    ("output", "max_entries = 100000000000000000000", "from 1 to 10,000, got"),
    ("output", "max_entires = 5", "unknown key(s): max_entires (did you mean 'max_entries'?)"),
    ("digest", "first_number = 0", "[digest] first_number: expected a whole number from 1 to"),
    ("digest", "first_number = 99999999999999999999", "[digest] first_number: expected"),
    ("digest", "max_html_bytes = -5", "[digest] max_html_bytes: expected a whole number from"),
    ("digest", "lookback_months = -1", "[digest] lookback_months: expected a whole number from"),
    ("digest.smtp", "port = 99999", "[digest.smtp] port: expected a whole number from 1 to"),
    ("digest.smtp", "timeout = 0", "[digest.smtp] timeout: expected a whole number from 1 to"),
    ("schedule", "max_lateness_days = 100000", "[schedule] max_lateness_days: expected a whole"),
    ("fetch", "timeout = 0", "[fetch]: timeout must be from 0.1 to 600 seconds"),
    ("fetch", "max_redirects = 1000", "[fetch] max_redirects: expected a whole number from 0"),
])
def test_every_number_has_a_range(project: Path, cli: Callable[..., Result], table: str,
                                  line: str, message: str) -> None:
    _config(project, MINIMAL + f"\n[{table}]\n{line}\n")
    result = cli("build")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("authority", ["example.org,2024-13-45", "example.org,2023-02-29",
                                       "example.org,0000"])
def test_the_id_authority_date_must_exist(project: Path, cli: Callable[..., Result],
                                          authority: str) -> None:
    _config(project, MINIMAL.replace("example.org,2024", authority))
    assert "[site] id_authority: expected a domain" in cli("build").stderr


@pytest.mark.parametrize(("table", "key"), [
    ("site", "title"), ("site", "author"), ("digest", "title"), ("digest", "from"),
    ("digest", "to"), ("digest", "list_id"), ("digest", "unsubscribe")])
@pytest.mark.parametrize("control", ["\\r\\nBcc: victim@example.org", "\\u0000", "\\u2028x"])
def test_control_characters_that_would_reach_a_header_are_config_errors(
        project: Path, cli: Callable[..., Result], table: str, key: str, control: str) -> None:
    values = {"title": "A", "author": "Desk <desk@example.org>", "from": "a@example.org",
              "to": "b@example.org", "list_id": "list.example.org",
              "unsubscribe": "https://example.org/leave"}
    value = f'"{values[key]}{control}"'
    text = MINIMAL.replace('title = "Minimal"', 'title = "Minimal"\nauthor = "Desk"')
    if table == "site":
        text = re.sub(rf"(?m)^{key} = .*$", lambda _: f"{key} = {value}", text, count=1)
    else:
        text += f"\n[digest]\n{key} = {value if key not in ('to', 'unsubscribe') else f'[{value}]'}\n"
    _config(project, text)
    result = cli("build")
    assert result.exit_code == 1, result.output
    assert f"[{table}] {key}: contains a" in result.stderr
    assert "Traceback" not in result.output


def test_language_tags_are_normalised(project: Path, cli: Callable[..., Result]) -> None:
    _config(project, MINIMAL.replace('title = "Minimal"', 'title = "Minimal"\nlanguage = "en_us"'))
    assert cli("build").exit_code == 0
    index = (project / "feeds" / "index.html").read_text()
    assert '<html lang="en-US">' in index
    assert feedparser.parse(project / "feeds" / "all.rss").feed.language == "en-US"


def test_toml_syntax_errors_give_the_line(project: Path, cli: Callable[..., Result]) -> None:
    _config(project, MINIMAL.replace('title = "Minimal"', 'title = Minimal'))
    assert "line 3" in cli("build").stderr


def test_missing_config_and_missing_files(project: Path, cli: Callable[..., Result]) -> None:
    result = cli("build", config=project / "nope.toml")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {project / 'nope.toml'}: config file not found (pass --config PATH)\n"
    _config(project, MINIMAL.replace("listings/*.txt", "listing/*.txt"))
    result = cli("build")
    assert result.exit_code == 1
    assert "source 'main': no file matches" in result.stderr


def test_debug_shows_the_traceback(project: Path) -> None:
    with pytest.raises(ConfigError):
        main(["--debug", "build", "--config", str(project / "nope.toml")])


def test_global_options_go_before_or_after_the_command(project: Path,
                                                       cli: Callable[..., Result]) -> None:
    """`feedsmith build --config FILE` as `feedsmith --config FILE build`; the later one wins."""
    after = cli("build", "--config", str(project / "config.toml"), config=project / "nope.toml")
    assert after.exit_code == 0 and after.stdout.startswith("Sources: 5 listing(s) read")
    before = cli("build", config=project / "nope.toml")
    assert before.exit_code == 1 and "nope.toml: config file not found" in before.stderr
    with pytest.raises(ConfigError):
        main(["build", "--debug", "--config", str(project / "nope.toml")])


def test_usage_errors_exit_2(cli: Callable[..., Result]) -> None:
    result = cli("bild")
    assert result.exit_code == 2
    assert "no such command 'bild' (did you mean 'build'?)" in result.stderr
    result = cli("store", "cpy")
    assert result.exit_code == 2
    assert "no such command 'cpy' (did you mean 'copy'?)" in result.stderr
    result = cli("build", "--wait", "nan")
    assert result.exit_code == 2
    assert "--wait: expected a number of seconds, 0 or more, got 'nan'" in result.stderr
    assert result.stderr.startswith("usage: feedsmith build")
    result = cli("serve", "--port", "65536")
    assert result.exit_code == 2
    assert "--port: expected a whole number from 0 to 65535, got '65536'" in result.stderr
    assert cli().exit_code == 2  # no command: the help, as a usage error
    result = cli("digest", "--week", "2021-W53")  # the form of a week, but no such week
    assert result.exit_code == 2 and "--week: 2021 has no ISO week 53" in result.stderr
    result = cli("build", "--wai", "5")  # no abbreviations: a later option could take them
    assert result.exit_code == 2 and "unrecognized arguments: --wai 5" in result.stderr


def _imported(project: Path, *args: str) -> tuple[set[str], str]:
    """The modules `feedsmith ARGS...` imports, read from `python -X importtime`, and its stdout."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "feedsmith", "--config",
                          str(project / "config.toml"), *args],
                         capture_output=True, text=True, check=True)
    modules = {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines()
               if line.startswith("import time:") and not line.endswith("| package")}
    return modules, run.stdout


# What each kind of run must not load: the next stage's machinery (issue 12: a build that has
# nothing to do is mostly start-up, and `--help` should not pay for the config or the store).
DIGEST_AND_SERVICE = {"email", "apscheduler", "mjml", "httpx", "psycopg"}
RENDERING = {"jinja2", "feedgen", "babel", "lxml", "pickle", "difflib", "feedsmith.forked"}
SLOW_TO_LOAD = {"email"}  # 9 ms: a plain mailbox is checked without it (see config.mailbox)


def test_each_run_loads_only_what_it_uses(project: Path, cli: Callable[..., Result]) -> None:
    for light in ("--help", "--version"):
        modules, _ = _imported(project, light)
        assert "argparse" in modules
        assert not modules & {"tomllib", "sqlite3", "feedsmith.config.load", "feedsmith.pipeline"}
    cold, _ = _imported(project, "build")
    assert {"feedgen", "jinja2", "feedsmith.pipeline"} <= cold
    assert not cold & DIGEST_AND_SERVICE
    time.sleep(2)  # the copied listings settle (see `stat_signature`); one more build trusts them
    assert cli("build").exit_code == 0
    unchanged, out = _imported(project, "build")
    assert out.startswith("Sources: 0 listing(s) read, 5 unchanged")
    assert {"tomllib", "sqlite3", "feedsmith.pipeline"} <= unchanged
    assert not unchanged & (DIGEST_AND_SERVICE | RENDERING | SLOW_TO_LOAD)


def test_a_reader_that_goes_away_is_no_traceback(project: Path,
                                                 cli: Callable[..., Result]) -> None:
    """`feedsmith entries | head -1`: head exits, the pipe breaks; say nothing, as cat would."""
    assert cli("build").exit_code == 0
    with subprocess.Popen([sys.executable, "-m", "feedsmith", "--config",
                           str(project / "config.toml"), "entries"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env={k: v for k, v in os.environ.items()
                               if k != "PYTHONUNBUFFERED"}) as listing:  # buffered, as a shell has it
        assert listing.stdout is not None and listing.stderr is not None
        listing.stdout.close()  # before it writes a line: no reader is left
        assert listing.wait(timeout=60) == 141
        errors = listing.stderr.read().decode()
    assert "Traceback" not in errors and "Exception ignored" not in errors, errors


def test_the_top_level_help_names_every_stage(cli: Callable[..., Result]) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    assert "newsletter" in result.stdout and "feedsmith init" in result.stdout
    for command in ("build", "check", "init", "digest", "run-due", "schedule", "status"):
        assert re.search(rf"^ +{command} +[A-Z]", result.stdout, re.MULTILINE), command


def test_entries_for_an_unknown_category_names_the_ones_there_are(
        cli: Callable[..., Result]) -> None:
    assert cli("build").exit_code == 0
    result = cli("entries", "--category", "Spotlight")
    assert result.exit_code == 2
    assert "no entries in category 'Spotlight'; the store's categories are: Blog, " in result.stderr
    assert "Spotlight Interviews with Co-operators" in result.stderr


def test_entries_fits_its_columns(cli: Callable[..., Result],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert cli("build").exit_code == 0
    lines = cli("entries", "--month", "2023-11").stdout.splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert lines[1] == ("2023-11-30  all+cat  News                            ILO offers a clinic "
                        "on the cooperative model f…")
    assert any("Spotlight Interviews with Co-…  Interview with Ekaterina Dimitrova" in line
               for line in lines)


def test_a_digest_before_any_build_says_to_build_first(cli: Callable[..., Result]) -> None:
    result = cli("digest", "--month", "2023-11", "--now", "2023-12-01T08:00")
    assert result.exit_code == 1
    assert "no state database yet: run `feedsmith build` first" in result.stderr
    assert cli("build").exit_code == 0
    with_store = cli("digest", "--month", "2023-11", "--now", "2023-12-01T08:00", "--dry-run")
    assert with_store.exit_code == 0 and "(new)" in with_store.stdout


def test_log_times_are_in_the_sites_time_zone(project: Path, cli: Callable[..., Result]) -> None:
    log_file = project / "feedsmith.log"
    assert cli("run-due", "--quiet", "--log-file", str(log_file), "--now",
               "2023-11-15T10:00").exit_code == 0
    first = log_file.read_text().splitlines()[0]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0[12]:00 INFO feedsmith: ", first)


def test_a_site_title_with_a_comma_makes_a_valid_default_sender(
        project: Path, cli: Callable[..., Result]) -> None:
    _config(project, MINIMAL.replace('title = "Minimal"', 'title = "News, stories, statements"'))
    assert cli("check").exit_code == 0
    config = load_config(project / "config.toml")
    assert config.digest.sender == '"News, stories, statements" <digest@feeds.example.org>'


def test_every_language_babel_knows_gets_the_tag_babel_gives() -> None:
    """`language_tag` answers common tags without loading Babel: its answer must be Babel's."""
    from babel import Locale, localedata

    for identifier in localedata.locale_identifiers():
        for spelling in (identifier, identifier.replace("_", "-"), identifier.lower()):
            expected = str(Locale.parse(identifier)).replace("_", "-")
            assert language_tag(spelling) == expected, spelling
    for unknown in ("xx", "en-XX", "zz-ZZ", "e", ""):
        assert language_tag(unknown) is None, unknown
