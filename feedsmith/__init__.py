"""feedsmith: news listing pages in, feeds and a monthly digest out."""

import importlib.util
from functools import cache
from pathlib import Path

__version__ = "0.1.0"


@cache
def templates() -> Path:
    """The folder of shipped templates and stylesheets (`templates/`, installed as the package
    `feedsmith.templates`), found as the import system finds it: importlib.resources would cost
    every build tempfile, shutil and zipfile."""
    spec = importlib.util.find_spec("feedsmith.templates")
    assert spec is not None and spec.submodule_search_locations, "feedsmith is installed whole"
    return Path(spec.submodule_search_locations[0])
