"""How `run-due` and `schedule` log: levels and times in the site's zone, on stderr and in a file.
(A feed build prints its summary and does not load `logging`.)"""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo


class _ZonedFormatter(logging.Formatter):
    """Log times in the site's time zone, with its offset, as every other time feedsmith shows."""

    def __init__(self, fmt: str, zone: ZoneInfo) -> None:
        super().__init__(fmt)
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, self.zone)
        return moment.isoformat(sep=" ", timespec="milliseconds")


def configure_logging(log_file: Path | None, quiet: bool, zone: ZoneInfo) -> None:
    """Levels and timestamps on stderr (warnings and errors only with --quiet, so that cron mails
    only trouble) and everything in `log_file`."""
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING if quiet else logging.INFO)
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    formatter = _ZonedFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", zone=zone)
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
