"""How fast feedsmith builds, against yardsticks measured in the same run:
`python bench/bench.py [--entries 100000] [--memory 10000 100000 400000]`.

Generates N entries across 50 categories as text listings of 1,000 items each (newest first, three
items a day), then times real processes (interpreter start-up included, as cron pays it) and reads
each one's peak memory from the kernel. Three builds of the same folder:

    feedsmith   `feedsmith build`
    reference   bench/reference.py: a minimal hand-written build doing the same job (regex reader,
                same ids and order, SQLite state with file hashes, feeds from string templates,
                pages, only changed files written, fsync). The bench checks it gives the same
                entries and feeds as feedsmith.
    floor       bench/floor.py: read the inputs and write feedsmith's output bytes, nothing else

and three runs of each, the median of several samples: cold (empty store, no output; three),
no-change (the same listings again; 31) and 1% new (a new listing file of N/100 items, on
top of the last; five). Results are ratios to the reference: absolute times on a shared 2-core
machine move by 15% from run to run, ratios much less. feedsmith's bytecode is compiled first,
as an installed package has it.
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

HERE = Path(__file__).resolve().parent
CATEGORIES = 50
PER_FILE = 1_000
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
RUNS = ("cold", "no-change", "1% new")


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


def generate(folder: Path, entries: int) -> None:
    (folder / "listings").mkdir(parents=True)
    (folder / "config.toml").write_text(CONFIG)
    newest = date(2026, 10, 31)
    for page, first in enumerate(range(0, entries, PER_FILE), start=1):
        count = min(PER_FILE, entries - first)
        text = listing(first, count, newest - timedelta(days=first // 3))
        (folder / "listings" / f"page-{page:05d}.txt").write_text(text)


def add_new(folder: Path, entries: int, extra: int, number: int = 0) -> None:
    """A new listing file of `extra` items numbered from `entries`, dated up to 2026-11-20 (on
    days the listings already hold: the same-day order is part of the work)."""
    (folder / "listings" / f"new-{number:02d}.txt").write_text(
        listing(entries, extra, date(2026, 11, 20)))


def timed(command: list[str], cwd: Path) -> Run:
    """Wall time and peak resident memory of one child process. Whatever the bench itself wrote
    (generated listings, copied folders) is flushed first: on ext4 a build's first fsync would
    otherwise wait for it, and the bigger the size, the more there is."""
    os.sync()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    assert process.stderr is not None
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    process.stderr.close()
    return Run(seconds, usage.ru_maxrss / 1024)


BUILDS = {
    "feedsmith": lambda folder: [sys.executable, "-m", "feedsmith", "build"],
    "reference": lambda folder: [sys.executable, str(HERE / "reference.py"), "."],
    "floor": lambda folder: [sys.executable, str(HERE / "floor.py"), "feedsmith-copy", "floor-out"],
}


# Samples per run, the median kept: one sample of a run is at the mercy of this shared
# machine's neighbours (a cold build moved from 7.1 to 7.5 s, a 1 % change from 0.8 to 1.3 s).
SAMPLES = {"cold": 3, "no-change": 31, "1% new": 5}


def bench(entries: int, builds: tuple[str, ...] = tuple(BUILDS), change: int | None = None,
          cold_samples: int = SAMPLES["cold"]) -> dict[str, dict[str, Run]]:
    """build -> run -> median timing, each build in its own copy of the same generated folder,
    the builds taking turns. Each cold sample starts from a fresh copy; each "1% new" sample
    adds a new listing file of `change` items (default: 1% of `entries`) to the store the
    previous one left, so every sample is a real change and listing files keep their inodes."""
    temp = Path(tempfile.mkdtemp(prefix="feedsmith-bench-"))
    try:
        source = temp / "source"
        generate(source, entries)
        extra = change or max(1, entries // 100)
        samples: dict[str, dict[str, list[Run]]] = {name: {run: [] for run in RUNS}
                                                    for name in builds}
        for run in RUNS:
            for sample in range(cold_samples if run == "cold" else SAMPLES[run]):
                for name in builds:
                    folder = temp / name
                    if run == "cold":
                        shutil.rmtree(folder, ignore_errors=True)
                        shutil.copytree(source, folder)
                    elif run == "1% new":
                        add_new(folder, entries + sample * extra, extra, sample)
                    if name == "floor":  # it writes what feedsmith wrote in this sample
                        shutil.rmtree(folder / "feedsmith-copy", ignore_errors=True)
                        shutil.copytree(temp / "feedsmith" / "feeds", folder / "feedsmith-copy")
                    samples[name][run].append(timed(BUILDS[name](folder), folder))
        if "reference" in builds and "feedsmith" in builds:
            check_same(temp / "feedsmith" / "feeds", temp / "reference" / "out")
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return {name: {run: median(runs) for run, runs in by_run.items()}
            for name, by_run in samples.items()}


def median(runs: list[Run]) -> Run:
    """The middle run by time (of an odd number, as every run here takes)."""
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def check_same(feedsmith: Path, reference: Path) -> None:
    """Both builds give every feed the same items (id, link, title, date) in the same order, and
    the archive the same permalink anchors."""
    import feedparser
    from lxml import html

    for atom in sorted(feedsmith.glob("*.atom")):
        ours, theirs = (feedparser.parse(folder / atom.name).entries
                        for folder in (feedsmith, reference))
        key = [(e.id, e.link, e.title, e.published_parsed) for e in ours]
        if key != [(e.id, e.link, e.title, e.published_parsed) for e in theirs]:
            raise SystemExit(f"reference and feedsmith differ in {atom.name}")
    for page in sorted((feedsmith / "archive").glob("*.html")):
        ids = [set(html.parse(str(folder / "archive" / page.name)).getroot().xpath("//li/@id"))
               for folder in (feedsmith, reference)]
        if ids[0] != ids[1]:
            raise SystemExit(f"reference and feedsmith differ in archive/{page.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--memory", type=int, nargs="*", default=[10_000, 100_000, 400_000],
                        help="also report feedsmith's peak memory and 1%% change at these sizes")
    args = parser.parse_args()
    # As an installed feedsmith has them: this machine's environment may forbid writing bytecode.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "feedsmith"),
                    str(HERE.parent / "templates")], check=True, stdout=subprocess.DEVNULL)
    print(f"{args.entries:,} entries, {CATEGORIES} categories, {PER_FILE:,} per file, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    results = bench(args.entries)
    print("| run | feedsmith (s) | reference (s) | floor (s) | feedsmith / reference | "
          "peak MB (feedsmith, reference) |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for run in RUNS:
        ours, yardstick, floor = (results[name][run] for name in BUILDS)
        print(f"| {run} | {ours.seconds:.2f} | {yardstick.seconds:.2f} | {floor.seconds:.2f} | "
              f"{ours.seconds / yardstick.seconds:.2f}x | {ours.peak_mb:.0f}, "
              f"{yardstick.peak_mb:.0f} |")
    print("\nSame entries and feeds in both builds: checked.")
    if args.memory:
        change = max(1, args.entries // 100)
        print(f"\n| entries | cold: peak MB | {change:,} new: seconds | {change:,} new: peak MB |"
              "\n| ---: | ---: | ---: | ---: |")
        one_percent = {}
        for size in args.memory:
            # feedsmith alone at every size, the main size too: the sizes are compared under
            # the same conditions (not with the reference and floor taking turns at one of them)
            runs = bench(size, ("feedsmith",), change, cold_samples=1)["feedsmith"]
            one_percent[size] = runs["1% new"].seconds
            print(f"| {size:,} | {runs['cold'].peak_mb:.0f} | {runs['1% new'].seconds:.2f} | "
                  f"{runs['1% new'].peak_mb:.0f} |")
        if 100_000 in one_percent and 400_000 in one_percent:
            print(f"\nThe same change at 400k / at 100k: "
                  f"{one_percent[400_000] / one_percent[100_000]:.2f}x")


if __name__ == "__main__":
    main()
