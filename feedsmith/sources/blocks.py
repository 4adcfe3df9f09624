"""Text listings without numbers: the layouts older and other sections of a site use.

Which layout a listing has is detected, never configured:

    News                                  Septembre 2023            <- month header (skipped)
    ILO supports OSH in cooperatives      © A. Photographer/ILO     <- image credit (skipped)
    01 April 2022                         Actualités                <- label: the category
    A week-long training workshop ...     12 septembre 2023
    -                                     L'OIT lance un rapport ... <- summary
    Statement                                                          (no title: see below)
    ...                                   January 12, 2009          <- a date line, then only
                                          The ILO and the ICA met ...   a summary

- Blocks separated by a line holding only "-" (or a dash, or a row of them): a block is an item
  (optional label, title, date line, summary); one without a date line is left out with a
  warning, but for a page heading before the first block.
- Otherwise every date line is an item: the label and title right before it, the summary after
  it. Where one item's summary ends and the next's title begins is read from what the page
  holds: a credit or month header between them, a label (a short line the page repeats, such as
  "News"), the blank lines (lines of an item together, blank lines between items), and else the
  line's shape (a summary is sentences, ending in a full stop; a title is not).
- An item whose listing gives no title takes its summary's first sentence (`first_sentence`),
  marked `title_derived`, so that the store replaces it when the title appears later.

A date, a month header or a credit line is never taken as a title, nor as a category.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from feedsmith.cleantext import first_sentence
from feedsmith.dates import is_month_header, parse_date_line
from feedsmith.errors import Problem
from feedsmith.sources.item import ListedItem
from feedsmith.sources.lines import CREDIT, TextLine

_SEPARATOR = re.compile(r"^[-–—]+$")
_LABEL_WORDS = 5  # a label ("News", "Press release") is a few words, repeated on the page


@dataclass(frozen=True, slots=True)
class _Line:
    """A line of the listing and what it is: "date", "separator", "boundary" (a month header or
    a credit line: it ends what comes before) or "text"."""

    line: TextLine
    kind: str
    day: date | None = None

    @property
    def text(self) -> str:
        return self.line.text


def read_unnumbered(lines: list[TextLine], origin: str,
                    language: str) -> tuple[list[ListedItem], list[Problem]]:
    """The items of a listing without "N." markers, and a Problem for each one left out."""
    marked = [_kind(line, language) for line in lines]
    labels = _labels(marked)
    if any(line.kind == "separator" for line in marked):
        return _separated(marked, labels, origin)
    return _date_anchored(marked, labels, origin)


def _kind(line: TextLine, language: str) -> _Line:
    text = line.text
    day = parse_date_line(text, language)
    if day is not None:
        return _Line(line, "date", day)
    if _SEPARATOR.match(text):
        return _Line(line, "separator")
    if CREDIT.match(text) or is_month_header(text, language):
        return _Line(line, "boundary")
    return _Line(line, "text")


def _labels(lines: list[_Line]) -> frozenset[str]:
    """Lines the page repeats that are a few words and no sentence: the items' labels."""
    counts = Counter(line.text for line in lines if line.kind == "text")
    return frozenset(text for text, count in counts.items() if count > 1 and _label_like(text))


def _label_like(text: str) -> bool:
    return len(text.split()) <= _LABEL_WORDS and not _sentence(text)


def _sentence(text: str) -> bool:
    """Whether a line reads as a summary's sentence rather than a title: it ends in a full stop."""
    return text.rstrip("\"'”’)]").endswith((".", "…"))


def _separated(lines: list[_Line], labels: frozenset[str],
               origin: str) -> tuple[list[ListedItem], list[Problem]]:
    """Blocks between separator lines, each an item."""
    blocks: list[list[_Line]] = [[]]
    for line in lines:
        if line.kind == "separator":
            blocks.append([])
        else:
            blocks[-1].append(line)
    items: list[ListedItem] = []
    problems: list[Problem] = []
    for index, block in enumerate(blocks):
        texts = [line for line in block if line.kind != "boundary"]
        if not texts:
            continue
        dated = next((i for i, line in enumerate(texts) if line.kind == "date"), None)
        where = f"{origin}:{texts[0].line.number}"
        if dated is None:
            if index or items:  # the first block may be the page's heading
                problems.append(Problem(where, "block has no date line such as \"01 December "
                                               "2023\"; left out"))
            continue
        head = [line for line in texts[:dated] if line.kind == "text"]
        if index == 0:  # a page heading may come before the first item's label and title
            head = head[-2:]
        summary = " ".join(line.text for line in texts[dated + 1:])
        _add(_item([line.text for line in head], texts[dated], summary, labels, origin,
                   (head[0] if head else texts[dated]).line.number), items, problems)
    return items, problems


def _date_anchored(lines: list[_Line], labels: frozenset[str],
                   origin: str) -> tuple[list[ListedItem], list[Problem]]:
    """An item per date line: its label and title before it, its summary after it."""
    dates = [index for index, line in enumerate(lines) if line.kind == "date"]
    if not dates:
        return [], []
    # Blank lines tell items apart where lines of an item stand together and items do not.
    grouped = (any(line.line.after_blank for line in lines)
               and not all(line.line.after_blank for line in lines[1:]))
    gaps = [lines[start + 1:end] for start, end in zip([-1, *dates[:-1]], dates, strict=True)]
    # One item: a single line above its date is the page's heading, as in the numbered layout.
    titled = (_titled(gaps[1:]) if len(gaps) > 1
              else sum(line.kind == "text" for line in gaps[0]) > 1 and _titled(gaps))
    heads: list[list[_Line]] = []
    summaries: list[list[_Line]] = []
    for number, gap in enumerate(gaps):
        before, head = _split(gap, lines[dates[number]], labels, grouped, titled)
        heads.append(head)
        if number:
            summaries.append(before)
    summaries.append(_last_summary(lines[dates[-1] + 1:], any(x.line.after_blank for x in lines)))
    # A label the page does not repeat: where most one-line heads are labels, all short ones are.
    singles = [head[0].text for head in heads if len(head) == 1]
    if singles and sum(text in labels for text in singles) * 2 >= len(singles):
        labels |= {text for text in singles if _label_like(text)}
    items: list[ListedItem] = []
    problems: list[Problem] = []
    for index, head, summary in zip(dates, heads, summaries, strict=True):
        texts = " ".join(line.text for line in summary if line.kind == "text")
        _add(_item([line.text for line in head], lines[index], texts, labels, origin,
                   (head[0] if head else lines[index]).line.number), items, problems)
    return items, problems


def _add(made: ListedItem | Problem, items: list[ListedItem], problems: list[Problem]) -> None:
    if isinstance(made, ListedItem):
        items.append(made)
    else:
        problems.append(made)


def _titled(gaps: list[list[_Line]]) -> bool:
    """Whether the items have titles: the line right before most dates is no sentence."""
    last = [gap[-1] for gap in gaps if gap and gap[-1].kind == "text"]
    return sum(not _sentence(line.text) for line in last) * 2 > len(last)


def _split(gap: list[_Line], date_line: _Line, labels: frozenset[str], grouped: bool,
           titled: bool) -> tuple[list[_Line], list[_Line]]:
    """The lines between two date lines as the first item's summary and the next one's head."""
    boundaries = [i for i, line in enumerate(gap) if line.kind == "boundary"]
    if boundaries:  # a credit or month header: what follows it is the next item's
        return gap[:boundaries[0]], [line for line in gap[boundaries[-1] + 1:]
                                     if line.kind == "text"]
    texts = [line for line in gap if line.kind == "text"]
    label = next((i for i in range(len(texts) - 1, -1, -1) if texts[i].text in labels), None)
    if label is not None and label >= len(texts) - 2:
        return texts[:label], texts[label:]
    if grouped:  # the lines right before the date, with no blank line between them and it
        start = len(texts)
        following = date_line
        while start and not following.line.after_blank:
            start -= 1
            following = texts[start]
        return texts[:start], texts[start:]
    if titled and texts and not _sentence(texts[-1].text):
        if labels and len(texts) > 1 and _label_like(texts[-2].text):  # a label the page
            return texts[:-2], texts[-2:]  # does not repeat, in a page that has labels
        return texts[:-1], texts[-1:]
    return texts, []


def _last_summary(after: list[_Line], has_blanks: bool) -> list[_Line]:
    """The last item's summary: its paragraph after the date (a line, where no blank line
    separates paragraphs), up to a credit or month header; what follows is the page's footer."""
    summary: list[_Line] = []
    for line in after:
        if line.kind != "text" or (summary and (line.line.after_blank or not has_blanks)):
            break
        summary.append(line)
    return summary


def _item(head: list[str], date_line: _Line, summary: str, labels: frozenset[str],
          origin: str, line: int) -> ListedItem | Problem:
    """An item from the lines before its date (label and title), the date and the summary;
    `line` is where it starts."""
    assert date_line.day is not None
    where = f"{origin}:{line}"
    if len(head) > 2:
        return Problem(where, f"expected an optional label and a title before the date, found "
                              f"{len(head)} lines; left out")
    category = head[0] if len(head) == 2 or (head and head[0] in labels) else None
    title = head[-1] if head and (len(head) == 2 or category is None) else ""
    if title:
        return ListedItem(line=line, title=title, day=date_line.day, category=category,
                          summary=summary)
    if not summary:
        return Problem(where, "item has a date but neither a title nor a summary; left out")
    return ListedItem(line=line, title=first_sentence(summary), day=date_line.day,
                      category=category, summary=summary, title_derived=True)
