"""config.toml: its records (`model`), reading and checking a file into them (`load`), one
TOML table at a time (`table`), and the mailboxes it names (`mailbox`).

Every stage takes what it needs from a `Config`; nothing else reads the file.
"""

from feedsmith.config.load import load_config, postgres_url_problem
from feedsmith.config.model import (
    DEFAULT_CATEGORY,
    Config,
    DigestConfig,
    FetchConfig,
    FollowConfig,
    OutputConfig,
    ScheduleConfig,
    SiteConfig,
    SmtpConfig,
    SourceConfig,
    StoreConfig,
)

__all__ = ["DEFAULT_CATEGORY", "Config", "DigestConfig", "FetchConfig", "FollowConfig", "OutputConfig",
           "ScheduleConfig", "SiteConfig", "SmtpConfig", "SourceConfig", "StoreConfig",
           "load_config", "postgres_url_problem"]
