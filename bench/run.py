"""The svcmod benchmark: ``python bench/run.py [--runs N] [--json FILE]``.

On a corpus of real service code (bench/corpus.py: pinned PyPI wheels + the standard library), it
measures, from one invocation and as medians of ``--runs`` runs:

- svcmod cold (empty cache) and warm (nothing changed), every rule, ``--jobs 2``;
- ruff cold (``--select S113,ASYNC --no-cache``, the closest rules a user has today) on the same tree;
- ``svcmod migrate v2 --check`` (skipped when the command does not exist);
- Fixit 2 with one equivalent rule (bench/fixit_requests_timeout.py) on a subset, against svcmod with
  that one rule on the same subset (Fixit goes into its own venv under /tmp, never a dependency);
- the prefilter: files and lines the rules want parsed, of all (and per rule, the greediest), and
  the lines LibCST then reads (excerpts of long files, short ones whole);
- LibCST's parse-only throughput on a sample, to compare with.

Times are wall clock; CPU seconds (user + sys of the process tree) are printed beside them, since on
a shared machine the wall clock also measures the neighbours. Peak memory is the largest resident
set of the command's process tree (``wait4`` rusage, as ``getrusage(RUSAGE_CHILDREN).ru_maxrss``).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402  (bench/ is not a package)

FIXIT_VERSION = "2.1.0"
FIXIT_VENV = Path(tempfile.gettempdir()) / "svcmod-bench-fixit"
#: Small service libraries for the Fixit comparison (Fixit is ~10x slower: the whole corpus would take long).
FIXIT_SUBSET = ("requests-2.32.3", "urllib3-2.2.3", "httpx-0.27.2", "httpcore-1.0.6", "tenacity-9.0.0",
                "backoff-2.2.1")
RUFF_ARGS = ("check", "--select", "S113,ASYNC", "--no-cache", "--exit-zero", "--quiet")


def tool(name: str) -> str:
    """A command installed beside this interpreter (the project venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"bench: '{name}' is not installed (pip install -e '.[test]')")
    return found


class Measured:
    def __init__(self, wall: float, cpu: float, maxrss_kb: int, code: int) -> None:
        self.wall, self.cpu, self.maxrss_kb, self.code = wall, cpu, maxrss_kb, code


def measure(command: Sequence[str], env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None) -> Measured:
    """Run ``command`` (output discarded); its wall time, CPU time and peak RSS of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, **(env or {})}, cwd=cwd)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(command)} failed ({process.returncode}):\n"
                         f"{errors.decode(errors='replace')[-2000:]}")
    return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, process.returncode)


def median(values: List[float]) -> float:
    return statistics.median(values) if values else float("nan")


def has_migrate(svcmod: str) -> bool:
    done = subprocess.run([svcmod, "migrate", "--help"], capture_output=True)
    return done.returncode == 0


def prefilter(targets: Sequence[Path]) -> Dict[str, object]:
    """Files and lines that at least one rule wants parsed (what the engine's prefilter keeps), the
    bytes of them Python parses (svcmod/fastpath/outline.py: not the functions no rule could want), and
    the lines LibCST then reads (svcmod/fastpath/excerpt.py: none for a file whose findings come from its
    sketch, an excerpt, or the whole file)."""
    from svcmod.check.checker import Checker
    from svcmod.check.names import imported_modules
    from svcmod.fastpath import excerpt
    from svcmod.project.config import ConfigFinder

    python_parse = excerpt._parse
    parsed = {"bytes": 0}

    def counted(text: bytes):
        parsed["bytes"] += len(text) - text.count(b"\n")  # blank lines in place of hidden ones are free
        return python_parse(text)

    checker = Checker(ConfigFinder().for_path(targets[0] / "x.py"))
    rules = list(checker.rule_classes)
    totals = {"files": 0, "lines": 0, "kept_files": 0, "kept_lines": 0, "libcst_lines": 0, "not_parsed_files": 0,
              "kept_bytes": 0}
    per_rule = {r.code: 0 for r in rules}
    started = time.process_time()
    for directory, _, names in (entry for target in targets for entry in os.walk(target)):
        for name in names:
            if not name.endswith(".py"):
                continue
            with open(os.path.join(directory, name), "rb") as handle:
                source = handle.read()
            lines = source.count(b"\n")
            imported = imported_modules(source)
            wanting = [r.code for r in rules if r.wants(source, imported)]
            totals["files"] += 1
            totals["lines"] += lines
            for code in wanting:
                per_rule[code] += lines
            if wanting:
                totals["kept_files"] += 1
                totals["kept_lines"] += lines
                totals["kept_bytes"] += len(source) - source.count(b"\n")
                excerpt._parse = counted
                try:
                    checked = checker.check(name, source)
                finally:
                    excerpt._parse = python_parse
                totals["libcst_lines"] += checked.libcst_lines
                totals["not_parsed_files"] += not checked.libcst_lines
    greedy = sorted(per_rule.items(), key=lambda kv: -kv[1])[:6]
    return {**totals, "python_bytes": parsed["bytes"], "seconds": time.process_time() - started,
            "greediest_rules": {code: round(lines / max(1, totals["lines"]), 4) for code, lines in greedy}}


def libcst_parse_rate(tree: Path, budget_lines: int = 60_000) -> float:
    """Lines per second of ``libcst.parse_module`` alone, one core, on a sample of the corpus."""
    import libcst
    sample: List[bytes] = []
    directories = ("django-4.2.16", "requests-2.32.3", "sqlalchemy-2.0.36", "stdlib")
    for directory in directories:  # a quarter of the budget from each
        lines = 0
        for path in sorted((tree / directory).rglob("*.py")):
            if lines >= budget_lines // len(directories):
                break
            data = path.read_bytes()
            sample.append(data)
            lines += data.count(b"\n")
    started = time.process_time()
    parsed = 0
    for data in sample:
        try:
            libcst.parse_module(data)
            parsed += data.count(b"\n")
        except Exception:
            pass
    return parsed / max(1e-9, time.process_time() - started)


def fixit_command(quiet: bool) -> Optional[str]:
    """The fixit command of a venv under /tmp, created on first use; None when it cannot be had."""
    fixit = FIXIT_VENV / "bin" / "fixit"
    if not fixit.exists():
        if not quiet:
            print(f"installing fixit=={FIXIT_VERSION} into {FIXIT_VENV}", file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(FIXIT_VENV)], check=True)
            subprocess.run([str(FIXIT_VENV / "bin" / "pip"), "install", "--quiet", f"fixit=={FIXIT_VERSION}"],
                           check=True)
        except (subprocess.CalledProcessError, OSError) as error:
            print(f"bench: fixit not available ({error}); skipped", file=sys.stderr)
            return None
    return str(fixit)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (medians are printed)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", dest="json_file", help="also write the numbers to this JSON file")
    parser.add_argument("--corpus", type=Path, default=corpus.DEFAULT_ROOT, help="where the corpus is cached")
    parser.add_argument("--no-fixit", action="store_true", help="skip the Fixit comparison")
    parser.add_argument("--no-migrate", action="store_true", help="skip migrate v2 --check")
    parser.add_argument("--only", nargs="+", metavar="DIR",
                        help="measure only these corpus folders (e.g. django-4.2.16 stdlib), for a quick look")
    args = parser.parse_args(argv)

    tree = corpus.build(args.corpus)
    targets = [tree / name for name in args.only] if args.only else [tree]
    for target in targets:
        if not target.is_dir():
            raise SystemExit(f"bench: no corpus folder {target.name}; have: "
                             f"{', '.join(sorted(p.name for p in tree.iterdir() if p.is_dir()))}")
    counts = [corpus.count(t) for t in targets]
    size = {"files": sum(c["files"] for c in counts), "lines": sum(c["lines"] for c in counts)}
    paths = [str(t) for t in targets]
    svcmod, ruff = tool("svcmod"), tool("ruff")
    results: Dict[str, object] = {"corpus": str(tree), **size, "runs": args.runs, "jobs": args.jobs,
                                  "python": sys.version.split()[0]}
    print(f"corpus: {size['files']} files, {size['lines']} lines ({tree})", file=sys.stderr)

    lint = [svcmod, "lint", "--jobs", str(args.jobs), "--format", "json", "--exit-zero"]
    samples: Dict[str, List[Measured]] = {"svcmod_cold": [], "svcmod_warm": [], "ruff_cold": [], "migrate_check": []}
    migrate = not args.no_migrate and has_migrate(svcmod)
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="svcmod-bench-cache-") as scratch:
            # a directory svcmod makes itself: it refuses to use (and clean up) one it did not make
            command = lint + ["--cache-dir", str(Path(scratch) / "cache"), *paths]
            samples["svcmod_cold"].append(measure(command))
            # the cache key covers svcmod's own source: if a file of it changed during the cold run
            # (a checkout in progress), the first warm run re-checks; the second is the warm one
            measure(command)
            samples["svcmod_warm"].append(measure(command))
        samples["ruff_cold"].append(measure([ruff, *RUFF_ARGS, *paths]))
        if migrate:
            samples["migrate_check"].append(measure([svcmod, "migrate", "v2", "--check", *paths]))
        print(f"run {run + 1}/{args.runs}: svcmod cold {samples['svcmod_cold'][-1].wall:.2f}s, "
              f"warm {samples['svcmod_warm'][-1].wall:.2f}s, ruff {samples['ruff_cold'][-1].wall:.2f}s",
              file=sys.stderr)
    for name, values in samples.items():
        if values:
            results[name] = {"wall_s": round(median([v.wall for v in values]), 3),
                             "cpu_s": round(median([v.cpu for v in values]), 3),
                             "peak_rss_mb": round(max(v.maxrss_kb for v in values) / 1024, 1)}
    cold, warm, ruff_cold = (results["svcmod_cold"], results["svcmod_warm"], results["ruff_cold"])
    results["svcmod_cold_lines_per_s"] = round(size["lines"] / cold["wall_s"])  # type: ignore[index]
    results["svcmod_warm_lines_per_s"] = round(size["lines"] / warm["wall_s"])  # type: ignore[index]
    results["ratio_cold_vs_ruff"] = round(cold["wall_s"] / ruff_cold["wall_s"], 2)  # type: ignore[index]
    results["ratio_cold_vs_ruff_cpu"] = round(cold["cpu_s"] / ruff_cold["cpu_s"], 2)  # type: ignore[index]
    results["ratio_warm_vs_ruff"] = round(warm["wall_s"] / ruff_cold["wall_s"], 2)  # type: ignore[index]

    results["prefilter"] = prefilter(targets)
    results["libcst_parse_lines_per_cpu_s"] = round(libcst_parse_rate(tree))
    wanted_lines = results["prefilter"]["kept_lines"]  # type: ignore[index]
    results["svcmod_cold_wanted_lines_per_cpu_s"] = round(wanted_lines / max(1e-9, cold["cpu_s"]))  # type: ignore[index]

    if not args.no_fixit:
        fixit = fixit_command(quiet=False)
        if fixit is not None:
            subset = [str(tree / name) for name in FIXIT_SUBSET]
            subset_lines = sum(corpus.count(Path(p))["lines"] for p in subset)
            env = {"PYTHONPATH": str(HERE)}
            fixit_runs = [measure([fixit, "--rules", "fixit_requests_timeout", "lint", *subset], env=env)
                          for _ in range(args.runs)]
            ours = [measure([svcmod, "lint", "--no-cache", "--select", "SVC101", "--jobs", str(args.jobs),
                             "--exit-zero", *subset]) for _ in range(args.runs)]
            fixit_s, ours_s = median([m.wall for m in fixit_runs]), median([m.wall for m in ours])
            results["fixit"] = {"version": FIXIT_VERSION, "subset": list(FIXIT_SUBSET), "lines": subset_lines,
                                "fixit_wall_s": round(fixit_s, 3), "svcmod_wall_s": round(ours_s, 3),
                                "fixit_cpu_s": round(median([m.cpu for m in fixit_runs]), 3),
                                "svcmod_cpu_s": round(median([m.cpu for m in ours]), 3),
                                "fixit_s_per_kline": round(1000 * fixit_s / subset_lines, 4),
                                "svcmod_s_per_kline": round(1000 * ours_s / subset_lines, 4),
                                "ratio_fixit_vs_svcmod": round(fixit_s / ours_s, 2)}

    report(results)
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(results, indent=2) + "\n")
    return 0


def report(r: Dict[str, object]) -> None:
    def row(name: str, key: str) -> None:
        m = r.get(key)
        if isinstance(m, dict):
            print(f"{name:<28} {m['wall_s']:>8.2f} s wall {m['cpu_s']:>8.2f} s cpu {m['peak_rss_mb']:>8.1f} MB peak")
        else:
            print(f"{name:<28} skipped")

    print(f"corpus                       {r['files']} files, {r['lines']} lines "
          f"(medians of {r['runs']} runs, --jobs {r['jobs']}, Python {r['python']})")
    row("svcmod lint, cold", "svcmod_cold")
    row("svcmod lint, warm", "svcmod_warm")
    row("ruff S113,ASYNC, cold", "ruff_cold")
    row("svcmod migrate v2 --check", "migrate_check")
    print(f"{'svcmod cold lines/s':<28} {r['svcmod_cold_lines_per_s']:>8}   warm {r['svcmod_warm_lines_per_s']}")
    print(f"{'ratio svcmod/ruff':<28} cold {r['ratio_cold_vs_ruff']}x (cpu {r['ratio_cold_vs_ruff_cpu']}x), "
          f"warm {r['ratio_warm_vs_ruff']}x")
    p = r["prefilter"]
    assert isinstance(p, dict)
    print(f"{'prefilter keeps':<28} {p['kept_files']}/{p['files']} files "
          f"({p['kept_files'] / max(1, p['files']):.1%}), {p['kept_lines']}/{p['lines']} lines "
          f"({p['kept_lines'] / max(1, p['lines']):.1%}); greediest rules (share of lines): "
          + ", ".join(f"{c} {v:.1%}" for c, v in p["greediest_rules"].items()))
    print(f"{'hidden functions':<28} Python parses {p['python_bytes'] / 1e6:.1f} of the "
          f"{p['kept_bytes'] / 1e6:.1f} MB the prefilter keeps (not counting line ends)")
    print(f"{'sketches and excerpts':<28} LibCST reads {p['libcst_lines']} lines "
          f"({p['libcst_lines'] / max(1, p['lines']):.1%} of the corpus); {p['not_parsed_files']} wanted files "
          f"are not parsed by LibCST at all")
    print(f"{'libcst parse only':<28} {r['libcst_parse_lines_per_cpu_s']} lines per cpu-second; svcmod cold: "
          f"{r['svcmod_cold_wanted_lines_per_cpu_s']} lines the prefilter keeps per cpu-second, everything included")
    fixit = r.get("fixit")
    if isinstance(fixit, dict):
        print(f"{'fixit (one rule, subset)':<28} {fixit['lines']} lines: fixit {fixit['fixit_wall_s']:.2f} s, "
              f"svcmod SVC101 {fixit['svcmod_wall_s']:.2f} s; per line fixit is {fixit['ratio_fixit_vs_svcmod']}x svcmod")


if __name__ == "__main__":
    sys.exit(main())
