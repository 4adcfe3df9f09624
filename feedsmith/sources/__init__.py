"""Getting listings and reading them into entries.

    harvest.py   every source of a config, read into entries (the one entry point of a build)
    listing.py   one file or page: its format, and the reader for it
    fetch.py     HTTP: timeouts, redirects within allowed origins, validators, size limits
    decoding.py  bytes -> text: BOM, HTTP charset, <meta charset>
    text.py      the plain-text listing reader (numbered items, the seed site's layout)
    html.py      HTML listings: CSS selectors, or the page read as text
    feed.py      existing RSS, Atom and JSON feeds as sources
    item.py      `ListedItem`, what every reader gives before it becomes an entry
    preview.py   `check` and `init`: reading sources without touching the store
"""
