"""feedsmith on PostgreSQL against feedsmith on SQLite, measured in the same run:
`python bench/postgres.py [--entries 100000]`.

The same generated listings (see bench.py) are built twice, once with the default SQLite store
and once with `[store] url` pointing at a PostgreSQL server this script starts itself (initdb into
a temporary folder, a Unix socket only, fsync on as in production). Runs: cold (empty store, no
output) and no-change (the median of five, the two taking turns). The targets: cold within 2x
of SQLite, no-change within 1.5x.

A no-change build as its own process is mostly start-up, and on PostgreSQL that includes
importing psycopg, a fixed cost whatever the store holds. So the bench also reports that import
on its own, and the no-change build as the `schedule` service runs it: in a process that has
already built once, where each engine pays only for its queries.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import HERE, Run, generate, median, timed


@contextmanager
def postgres_server(folder: Path) -> Iterator[str]:
    """A PostgreSQL server in `folder` (as the postgres user when run as root); yields the URL
    of an empty database on its socket."""
    initdb = shutil.which("initdb") or max(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    programs = Path(initdb).resolve().parent
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(folder, "postgres")
    data, socket = folder / "data", folder / "socket"
    subprocess.run([*as_user, "mkdir", str(socket)], check=True)
    subprocess.run([*as_user, str(programs / "initdb"), "-D", str(data), "-U", "feedsmith",
                    "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], check=True,
                   capture_output=True)
    subprocess.run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-l",
                    str(folder / "log"), "-w", "-o", f"-c listen_addresses='' -k {socket}",
                    "start"], check=True, capture_output=True)
    try:
        subprocess.run([str(programs / "createdb"), "-h", str(socket), "-U", "feedsmith",
                        "bench"], check=True)
        yield f"postgresql://feedsmith@/bench?host={socket}"
    finally:
        subprocess.run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "stop"], check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "feedsmith"),
                    str(HERE.parent / "templates")], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="feedsmith-bench-pg-") as temp:
        root = Path(temp)
        server = Path(tempfile.mkdtemp(prefix="feedsmith-bench-server-"))  # postgres may enter
        with postgres_server(server) as url:
            generate(root / "sqlite", args.entries)
            shutil.copytree(root / "sqlite", root / "postgresql")
            config = root / "postgresql" / "config.toml"
            config.write_text(f'[store]\nurl = "{url}"\n\n{config.read_text()}')
            command = [sys.executable, "-m", "feedsmith", "build"]
            results: dict[str, dict[str, Run]] = {"sqlite": {}, "postgresql": {}}
            for run, times in (("cold", 1), ("no-change", 5)):
                samples: dict[str, list[Run]] = {name: [] for name in results}
                for _ in range(times):
                    for name in results:
                        samples[name].append(timed(command, root / name))
                for name, runs in samples.items():
                    results[name][run] = median(runs)
            same = _files(root / "sqlite" / "feeds") == _files(root / "postgresql" / "feeds")
            in_service = {name: _in_service(root / name) for name in results}
        shutil.rmtree(server, ignore_errors=True)
    driver = {module: median([timed([sys.executable, "-c", f"import {module}"], HERE)
                              for _ in range(5)]).seconds for module in ("sqlite3", "psycopg")}
    print(f"{args.entries:,} entries, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    print("| run | SQLite (s) | PostgreSQL (s) | PostgreSQL / SQLite | target |\n"
          "| --- | ---: | ---: | ---: | ---: |")
    for run, target in (("cold", "2x"), ("no-change", "1.5x")):
        lite, pg = results["sqlite"][run].seconds, results["postgresql"][run].seconds
        print(f"| {run} | {lite:.2f} | {pg:.2f} | {pg / lite:.2f}x | {target} |")
    lite, pg = in_service["sqlite"], in_service["postgresql"]
    print(f"| no-change, in the schedule service | {lite:.3f} | {pg:.3f} | {pg / lite:.2f}x | |")
    print(f"\nImporting the driver alone (a process that only imports it, median of five): "
          f"sqlite3 {driver['sqlite3']:.3f} s, psycopg {driver['psycopg']:.3f} s.")
    print(f"\nByte-identical output from both stores: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit(1)


IN_SERVICE = """
import statistics, time
from datetime import UTC, datetime
from pathlib import Path
from feedsmith.config import load_config
from feedsmith.pipeline import build
seconds = []
for _ in range(6):
    start = time.perf_counter()
    build(load_config(Path("config.toml")), datetime.now(UTC))
    seconds.append(time.perf_counter() - start)
print(statistics.median(seconds[1:]))
"""


def _in_service(folder: Path) -> float:
    """Median seconds of a no-change build in a process that has built once already (the
    first build loads the modules and the driver), config read each time as `schedule` does."""
    output = subprocess.run([sys.executable, "-c", IN_SERVICE], cwd=folder, check=True,
                            capture_output=True, text=True).stdout
    return float(output)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


if __name__ == "__main__":
    main()
