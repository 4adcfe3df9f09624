"""`feedsmith serve`: a preview server for the output folder, with the headers production needs.

The same headers as `contrib/nginx.conf` and `contrib/Caddyfile`:
- every text type with `charset=utf-8`;
- RSS and Atom as `application/xml`: feed readers accept it, and it is the type under which a
  browser applies `feed.css` (Chromium shows `application/atom+xml` and `application/rss+xml` as
  plain text, and XSLT is on its way out of browsers);
- JSON Feed as `application/feed+json`, OPML as `text/x-opml`;
- `ETag` and `Last-Modified`, answered with 304s, so readers polling often cost nothing;
- nothing outside the folder, no hidden files (a build's temp files, even through a symlink),
  no directory listings;
- a client that sends its request too slowly is cut off (`REQUEST_TIMEOUT`), and one that goes
  away early is no error.
"""

from __future__ import annotations

import email.utils
import os
import posixpath
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",  # the search's (Pagefind); nosniff needs the type
    ".wasm": "application/wasm",
    ".rss": "application/xml; charset=utf-8",
    ".atom": "application/xml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".eml": "message/rfc822",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}
_OTHER = "application/octet-stream"
# Seconds a connection may stay silent: one that never finishes its request would otherwise hold
# a thread for ever (nginx's client_header_timeout is 60 s; a preview needs less).
REQUEST_TIMEOUT = 20.0


def make_server(folder: Path, bind: str, port: int,
                timeout: float = REQUEST_TIMEOUT) -> ThreadingHTTPServer:
    """A server for `folder` on bind:port (port 0: any free one); call serve_forever()."""
    root = folder.resolve()

    class Handler(_Handler):
        pass

    Handler.root = root
    Handler.timeout = timeout
    return _Server((bind, port), Handler)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stopped server does not wait for connections that hang

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up or went silent is the client's business: no traceback."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    root: Path
    server_version = "feedsmith"

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        path = self._file()
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND, "Not found")
            return
        stat = path.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        if self._not_modified(etag, stat.st_mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.end_headers()
            return
        data = path.read_bytes()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", MEDIA_TYPES.get(path.suffix.lower(), _OTHER))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Cache-Control", "no-cache")  # revalidate: a build may change it any time
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _file(self) -> Path | None:
        """The file the request names, if it is a visible file inside the folder."""
        raw = unquote(urlsplit(self.path).path)
        parts = [p for p in posixpath.normpath("/" + raw).split("/") if p]
        if any(part.startswith(".") or "\\" in part or "\0" in part for part in parts):
            return None
        path = self.root.joinpath(*parts)
        if path.is_dir():
            path = path / "index.html"
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if real != self.root and self.root not in real.parents:
            return None
        if any(part.startswith(".") for part in real.relative_to(self.root).parts):
            return None  # a visible link to a hidden file
        return real if real.is_file() and os.access(real, os.R_OK) else None

    def _not_modified(self, etag: str, mtime: float) -> bool:
        tags = self.headers.get("If-None-Match")
        if tags is not None:  # it wins over If-Modified-Since (RFC 9110, 13.2.2)
            return tags.strip() == "*" or etag in (t.strip().removeprefix("W/") for t in
                                                   tags.split(","))
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                parsed = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError, OverflowError):  # "+9999999999" overflows
                return False
            return int(mtime) <= parsed.timestamp()
        return False

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: `serve` prints its address once; errors reach the client
