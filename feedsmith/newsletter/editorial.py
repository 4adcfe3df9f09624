"""An issue's editorial: an optional Markdown file per issue (`digest/intro/2023-11.md` beside the
config, or `2023-W47.md`) that opens the HTML and the text part, like the "Message from ILO COOP"
of April 2020.

Markdown goes through markdown-it-py (CommonMark, raw HTML off) and then nh3, an allow-list
sanitiser: what reaches subscribers' inboxes is paragraphs, emphasis, lists, headings, quotes and
absolute http(s)/mailto links, whatever the file holds. The text part carries the Markdown itself,
which is written to be read as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from feedsmith.errors import DigestError

_TAGS = {"p", "a", "em", "strong", "ul", "ol", "li", "h2", "h3", "blockquote", "br", "code"}
_MAX_BYTES = 20_000  # an editorial, not an issue of its own: it counts against the mail budget


class Editorial(NamedTuple):
    markdown: str  # as the file holds it, for the text part and to tell whether it changed
    html: str  # sanitised, with the inline styles mail clients need
    path: Path


def read_editorial(folder: Path | None, key: str, link_color: str) -> Editorial | None:
    """The editorial for the issue `key`, if its file exists; a clear error if it is unusable."""
    if folder is None:
        return None
    path = folder / f"{key}.md"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DigestError(f"{path}: cannot read the editorial: {exc.strerror}") from None
    if len(data) > _MAX_BYTES:
        raise DigestError(f"{path}: the editorial is {len(data):,} bytes; keep it under "
                          f"{_MAX_BYTES:,} (it is the opening of a mail, not an article)")
    try:
        markdown = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").strip()
    except UnicodeDecodeError as exc:
        raise DigestError(f"{path}: expected UTF-8 text, byte {exc.start + 1} is not") from None
    if not markdown:
        return None
    return Editorial(markdown, render_markdown(markdown, link_color), path)


def render_markdown(markdown: str, link_color: str) -> str:
    import nh3
    from markdown_it import MarkdownIt

    raw = MarkdownIt("commonmark", {"html": False}).render(markdown)
    # Headings inside a mail are at most h2 (the masthead is the h1).
    raw = raw.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    for level in ("h4", "h5", "h6"):
        raw = raw.replace(f"<{level}>", "<h3>").replace(f"</{level}>", "</h3>")
    clean = nh3.clean(raw, tags=_TAGS, attributes={"a": {"href"}},
                      url_schemes={"http", "https", "mailto"}, url_relative="deny", link_rel=None)
    styles = {"<a ": f'<a style="color:{link_color};" ',
              "<p>": '<p style="margin:0 0 12px;">',
              "<h2>": '<h2 style="margin:0 0 10px;font-size:18px;">',
              "<h3>": '<h3 style="margin:0 0 8px;font-size:16px;">'}
    for plain, styled in styles.items():
        clean = clean.replace(plain, styled)
    return clean.strip()
