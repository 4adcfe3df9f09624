"""How fast feedsmith builds, on synthetic listings: `python bench/bench.py [--entries N]`.

Generates N entries across 50 categories as text listings of `--per-file` items each (newest
first, about three items a day), then times real `feedsmith build` processes (interpreter start-up
included, as cron pays it) and reads each one's peak memory from the kernel:

    cold           empty store, no output
    no-change      the same listings again: must only read and hash them
    1% new         a new listing file with N/100 newer items
    feedgen only   the baseline: the same listings through the same reader straight into feedgen
                   (no store, no incremental logic), as a one-file script would do it

`--scales` repeats the no-change build at several sizes to show that it grows only with reading.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

CATEGORIES = 50
CONFIG = """
[site]
title = "Benchmark"
link = "https://news.example.org/"
base_url = "https://feeds.example.org/"
id_authority = "example.org,2024"
timezone = "Europe/Zurich"

[[sources]]
name = "bench"
paths = ["listings/*.txt"]

[output]
max_entries = 50
"""

BASELINE = """
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from feedsmith.config import load_config
from feedsmith.entry import day_offsets
from feedsmith.feeds import Feed
from feedsmith.identity import ALL
from feedsmith.feeds import render_atom, render_rss
from feedsmith.identity import category_slug
from feedsmith.sources import read_sources

config = load_config(Path(sys.argv[1]))
read = read_sources(config.sources, config.site).entries
entries = [replace(e, published=e.published + timedelta(seconds=s),
                   updated=e.published + timedelta(seconds=s))
           for e, s in zip(read, day_offsets(read), strict=True)]
entries.sort(key=lambda e: (e.published, e.id), reverse=True)
by_slug = {}
for entry in entries:
    by_slug.setdefault(category_slug(entry.category), []).append(entry)
cap = config.output.max_entries
feeds = [Feed(ALL, None, tuple(entries[:cap]), len(entries))] + [
    Feed(slug, group[0].category, tuple(group[:cap]), len(group)) for slug, group in by_slug.items()]
out = Path(sys.argv[2])
out.mkdir(exist_ok=True)
for feed in feeds:
    (out / feed.rss_name).write_bytes(render_rss(feed, config.site))
    (out / feed.atom_name).write_bytes(render_atom(feed, config.site))
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float


def listing(first: int, count: int, newest: date) -> str:
    """`count` items numbered from `first`, dated back from `newest`, three to a day."""
    lines = ["News, stories and statements on benchmarks", ""]
    for offset in range(count):
        number = first + offset
        day = newest - timedelta(days=offset // 3)
        lines += [f"  {offset % 10 + 1}. Category {number % CATEGORIES:02d}", "",
                  f"    Benchmark item {number}: cooperatives and the future of work", "",
                  f"    {day.day:02d} {day:%B} {day.year}", "",
                  f"    Summary of item {number}, a sentence about what happened and where.", ""]
    return "\n".join(lines)


def generate(folder: Path, entries: int, per_file: int) -> None:
    (folder / "listings").mkdir(parents=True)
    (folder / "config.toml").write_text(CONFIG)
    newest = date(2026, 10, 31)
    for page, first in enumerate(range(0, entries, per_file), start=1):
        count = min(per_file, entries - first)
        text = listing(first, count, newest - timedelta(days=first // 3))
        (folder / "listings" / f"page-{page:05d}.txt").write_text(text)


def timed(command: list[str], cwd: Path) -> Run:
    """Wall time and peak resident memory of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return Run(seconds, usage.ru_maxrss / 1024)


def feedsmith(folder: Path) -> Run:
    return timed([sys.executable, "-m", "feedsmith", "build"], folder)


def bench(entries: int, per_file: int) -> dict[str, Run]:
    with tempfile.TemporaryDirectory(prefix="feedsmith-bench-") as temp:
        folder = Path(temp)
        generate(folder, entries, per_file)
        baseline_script = folder / "baseline.py"
        baseline_script.write_text(BASELINE)
        results = {
            "feedgen only (baseline)": timed(
                [sys.executable, str(baseline_script), "config.toml", "baseline-out"], folder),
            "cold build": feedsmith(folder),
            "no-change rebuild": feedsmith(folder),
        }
        extra = max(1, entries // 100)
        text = listing(entries, extra, date(2026, 11, 20))
        (folder / "listings" / "page-00000.txt").write_text(text)
        results["1% new entries"] = feedsmith(folder)
        shutil.rmtree(folder / "baseline-out")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--per-file", type=int, default=1_000)
    parser.add_argument("--scales", type=int, nargs="*", default=[],
                        help="also time the no-change rebuild at these sizes")
    args = parser.parse_args()
    print(f"{args.entries:,} entries, {CATEGORIES} categories, {args.per_file:,} per file, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    print("| run | seconds | peak memory (MB) |\n| --- | ---: | ---: |")
    for name, run in bench(args.entries, args.per_file).items():
        print(f"| {name} | {run.seconds:.2f} | {run.peak_mb:.0f} |")
    if args.scales:
        print("\n| entries | no-change rebuild (s) |\n| ---: | ---: |")
        for size in args.scales:
            print(f"| {size:,} | {bench(size, args.per_file)['no-change rebuild'].seconds:.2f} |")


if __name__ == "__main__":
    main()
