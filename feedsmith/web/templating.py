"""The one Jinja2 environment for pages and email: the operator's template folder first (if
configured), then the shipped templates; HTML escaped by default, text templates (`*.txt.j2`)
not; a missing variable is an error, not an empty string. One per folder for the process: it
compiles each template once, and reloads one whose file changed (Jinja's auto_reload)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from feedsmith import templates
from feedsmith.errors import ConfigError


@cache
def environment(operator_folder: Path | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if operator_folder is not None:
        if not operator_folder.is_dir():
            raise ConfigError(f"[digest] templates: {operator_folder} is not a folder")
        loaders.append(jinja2.FileSystemLoader(str(operator_folder)))
    loaders.append(jinja2.FileSystemLoader(str(templates())))
    return jinja2.Environment(loader=jinja2.ChoiceLoader(loaders),
                              autoescape=lambda name: not (name or "").endswith(".txt.j2"),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
