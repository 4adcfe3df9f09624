"""The floor: the least any build of the bench could do. It reads every listing, then writes the
files feedsmith wrote (copied beforehand into SOURCE) to OUT when their bytes differ, with fsync
and rename, as a build must: `python bench/floor.py SOURCE OUT` in the bench folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(source: Path, out: Path) -> None:
    for listing in sorted(Path("listings").glob("*.txt")):
        listing.read_bytes()
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        target = out / path.relative_to(source)
        try:
            if target.read_bytes() == data:
                continue
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.tmp")
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
