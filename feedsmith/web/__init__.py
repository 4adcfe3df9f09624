"""The web edition: what the store holds, as files a web server publishes.

    feeds.py      RSS 2.0, Atom 1.0, JSON Feed and OPML documents
    pages.py      the home page, category pages and archive months (HTML)
    templating.py the one Jinja environment (shipped templates, or the operator's)
    publish.py    rendering the stale feeds and pages, staged and then renamed into place
    files.py      staging, fsync, and writing a file only when its bytes changed
    serve.py      `feedsmith serve`: the output folder as production serves it
"""
