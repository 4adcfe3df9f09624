"""Reading one TOML table strictly: typed lookups with ranges, no control characters in
strings, and every key the table did not ask for reported (with the nearest known key)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NoReturn

from feedsmith.errors import ConfigError

_REQUIRED: Any = object()


class Table:
    """One TOML table being read: typed lookups, then a check that nothing unknown was left."""

    def __init__(self, data: Any, name: str, file: Path) -> None:
        self.file, self.name = file, name
        if not isinstance(data, dict):
            self.fail(f"expected a table, got {type(data).__name__}")
        self.data: dict[str, Any] = dict(data)
        self.known: set[str] = set()  # every key asked for: what a misspelt key may have meant

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        where = f"[{self.name}] {key}" if key else f"[{self.name}]"
        raise ConfigError(f"{self.file}: {where}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _REQUIRED,
            multiline: bool = False) -> Any:
        """The value of `key`, of `kind`. Strings are never empty and hold no control
        characters (no line breaks unless `multiline`): many reach mail headers and pages."""
        self.known.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                self.fail("is required but missing", key)
            return default
        value = self.data.pop(key)
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            self.fail(f"expected {_kind_name(kind)}, got {value!r}", key)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                self._check_text(key, text, multiline)
        return value

    def _check_text(self, key: str, text: str, multiline: bool) -> None:
        if not text.strip():
            self.fail("must not be empty", key)
        control = (_CONTROL_BUT_LINE_ENDS if multiline else _CONTROL).search(text)
        if control:
            code = f"U+{ord(control[0]):04X}"
            what = "a line break" if control[0] in "\r\n\u2028\u2029\x85" else "a control character"
            self.fail(f"contains {what} ({code}) at position {control.start() + 1}: write it on "
                      f"one line, without control characters, got {text!r}", key)

    def number(self, key: str, default: int, low: int, high: int) -> int:
        """A whole number within [low, high]: every count, size and limit has a sane range."""
        value: int = self.get(key, int, default)
        if not low <= value <= high:
            self.fail(f"expected a whole number from {low:,} to {high:,}, got {value:,}", key)
        return value

    def table(self, key: str) -> Table:
        self.known.add(key)
        return Table(self.data.pop(key, {}), key if self.name == "" else f"{self.name}.{key}",
                      self.file)

    def done(self) -> None:
        if self.data:
            unknown = ", ".join(f"{key}{did_you_mean(key, self.known)}"
                                for key in sorted(self.data))
            self.fail(f"unknown key(s): {unknown} (see the README for the keys this table takes)")


def did_you_mean(key: str, known: set[str]) -> str:
    import difflib  # here: only a config with a mistake needs it

    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# C0 and C1 controls, DEL, and the Unicode line and paragraph separators; where line breaks
# are allowed, all but "\n" and "\r\n" (a position found is the text's own).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_LINE_ENDS = re.compile("\r(?!\n)|[\x00-\x09\x0b-\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")

_KIND_NAMES = {str: "a string", int: "a whole number", list: "a list", dict: "a table",
               bool: "true or false", float: "a number"}


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_KIND_NAMES[k] for k in kinds)
