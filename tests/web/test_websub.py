"""WebSub: every feed names the hub, and the hub is told once per build that changed feeds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import feedparser

from tests.fixtures.http import Site
from tests.fixtures.project import Result

SAMPLE_000 = "000_254e8c6e76770959.txt"


def _with_hub(project: Path, hub: str) -> None:
    config = project / "config.toml"
    text = config.read_text()
    text = text.replace("[site]\n", f'[site]\nhub = "{hub}"\n', 1)
    config.write_text(text.replace("[output]", "[fetch]\nretries = 1\nbackoff = 0\n\n[output]", 1))


def _pings(hub: Site) -> list[dict[str, list[str]]]:
    return [parse_qs(body.decode()) for path, body in hub.posts if path == "/hub"]


def test_feeds_name_the_hub_and_the_hub_is_told_of_changed_feeds(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/hub", status=204)
    _with_hub(project, f"{web.base}/hub")
    assert cli("build").exit_code == 0
    feeds = project / "feeds"
    base = "https://feeds.example.org/ilo-coop/"
    for name in ("all.atom", "all.rss", "news.atom", "news.rss"):
        links = {link.rel: link.href for link in feedparser.parse(feeds / name).feed.links}
        assert links["hub"] == f"{web.base}/hub" and links["self"] == base + name, name
    assert json.loads((feeds / "news.json").read_text())["hubs"] == [
        {"type": "WebSub", "url": f"{web.base}/hub"}]
    [first] = _pings(web)
    written = sorted(p.name for p in feeds.iterdir() if p.suffix in (".rss", ".atom", ".json"))
    assert first["hub.mode"] == ["publish"]
    assert first["hub.url"] == [base + name for name in written]  # every feed, once
    assert cli("build").exit_code == 0  # nothing changed: the hub hears nothing
    assert len(_pings(web)) == 1
    listing = project / "listings" / SAMPLE_000
    listing.write_text(listing.read_text().replace("ILO COOP participates", "ILO COOP joins"))
    result = cli("build")
    assert "WebSub hub told of 6 changed feed(s)." in result.stdout
    assert sorted(_pings(web)[1]["hub.url"]) == [
        base + f"{slug}.{kind}" for slug in ("all", "news") for kind in ("atom", "json", "rss")]


def test_a_failed_ping_is_a_warning_and_is_sent_with_the_next_build(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/hub", status=204, fail_times=2)  # two 503s: the first try and its one retry
    _with_hub(project, f"{web.base}/hub")
    result = cli("build")
    assert result.exit_code == 0  # the feeds are published all the same
    assert (f"warning: WebSub hub {web.base}/hub was not told of 33 changed feed(s): HTTP 503"
            in result.stderr)
    status = cli("status").stdout
    assert "WebSub: the last ping" in status and "failed" in status
    assert "sent again with the next build" in status  # under "Needs attention"
    again = cli("build")  # nothing changed, but what the hub missed is sent
    assert "WebSub hub told of 33 changed feed(s)." in again.stdout
    assert len(_pings(web)) == 3 and len(_pings(web)[2]["hub.url"]) == 33
    assert "WebSub: last told" in cli("status").stdout
    cli("build")
    assert len(_pings(web)) == 3


def test_without_a_hub_feeds_name_none(project: Path, cli: Callable[..., Result]) -> None:
    assert cli("build").exit_code == 0
    for name in ("all.atom", "all.rss"):
        assert b"hub" not in (project / "feeds" / name).read_bytes()
    assert "hubs" not in json.loads((project / "feeds" / "all.json").read_text())


def test_the_hub_is_one_line_more_in_an_rss_feed(project: Path, cli: Callable[..., Result],
                                                  web: Site) -> None:
    """RSS gets its hub link after the fact (feedgen writes only the self link there): the
    feed is otherwise the same bytes, declaration, stylesheet and layout included."""
    assert cli("build").exit_code == 0
    before = (project / "feeds" / "news.rss").read_text().splitlines(keepends=True)
    web.route("/hub", status=204)
    _with_hub(project, f"{web.base}/hub")
    assert cli("build").exit_code == 0
    after = (project / "feeds" / "news.rss").read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(before) if 'rel="self"' in line) + 1
    indent = before[at - 1][:len(before[at - 1]) - len(before[at - 1].lstrip())]
    assert after == [*before[:at], f'{indent}<atom:link href="{web.base}/hub" rel="hub"/>\n',
                     *before[at:]]
