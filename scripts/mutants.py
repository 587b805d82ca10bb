"""Plant known bugs one at a time and check that the tests catch each one (``make mutants``).

A mutant is data, one entry of a ``tests/mutants/*.yaml`` file::

    - id: scan-records-state-before-update      # unique over all files
      file: lib/mamba/ssm.py                    # relative to the repository root
      find: "h = A_bar[t] * h + Bx[t]"          # exact text, must occur exactly once in the file
      replace: "h = A_bar[t] * h + Bx[t - 1]"
      tests: [tests/lib/mamba/test_ssm.py]      # what must fail (pytest node ids or paths)
      why: the scan reads the previous token's input

Every mutant runs in a temporary copy of the repository (the files git tracks or would track, as they are
in the working tree), never in the working tree itself: others may be editing it. First the union of all
named tests runs unmutated (a failing baseline makes every verdict meaningless: exit 2); then, per
mutant, the file is rewritten in the copy, ``pytest -x -q`` runs the mutant's tests, and the file is put
back. pytest failing (exit 1, or 2 for a collection error) means the mutant was caught; passing means it
survived. Hypothesis runs derandomised, so a verdict does not depend on a lucky draw, and without shrinking
(a caught mutant needs one failing example, not the smallest). No bytecode is written: a rewritten source of
the same size within the same second could otherwise reuse a stale ``.pyc``.

Exit status: 0 every mutant caught, 1 some survived, 2 a malformed mutant file, a failing baseline or a
mutant whose tests could not run.
"""

from __future__ import annotations

import argparse
import ast
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MUTANT_DIR = ROOT / "tests" / "mutants"
KEYS = {"id", "file", "find", "replace", "tests", "why"}
# loaded with -p into every pytest run; --hypothesis-profile applies it after tests/conftest.py's own profile
HYPOTHESIS_PLUGIN = """\
from hypothesis import Phase, settings

settings.register_profile(
    "mutants", database=None, deadline=None, derandomize=True,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
"""


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    find: str
    replace: str
    tests: tuple[str, ...]
    why: str
    source: str  # the yaml file it came from


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    verdict: str  # "caught" | "survived" | "error"
    seconds: float
    detail: str = ""


class MutantFileError(ValueError):
    """A mutant file that cannot be used as it is; the message names the file and the entry."""


def load_mutants(paths: Sequence[Path], root: Path = ROOT) -> list[Mutant]:
    """Read and check every mutant: known keys, a ``find`` occurring exactly once, a replacement that differs
    and still compiles (Python files), existing test files, unique ids. Raises MutantFileError listing all
    problems."""
    mutants, problems, seen = [], [], {}
    for path in paths:
        try:
            entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as e:
            problems.append(f"{path.name}: not valid YAML: {e}")
            continue
        if not isinstance(entries, list):
            problems.append(f"{path.name}: expected a list of mutants at the top level")
            continue
        for i, e in enumerate(entries):
            where = f"{path.name}[{i}]" + (f" ({e.get('id')})" if isinstance(e, dict) and e.get("id") else "")
            if not isinstance(e, dict) or set(e) != KEYS:
                got = sorted(e) if isinstance(e, dict) else type(e).__name__
                problems.append(f"{where}: expected exactly the keys {sorted(KEYS)}, got {got}")
                continue
            m = Mutant(
                str(e["id"]), str(e["file"]), str(e["find"]), str(e["replace"]),
                tuple(str(t) for t in (e["tests"] or ())), str(e["why"]).strip(), path.name,
            )  # fmt: skip
            problems += [f"{where}: {p}" for p in _check(m, root)]
            if m.id in seen:
                problems.append(f"{where}: id {m.id!r} already used in {seen[m.id]}")
            seen[m.id] = path.name
            mutants.append(m)
    if problems:
        raise MutantFileError("\n".join(problems))
    return mutants


def _check(m: Mutant, root: Path) -> list[str]:
    problems = []
    target = root / m.file
    if not target.is_file():
        return [f"file {m.file} does not exist"]
    text = target.read_text(encoding="utf-8")
    if (n := text.count(m.find)) != 1:
        problems.append(f"find occurs {n} times in {m.file}, must occur exactly once")
    elif m.file.endswith(".py"):
        try:
            ast.parse(text.replace(m.find, m.replace), m.file)
        except SyntaxError as e:
            problems.append(f"the mutated {m.file} does not parse (line {e.lineno}: {e.msg})")
    if m.find == m.replace:
        problems.append("replace equals find: nothing is planted")
    if not m.tests:
        problems.append("no tests named")
    for t in m.tests:
        if not (root / t.split("::")[0]).exists():
            problems.append(f"test path {t} does not exist")
    if not m.why:
        problems.append("why is empty: say what real bug this stands for")
    return problems


def copy_repository(dest: Path, root: Path = ROOT) -> None:
    """The files git tracks or would track (not ignored), as in the working tree; nothing else."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for rel in filter(None, listed):
        src = root / rel
        if src.is_file():  # a tracked file deleted in the working tree is skipped
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    (dest / "_mutants_hypothesis.py").write_text(HYPOTHESIS_PLUGIN, encoding="utf-8")


def _env(copy: Path) -> dict[str, str]:
    env = dict(os.environ, CI="1", PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(copy))
    env.pop("PYTEST_ADDOPTS", None)
    return env


def run_pytest(
    copy: Path, tests: Sequence[str], timeout: float, extra: Sequence[str] = ()
) -> tuple[int, str]:
    """pytest in the copy; returns (exit code, the last lines of its output). A timeout returns code −1."""
    cmd = [
        sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
        "-p", "_mutants_hypothesis", "--hypothesis-profile=mutants", *extra, *tests,
    ]  # fmt: skip
    try:
        p = subprocess.run(cmd, cwd=copy, env=_env(copy), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {timeout:.0f} s"
    tail = [ln for ln in (p.stdout + p.stderr).strip().splitlines() if ln.strip()][-3:]
    return p.returncode, " | ".join(tail)


def run_mutant(m: Mutant, copy: Path, timeout: float) -> Outcome:
    target = copy / m.file
    original = target.read_text(encoding="utf-8")
    t0 = time.perf_counter()
    target.write_text(original.replace(m.find, m.replace, 1), encoding="utf-8")
    try:
        code, tail = run_pytest(copy, m.tests, timeout)
    finally:
        target.write_text(original, encoding="utf-8")
    dt = time.perf_counter() - t0
    if code in (1, 2, -1):  # tests failed, a test module failed to import, or the mutant hangs
        return Outcome(m, "caught", dt, "timeout" if code == -1 else "")
    if code == 0:
        return Outcome(m, "survived", dt)
    return Outcome(m, "error", dt, f"pytest exit {code}: {tail}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path, help="mutant files (default: tests/mutants/*.yaml)")
    ap.add_argument("--only", nargs="+", metavar="ID", help="run only these mutant ids")
    ap.add_argument("--jobs", type=int, default=2, help="mutants run in parallel, each in its own copy")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per pytest run")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = ap.parse_args(argv)

    files = args.files or sorted(MUTANT_DIR.glob("*.yaml"))
    try:
        mutants = load_mutants(files)
    except MutantFileError as e:
        print(f"malformed mutant files:\n{e}", file=sys.stderr)
        return 2
    if args.only:
        unknown = set(args.only) - {m.id for m in mutants}
        if unknown:
            print(f"unknown mutant ids: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m.id in args.only]
    if args.list:
        for m in mutants:
            print(f"{m.id:40} {m.file:36} {m.why}")
        return 0

    jobs = max(1, min(args.jobs, len(mutants)))
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        copies: queue.Queue[Path] = queue.Queue()
        for j in range(jobs):
            copy = Path(tmp) / f"repo{j}"
            copy_repository(copy)
            copies.put(copy)
        first = copies.queue[0]
        t0 = time.perf_counter()
        union = sorted({t for m in mutants for t in m.tests})
        code, tail = run_pytest(first, union, args.timeout * 4, ["-n", str(jobs)] if jobs > 1 else [])
        if code != 0:
            print(f"baseline: the unmutated tests fail, no verdict can be trusted ({tail})", file=sys.stderr)
            return 2
        print(f"baseline: {len(union)} test files pass unmutated ({time.perf_counter() - t0:.1f} s)")

        def work(m: Mutant) -> Outcome:
            copy = copies.get()
            try:
                out = run_mutant(m, copy, args.timeout)
            finally:
                copies.put(copy)
            note = f" ({out.detail})" if out.detail else ""
            print(f"  {out.verdict:8} {m.id:40} {out.seconds:5.1f} s{note}", flush=True)
            return out

        with ThreadPoolExecutor(jobs) as pool:
            outcomes = list(pool.map(work, mutants))

    caught = [o for o in outcomes if o.verdict == "caught"]
    survived = [o for o in outcomes if o.verdict == "survived"]
    errors = [o for o in outcomes if o.verdict == "error"]
    print(f"\ncaught {len(caught)} / {len(outcomes)} planted bugs ({time.perf_counter() - t0:.0f} s)")
    for o in survived:
        print(f"SURVIVED {o.mutant.id} ({o.mutant.file}; {', '.join(o.mutant.tests)}): {o.mutant.why}")
    for o in errors:
        print(f"ERROR    {o.mutant.id}: {o.detail}")
    return 2 if errors else (1 if survived else 0)


if __name__ == "__main__":
    sys.exit(main())
