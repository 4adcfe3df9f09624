"""The yardstick: a minimal hand-written build of the bench listings, doing the job feedsmith's
build does and nothing more, as someone would write it for exactly this input.

    python bench/reference.py FOLDER        (reads FOLDER/listings/*.txt, writes FOLDER/out/)

A regex reader for the bench's listing format; the same id rule (a tag URI from the date and a
hash of the title's letters) and the same same-day order (seconds counted up from a day's oldest
item, new items after those stored); SQLite state with a hash per listing file, so unchanged files
are skipped; the newest 50 per category and overall in RSS, Atom and JSON Feed from string
templates; a page per category, an archive page per month holding its entries under their
permalink anchors (only months with new entries), the home page and the OPML; a file written
(temp file, fsync, rename) only when its bytes change. It knows nothing of corrections, aliases,
edits, links, other formats or languages, errors or locks: it is what feedsmith must stay within
2x of, not a replacement. `bench.py` checks that both builds give the same entries and feeds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

AUTHORITY, BASE, TITLE = "example.org,2024", "https://feeds.example.org/", "Benchmark"
ZONE, CAP = ZoneInfo("Europe/Zurich"), 50
ITEM = re.compile(r"^ +\d+\. (.+)\n\n +(.+)\n\n +(\d\d) (\w+) (\d{4})\n\n +(.+)$", re.MULTILINE)
MONTHS = {name: number for number, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}


def write(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def read(text: str) -> list[tuple[str, str, str, str, str]]:
    """(id, day, category, title, summary), newest first as listed."""
    items = []
    for category, title, day, month, year, summary in ITEM.findall(text):
        iso = f"{year}-{MONTHS[month]:02d}-{day}"
        key = " ".join(re.findall(r"[^\W_]+", title.casefold()))
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        items.append((f"tag:{AUTHORITY}:{iso}/{digest}", iso, category, title, summary))
    return items


def slug(category: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")


def store(db: sqlite3.Connection, listings: Path) -> tuple[set[str], set[str]]:
    """Merge changed files; the categories and months that got new entries."""
    known = dict(db.execute("SELECT path, sha FROM files"))
    fresh: list[tuple[str, str, str, str, str]] = []
    for path in sorted(listings.glob("*.txt")):
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if known.get(path.name) != sha:
            fresh += read(data.decode())
            db.execute("INSERT OR REPLACE INTO files VALUES (?, ?)", (path.name, sha))
    stored = {i for (i,) in db.execute("SELECT id FROM entries")} if fresh else set()
    fresh = [item for item in {i[0]: i for i in fresh}.values() if item[0] not in stored]
    used = dict(db.execute("SELECT day, MAX(second) FROM entries GROUP BY day")) if fresh else {}
    next_second = {day: second + 1 for day, second in used.items()}
    rows = []
    for item in reversed(fresh):  # oldest first: each day's seconds count up
        second = next_second.get(item[1], 0)
        next_second[item[1]] = second + 1
        noon = datetime.fromisoformat(item[1] + "T12:00").replace(tzinfo=ZONE)
        when = (noon + timedelta(seconds=second)).astimezone(UTC).isoformat()
        rows.append((*item, second, when))
    db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return {slug(r[2]) for r in rows}, {r[1][:7] for r in rows}


def link(entry_id: str, day: str) -> str:
    return f"{BASE}archive/{day[:7]}.html#item-{entry_id.rsplit(':', 1)[1].replace('/', '-')}"


def feeds(name: str, title: str, page: str, rows: list[tuple[str, ...]]) -> dict[str, bytes]:
    stamp = rows[0][6] if rows else "1970-01-01T00:00:00+00:00"
    moments = [datetime.fromisoformat(r[6]).astimezone(ZONE) for r in rows]
    rss_items = "".join(
        f"<item><title>{escape(r[3])}</title><link>{link(r[0], r[1])}</link><description>"
        f"{escape(r[4])}</description><guid isPermaLink=\"false\">{r[0]}</guid><category>"
        f"{escape(r[2])}</category><pubDate>{m:%a, %d %b %Y %H:%M:%S %z}</pubDate></item>\n"
        for r, m in zip(rows, moments, strict=True))
    atom_entries = "".join(
        f"<entry><id>{r[0]}</id><title>{escape(r[3])}</title><updated>{m.isoformat()}</updated>"
        f"<link href=\"{link(r[0], r[1])}\" rel=\"alternate\"/><category term=\"{escape(r[2])}\"/>"
        f"<published>{m.isoformat()}</published><content type=\"text\">{escape(r[4])}</content>"
        f"</entry>\n" for r, m in zip(rows, moments, strict=True))
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/css" href="feed.css"?>\n'
    json_items = [{"id": r[0], "url": link(r[0], r[1]), "title": r[3], "content_text": r[4],
                   "date_published": m.isoformat(), "tags": [r[2]]}
                  for r, m in zip(rows, moments, strict=True)]
    return {
        f"{name}.rss": (f'{head}<rss version="2.0"><channel><title>{escape(title)}</title>'
                        f"<link>{page}</link><description>{escape(title)}</description>\n"
                        f"{rss_items}</channel></rss>\n").encode(),
        f"{name}.atom": (f'{head}<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:{AUTHORITY}:'
                         f"feeds/{name}</id><title>{escape(title)}</title><updated>{stamp}</updated>"
                         f'<link href="{BASE}{name}.atom" rel="self"/>\n{atom_entries}</feed>\n'
                         ).encode(),
        f"{name}.json": json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": title,
                                    "items": json_items}, ensure_ascii=False, indent=2).encode(),
    }


def page(title: str, rows: list[tuple[str, ...]], anchored: bool) -> bytes:
    items = "".join(
        f"<li{' id=' + chr(34) + link(r[0], r[1]).split('#')[1] + chr(34) if anchored else ''}>"
        f"<h3><a href=\"{link(r[0], r[1])}\">{escape(r[3])}</a></h3><p>{r[1]} · {escape(r[2])}"
        f"</p><p>{escape(r[4])}</p></li>\n" for r in rows)
    return (f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<h1>{escape(title)}</h1><ol>\n{items}</ol></html>\n").encode()


def main(folder: Path) -> None:
    out = folder / "out"
    db = sqlite3.connect(folder / "reference.db")
    db.executescript("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sha TEXT);"
                     "CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, day TEXT, "
                     "category TEXT, title TEXT, summary TEXT, second INTEGER, published TEXT);"
                     "CREATE INDEX IF NOT EXISTS by_category ON entries (category, published);"
                     "CREATE INDEX IF NOT EXISTS by_published ON entries (published);"
                     "CREATE INDEX IF NOT EXISTS by_day ON entries (day);")
    with db:
        categories, months = store(db, folder / "listings")
    if not categories:
        return
    columns = "id, day, category, title, summary, second, published"
    outputs: dict[str, bytes] = {}
    newest = db.execute(f"SELECT {columns} FROM entries ORDER BY published DESC, id DESC "
                        f"LIMIT {CAP}").fetchall()
    outputs |= feeds("all", TITLE, BASE, newest)
    outputs["index.html"] = page(TITLE, newest, anchored=False)
    names = [c for (c,) in db.execute("SELECT DISTINCT category FROM entries ORDER BY category")]
    outline = "".join(f'<outline type="rss" text="{escape(c)}" xmlUrl="{BASE}{slug(c)}.atom"/>\n'
                      for c in names)
    outputs["feeds.opml"] = (f'<?xml version="1.0"?><opml version="2.0"><body>\n{outline}'
                             f"</body></opml>\n").encode()
    for category in names:
        if slug(category) in categories:
            rows = db.execute(f"SELECT {columns} FROM entries WHERE category = ? ORDER BY "
                              f"published DESC, id DESC LIMIT {CAP}", (category,)).fetchall()
            outputs |= feeds(slug(category), f"{TITLE}: {category}",
                             f"{BASE}{slug(category)}.html", rows)
            outputs[f"{slug(category)}.html"] = page(category, rows, anchored=False)
    for month in sorted(months):
        rows = db.execute(f"SELECT {columns} FROM entries WHERE day >= ? AND day < ? ORDER BY "
                          f"published DESC, id DESC", (f"{month}-01", f"{month}-32")).fetchall()
        outputs[f"archive/{month}.html"] = page(month, rows, anchored=True)
    for name, data in outputs.items():
        write(out / name, data)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
