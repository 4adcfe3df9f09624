"""The archive's search index ([output] search): Pagefind, run over the month pages once they are
published, its bundle put in `pagefind/` file by file as every other published file is.

Pagefind is a static index: the browser downloads only the fragments a query needs, and nothing
is fetched from elsewhere. Only the archive's month pages are indexed (each item lives on exactly
one of them), so a result is never the same item found on the home page and a category page too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from feedsmith.errors import OutputError
from feedsmith.identity import ARCHIVE
from feedsmith.web.files import Staging

BUNDLE = "pagefind"  # the index's folder in the output folder
ENTRY = f"{BUNDLE}/pagefind-entry.json"  # written last by Pagefind: the index is whole


def index_archive(folder: Path) -> Staging:
    """Index the published month pages and publish the bundle: changed files replaced, files of
    an older index removed; OutputError (and the old index left as it was) if Pagefind fails."""
    with tempfile.TemporaryDirectory(prefix="feedsmith-pagefind-") as scratch:
        ran = subprocess.run(
            [sys.executable, "-m", "pagefind", "--site", str(folder), "--glob",
             f"{ARCHIVE}/[0-9]*.html", "--output-path", scratch, "--silent"],
            capture_output=True, text=True, check=False)
        if ran.returncode != 0:
            reason = (ran.stderr or ran.stdout).strip().splitlines()
            raise OutputError("the search index could not be built (Pagefind: "
                              f"{reason[-1] if reason else f'exit {ran.returncode}'})")
        made = {path.relative_to(scratch).as_posix(): path
                for path in Path(scratch).rglob("*") if path.is_file()}
        with Staging(folder) as staging:
            for name in sorted(made, key=lambda n: n == "pagefind-entry.json"):
                staging.add(f"{BUNDLE}/{name}", made[name].read_bytes())
            for name in sorted(_published(folder / BUNDLE) - set(made)):
                staging.add(f"{BUNDLE}/{name}", None)
    return staging


def _published(bundle: Path) -> set[str]:
    return {os.path.relpath(os.path.join(top, name), bundle)
            for top, _, names in os.walk(bundle) for name in names}
