"""`render = "browser"`: a listing whose items a script adds, read in the system's headless
Chromium through the CLI, with the origin rules of plain fetching."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from tests.fixtures.http import Site
from tests.fixtures.project import Result
from tests.fixtures.system import require

ITEMS = [{"title": "Cooperatives meet in Geneva", "date": "2024-03-12", "link": "/news/geneva"},
         {"title": "A guide to cooperative statistics", "date": "2024-03-05",
          "link": "/news/statistics"}]

# The shell most script-built news pages are: an empty container, filled after load from data
# a script brings (here a script element: other origins need no CORS headers for one).
SHELL = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>News</title>
<script src="ITEMS"></script></head>
<body><main id="news"><p>Loading…</p></main>
<script>
setTimeout(function () {
  var main = document.getElementById("news");
  main.innerHTML = "";
  (window.NEWS || []).forEach(function (item) {
    var card = document.createElement("article");
    card.className = "card";
    card.innerHTML = '<h3><a href="' + item.link + '">' + item.title + '</a></h3>' +
      '<time datetime="' + item.date + '">' + item.date + '</time>';
    main.appendChild(card);
  });
}, 300);
</script></body></html>"""
DATA = f"window.NEWS = {json.dumps(ITEMS)};".encode()


def _config(folder: Path, url: str, extra: str = "", fetch: str = "", timeout: int = 8) -> Path:
    config = folder / "config.toml"
    config.write_text(f"""
[site]
title = "Rendered"
link = "{url}"
base_url = "https://feeds.coop.test/"
id_authority = "coop.test,2024"
timezone = "UTC"

[[sources]]
name = "script-built"
url = "{url}"
render = "browser"
wait_for = "article.card"
{extra}

[sources.selectors]
item = "article.card"
title = "h3 a"
date = "time"

[fetch]
timeout = {timeout}
retries = 0
{fetch}

[output]
dir = "feeds"
""", encoding="utf-8")
    return config


@pytest.fixture(autouse=True)
def chromium() -> str:
    return require("chromium", "render = \"browser\" loads pages in the system's Chromium")


def test_a_page_whose_items_a_script_adds_is_read_in_the_browser(
        tmp_path: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/news", SHELL.replace("ITEMS", "/items.js").encode())
    web.route("/items.js", DATA, content_type="text/javascript")
    config = _config(tmp_path, f"{web.base}/news")
    result = cli("build", config=config)
    assert result.exit_code == 0, result.output
    entries = feedparser.parse(tmp_path / "feeds" / "all.atom").entries
    assert [(e.title, e.link, e.published[:10]) for e in entries] == [
        (item["title"], f"{web.base}{item['link']}", item["date"]) for item in ITEMS]
    assert web.hits["/items.js"] == 1
    assert {request["user-agent"] for request in web.requests} == {
        "feedsmith (+https://feeds.coop.test/)"}  # [fetch] user_agent's default, not Chromium's
    # Read as plain HTML, the same page is the empty shell.
    config.write_text(config.read_text().replace('render = "browser"\nwait_for = "article.card"',
                                                 ""))
    plain = cli("check", config=config)
    assert plain.exit_code == 1, plain.output
    assert "Source 'script-built': 0 item(s)" in plain.stdout


def test_requests_to_other_origins_are_refused_unless_allowed(
        tmp_path: Path, cli: Callable[..., Result], web: Site, other_web: Site) -> None:
    web.route("/news", SHELL.replace("ITEMS", f"{other_web.base}/items.js").encode())
    other_web.route("/items.js", DATA, content_type="text/javascript")
    config = _config(tmp_path, f"{web.base}/news", timeout=5)
    refused = cli("build", config=config)
    assert refused.exit_code == 1
    assert "nothing matched wait_for = 'article.card' within 5 s" in refused.stderr
    assert f"refused, such as {other_web.base}/items.js: see allow_origins" in refused.stderr
    assert other_web.hits.get("/items.js", 0) == 0  # never left the browser
    allowed = _config(tmp_path, f"{web.base}/news", f'allow_origins = ["{other_web.base}"]')
    result = cli("build", config=allowed)
    assert result.exit_code == 0, result.output
    assert len(feedparser.parse(tmp_path / "feeds" / "all.atom").entries) == 2


def test_a_page_that_never_adds_its_items_fails_within_the_timeout(
        tmp_path: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/news", SHELL.replace("ITEMS", "/items.js").encode())
    web.route("/items.js", b"window.NEWS = [];", content_type="text/javascript")
    config = _config(tmp_path, f"{web.base}/news", timeout=4)
    started = time.monotonic()
    result = cli("build", config=config)
    assert time.monotonic() - started < 15  # not the browser's own 30 s
    assert result.exit_code == 1
    assert ("source 'script-built': " f"{web.base}/news: nothing matched wait_for = "
            "'article.card' within 4 s ([fetch] timeout): the page did not add its items, or "
            "wait_for does not match them\n") in result.stderr  # nothing refused to blame
    assert "Traceback" not in result.output


def test_without_wait_for_a_page_that_never_falls_quiet_is_read_at_the_timeout(
        tmp_path: Path, cli: Callable[..., Result], web: Site) -> None:
    """Without wait_for the page is read once the network is idle, or when the deadline comes:
    a page polling for news every 100 ms is read then, with what it has added."""
    polling = SHELL.replace("</body>", "<script>setInterval(function () { fetch('/ping'); }, 100);"
                            "</script></body>")
    web.route("/news", polling.replace("ITEMS", "/items.js").encode())
    web.route("/items.js", DATA, content_type="text/javascript")
    web.route("/ping", b"{}", content_type="application/json")
    config = _config(tmp_path, f"{web.base}/news", timeout=3)
    config.write_text(config.read_text().replace('wait_for = "article.card"\n', ""))
    started = time.monotonic()
    result = cli("build", config=config)
    assert time.monotonic() - started < 15  # not the browser's own 30 s
    assert result.exit_code == 0, result.output
    assert web.hits["/ping"] > 5
    entries = feedparser.parse(tmp_path / "feeds" / "all.atom").entries
    assert [e.title for e in entries] == [item["title"] for item in ITEMS]


def test_a_page_that_never_loads_fails_within_the_timeout(
        tmp_path: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/news", SHELL.replace("ITEMS", "/items.js").encode(), delay=20)
    config = _config(tmp_path, f"{web.base}/news", timeout=2)
    started = time.monotonic()
    result = cli("build", config=config)
    assert time.monotonic() - started < 15  # the page's 20 s are not waited for
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"source 'script-built': {web.base}/news: not loaded within 2 s ([fetch] timeout)" \
        in result.stderr


@pytest.mark.parametrize("status", [400, 410])
def test_a_page_answered_with_an_error_status_is_not_read(
        tmp_path: Path, cli: Callable[..., Result], web: Site, status: int) -> None:
    """The error page may well hold cards (a "latest news" box): they are not the listing."""
    web.route("/news", SHELL.replace("ITEMS", "/items.js").encode(), status=status)
    web.route("/items.js", DATA, content_type="text/javascript")
    result = cli("build", config=_config(tmp_path, f"{web.base}/news"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"source 'script-built': {web.base}/news: HTTP {status} " in result.stderr
    assert "(not retried)" in result.stderr
    assert not (tmp_path / "feeds" / "all.atom").exists()


def test_items_a_script_adds_hidden_are_read(tmp_path: Path, cli: Callable[..., Result],
                                             web: Site) -> None:
    """wait_for waits for the items to be in the page, not on screen: a listing built into a
    collapsed tab or a carousel's hidden slides is still read."""
    hidden = SHELL.replace('card.className = "card";', 'card.className = "card"; card.hidden = true;')
    web.route("/news", hidden.replace("ITEMS", "/items.js").encode())
    web.route("/items.js", DATA, content_type="text/javascript")
    result = cli("build", config=_config(tmp_path, f"{web.base}/news"))
    assert result.exit_code == 0, result.output
    entries = feedparser.parse(tmp_path / "feeds" / "all.atom").entries
    assert [e.title for e in entries] == [item["title"] for item in ITEMS]


def test_a_script_built_page_in_another_charset_is_read_right(
        tmp_path: Path, cli: Callable[..., Result], web: Site) -> None:
    """The browser decodes the page by its own charset; what it hands on is its DOM written out
    as UTF-8, which the page's stale <meta charset> must not then overrule."""
    latin = SHELL.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
    web.route("/news", latin.replace("ITEMS", "/items.js").encode("cp1252"),
              content_type="text/html; charset=windows-1252")
    items = [{**ITEMS[0], "title": "Coopératives à Genève"}]
    web.route("/items.js", f"window.NEWS = {json.dumps(items, ensure_ascii=False)};".encode(),
              content_type="text/javascript; charset=utf-8")
    result = cli("build", config=_config(tmp_path, f"{web.base}/news"))
    assert result.exit_code == 0, result.output
    entries = feedparser.parse(tmp_path / "feeds" / "all.atom").entries
    assert [e.title for e in entries] == ["Coopératives à Genève"]


def test_without_playwright_the_error_says_what_to_install(
        tmp_path: Path, cli: Callable[..., Result], web: Site,
        monkeypatch: pytest.MonkeyPatch) -> None:
    web.route("/news", SHELL.encode())
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # as if not installed
    result = cli("build", config=_config(tmp_path, f"{web.base}/news"))
    assert result.exit_code == 1
    assert "render = \"browser\" needs Playwright: pip install 'feedsmith[browser]'" in \
        result.stderr
    assert web.hits.get("/news", 0) == 0


def test_without_chromium_the_error_says_how_to_get_it(
        tmp_path: Path, cli: Callable[..., Result], web: Site,
        monkeypatch: pytest.MonkeyPatch) -> None:
    web.route("/news", SHELL.encode())
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, chromium-browser, google-chrome...
    result = cli("build", config=_config(tmp_path, f"{web.base}/news"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"source 'script-built': {web.base}/news: render = \"browser\" needs Chromium: "
            "install it (Debian: apt-get install chromium) or set [fetch] browser to its path"
            ) in result.stderr
    assert web.hits.get("/news", 0) == 0


@pytest.mark.parametrize(("change", "says"), [
    (('url = "URL"\nrender', 'paths = ["x.html"]\nrender'), "give the source a `url`"),
    (('render = "browser"\n', ""), "set render = \"browser\" too"),
    (('render = "browser"', 'render = "chrome"'), "expected \"browser\" (or no render)"),
    (('wait_for = "article.card"', 'wait_for = "article..card"'), "not a CSS selector"),
])
def test_render_settings_are_checked(tmp_path: Path, cli: Callable[..., Result],
                                     change: tuple[str, str], says: str) -> None:
    config = _config(tmp_path, "URL")
    text = config.read_text().replace('link = "URL"', 'link = "https://coop.test/"')
    config.write_text(text.replace(*change).replace('url = "URL"', 'url = "https://coop.test/"'))
    result = cli("check", config=config)
    assert result.exit_code == 1 and says in result.stderr, result.stderr


@pytest.mark.parametrize("target", ["file:///etc/passwd", ("data:text/html,<article class=card>"
                                    "<h3><a href=/x>Planted</a></h3><time datetime=2024-01-01>"
                                    "x</time></article>"), "OTHER/news"])
def test_a_script_never_takes_the_reader_off_the_allowed_origins(
        tmp_path: Path, cli: Callable[..., Result], web: Site, other_web: Site,
        target: str) -> None:
    target = target.replace("OTHER", other_web.base)
    web.route("/news", SHELL.replace("ITEMS", "/items.js").replace(
        "setTimeout(", f"location.href = {json.dumps(target)}; setTimeout(").encode())
    web.route("/items.js", DATA, content_type="text/javascript")
    other_web.route("/news", SHELL.replace("ITEMS", f"{other_web.base}/items.js").encode())
    other_web.route("/items.js", b"window.NEWS = [{title: 'Planted', date: '2024-01-01', "
                                 b"link: '/x'}];", content_type="text/javascript")
    result = cli("build", config=_config(tmp_path, f"{web.base}/news"))
    titles = [e.title for e in feedparser.parse(tmp_path / "feeds" / "all.atom").entries] \
        if result.exit_code == 0 else []
    assert "Planted" not in titles and "Planted" not in result.output
    assert other_web.hits.get("/news", 0) == 0


def test_no_service_worker_may_register(
        tmp_path: Path, cli: Callable[..., Result], web: Site, other_web: Site) -> None:
    """A service worker answers a page's requests from its own cache and fetches on its own,
    beside the origin guard (Playwright advises blocking them wherever requests are routed),
    and its files would outlive the page: none may register, so its script is never fetched."""
    register = ("<script>navigator.serviceWorker && navigator.serviceWorker.register('/sw.js')"
                ".catch(function () {});</script></head>")
    web.route("/news", SHELL.replace("ITEMS", "/items.js").replace("</head>", register)
              .replace("}, 300);", "}, 1500);").encode())
    web.route("/items.js", DATA, content_type="text/javascript")
    web.route("/sw.js", (f"self.addEventListener('install', function (event) {{ event.waitUntil("
                         f"fetch('{other_web.base}/leak', {{mode: 'no-cors'}})); }});").encode(),
              content_type="text/javascript")
    other_web.route("/leak", b"", content_type="text/plain")
    result = cli("build", config=_config(tmp_path, f"{web.base}/news"))
    assert result.exit_code == 0, result.output
    assert len(feedparser.parse(tmp_path / "feeds" / "all.atom").entries) == 2
    assert other_web.hits.get("/leak", 0) == 0 and web.hits.get("/sw.js", 0) == 0


def test_a_download_the_page_starts_is_refused(tmp_path: Path, cli: Callable[..., Result],
                                               web: Site) -> None:
    """Nothing a page offers for download is fetched: the browser drops it at once."""
    download = ("<script>var link = document.createElement('a'); link.href = '/report.bin'; "
                "link.download = ''; document.documentElement.appendChild(link); link.click();"
                "</script></body>")
    web.route("/news", SHELL.replace("ITEMS", "/items.js").replace("</body>", download)
              .replace("}, 300);", "}, 3000);").encode())
    web.route("/items.js", DATA, content_type="text/javascript")
    web.route("/report.bin", bytes(300), content_type="application/octet-stream", trickle=0.01)
    result = cli("build", config=_config(tmp_path, f"{web.base}/news"))
    assert result.exit_code == 0, result.output
    assert web.hits["/report.bin"] == 1 and web.trickled["/report.bin"] < 150


def test_a_rendered_page_of_at_most_max_bytes_is_read(
        tmp_path: Path, cli: Callable[..., Result], web: Site, chromium: str) -> None:
    """max_bytes bounds the HTML the browser ends up with, which only a browser can measure."""
    padded = SHELL.replace("ITEMS", "/items.js").replace("</body>",
                                                         f"<!-- {'x' * 2000} --></body>")
    web.route("/news", padded.encode())
    web.route("/items.js", DATA, content_type="text/javascript")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        page = browser.new_page()
        page.goto(f"{web.base}/news")
        page.wait_for_selector("article.card", state="attached")
        size = len(page.content().encode("utf-8"))
        browser.close()
    config = _config(tmp_path, f"{web.base}/news", fetch=f"max_bytes = {size}")
    assert cli("build", config=config).exit_code == 0
    config = _config(tmp_path, f"{web.base}/news", fetch=f"max_bytes = {size - 1}")
    result = cli("build", config=config)
    assert result.exit_code == 1
    assert f"larger than {size - 1:,} bytes ([fetch] max_bytes)" in result.stderr


def test_init_check_and_build_a_script_built_page(tmp_path: Path, cli: Callable[..., Result],
                                                 web: Site) -> None:
    """As a new user meets such a page: plain `init` finds nothing and says what to try;
    `init --render browser` writes a config that checks and builds."""
    web.route("/news", SHELL.replace("ITEMS", "/items.js").encode())
    web.route("/items.js", DATA, content_type="text/javascript")
    config = tmp_path / "new" / "config.toml"
    config.parent.mkdir()
    plain = cli("init", f"{web.base}/news", config=config)
    assert plain.exit_code == 1 and "try `feedsmith init --render browser URL`" in plain.stderr
    result = cli("init", "--render", "browser", f"{web.base}/news", config=config)
    assert result.exit_code == 0, result.output
    assert "2 item(s)" in result.stdout
    written = config.read_text(encoding="utf-8")
    assert 'render = "browser"' in written and 'wait_for = "article.card"' in written
    assert cli("check", config=config).exit_code == 0
    assert cli("build", config=config).exit_code == 0
    entries = feedparser.parse(config.parent / "feeds" / "all.atom").entries
    assert [e.title for e in entries] == [item["title"] for item in ITEMS]


def test_robots_txt_is_honoured_before_the_browser_loads_a_page(
        tmp_path: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/news", SHELL.replace("ITEMS", "/items.js").encode())
    web.route("/robots.txt", b"User-agent: *\nDisallow: /news\n", content_type="text/plain")
    result = cli("build", config=_config(tmp_path, f"{web.base}/news"))
    assert result.exit_code == 1
    assert (f"source 'script-built': {web.base}/news: {web.base}/robots.txt disallows it"
            in result.stderr)
    assert web.hits.get("/news", 0) == 0


def _closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("failure", ["start", "hang", "load"])
def test_a_browser_that_fails_is_named_in_one_line(tmp_path: Path, cli: Callable[..., Result],
                                                   failure: str) -> None:
    """Playwright's errors run to a page of call log; the user gets the line that says why."""
    url = f"http://127.0.0.1:{_closed_port()}/news"
    broken = tmp_path / "not-a-browser"
    broken.write_text("#!/bin/sh\necho 'no display here' >&2\nexit 3\n" if failure == "start"
                      else "#!/bin/sh\nexec sleep 60\n")
    broken.chmod(0o755)
    fetch = "robots = false\n" + (f'browser = "{broken}"' if failure != "load" else "")
    config = _config(tmp_path, url, fetch=fetch, timeout=3)
    started = time.monotonic()
    result = cli("build", config=config)
    assert time.monotonic() - started < 20  # a browser that never starts is given up on
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = [line for line in result.stderr.splitlines() if "source 'script-built'" in line]
    says = {"start": f"cannot start the browser {broken}: BrowserType.launch: ",
            "hang": f"cannot start the browser {broken}: BrowserType.launch: Timeout 3000ms",
            "load": "the browser could not load it: Page.goto: net::ERR_CONNECTION_REFUSED"}
    assert f"{url}: {says[failure]}" in line, result.stderr
    assert "Call log" not in result.stderr and "=====" not in result.stderr
