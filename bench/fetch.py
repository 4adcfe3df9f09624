"""How fast a build fetches many slow web sources and follows their links, politely:
`python bench/fetch.py` (about two minutes).

Serves 40 listings (RSS feeds of five linked items each) from 4 hosts on 127.0.0.1 (four
ports: four origins), and the 200 item pages they link, every answer after 300 ms; times
`feedsmith build` (a real process, interpreter start-up included) with `follow = true` at the
default limits (`[fetch] concurrency = 8`, `per_host = 2`) against the same build with
`concurrency = 1` (one request at a time, as feedsmith fetched before), each on a fresh store;
the concurrent builds the best of three, the one-at-a-time build once (it takes over a minute).
Also reports the most requests each host had open at once (never more than `per_host`), and
the peak memory (maximum resident set) of the build with `follow` against the same build
without it. Targets (issue 26): the concurrent build at most 0.2x the one-at-a-time build;
peak memory with `follow` within 1.5x of the build without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOSTS, PER_HOST_SOURCES, ITEMS, DELAY = 4, 10, 5, 0.3
# An item page as news sites publish them: navigation, a cookie banner, Open Graph and JSON-LD
# around an article of a few paragraphs (about 6 KB).
ARTICLE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:image" content="/img/{name}.jpg"><meta name="description" content="{title}.">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title}",
"datePublished": "2024-05-{day:02d}T09:{minute:02d}:00+02:00", "author": {{"name": "A. Writer"}}}}
</script></head><body><div class="cookies">We use cookies. <button>Accept</button></div>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About</a></nav>
<article><h1>{title}</h1>{paragraphs}</article><footer>Copyright</footer></body></html>"""
PARAGRAPH = ("<p>Cooperatives in {place} reported that members who pooled their savings could "
             "invest in equipment and training that no single household could afford, and "
             "that the <a href='/report/{n}'>annual report</a> shows steady growth.</p>")
FEEDSMITH = [sys.executable, "-m", "feedsmith"]


class Host:
    """A slow listing server that counts the requests it has open."""

    def __init__(self, letter: str) -> None:
        self.open = self.most_open = 0
        lock = threading.Lock()
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with lock:
                    host.open += 1
                    host.most_open = max(host.most_open, host.open)
                time.sleep(DELAY)
                body, kind = (b"", "text/plain") if self.path == "/robots.txt" else \
                    page(letter, self.path)
                self.send_response(404 if self.path == "/robots.txt" else 200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                with lock:  # no longer open once the answer can reach the client
                    host.open -= 1
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def page(letter: str, path: str) -> tuple[bytes, str]:
    """A listing (/N.rss) or an item page (/N/K.html) of the host `letter`."""
    if path.endswith(".rss"):
        number = int(path.strip("/").removesuffix(".rss"))
        items = "".join(
            f"<item><title>Story {letter}{number}-{k}</title><link>/{number}/{k}.html</link>"
            f"<guid>{letter}{number}-{k}</guid><pubDate>{number % 28 + 1:02d} May 2024 10:00 "
            f"+0200</pubDate></item>" for k in range(ITEMS))
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{letter}{number}'
                f"</title><link>/</link><description>d</description>{items}</channel></rss>"
                ).encode(), "application/rss+xml"
    number, k = (int(part) for part in path.strip("/").removesuffix(".html").split("/"))
    paragraphs = "".join(PARAGRAPH.format(place=f"region {letter}{n}", n=n) for n in range(12))
    return ARTICLE.format(title=f"Story {letter}{number}-{k}", name=f"{letter}{number}-{k}",
                          day=number % 28 + 1, minute=k, paragraphs=paragraphs).encode(), \
        "text/html; charset=utf-8"


def config(hosts: list[Host], limits: str, follow: bool = True) -> str:
    sources = "".join(f'[[sources]]\nname = "{letter}{n}"\nurl = "{host.base}/{n}.rss"\n'
                      f"follow = {str(follow).lower()}\n\n"
                      for letter, host in zip("abcd", hosts, strict=True)
                      for n in range(PER_HOST_SOURCES))
    return (f'[site]\ntitle = "Bench"\nlink = "https://news.example.org/"\n'
            f'base_url = "https://feeds.example.org/"\nid_authority = "example.org,2024"\n\n'
            f"[fetch]\nretries = 0\n{limits}\n\n{sources}")


def timed(hosts: list[Host], limits: str, runs: int = 3, follow: bool = True,
          ) -> tuple[float, int]:
    """The best time of `runs` builds on fresh stores, and the highest peak memory (KiB)."""
    best, memory = float("inf"), 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "config.toml").write_text(config(hosts, limits, follow))
            start = time.perf_counter()
            build = subprocess.Popen([*FEEDSMITH, "build"], cwd=folder,
                                     stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(build.pid, 0)
            best = min(best, time.perf_counter() - start)
            assert os.waitstatus_to_exitcode(status) == 0, "the build failed"
            memory = max(memory, usage.ru_maxrss)
    return best, memory


def main() -> None:
    hosts = [Host(letter) for letter in "abcd"[:HOSTS]]
    one, _ = timed(hosts, "concurrency = 1", runs=1)
    for host in hosts:
        host.most_open = 0
    many, memory = timed(hosts, "concurrency = 8\nper_host = 2")
    most_open = [host.most_open for host in hosts]
    plain, plain_memory = timed(hosts, "concurrency = 8\nper_host = 2", follow=False)
    pages = HOSTS * PER_HOST_SOURCES * ITEMS
    print(f"{HOSTS * PER_HOST_SOURCES} listings and {pages} item pages on {HOSTS} hosts, "
          f"{DELAY * 1000:.0f} ms each\n")
    print("| build | seconds | peak memory (MiB) |\n| --- | ---: | ---: |")
    print(f"| follow, one at a time (concurrency = 1) | {one:.2f} | |")
    print(f"| follow, at once (concurrency = 8, per_host = 2) | {many:.2f} | "
          f"{memory / 1024:.0f} |")
    print(f"| no follow, at once | {plain:.2f} | {plain_memory / 1024:.0f} |")
    print(f"\nat once / one at a time: {many / one:.2f}x (target at most 0.2x); most requests "
          f"open at once per host: {', '.join(map(str, most_open))} (per_host = 2)")
    print(f"peak memory, follow / no follow: {memory / plain_memory:.2f}x (target at most 1.5x)")


if __name__ == "__main__":
    main()
