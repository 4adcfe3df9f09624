"""The one place that knows the order of the stages: sources -> entries -> feeds and pages -> files.

Everything is rendered in memory before the first file is written, so a run that fails on bad input
or a rendering error leaves the published folder exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from feedsmith.config import Config
from feedsmith.discovery import render_index, render_opml
from feedsmith.entry import stagger_within_day
from feedsmith.errors import Problem, SourceError
from feedsmith.feeds import Feed, plan_feeds, render_atom, render_rss
from feedsmith.files import remove_stale_temp_files, write_if_changed
from feedsmith.sources import read_sources


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the CLI's summary and for `status`."""

    sources: int
    files_read: int
    entries: int
    feeds: int
    problems: list[Problem] = field(default_factory=list)
    failures: list[SourceError] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def build(config: Config) -> BuildReport:
    """Read every source and (re)write the feeds, index.html and feeds.opml that changed."""
    harvest = read_sources(config.sources, config.site)
    if not harvest.entries:
        reasons = "; ".join(str(f) for f in harvest.failures) or "the sources list no items"
        raise SourceError(f"nothing to publish, the previous feeds are left as they were: {reasons}")
    entries = stagger_within_day(harvest.entries)
    feeds = plan_feeds(entries, config.site, config.output.max_entries)
    outputs = render_outputs(feeds, config)
    report = BuildReport(sources=len(config.sources), files_read=harvest.files_read,
                         entries=len(entries), feeds=len(feeds), problems=harvest.problems,
                         failures=harvest.failures)
    report.written, report.unchanged = publish(outputs, config.output.dir)
    return report


def render_outputs(feeds: list[Feed], config: Config) -> dict[str, bytes]:
    """Every published file by name, rendered in memory."""
    site = config.site
    outputs: dict[str, bytes] = {}
    for feed in feeds:
        outputs[feed.rss_name] = render_rss(feed, site)
        outputs[feed.atom_name] = render_atom(feed, site)
    outputs["index.html"] = render_index(feeds, site, config.output.max_entries)
    outputs["feeds.opml"] = render_opml(feeds, site)
    return outputs


def publish(outputs: dict[str, bytes], folder: Path) -> tuple[list[str], list[str]]:
    """Write what changed; return the names written and the names left untouched."""
    remove_stale_temp_files(folder)
    written: list[str] = []
    unchanged: list[str] = []
    for name, data in outputs.items():
        (written if write_if_changed(folder / name, data) else unchanged).append(name)
    return written, unchanged
