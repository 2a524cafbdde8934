"""What a developer feels many times a day, each against its reference in the same run: start-up,
flake8 with svcmod installed, one file (pre-commit), discovery, warm and cold runs, peak memory.

    python bench/latency.py                 # the whole corpus (built by bench/corpus.py), medians of 5
    python bench/latency.py --only stdlib   # a quicker look
    python bench/latency.py --json out.json

Rows and goals are issue 20's; nothing here asserts a time (the machines are noisy): it prints the
medians and whether each goal is met. flake8 without svcmod runs from a venv of its own
(``/tmp/svcmod-bench-flake8``, the same flake8 version, made on first use).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402  (bench/ is not a package)
from run import RUFF_ARGS, tool  # noqa: E402

FLAKE8_VENV = Path(tempfile.gettempdir()) / "svcmod-bench-flake8"

#: One stanza of a service module with findings; repeated to make a file of about 500 lines.
STANZA = '''
def fetch_{n}(session, url):
    """Fetch one page."""
    response = requests.get(url)
    for attempt in range(3):
        try:
            return session.get(url, params={{"page": attempt}})
        except requests.ConnectionError:
            time.sleep(1)
    subprocess.run(["echo", str({n})])
    return response.json()

'''


def wall(command: Sequence[str], cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None) -> float:
    started = time.perf_counter()
    completed = subprocess.run(list(command), cwd=cwd, capture_output=True, env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(command)} failed ({completed.returncode}):\n"
                         f"{completed.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def median_of(runs: int, measure: Callable[[], float]) -> float:
    measure()  # warm the file system cache and Python's bytecode cache
    return statistics.median(measure() for _ in range(runs))


def tree_peak_rss_mb(command: Sequence[str]) -> float:
    """The largest sum of resident memory over ``command``'s whole process tree (sampled every 20 ms)."""
    process = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            total = 0
            for pid in _descendants(process.pid):
                try:
                    with open(f"/proc/{pid}/statm") as handle:
                        total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
                except (OSError, ValueError, IndexError):
                    pass
            peak = max(peak, total)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    process.wait()
    sampler.join()
    return peak / 2**20


def _descendants(root: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def flake8_without_svcmod() -> str:
    """flake8 of the same version in a venv where svcmod is not installed."""
    import flake8
    python = FLAKE8_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(FLAKE8_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"flake8=={flake8.__version__}"], check=True)
    return str(python)


def discovery_seconds(paths: Sequence[Path], runs: int) -> float:
    """Discovery alone, in a fresh process each time (as a run starts), imports excluded."""
    probe = ("import sys, time\n"
             "from pathlib import Path\n"
             "from svcmod.project.config import ConfigFinder\n"
             "from svcmod.project.discovery import Discovery\n"
             "started = time.perf_counter()\n"
             "files = Discovery(ConfigFinder()).files([Path(p) for p in sys.argv[1:]])\n"
             "print(time.perf_counter() - started, len(files))\n")

    def once() -> float:
        out = subprocess.run([sys.executable, "-c", probe, *map(str, paths)], capture_output=True, text=True,
                             check=True).stdout.split()
        return float(out[0])
    return median_of(runs, once)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (medians are printed)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=corpus.DEFAULT_ROOT, help="where the corpus is cached")
    parser.add_argument("--only", nargs="+", metavar="DIR", help="only these corpus folders (e.g. stdlib)")
    parser.add_argument("--json", dest="json_file", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)

    tree = corpus.build(args.corpus)
    targets = [tree / name for name in args.only] if args.only else [tree]
    svcmod, ruff, flake8 = tool("svcmod"), tool("ruff"), tool("flake8")
    rows: List[Dict[str, object]] = []

    def row(measure: str, ours: float, reference: float, reference_name: str, goal: str, met: bool,
            unit: str = "s") -> None:
        rows.append({"measure": measure, "svcmod": round(ours, 4), "reference": reference_name,
                     "reference_value": round(reference, 4), "unit": unit, "goal": goal, "met": met})
        print(f"{measure}: {ours:.3f} {unit} (reference {reference_name}: {reference:.3f} {unit}); goal {goal}: "
              f"{'met' if met else 'NOT met'}", file=sys.stderr)

    python_pass = median_of(args.runs, lambda: wall([sys.executable, "-c", "pass"]))
    version = median_of(args.runs, lambda: wall([svcmod, "--version"]))
    row("svcmod --version", version, python_pass, "python -c pass", "<= 3x", version <= 3 * python_pass)

    with tempfile.TemporaryDirectory(prefix="svcmod-bench-latency-") as scratch:
        work = Path(scratch)
        stanzas = "".join(STANZA.format(n=n) for n in range(42))
        one = work / "service.py"
        one.write_text("import subprocess\nimport time\n\nimport requests\n" + stanzas)
        lines = len(one.read_text().splitlines())
        bare = flake8_without_svcmod()
        with_plugin = median_of(args.runs, lambda: wall([flake8, "--isolated", "--select", "E", str(one)]))
        without = median_of(args.runs, lambda: wall([bare, "-m", "flake8", "--isolated", "--select", "E", str(one)]))
        row("flake8 --select E, added by svcmod", with_plugin - without, without, "flake8 without svcmod",
            "<= +0.010 s", with_plugin - without <= 0.010)
        single = median_of(args.runs, lambda: wall([svcmod, "lint", "--no-cache", "--exit-zero", str(one)]))
        row(f"svcmod lint of one {lines}-line file with findings", single, 0.25, "goal", "<= 0.25 s", single <= 0.25)

    found = discovery_seconds(targets, args.runs)
    row("discovery of the corpus", found, 0.15, "goal", "<= 0.15 s", found <= 0.15)

    ruff_cold = median_of(args.runs, lambda: wall([ruff, *RUFF_ARGS, *map(str, targets)]))
    lint = [svcmod, "lint", "--jobs", str(args.jobs), "--format", "json", "--exit-zero"]
    colds, warms = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="svcmod-bench-cache-") as cache:
            command = lint + ["--cache-dir", str(Path(cache) / "c"), *map(str, targets)]
            colds.append(wall(command))
            wall(command)
            warms.append(wall(command))
    cold, warm = statistics.median(colds), statistics.median(warms)
    row("warm run on the corpus / ruff cold", warm / ruff_cold, ruff_cold, "ruff S113,ASYNC cold", "<= 0.4x",
        warm / ruff_cold <= 0.4, unit="x")
    row("cold run on the corpus / ruff cold", cold / ruff_cold, ruff_cold, "ruff S113,ASYNC cold", "<= 5x",
        cold / ruff_cold <= 5, unit="x")
    peak = max(tree_peak_rss_mb(lint + ["--no-cache", *map(str, targets)]) for _ in range(2))
    row("peak memory of a cold run, all processes", peak, 300, "goal", "<= 300 MB", peak <= 300, unit="MB")

    print(json.dumps(rows, indent=2))
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
