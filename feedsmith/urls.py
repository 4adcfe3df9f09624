"""What counts as a URL feedsmith fetches or publishes: absolute http(s) only, and origins."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_http_url(value: str) -> bool:
    """An absolute http or https URL with a host and a valid port (if any)."""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises ValueError for "host:99999")
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def origin(url: str) -> str:
    """The origin of an http(s) URL, "scheme://host:port", with the port always written."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"
