"""A period's selection -> the issue (the eNewsUpdate): email HTML (Jinja2 -> MJML -> HTML),
web page, text, with the masthead, editorial and footer the config gives.

The email is kept under Gmail's clipping size (~102 KB): when a month has more than fits in
`max_html_bytes`, the last items of the last sections become "N more items online" links to the
web page, which always carries everything, as the text part does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from feedgen.feed import FeedGenerator
from mjml import mjml2html

from feedsmith.config import Config
from feedsmith.dates import long_date
from feedsmith.entry import EPOCH, Entry
from feedsmith.identity import category_slug
from feedsmith.newsletter.editorial import Editorial
from feedsmith.newsletter.ledger import IssueRecord, Rendered
from feedsmith.newsletter.mail import body_unsubscribe
from feedsmith.period import Period
from feedsmith.web.templating import environment

LATE_HEADING = "Also new: earlier items that reached us late"


class Section(NamedTuple):
    heading: str
    entries: tuple[Entry, ...]
    more: int = 0  # items left out of the email for size, shown online

    @property
    def anchor(self) -> str:
        return category_slug(self.heading)


class Layout(NamedTuple):
    """An issue's items in reading order: the lead story, then one section per category."""

    lead: Entry | None
    sections: tuple[Section, ...]

    @property
    def item_count(self) -> int:
        return (self.lead is not None) + sum(len(s.entries) + s.more for s in self.sections)

    def shown(self, limit: int) -> Layout:
        """The layout with at most `limit` section items; the rest become "more online"."""
        cut: list[Section] = []
        for section in self.sections:
            keep = max(0, min(len(section.entries), limit))
            limit -= keep
            cut.append(Section(section.heading, section.entries[:keep],
                               section.more + len(section.entries) - keep))
        return Layout(self.lead, tuple(cut))


def arrange(main: list[Entry], late: list[Entry], order: tuple[str, ...],
            lead_category: str) -> Layout:
    """Lead story, then sections by the configured category order (others alphabetically), each
    newest first, then the late arrivals."""
    lead_slug = category_slug(lead_category) if lead_category else None
    lead = next((e for e in main if category_slug(e.category) == lead_slug), None)
    lead = lead or (main[0] if main else None)
    by_category: dict[str, list[Entry]] = {}
    for entry in main:
        if entry is not lead:
            by_category.setdefault(entry.category, []).append(entry)
    rank = {category_slug(name): index for index, name in enumerate(order)}
    headings = sorted(by_category, key=lambda c: (rank.get(category_slug(c), len(rank)),
                                                  c.casefold()))
    sections = [Section(heading, tuple(by_category[heading])) for heading in headings]
    if late:
        sections.append(Section(LATE_HEADING, tuple(late)))
    return Layout(lead, tuple(sections))


def render_issue(layout: Layout, number: int, period: str, config: Config,
                 editorial: Editorial | None = None) -> Rendered:
    """The issue's subject and parts; its `eml` is left for `newsletter` to compose."""
    digest, site = config.digest, config.site
    label = Period.parse(period).label(site.language)
    subject = f"{digest.title} Issue No. {number}, {label}"
    layout = _with_headings(layout, digest.headings, label)
    context: dict[str, Any] = {
        "title": digest.title, "number": number, "period_label": label, "subject": subject,
        "language": site.language, "contact": digest.contact, "base_url": site.base_url,
        "brand": digest.brand_color, "logo": digest.logo, "logo_alt": digest.logo_alt,
        "home_url": site.base_url, "tagline": digest.tagline.replace("{period}", label),
        "social": digest.social, "editorial": editorial.html if editorial else "",
        "editorial_text": editorial.text if editorial else "",
        "web_url": web_url(config, period), "archive_url": archive_url(config),
        "unsubscribe_url": body_unsubscribe(digest.unsubscribe),
        "preheader": _preheader(layout, label),
        "long_date": lambda entry: long_date(entry.published.date(), site.date_locale()),
        "show_number": digest.show_number, "show_dates": digest.show_dates,
    }
    templates = environment(digest.templates)
    mjml_template = templates.get_template("digest.mjml.j2")

    def email_html(shown: Layout, web: bool = False) -> str:
        source = mjml_template.render(context, lead=shown.lead, sections=shown.sections, web=web)
        return str(mjml2html(source, disable_comments=True, fonts={}))

    text = templates.get_template("digest.txt.j2").render(
        context, lead=layout.lead, sections=layout.sections)
    return Rendered(subject, _within_budget(layout, email_html, digest.max_html_bytes),
                    email_html(layout, web=True), text)


def _with_headings(layout: Layout, headings: tuple[tuple[str, str], ...], label: str) -> Layout:
    """Section headings as configured per category ("News highlights for {period}")."""
    by_slug = {category_slug(name): text.replace("{period}", label) for name, text in headings}
    return Layout(layout.lead, tuple(
        Section(by_slug.get(category_slug(s.heading), s.heading), s.entries, s.more)
        for s in layout.sections))


def _within_budget(layout: Layout, html_for: Callable[[Layout], str], budget: int) -> str:
    """The HTML of the largest prefix of the layout's items that fits in `budget` bytes."""
    full = html_for(layout)
    if len(full.encode()) <= budget:
        return full
    low, high = 0, sum(len(s.entries) for s in layout.sections)  # low always fits (we hope)
    best = html_for(layout.shown(0))
    while low < high:
        middle = (low + high + 1) // 2
        candidate = html_for(layout.shown(middle))
        if len(candidate.encode()) <= budget:
            low, best = middle, candidate
        else:
            high = middle - 1
    return best


def _preheader(layout: Layout, label: str) -> str:
    count = layout.item_count
    lead = f": {layout.lead.title}" if layout.lead else ""
    text = f"{count} new item{'s' if count != 1 else ''} in {label}{lead}"
    return text if len(text) <= 140 else text[:139].rstrip() + "…"


def web_url(config: Config, period: str) -> str:
    return f"{config.site.base_url}digest/{period}.html"


def archive_url(config: Config) -> str:
    return f"{config.site.base_url}digest/index.html"


def render_archive(issues: list[tuple[str, int]], config: Config) -> bytes:
    """The past-issues page: (month, number) pairs, newest first."""
    listed = [{"month": m, "number": n, "label": Period.parse(m).label(config.site.language)}
              for m, n in issues]
    page = environment(config.digest.templates).get_template("digest-archive.html.j2").render(
        title=config.digest.title, language=config.site.language, issues=listed,
        site_title=config.site.title)
    return page.encode("utf-8")


def with_neighbours(web: str, before: tuple[str, int] | None, after: tuple[str, int] | None,
                    config: Config) -> bytes:
    """An issue's frozen web copy with links to the issues (month, number) before and after it
    and to the past issues: they change as issues are added, the issue itself never does.
    Links are absolute, as everywhere in an issue: a saved or forwarded copy still leads home."""
    def link(rel: str, issue: tuple[str, int]) -> str:
        month, number = issue
        words = f"No. {number}, {Period.parse(month).label(config.site.language)}"
        text = f"← {words}" if rel == "prev" else f"{words} →"
        href = f"{config.site.base_url}digest/{month}.html"
        return f'<a rel="{rel}" href="{href}" style="color:#1e2a38;">{text}</a>'

    parts = [link("prev", before) if before else "<span></span>",
             f'<a href="{archive_url(config)}" style="color:#1e2a38;">All issues</a>',
             link("next", after) if after else "<span></span>"]
    nav = ('<nav aria-label="Other issues" class="fs-issues" style="display:flex;flex-wrap:wrap;gap:4px 16px;'
           'justify-content:space-between;max-width:600px;margin:0 auto;padding:10px 16px;'
           'box-sizing:border-box;font:14px/1.5 Arial, Helvetica, sans-serif;">'
           + "".join(parts) + "</nav>")
    body = re.search(r"<body[^>]*>", web)
    at = body.end() if body else 0
    return (web[:at] + nav + web[at:]).encode("utf-8")


def render_issues_feed(issues: list[IssueRecord], config: Config) -> bytes:
    """An Atom feed of the issues, newest first, for readers who follow the newsletter there."""
    site, title = config.site, config.digest.title
    generator = FeedGenerator()
    generator.id(f"tag:{site.id_authority}:digest")
    generator.title(title)
    generator.link(href=f"{site.base_url}digest/issues.atom", rel="self",
                   type="application/atom+xml")
    generator.link(href=archive_url(config), rel="alternate")
    generator.language(site.language)
    generator.author({"name": site.author_name})
    generator.generator("feedsmith")
    numbered = [issue for issue in issues if issue.rendered is not None]
    newest_first = sorted(numbered, key=lambda issue: issue.period, reverse=True)
    generator.updated(max((i.built_at for i in numbered), default=EPOCH))
    for issue in newest_first:
        assert issue.rendered is not None
        item = generator.add_entry(order="append")
        item.id(f"tag:{site.id_authority}:digest/{issue.period}")
        item.title(issue.rendered.subject)
        item.link(href=web_url(config, issue.period), rel="alternate")
        item.published(issue.built_at)
        item.updated(issue.built_at)
        item.content(issue.rendered.text, type="text")
    return bytes(generator.atom_str(pretty=True))


