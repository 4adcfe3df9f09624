"""An issue's editorial: an optional Markdown file per issue (`digest/intro/2023-11.md` beside the
config, or `2023-W47.md`) that opens the HTML and the text part, like the "Message from ILO COOP"
of April 2020.

Markdown goes through markdown-it-py (CommonMark, raw HTML off) and then nh3, an allow-list
sanitiser: what reaches subscribers' inboxes is paragraphs, emphasis, lists, headings, quotes and
absolute http(s)/mailto links, whatever the file holds. The text part gets the same editorial as
plain text (`plain_text`): no Markdown marks, a link as "text (address)", paragraphs wrapped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from feedsmith.errors import DigestError

_TAGS = {"p", "a", "em", "strong", "ul", "ol", "li", "h2", "h3", "blockquote", "br", "code"}
_MAX_BYTES = 20_000  # an editorial, not an issue of its own: it counts against the mail budget


class Editorial(NamedTuple):
    markdown: str  # as the file holds it, to tell whether it changed
    html: str  # sanitised, with the inline styles mail clients need
    path: Path
    text: str = ""  # for the text part (see `plain_text`)


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
    return Editorial(markdown, render_markdown(markdown, link_color), path, plain_text(markdown))


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


_WIDTH = 72


def plain_text(markdown: str) -> str:
    """The editorial as a text part reads best: paragraphs wrapped at 72 columns, list items
    marked "-" or "1.", quotes and code indented, no emphasis marks, and each link as its text
    followed by its address in brackets (once, where the text is not the address already)."""
    import textwrap

    from markdown_it import MarkdownIt

    blocks: list[tuple[str, bool]] = []  # each paragraph, and whether it is in a list
    lists: list[list[int]] = []  # per open list: [next number], or [] for a bulleted one
    quote = 0
    marker = ""
    for token in MarkdownIt("commonmark", {"html": False}).parse(markdown):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append([int(token.attrs.get("start") or 1)] if token.type[0] == "o" else [])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            numbering = lists[-1]
            marker = f"{numbering[0]}. " if numbering else "- "
            if numbering:
                numbering[0] += 1
        elif token.type in ("blockquote_open", "blockquote_close"):
            quote += 1 if token.type == "blockquote_open" else -1
        elif token.type == "inline":
            indent = "    " * quote + "  " * max(0, len(lists) - 1)
            first = indent + marker
            blocks.append((textwrap.fill(_inline_text(token.children or []), _WIDTH,
                                         initial_indent=first,
                                         subsequent_indent=" " * len(first)), bool(lists)))
            marker = ""
        elif token.type in ("fence", "code_block"):
            blocks.append((textwrap.indent(token.content.rstrip("\n"), "    "), False))
    # A list's items line up one under another; other paragraphs have a blank line between.
    return "".join(("\n" if index and in_list and blocks[index - 1][1] else "\n\n" * bool(index))
                   + text for index, (text, in_list) in enumerate(blocks))


def _inline_text(children: list[Any]) -> str:
    text: list[str] = []
    links: list[tuple[int, str]] = []  # where each open link's text starts, and its address
    for child in children:
        if child.type in ("text", "code_inline"):
            text.append(child.content)
        elif child.type == "softbreak":
            text.append(" ")
        elif child.type == "hardbreak":
            text.append("\n")
        elif child.type == "image":
            text.append(child.content)
        elif child.type == "link_open":
            links.append((len(text), str(child.attrs.get("href") or "")))
        elif child.type == "link_close" and links:
            start, href = links.pop()
            label = "".join(text[start:])
            if href and href not in (label, f"mailto:{label}"):
                text.append(f" ({href.removeprefix('mailto:')})")
    return "".join(text)
