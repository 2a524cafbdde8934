"""Reliability corpus run: svcmod rewrites real code without a traceback, a broken file or an unstable fix.

    python bench/corpus_check.py [--jobs N] [--only lint|migrate] [--deep]

Builds (once) a corpus under ``bench/.corpus/reliability/``: the running interpreter's standard
library source and pinned service-library wheels (``pip download --no-deps``; reused from
``bench/.corpus/wheels`` when the benchmark already fetched them). Then, for each of
``svcmod lint --fix --unsafe-fixes`` and ``svcmod migrate v2`` (when the command exists), on a fresh
copy of the corpus:

1. records which files compile;
2. runs the command: its output must hold no traceback and its exit code must be 0 or 1;
3. checks that every file that compiled before still compiles, and counts the files changed;
4. runs the command again: it must change nothing (every fix is a fixed point).

Prints a summary and writes ``bench/.corpus/reliability/results.json``; exits 1 on any failure.

``--deep`` instead runs every rule on every file with the prefilter bypassed (the prefilter keeps
most files from being parsed at all), applies unsafe fixes in memory and verifies each result
compiles and is a fixed point; nothing is written.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import warnings
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE / ".corpus" / "reliability"
SHARED_WHEELS = HERE / ".corpus" / "wheels"

#: The same pinned wheels as the benchmark (bench/corpus.py), so both check the same code.
from corpus import WHEELS  # noqa: E402  (bench/ is on sys.path when run as a script)

#: The corpus sits below a git-ignored folder; without this every file would be skipped as ignored.
CONFIG = "[tool.svcmod]\nrespect-gitignore = false\n"


# -- building the corpus ---------------------------------------------------------------------------
def _wheel_for(spec: str, directory: Path) -> Path:
    name, version = spec.split("==")
    prefix = f"{name.replace('-', '_').lower()}-{version}-"
    for wheel in directory.glob("*.whl"):
        if wheel.name.lower().startswith(prefix):
            return wheel
    raise FileNotFoundError(spec)


def _fetch(spec: str, directory: Path) -> Path:
    for place in (directory, SHARED_WHEELS):
        try:
            return _wheel_for(spec, place)
        except FileNotFoundError:
            pass
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                    "-d", str(directory), spec], check=True)
    return _wheel_for(spec, directory)


def build() -> Path:
    """The pristine corpus (only ``.py`` files), built once."""
    pristine = ROOT / "pristine"
    if (pristine / ".complete").exists():
        return pristine
    shutil.rmtree(pristine, ignore_errors=True)
    wheels = ROOT / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    for spec in WHEELS:
        target = pristine / spec.split("==")[0]
        with zipfile.ZipFile(_fetch(spec, wheels)) as archive:
            for member in archive.namelist():
                if member.endswith(".py") and ".dist-info/" not in member:
                    archive.extract(member, target)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    shutil.copytree(stdlib, pristine / "stdlib", symlinks=True,
                    ignore=lambda d, names: [n for n in names if n in ("site-packages", "__pycache__")
                                             or (os.path.isfile(os.path.join(d, n)) and not n.endswith(".py"))])
    (pristine / ".complete").write_text("")
    return pristine


def python_files(tree: Path) -> List[Path]:
    return sorted(p for p in tree.rglob("*.py") if p.is_file() and not p.is_symlink())


def fresh_copy(pristine: Path) -> Path:
    work = ROOT / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work, symlinks=True)
    (work / "pyproject.toml").write_text(CONFIG)
    return work


# -- checking --------------------------------------------------------------------------------------
def compiles(data: bytes, name: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, name, "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def snapshot(files: List[Path]) -> Dict[Path, str]:
    return {p: hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest() for p in files}


def svcmod(args: List[str], cwd: Path) -> Tuple[int, str, str, float]:
    executable = Path(sys.executable).parent / "svcmod"
    started = time.perf_counter()
    done = subprocess.run([str(executable), *args], cwd=cwd, capture_output=True)
    return (done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"),
            time.perf_counter() - started)


def has_migrate() -> bool:
    code, _, _, _ = svcmod(["migrate", "--list"], Path.cwd())
    return code == 0


def check_command(name: str, args: List[str], pristine: Path) -> dict:
    work = fresh_copy(pristine)
    files = python_files(work)
    before = snapshot(files)
    compiled_before = {p for p in files if compiles(p.read_bytes(), str(p))}
    failures: List[str] = []

    code, out, err, seconds = svcmod(args + ["."], work)
    (ROOT / f"{name}-run1.out").write_text(out + "\n--- stderr ---\n" + err)
    if "Traceback" in out or "Traceback" in err:
        failures.append(f"{name}: traceback in the output (see {ROOT / f'{name}-run1.out'})")
    if code not in (0, 1):
        failures.append(f"{name}: exit code {code}")
    after = snapshot(files)
    changed = [p for p in files if after[p] != before[p]]
    broken = [p for p in changed if p in compiled_before and not compiles(p.read_bytes(), str(p))]
    failures += [f"{name}: {p.relative_to(work)} compiled before, not after" for p in broken]

    code2, out2, err2, seconds2 = svcmod(args + ["."], work)
    (ROOT / f"{name}-run2.out").write_text(out2 + "\n--- stderr ---\n" + err2)
    if "Traceback" in out2 or "Traceback" in err2:
        failures.append(f"{name}: traceback in the second run's output")
    again = snapshot(files)
    unstable = [p for p in files if again[p] != after[p]]
    failures += [f"{name}: second run changed {p.relative_to(work)}" for p in unstable]
    refused = [line for line in (out + err).splitlines() if "SVC902" in line]
    internal = [line for line in (out + err).splitlines() if "internal error" in line or "crashed" in line]
    failures += [f"{name}: {line}" for line in internal]
    return {
        "command": "svcmod " + " ".join(args) + " .",
        "files": len(files),
        "compiled_before": len(compiled_before),
        "changed": len(changed),
        "broken": [str(p.relative_to(work)) for p in broken],
        "second_run_changed": [str(p.relative_to(work)) for p in unstable],
        "svc902_refused_fixes": refused,
        "exit_codes": [code, code2],
        "seconds": [round(seconds, 1), round(seconds2, 1)],
        "failures": failures,
    }


# -- every rule on every file, in memory ----------------------------------------------------------------
def _deep_check(path: str) -> Tuple[str, str, int]:
    """(path, problem or "", 1 if fixed) for one file, every rule run with its prefilter bypassed."""
    import traceback

    from svcmod.check.checker import Checker
    from svcmod.check.policy import FixPolicy
    from svcmod.project.config import Config
    global _DEEP
    if "_DEEP" not in globals():
        checker = Checker(Config(), FixPolicy(apply=True, unsafe=True))
        checker.rule_classes = tuple(type(r.__name__, (r,), {"wants": classmethod(lambda cls, s, i: True)})
                                     for r in checker.rule_classes)
        _DEEP = checker
    source = Path(path).read_bytes()
    try:
        result = _DEEP.check(path, source)
        refused = [f.message for f in result.findings if f.code == "SVC902"]
        if refused:
            return path, f"SVC902 {refused}", 0
        if result.fixed is None:
            return path, "", 0
        if compiles(source, path) and not compiles(result.fixed, path):
            return path, "fixed code does not compile", 1
        if _DEEP.check(path, result.fixed).fixed is not None:
            return path, "fixed code is not a fixed point", 1
        return path, "", 1
    except Exception:
        return path, traceback.format_exc(), 0


def deep(pristine: Path, jobs: int) -> dict:
    """Every rule on every file (no prefilter), unsafe fixes verified in memory: nothing is written."""
    import multiprocessing
    files = [str(p) for p in python_files(pristine)]
    problems = {}
    fixed = 0
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for path, problem, was_fixed in pool.imap_unordered(_deep_check, files, chunksize=8):
            fixed += was_fixed
            if problem:
                problems[str(Path(path).relative_to(pristine))] = problem
    return {"files": len(files), "fixed": fixed, "problems": problems,
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", "-j", type=int, default=None)
    parser.add_argument("--only", choices=["lint", "migrate"])
    parser.add_argument("--deep", action="store_true",
                        help="instead: every rule on every file (prefilter bypassed), fixes verified in memory")
    options = parser.parse_args()
    pristine = build()
    if options.deep:
        outcome = deep(pristine, options.jobs or os.cpu_count() or 1)
        (ROOT / "deep.json").write_text(json.dumps(outcome, indent=2))
        print(f"every rule on {outcome['files']} files: {outcome['fixed']} would be fixed, "
              f"{len(outcome['problems'])} problems, {outcome['seconds']} s", flush=True)
        for path, problem in sorted(outcome["problems"].items()):
            print("  FAIL", path, problem.strip().splitlines()[-1], flush=True)
        return 1 if outcome["problems"] else 0
    files = python_files(pristine)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"corpus: {len(files)} files, {lines} lines ({len(WHEELS)} wheels + the standard library)", flush=True)
    jobs = ["--jobs", str(options.jobs)] if options.jobs else []
    commands = []
    if options.only in (None, "lint"):
        commands.append(("lint", ["lint", "--fix", "--unsafe-fixes", "--no-cache", "--exit-zero", *jobs]))
    if options.only in (None, "migrate"):
        if has_migrate():
            commands.append(("migrate", ["migrate", "v2", *jobs]))
        else:
            print("svcmod migrate does not exist yet: skipped", flush=True)
    results = {"files": len(files), "lines": lines, "runs": []}
    for name, args in commands:
        outcome = check_command(name, args, pristine)
        results["runs"].append(outcome)
        print(f"{outcome['command']}: {outcome['changed']} files changed, "
              f"{len(outcome['broken'])} broken, {len(outcome['second_run_changed'])} changed by a second run, "
              f"{len(outcome['svc902_refused_fixes'])} fixes refused by verification (SVC902), "
              f"exit codes {outcome['exit_codes']}, {outcome['seconds']} s", flush=True)
        for failure in outcome["failures"]:
            print("  FAIL", failure, flush=True)
    (ROOT / "results.json").write_text(json.dumps(results, indent=2))
    return 1 if any(run["failures"] for run in results["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
