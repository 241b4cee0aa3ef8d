"""Run the curated mutants (``testkit/mutants/``): ``python -m testkit.mutate [--only NAME]``.

The tests named by the mutants must first pass on the unmutated copy (else a "kill" would
mean nothing). Each mutant is then applied alone to a scratch copy of the repository: the
tests named for it run first and, if they all pass, the whole suite. A mutant is *killed*
when a test fails (or the run exceeds its time limit), *survived* when every test passes,
and *stale* when its original text no longer occurs exactly once. One line per mutant, then
``mutants: K killed, S survived``; exit 0 only when nothing survived and nothing is stale.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from testkit.mutants import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parent.parent
NAMED_TESTS_TIMEOUT = 600
SUITE_TIMEOUT = 1200


@dataclass
class Outcome:
    mutant: Mutant
    verdict: str  # killed, survived, stale
    how: str
    seconds: float


def _scratch_copy() -> Path:
    """The tracked and untracked-but-not-ignored files of the repository, in a temp folder."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    scratch = Path(tempfile.mkdtemp(prefix="whichtag-mutant-"))
    for raw in listed:
        if not raw:
            continue
        relative = Path(raw.decode())
        source = ROOT / relative
        if source.is_file():
            (scratch / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, scratch / relative)
    return scratch


def _pytest(scratch: Path, arguments: list[str], timeout: float) -> tuple[int | None, str]:
    """Run pytest in ``scratch`` importing whichtag from there; (exit code or None, tail)."""
    environment = {**os.environ, "PYTHONPATH": f"{scratch / 'src'}{os.pathsep}{scratch}"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *arguments]
    try:
        done = subprocess.run(
            command, cwd=scratch, env=environment, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:g} s"
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, lines[-1] if lines else ""


def _check_isolation(scratch: Path) -> None:
    """Make sure the tests will import the scratch copy, not the installed package."""
    environment = {**os.environ, "PYTHONPATH": f"{scratch / 'src'}{os.pathsep}{scratch}"}
    where = subprocess.run(
        [sys.executable, "-c", "import whichtag; print(whichtag.__file__)"],
        cwd=scratch,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not where.startswith(str(scratch)):
        sys.exit(f"mutate: tests would import whichtag from {where}, not the scratch copy")


def run_one(mutant: Mutant, scratch: Path) -> Outcome:
    start = time.monotonic()
    path = scratch / mutant.file
    original = path.read_text()
    if original.count(mutant.original) != 1:
        found = original.count(mutant.original)
        return Outcome(mutant, "stale", f"original text found {found} times", 0.0)
    path.write_text(original.replace(mutant.original, mutant.mutated))
    try:
        code, tail = _pytest(scratch, list(mutant.tests), NAMED_TESTS_TIMEOUT)
        if code != 0:
            how = "by its tests" if code is not None else f"by its tests ({tail})"
            return Outcome(mutant, "killed", how, time.monotonic() - start)
        code, tail = _pytest(scratch, [], SUITE_TIMEOUT)
        if code != 0:
            return Outcome(
                mutant, "killed", f"by the suite, not its tests: {tail}", time.monotonic() - start
            )
        return Outcome(mutant, "survived", tail, time.monotonic() - start)
    finally:
        path.write_text(original)


def main() -> int:
    parser = argparse.ArgumentParser(description="run the curated mutants")
    parser.add_argument("--only", action="append", help="run only this mutant (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args()
    mutants = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.list:
        for mutant in mutants:
            print(f"{mutant.name:32} {mutant.file}: {mutant.rule}")
        return 0
    if args.only and len(mutants) != len(set(args.only)):
        sys.exit(f"mutate: unknown mutant in {args.only}")
    names = [m.name for m in MUTANTS]
    if len(names) != len(set(names)):
        sys.exit("mutate: two mutants share a name")

    jobs = max(1, args.jobs)
    scratches = [_scratch_copy() for _ in range(jobs)]
    _check_isolation(scratches[0])
    named = sorted({test for mutant in mutants for test in mutant.tests})
    code, tail = _pytest(scratches[0], named, SUITE_TIMEOUT)
    if code != 0:  # a kill means nothing if the tests fail without any mutant
        sys.exit(f"mutate: the named tests fail on the unmutated code: {tail}")
    print(f"baseline: the {len(named)} named tests pass on the unmutated code ({tail})")
    free = list(scratches)
    lock = threading.Lock()
    outcomes: list[Outcome] = []

    def work(mutant: Mutant) -> Outcome:
        with lock:
            scratch = free.pop()
        try:
            outcome = run_one(mutant, scratch)
        finally:
            with lock:
                free.append(scratch)
        with lock:
            print(
                f"{outcome.verdict:8} {mutant.name:32} {outcome.how} ({outcome.seconds:.0f} s)",
                flush=True,
            )
        return outcome

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(work, mutants))
    finally:
        for scratch in scratches:
            shutil.rmtree(scratch, ignore_errors=True)
    killed = sum(o.verdict == "killed" for o in outcomes)
    survived = sum(o.verdict == "survived" for o in outcomes)
    stale = sum(o.verdict == "stale" for o in outcomes)
    elsewhere = sum(o.verdict == "killed" and "not its tests" in o.how for o in outcomes)
    if elsewhere:
        print(f"note: {elsewhere} mutant(s) killed by the suite but not by the tests named")
    if stale:
        print(f"stale: {stale} mutant(s) no longer match the code; update testkit/mutants/")
    print(f"mutants: {killed} killed, {survived} survived")
    return 0 if survived == 0 and stale == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
