"""How fast a build fetches many slow web sources, politely: `python bench/fetch.py`.

Serves 40 text listings from 4 hosts on 127.0.0.1 (four ports: four origins), each answering
after 300 ms, and times `feedsmith build` (a real process, interpreter start-up included) with
the default limits (`[fetch] concurrency = 8`, `per_host = 2`) against the same build with
`concurrency = 1` (one request at a time, as feedsmith fetched before), each on a fresh store,
the best of three. Also reports the most requests each host had open at once (never more than
`per_host`). Target (issue 26): the concurrent build at most 0.2x the one-at-a-time build.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOSTS, PER_HOST_SOURCES, DELAY = 4, 10, 0.3
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
                try:
                    time.sleep(DELAY)
                    if self.path == "/robots.txt":
                        self.send_response(404)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    number = int(self.path.strip("/").removesuffix(".txt"))
                    body = (f"  1. News\n\n    Story {letter}{number}\n\n"
                            f"    {number + 1:02d} May 2024\n").encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with lock:
                        host.open -= 1

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def config(hosts: list[Host], limits: str) -> str:
    sources = "".join(f'[[sources]]\nname = "{letter}{n}"\nurl = "{host.base}/{n}.txt"\n\n'
                      for letter, host in zip("abcd", hosts, strict=True)
                      for n in range(PER_HOST_SOURCES))
    return (f'[site]\ntitle = "Bench"\nlink = "https://news.example.org/"\n'
            f'base_url = "https://feeds.example.org/"\nid_authority = "example.org,2024"\n\n'
            f"[fetch]\nretries = 0\n{limits}\n\n{sources}")


def timed(hosts: list[Host], limits: str) -> float:
    best = float("inf")
    for _ in range(3):
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "config.toml").write_text(config(hosts, limits))
            start = time.perf_counter()
            subprocess.run([*FEEDSMITH, "build"], cwd=folder, check=True,
                           stdout=subprocess.DEVNULL)
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    hosts = [Host(letter) for letter in "abcd"[:HOSTS]]
    one = timed(hosts, "concurrency = 1")
    for host in hosts:
        host.most_open = 0
    many = timed(hosts, "concurrency = 8\nper_host = 2")
    print(f"{HOSTS * PER_HOST_SOURCES} sources on {HOSTS} hosts, {DELAY * 1000:.0f} ms each\n")
    print("| build | seconds |\n| --- | ---: |")
    print(f"| one at a time (concurrency = 1) | {one:.2f} |")
    print(f"| at once (concurrency = 8, per_host = 2) | {many:.2f} |")
    print(f"\nat once / one at a time: {many / one:.2f}x (target at most 0.2x); most requests "
          f"open at once per host: {', '.join(str(h.most_open) for h in hosts)} (per_host = 2)")


if __name__ == "__main__":
    main()
