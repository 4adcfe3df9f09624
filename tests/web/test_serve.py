"""`feedsmith serve`: the output folder as production serves it (types, validators), and never a
byte from outside it."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedsmith.config import load_config
from feedsmith.pipeline import build
from feedsmith.web.serve import make_server
from tests.fixtures.project import Result


def _build(project: Path, now: datetime = datetime(2026, 11, 23, tzinfo=UTC)) -> list[str]:
    return build(load_config(project / "config.toml"), now).written


@pytest.fixture
def served(project: Path) -> Iterator[tuple[Path, int]]:
    _build(project)
    server = make_server(project / "feeds", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield project / "feeds", server.server_port
    server.shutdown()
    server.server_close()


def _get(port: int, path: str, method: str = "GET",
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    answer = response.status, dict(response.getheaders()), response.read()
    connection.close()
    return answer


@pytest.mark.parametrize(("path", "media_type"), [
    ("/", "text/html; charset=utf-8"),
    ("/news.html", "text/html; charset=utf-8"),
    ("/archive/2023-11.html", "text/html; charset=utf-8"),
    ("/style.css", "text/css; charset=utf-8"),
    ("/news.rss", "application/xml; charset=utf-8"),
    ("/news.atom", "application/xml; charset=utf-8"),
    ("/news.json", "application/feed+json; charset=utf-8"),
    ("/feeds.opml", "text/x-opml; charset=utf-8"),
])
def test_serve_answers_with_types_and_validators(served: tuple[Path, int], path: str,
                                                  media_type: str) -> None:
    folder, port = served
    status, headers, body = _get(port, path)
    assert status == 200 and headers["Content-Type"] == media_type
    assert headers["Cache-Control"] == "no-cache"  # revalidated: a build may change it any time
    assert headers["X-Content-Type-Options"] == "nosniff"
    name = path.lstrip("/") or "index.html"
    assert body == (folder / name).read_bytes()
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert _get(port, path, headers={"If-None-Match": etag})[0] == 304
    assert _get(port, path, headers={"If-None-Match": '"other"'})[0] == 200
    assert _get(port, path, headers={"If-Modified-Since": modified})[0] == 304
    assert _get(port, path, headers={"If-Modified-Since": "Thu, 01 Jan 1998 00:00:00 GMT"})[0] \
        == 200
    head = _get(port, path, "HEAD")
    assert head[0] == 200 and head[2] == b"" and head[1]["Content-Length"] == str(len(body))


def test_serve_gives_nothing_from_outside_the_folder(served: tuple[Path, int]) -> None:
    folder, port = served
    (folder / ".all.atom.x.feedsmith-tmp").write_text("partial")
    (folder / "escape").symlink_to(folder.parent / "config.toml")
    (folder / "empty").mkdir()
    for path in ("/../config.toml", "/%2e%2e/config.toml", "/archive/../../config.toml",
                 "/..%2fconfig.toml", "/escape", "/.all.atom.x.feedsmith-tmp", "/empty/",
                 "/missing.rss", "//etc/passwd"):
        status, _, body = _get(port, path)
        assert status == 404, path
        assert b"id_authority" not in body and b"partial" not in body


def test_serve_command_prints_where_it_listens(project: Path) -> None:
    _build(project)
    process = subprocess.Popen(
        [sys.executable, "-m", "feedsmith",
         "--config", str(project / "config.toml"), "serve", "--port", "0"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Serving ") and "http://127.0.0.1:" in line, line
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        assert _get(port, "/")[2] == (project / "feeds" / "index.html").read_bytes()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_serve_never_reaches_a_sibling_that_shares_its_name(served: tuple[Path, int]) -> None:
    """`feeds-private/` starts with the name of `feeds/`: a link into it is still outside."""
    folder, port = served
    sibling = folder.parent / f"{folder.name}-private"
    sibling.mkdir()
    (sibling / "secret.txt").write_text("the payroll")
    (folder / "leak.txt").symlink_to(sibling / "secret.txt")
    (folder / "private").symlink_to(sibling, target_is_directory=True)
    for path in ("/leak.txt", "/private/secret.txt", "/private/"):
        status, _, body = _get(port, path)
        assert status == 404, path
        assert b"payroll" not in body


def test_serve_never_follows_a_visible_link_to_a_hidden_file(served: tuple[Path, int]) -> None:
    folder, port = served
    (folder / ".draft.html").write_text("unpublished")
    (folder / "draft.html").symlink_to(folder / ".draft.html")
    status, _, body = _get(port, "/draft.html")
    assert status == 404 and b"unpublished" not in body


@pytest.mark.parametrize("since", ["Mon, 01 Jan 2024 00:00:00 +99999999999999999999",
                                   "Mon, 01 Jan 99999999999 00:00:00 GMT",
                                   "Mon, 01 Jan 2024 00:00:00 +9999", "yesterday"])
def test_a_nonsense_if_modified_since_is_ignored(served: tuple[Path, int], since: str) -> None:
    folder, port = served
    status, _, body = _get(port, "/all.atom", headers={"If-Modified-Since": since})
    assert status == 200 and body == (folder / "all.atom").read_bytes()


@pytest.fixture
def impatient(project: Path) -> Iterator[tuple[Path, int]]:
    """A server that cuts off a silent client after half a second."""
    _build(project)
    server = make_server(project / "feeds", "127.0.0.1", 0, timeout=0.5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield project / "feeds", server.server_port
    server.shutdown()
    server.server_close()


def test_a_client_that_never_finishes_its_request_is_cut_off(
        impatient: tuple[Path, int], capfd: pytest.CaptureFixture[str]) -> None:
    _, port = impatient
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")  # no blank line: never done
        started = time.monotonic()
        assert client.recv(1024) == b""  # the server closed the connection
        assert time.monotonic() - started < 5
    assert "Traceback" not in capfd.readouterr().err


def test_a_client_that_hangs_up_early_is_no_error(
        impatient: tuple[Path, int], capfd: pytest.CaptureFixture[str]) -> None:
    folder, port = impatient
    (folder / "big.txt").write_bytes(b"x" * 30_000_000)  # more than socket buffers hold
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.sendall(b"GET /big.txt HTTP/1.0\r\n\r\n")
            assert client.recv(100).startswith(b"HTTP/1.0 200")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    time.sleep(1)
    assert _get(port, "/index.html")[0] == 200  # still serving
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err, err


def _raw(port: int, request: bytes) -> tuple[bytes, bytes]:
    """A request on a bare socket, read to the end: the answer's head and body as sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(request)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def test_head_sends_the_headers_and_no_body(served: tuple[Path, int]) -> None:
    folder, port = served
    head, body = _raw(port, b"HEAD /news.rss HTTP/1.0\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200") and body == b""
    size = (folder / "news.rss").stat().st_size
    assert f"Content-Length: {size}".encode() in head
    head, body = _raw(port, b"GET /news.rss HTTP/1.0\r\n\r\n")
    assert body == (folder / "news.rss").read_bytes()


def test_validators_follow_the_file(served: tuple[Path, int]) -> None:
    """Last-Modified is the file's own time; a rewritten file answers its old ETag with 200."""
    folder, port = served
    path = folder / "news.atom"
    os.utime(path, (1_700_000_000, 1_700_000_000))
    _, headers, _ = _get(port, "/news.atom")
    assert headers["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert _get(port, "/news.atom", headers={
        "If-Modified-Since": "Tue, 14 Nov 2023 22:13:19 GMT"})[0] == 200  # a second older
    old = headers["ETag"]
    path.write_bytes(path.read_bytes() + b"\n")
    status, fresh, _ = _get(port, "/news.atom", headers={"If-None-Match": old})
    assert status == 200 and fresh["ETag"] != old
    assert _get(port, "/news.atom", headers={"If-None-Match": f'W/{fresh["ETag"]}, "x"'})[0] \
        == 304
    assert _get(port, "/news.atom", headers={"If-None-Match": "*"})[0] == 304
    status, answer, body = _get(port, "/news.atom", headers={"If-None-Match": fresh["ETag"]})
    assert (status, body) == (304, b"")  # and a 304 names what it stands for (RFC 9110, 15.4.5)
    assert (answer["ETag"], answer["Last-Modified"]) == (fresh["ETag"], fresh["Last-Modified"])
    # If-None-Match wins over If-Modified-Since (RFC 9110, 13.2.2)
    assert _get(port, "/news.atom", headers={"If-None-Match": old, "If-Modified-Since":
                                             fresh["Last-Modified"]})[0] == 200


def test_an_unexpected_error_is_reported_with_the_client_and_a_hang_up_is_not(
        project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    server = make_server(project, "127.0.0.1", 0)
    request = socket.socket()
    try:
        for error in (ValueError("a bug in the handler"), ConnectionResetError("gone")):
            try:
                raise error
            except (ValueError, ConnectionResetError):
                server.handle_error(request, ("127.0.0.9", 4242))
    finally:
        request.close()
        server.server_close()
    err = capfd.readouterr().err
    assert "ValueError: a bug in the handler" in err and "('127.0.0.9', 4242)" in err
    assert "gone" not in err


def test_a_file_of_no_known_type_is_served_as_bytes(served: tuple[Path, int]) -> None:
    folder, port = served
    (folder / "export.bin").write_bytes(b"\x00\x01")
    status, headers, body = _get(port, "/export.bin")
    assert (status, headers["Content-Type"], body) == (200, "application/octet-stream",
                                                       b"\x00\x01")


def test_a_port_in_use_is_a_clear_error_that_suggests_another(
        project: Path, cli: Callable[..., Result]) -> None:
    _build(project)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use; another program uses " \
           "that port: choose another with --port" in result.stderr


def test_hidden_names_odd_bytes_and_special_files_are_never_served(
        served: tuple[Path, int]) -> None:
    folder, port = served
    (folder / ".alias.html").symlink_to(folder / "index.html")  # hidden by name
    os.mkfifo(folder / "pipe.txt")  # would block a reader for ever
    for path in ("/.alias.html", "/index.html%00.txt", "/pipe.txt", "/archive%5c..%5cindex.html"):
        status, _, _ = _get(port, path)
        assert status == 404, path
    assert _get(port, "/index.html")[0] == 200  # and the server still answers
