"""Pages built by JavaScript: `render = "browser"` loads a listing page in headless Chromium
and hands the HTML it ends up with to the HTML reader.

The system's Chromium (Debian's `chromium`, or `[fetch] browser`), driven through Playwright's
Python client (the `feedsmith[browser]` extra): a browser is never downloaded. The same rules as
plain fetching hold, for the page and for every request it makes: only http(s), only the allowed
origins (the URL's own and the source's `allow_origins`; anything else is refused before it
leaves the browser), one deadline (`[fetch] timeout`) for the whole load once the browser has
started (starting it has a deadline of its own, as long), the page's HTML at most
`[fetch] max_bytes`. The browser runs in a fresh temporary profile that is deleted when it
closes, with downloads refused and service workers blocked: nothing is written outside the store.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from feedsmith.config import FetchConfig, SourceConfig
from feedsmith.errors import SourceError
from feedsmith.sources.fetch import Fetched
from feedsmith.urls import is_http_url, origin

if TYPE_CHECKING:
    from feedsmith.sources.polite import Robots

_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def render(source: SourceConfig, url: str, config: FetchConfig, allowed: Collection[str],
           robots: Robots | None = None) -> Fetched:
    """The HTML of `url` once its scripts have added the items (`wait_for` matches, or the
    network is idle), as a Fetched page; SourceError naming the source when it cannot be had
    (or its host's robots.txt disallows it, when `robots` is given)."""
    where = f"source {source.name!r}: {url}"
    if robots is not None:
        robots.check(url, source.name)
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise SourceError(f"{where}: render = \"browser\" needs Playwright: pip install "
                          "'feedsmith[browser]' (it drives the system's Chromium, such as "
                          "Debian's `apt-get install chromium`; no browser is downloaded)") from None
    executable = config.browser or next(filter(None, map(shutil.which, _CHROMIUM_NAMES)), "")
    if not executable:
        raise SourceError(f"{where}: render = \"browser\" needs Chromium: install it (Debian: "
                          "apt-get install chromium) or set [fetch] browser to its path")
    refused: list[str] = []
    with sync_playwright() as playwright:
        try:
            # Playwright's own switches already keep the browser quiet (no background
            # networking, component updates, sync or first run) and its sandbox off.
            browser = playwright.chromium.launch(executable_path=executable,
                                                 timeout=config.timeout * 1000)
        except Error as error:
            raise SourceError(f"{where}: cannot start the browser {executable}: "
                              f"{_first_line(error)}") from None
        deadline = time.monotonic() + config.timeout  # for the site: start-up is not its time
        try:
            context = browser.new_context(user_agent=config.user_agent or None,
                                          accept_downloads=False, service_workers="block")
            context.route("**/*", lambda route: _guard(route, allowed, refused))
            page = context.new_page()
            html, final_url = _load(page, source, url, config, deadline, where, refused)
        except Error as error:
            if "Timeout" in type(error).__name__:
                raise SourceError(f"{where}: not loaded within {config.timeout:g} s "
                                  "([fetch] timeout)") from None
            raise SourceError(f"{where}: the browser could not load it: "
                              f"{_first_line(error)}") from None
        finally:
            browser.close()
    body = html.encode("utf-8")
    if len(body) > config.max_bytes:
        raise SourceError(f"{where}: larger than {config.max_bytes:,} bytes ([fetch] max_bytes)")
    return Fetched(final_url, body, "text/html; charset=utf-8", "", "")


def _guard(route: Any, allowed: Collection[str], refused: list[str]) -> None:
    """Every request the page makes, the page itself and its redirects included: on its way
    only to an allowed origin, over http(s)."""
    target = route.request.url
    if is_http_url(target) and origin(target) in allowed:
        route.continue_()
    else:
        refused.append(target)
        route.abort("blockedbyclient")


def _load(page: Any, source: SourceConfig, url: str, config: FetchConfig, deadline: float,
          where: str, refused: list[str]) -> tuple[str, str]:
    """The page's HTML once its items are there, and its URL."""
    from playwright.sync_api import TimeoutError as Timeout

    def left() -> float:  # milliseconds of the deadline left, for each wait
        return max(1.0, (deadline - time.monotonic()) * 1000)

    response = page.goto(url, wait_until="load", timeout=left())
    if response is not None and response.status >= 400:
        raise SourceError(f"{where}: HTTP {response.status} {response.status_text} (not retried)")
    try:
        if source.wait_for:
            page.wait_for_selector(source.wait_for, state="attached", timeout=left())
        else:
            page.wait_for_load_state("networkidle", timeout=left())
    except Timeout:
        if source.wait_for:
            blocked = (f" ({len(refused)} request(s) outside the allowed origins were refused, "
                       f"such as {refused[0]}: see allow_origins)" if refused else "")
            raise SourceError(f"{where}: nothing matched wait_for = {source.wait_for!r} within "
                              f"{config.timeout:g} s ([fetch] timeout): the page did not add "
                              f"its items, or wait_for does not match them{blocked}") from None
    # The guard refuses any other page before it loads; this says so should one get through.
    if not is_http_url(page.url) or origin(page.url) not in source.allowed_origins():
        raise SourceError(f"{where}: went to {page.url}, outside the allowed origins: not read")
    return str(page.content()), str(page.url)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
