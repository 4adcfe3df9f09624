"""The mutation score of the last `tests/mutation` run, per module and in all: killed mutants over
those that are not equivalent, and every survivor not known to be equivalent, with its diff. A
mutant whose tests ran past mutmut's time limit counts as killed, as mutation tools count a hang.

Known equivalent mutants (they change nothing anyone can observe) are listed, with why, in
docs/mutation.md as "- `mutant name`: why". One kind is recognised by rule rather than by name:
a mutant that only changes the letter case of an SQL statement outside its quoted literals
(SQL keywords and unquoted names are case-insensitive in both engines).
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MUTMUT = [str(REPO / ".venv" / "bin" / "mutmut")]


def main(patterns: list[str]) -> int:
    listing = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=REPO, check=True,
                             capture_output=True, text=True).stdout
    status = {name.strip(): state.strip() for name, _, state in
              (line.rpartition(": ") for line in listing.splitlines() if ": " in line)}
    if patterns:
        status = {n: s for n, s in status.items() if any(fnmatch.fnmatch(n, p) for p in patterns)}
    equivalent = set(re.findall(r"^- `([^`]+)`", (REPO / "docs" / "mutation.md").read_text(),
                                re.MULTILINE))
    counts: dict[str, Counter[str]] = {}
    survivors = []
    for name, state in sorted(status.items()):
        module = name.split(".x", 1)[0]  # "feedsmith.identity.x_link_key__mutmut_3"
        diff = mutant_diff(name) if state in ("survived", "skipped") else []
        if state == "survived" and any(fnmatch.fnmatch(name, known) for known in equivalent):
            state = "equivalent"
        if state in ("survived", "skipped") and sql_case_only(diff):  # skipped: tests/conftest.py
            state = "equivalent"
        if state == "timeout":  # the tests did not finish (a deadline lost, a loop): detected
            state = "killed"
        counts.setdefault(module, Counter())[state] += 1
        if state == "survived":
            survivors.append((name, diff))
    total: Counter[str] = Counter()
    print(f"{'module':<32} {'killed':>7} {'survived':>9} {'equivalent':>11} {'other':>6}  score")
    for module, count in sorted(counts.items()):
        total += count
        print(_row(module, count))
    print(_row("all", total))
    for name, diff in survivors:
        print(f"\nsurvived: {name}\n" + "\n".join(f"    {line}" for line in diff))
    return 0


def mutant_diff(name: str, mutants: Path = REPO / "mutants") -> list[str]:
    """The lines a mutant removes and adds: its function in mutmut's copy (`mutants`) against
    the original kept beside it. Also read by tests/conftest.py, which runs in that copy."""
    import ast
    import difflib

    module, _, function = name.partition(".x")  # "feedsmith.store.merge", "ǁMergeǁ_add__..."
    source = (mutants / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")
    definitions = {node.name: node for node in ast.walk(ast.parse(source))
                   if isinstance(node, ast.FunctionDef)}
    mutant = "x" + function
    original, mutated = ((ast.get_source_segment(source, definitions[n]) or "").splitlines()[1:]
                         for n in (mutant.rpartition("__mutmut_")[0] + "__mutmut_orig", mutant))
    return [line for line in difflib.unified_diff(original, mutated, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|VALUES|CREATE|ALTER|SET|WHERE|FROM|"
                  r"CONFLICT|ORDER BY|GROUP BY|CASE WHEN|substr)\b|\w+ = \?|\bexcluded\.|"
                  r"= \w+\.\w+",
                  re.IGNORECASE)
_QUOTED = re.compile(r"'[^']*'")


def sql_case_only(diff: list[str]) -> bool:
    """Whether the mutant only changes the case of SQL outside its quoted literals."""
    removed = [line[1:] for line in diff if line.startswith("-")]
    added = [line[1:] for line in diff if line.startswith("+")]
    return (len(removed) == len(added) > 0 and any(_SQL.search(line) for line in removed)
            and all(old != new and old.lower() == new.lower()
                    and _QUOTED.findall(old) == _QUOTED.findall(new)
                    for old, new in zip(removed, added, strict=True)))


def _row(module: str, count: Counter[str]) -> str:
    killed, survived = count["killed"], count["survived"]
    other = sum(count.values()) - killed - survived - count["equivalent"]
    score = f"{killed / (killed + survived):.1%}" if killed + survived else "-"
    return f"{module:<32} {killed:>7} {survived:>9} {count['equivalent']:>11} {other:>6}  {score}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
