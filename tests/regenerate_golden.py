"""Rewrite tests/data/golden/*.json from the shipped sample listings.

Run `python tests/regenerate_golden.py` only after a deliberate change to the reader, then read the
diff: every changed line is a change in what subscribers will see.
"""

from __future__ import annotations

import json
from pathlib import Path

from feedsmith.sources.text import read_text_listing

REPO = Path(__file__).resolve().parent.parent


def expected_entries(listing: Path) -> list[dict[str, str | None]]:
    items, _ = read_text_listing(listing.read_text(encoding="utf-8"), listing.name)
    return [{"category": item.category, "title": item.title, "date": item.day.isoformat(),
             "summary": item.summary or None} for item in items]


if __name__ == "__main__":
    for listing in sorted((REPO / "listings").glob("*.txt")):
        target = REPO / "tests" / "data" / "golden" / f"{listing.stem}.json"
        text = json.dumps(expected_entries(listing), ensure_ascii=False, indent=1)
        target.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {target.relative_to(REPO)}")
