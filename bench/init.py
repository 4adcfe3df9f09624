"""How `feedsmith init`'s reading of an HTML page scales with the page: `python bench/init.py`.

Generates pages of 300, 1,000 and 3,000 ordinary item blocks (a heading link, a date, a
paragraph: about 175 bytes each) and times `detect` (what `init` does after the download: find
the date language, guess the card selectors, read the items with them) on each, the best of
three. Reported as seconds per 1,000 blocks, and as the ratio of each size's cost per block to
the smallest's: 1.0 is linear (the guess compared every date with every other date's subtree
before: 300 blocks took 14 s, 1,000 did not finish in two minutes).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feedsmith.sources.preview import detect

SIZES = (300, 1_000, 3_000)


def page(blocks: int) -> str:
    items = "\n".join(
        f'<div class="item"><h3><a href="/news/{i}">Item {i} about cooperatives</a></h3>'
        f'<span class="date">{1 + i % 28:02d} March 2023</span>'
        f"<p>Summary of item {i}, with a few words in it.</p></div>" for i in range(blocks))
    return (f"<html><head><title>News</title></head><body><nav><a href='/'>Home</a></nav>"
            f"{items}<footer>Updated 1 March 2023</footer></body></html>")


def main() -> None:
    per_block: dict[int, float] = {}
    print("| blocks | KB | seconds | items read | per block / at 300 |\n| ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for blocks in SIZES:
            path = Path(folder) / f"page{blocks}.html"
            path.write_text(page(blocks), encoding="utf-8")
            best, items = float("inf"), 0
            for _ in range(3):
                start = time.perf_counter()
                found = detect(str(path), Path(folder))
                best, items = min(best, time.perf_counter() - start), len(found.items)
            per_block[blocks] = best / blocks
            print(f"| {blocks:,} | {path.stat().st_size // 1024} | {best:.2f} | {items:,} | "
                  f"{per_block[blocks] / per_block[SIZES[0]]:.2f} |")


if __name__ == "__main__":
    main()
