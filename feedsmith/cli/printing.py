"""What the commands print: each report of the library as lines for a terminal (or a cron mail).

Nothing here decides anything; a command calls the library, then one of these.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from feedsmith.identity import category_slug
from feedsmith.period import Period

if TYPE_CHECKING:
    from feedsmith.config import Config
    from feedsmith.entry import Entry
    from feedsmith.newsletter.run import DigestReport
    from feedsmith.pipeline import BuildReport
    from feedsmith.sources.item import ListedItem
    from feedsmith.sources.preview import Detected, SourcePreview
    from feedsmith.status import Status
    from feedsmith.store.queries import ListedEntry


def build_summary(report: BuildReport, output: Path) -> None:
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for failure in report.failures:
        print(f"error: {failure}", file=sys.stderr)
    merge = report.merge
    print(f"Sources: {report.files_read} listing(s) read, {report.files_unchanged} unchanged, "
          f"{len(report.failures)} failed; {len(report.problems)} warning(s).")
    print(f"Entries: {merge.new} new, {merge.changed} updated, {report.stored} in the store.")
    if report.followed or report.follow_failed or report.follow_later:
        failed = (f", {report.follow_failed} not had (see the warnings)"
                  if report.follow_failed else "")
        later = (f"; {report.follow_later} more with the next build(s) ([follow] per_build)"
                 if report.follow_later else "")
        print(f"Item pages: {report.followed} fetched{failed}{later}.")
    out = shown(output)
    if report.written or report.unchanged:
        print(f"Output: {len(report.written)} file(s) written to {out}, "
              f"{len(report.unchanged)} unchanged.")
    else:
        print(f"Output: {out} is up to date, nothing written.")
    for suspect in report.suspects:
        print(f"error: {suspect.described()}", file=sys.stderr)
    for name in report.alerted:
        print(f"Alert sent about source {name!r}.")
    if report.alert_failure:
        print(f"warning: {report.alert_failure}", file=sys.stderr)
    if report.told_hub:
        print(f"WebSub hub told of {report.told_hub} changed feed(s).")
    if report.hub_failure:
        print(f"warning: {report.hub_failure}", file=sys.stderr)


def source_preview(preview: SourcePreview, items: int) -> None:
    print(f"\nSource {preview.name!r}: {len(preview.entries)} item(s), "
          f"{len(preview.problems)} warning(s), {len(preview.failures)} failure(s).")
    item_table(preview.entries[:items])
    for problem in preview.problems:
        print(f"  warning: {problem}")
    for failure in preview.failures:
        print(f"  error: {failure}")


def detected(listing: str, found: Detected) -> None:
    selectors = (", read with CSS selectors " + ", ".join(f"{k} = {v!r}" for k, v in
                                                         found.selectors)
                 if found.selectors else "")
    print(f"{listing}: {found.kind}, dates in {found.language!r}, {len(found.items)} item(s), "
          f"{len(found.problems)} warning(s){selectors}.")
    item_table(found.items[:10])
    for problem in found.problems:
        print(f"  warning: {problem}")


def item_table(items: Sequence[Entry | ListedItem]) -> None:
    """Every field read of each item: a row with its date, category, title and link, then its
    summary, picture and where its title came from, when it has them."""
    if not items:
        return
    print(f"  {'DATE':<10}  {'CATEGORY':<24}  {'TITLE':<48}  LINK")
    for item in items:
        print(f"  {item.day.isoformat():<10}  {_shorten(item.category or '(none)', 24):<24}  "
              f"{_shorten(item.title, 48):<48}  {item.link or '-'}")
        if item.title_derived:
            print(f"  {'':<10}  title: made from the summary (no title listed)")
        if item.summary:
            print(f"  {'':<10}  summary: {_shorten(item.summary, 72)}")
        if item.image:
            alt = f" (alt: {_shorten(item.image_alt, 40)!r})" if item.image_alt else ""
            print(f"  {'':<10}  image: {item.image}{alt}")


def entries(listed: list[ListedEntry], cap: int, long_: bool) -> None:
    if listed and not long_:
        print(f"{'DATE':<10}  {'FEEDS':<7}  {'CATEGORY':<30}  TITLE")
    for item in listed:
        print(_describe(item, cap) if long_ else _row(item, cap))
    print(f"{len(listed)} entr{'y' if len(listed) == 1 else 'ies'}"
          + (f" (feeds carry the newest {cap} of each)" if listed else ""), file=sys.stderr)


def _in_feeds(item: ListedEntry, cap: int) -> list[str]:
    slug = category_slug(item.entry.category)
    return [name for name, rank in (("all", item.rank_in_all), (slug, item.rank_in_category))
            if rank <= cap]


def _row(item: ListedEntry, cap: int) -> str:
    """One line: in the feed of everything and its category's ("all+cat"), only its category's
    ("cat"), or neither ("-": older than the newest `cap` of both)."""
    in_all, in_category = item.rank_in_all <= cap, item.rank_in_category <= cap
    feeds = "all+cat" if in_all and in_category else "cat" if in_category else "all" if in_all else "-"
    import shutil  # only `entries` needs it

    entry = item.entry
    room = max(20, shutil.get_terminal_size((100, 24)).columns - 53)  # what the columns leave
    category, title = _shorten(entry.category, 30), _shorten(entry.title, room)
    return f"{entry.day}  {feeds:<7}  {category:<30}  {title}"


def _describe(item: ListedEntry, cap: int) -> str:
    entry, slug = item.entry, category_slug(item.entry.category)
    placement = (f"#{item.rank_in_all} in all, #{item.rank_in_category} in {slug} "
                 f"(feeds carry {cap}): in {', '.join(_in_feeds(item, cap)) or 'no feed'}")
    return "\n".join([
        entry.id,
        f"  title:      {entry.title}",
        f"  category:   {entry.category}",
        f"  summary:    {entry.summary or '(none)'}",
        f"  published:  {entry.published.isoformat()}",
        f"  updated:    {entry.updated.isoformat()}",
        f"  first seen: {item.first_seen.isoformat(timespec='seconds')}",
        f"  last seen:  {item.last_seen.isoformat(timespec='seconds')}",
        f"  source:     {entry.source} ({entry.origin})",
        f"  feeds:      {placement}",
        "",
    ])


def digest(report: DigestReport, config: Config, dry_run: bool) -> None:
    if report.number is None:
        print(f"{report.period}: nothing new, so no issue"
              + ("" if dry_run else " (recorded in the ledger)") + ".")
        return
    state = "new" if report.created or dry_run else "already built, unchanged"
    print(f"{report.subject} ({state}); email HTML {report.html_bytes / 1000:.1f} KB.")
    _layout(report, dry_run)
    if report.preview is not None:
        print(f"Preview of the email: {report.preview} (open it in a browser; nothing was "
              "recorded)")
    if report.editorial_changed is not None:
        print(f"note: {report.editorial_changed} changed since this issue was built; the "
              "issue keeps the editorial it was built with (`--rebuild` uses the new one, "
              "unless the issue was sent)", file=sys.stderr)
    if report.settings_changed:
        names = ", ".join(report.settings_changed)
        how = ("it was sent, so it stays as it is" if report.sent_before else
               f"nothing has been sent of it: `feedsmith digest {Period.parse(report.period).option}"
               " --rebuild` builds it with today's")
        print(f"note: {names} changed since this issue was built; the issue keeps the "
              f"settings it was built with ({how})", file=sys.stderr)
    if report.written:
        print(f"Wrote {', '.join(report.written)} under {shown(config.output.dir)}")
    delivery = report.delivery
    if delivery.sent or delivery.already_sent:
        print(f"Sent to {len(delivery.sent)} recipient(s); {len(delivery.already_sent)} had it "
              "already.")
    if delivery.unknown:
        print(f"Not sent again to {', '.join(delivery.unknown)}: an earlier copy's outcome is "
              f"unknown (it may have arrived); --resend-unknown sends it again.", file=sys.stderr)
    for failure in delivery.failed:
        print(f"error: {failure}", file=sys.stderr)


def _layout(report: DigestReport, dry_run: bool) -> None:
    from feedsmith.newsletter.issue import LATE_HEADING

    if report.layout is None:
        return
    if report.layout.lead is not None:
        print(f"  Lead: {report.layout.lead.title}")
    for section in report.layout.sections:
        late = " (late arrivals)" if section.heading == LATE_HEADING else ""
        print(f"  {section.heading}{late}: {len(section.entries)} item(s)")
        if dry_run:
            for entry in section.entries:
                print(f"    {entry.day}  {entry.title}")


def status(report: Status, config: Config) -> None:
    zone = config.site.timezone
    last = report.last_build
    print(f"Store: {report.store}")
    if last is None:
        print("Last build: none yet.")
    elif last.ok:
        print(f"Last build: {last.at.astimezone(zone):%Y-%m-%d %H:%M %Z}: "
              f"{last.files_read} listing(s) read, {last.files_unchanged} unchanged, "
              f"{last.new} new, {last.changed} updated, {last.warnings} warning(s); "
              f"{last.stored} entries in the store.")
    else:
        print(f"Last build: {last.at.astimezone(zone):%Y-%m-%d %H:%M %Z}: FAILED, nothing "
              "could be read.")
    for name, when in (("build", report.next_build), ("digest", report.next_digest)):
        when_shown = f"{when:%Y-%m-%d %H:%M %Z}" if when else "never"
        print(f"Next {name}: {when_shown} ({getattr(config.schedule, name)}), when "
              "`feedsmith schedule` runs")
    if report.hub_ping:
        print(f"WebSub: {report.hub_ping}")
    if report.item_pages:
        print(f"Item pages: {report.item_pages}")
    print("Issues:" if report.issues else "Issues: none yet.")
    for issue in report.issues:
        print(f"  No. {issue.number:<4} {issue.period}  built "
              f"{issue.built_at:%Y-%m-%d %H:%M}  sent {issue.sent}/{len(config.digest.to)}"
              + (f", {issue.not_delivered} not delivered" if issue.not_delivered else ""))
    print("Needs attention:" if report.attention else "Nothing needs attention.")
    for line in report.attention:
        print(f"  - {line}")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return f"{path.relative_to(Path.cwd())}/"
    except ValueError:
        return f"{path}/"
