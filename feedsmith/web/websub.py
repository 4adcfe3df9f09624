"""Telling a WebSub hub which feeds changed: the publisher's ping (`[site] hub`).

After a build that rewrote feeds, one POST to the hub with `hub.mode=publish` and each changed
feed's URL as `hub.url` (the form PubSubHubbub 0.4 hubs take, one or many topics), retried as
fetching retries. The topics are recorded in the store before the ping and cleared after the hub
took it, so a ping that failed, or a build killed before it, is sent with the next build's. A
failed ping is a warning, never a failed build: the feeds are published either way.
"""

from __future__ import annotations

import time

from feedsmith.config import FetchConfig

FEED_SUFFIXES = (".rss", ".atom", ".json")


def changed_feeds(written: list[str], base_url: str) -> list[str]:
    """The URLs of the feeds among a build's written files."""
    return [base_url + name for name in written if name.endswith(FEED_SUFFIXES)]


def ping(hub: str, topics: list[str], config: FetchConfig) -> str:
    """Tell `hub` that `topics` changed: "" when it took it (2xx), else why not, once the
    retries on connection errors and 5xx answers are spent."""
    import httpx

    reason = ""
    for attempt in range(config.retries + 1):
        if attempt:
            time.sleep(config.backoff * 2 ** (attempt - 1))
        try:
            answer = httpx.post(hub, data={"hub.mode": "publish", "hub.url": topics},
                                headers={"User-Agent": config.user_agent},
                                timeout=config.timeout, follow_redirects=False)
        except httpx.HTTPError as error:
            reason = f"cannot connect: {error}"
            continue
        if answer.is_success:
            return ""
        reason = f"HTTP {answer.status_code} {answer.reason_phrase}"
        if answer.status_code < 500:
            break
    return (f"WebSub hub {hub} was not told of {len(topics)} changed feed(s): {reason}; they are "
            "sent again with the next build")
