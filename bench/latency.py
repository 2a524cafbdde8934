"""What a developer feels many times a day, each against its reference in the same run: start-up,
flake8 with svcmod installed, one file (pre-commit), discovery, warm and cold runs, peak memory.

    python bench/latency.py                 # the whole corpus (built by bench/corpus.py), medians of 5
    python bench/latency.py --only stdlib   # a quicker look
    python bench/latency.py --json out.json

Rows and goals are issue 20's; nothing here asserts a time (the machines are noisy): it prints the
medians of wall-clock and of processor time (user + system of the whole process tree, which a
shared machine disturbs far less) and whether each goal is met, judged on processor time. flake8
without svcmod runs from a venv of its own (``/tmp/svcmod-bench-flake8``, the same flake8 version,
made on first use), and, to tell the plugin's own cost from that of the other packages installed
beside it, from svcmod's venv with the plugin's entry point left out.

Commands run with Python's bytecode cache on (``PYTHONDONTWRITEBYTECODE`` is dropped, the first
run of each measure writes it), as in an installed svcmod: without it every run compiles svcmod's
modules again (0.25 s of a one-file run).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

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


class Time(NamedTuple):
    wall: float
    cpu: float  # user + system seconds of the command and every process it waited for


#: What every measured command runs with: this environment, the bytecode cache on.
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
#: flake8 run from svcmod's venv with svcmod's entry point left out (``--select E`` needs no SVC).
FLAKE8_WITHOUT_ENTRY_POINT = (
    "import sys\n"
    "from flake8.plugins import finder\n"
    "found = finder._find_importlib_plugins\n"
    "finder._find_importlib_plugins = lambda: (p for p in found() if p.package != 'svcmod')\n"
    "from flake8.main.cli import main\n"
    "sys.exit(main())\n")
#: The same launcher keeping every plugin, so that the two differ only by the plugin.
FLAKE8_WITH_ENTRY_POINT = "import sys\nfrom flake8.main.cli import main\nsys.exit(main())\n"


def timed(command: Sequence[str], cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None) -> Time:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(list(command), cwd=cwd, capture_output=True, env={**ENVIRONMENT, **(env or {})})
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(command)} failed ({completed.returncode}):\n"
                         f"{completed.stderr.decode(errors='replace')[-2000:]}")
    return Time(elapsed, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def median_of(runs: int, measure: Callable[[], Time]) -> Time:
    measure()  # warm the file system cache and Python's bytecode cache
    times = [measure() for _ in range(runs)]
    return Time(statistics.median(t.wall for t in times), statistics.median(t.cpu for t in times))


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


def discovery_seconds(paths: Sequence[Path], runs: int) -> Time:
    """Discovery alone, in a fresh process each time (as a run starts), imports excluded."""
    probe = ("import sys, time\n"
             "from pathlib import Path\n"
             "from svcmod.project.config import ConfigFinder\n"
             "from svcmod.project.discovery import Discovery\n"
             "started, cpu = time.perf_counter(), time.process_time()\n"
             "files = Discovery(ConfigFinder()).files([Path(p) for p in sys.argv[1:]])\n"
             "print(time.perf_counter() - started, time.process_time() - cpu, len(files))\n")

    def once() -> Time:
        out = subprocess.run([sys.executable, "-c", probe, *map(str, paths)], capture_output=True, text=True,
                             check=True).stdout.split()
        return Time(float(out[0]), float(out[1]))
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

    def row(measure: str, ours: Time, reference: Time, reference_name: str, goal: str,
            met: Callable[[float, float], bool], unit: str = "s") -> None:
        """``ours`` and ``reference`` (wall and cpu); ``met(ours, reference)`` is judged on cpu."""
        rows.append({"measure": measure, "svcmod": round(ours.cpu, 4), "svcmod_wall": round(ours.wall, 4),
                     "reference": reference_name, "reference_value": round(reference.cpu, 4),
                     "reference_wall": round(reference.wall, 4), "unit": unit, "goal": goal,
                     "met": met(ours.cpu, reference.cpu)})
        print(f"{measure}: cpu {ours.cpu:.3f} {unit}, wall {ours.wall:.3f} {unit} (reference {reference_name}: cpu "
              f"{reference.cpu:.3f}, wall {reference.wall:.3f}); goal {goal}: "
              f"{'met' if met(ours.cpu, reference.cpu) else 'NOT met'}", file=sys.stderr)

    python_pass = median_of(args.runs, lambda: timed([sys.executable, "-c", "pass"]))
    version = median_of(args.runs, lambda: timed([svcmod, "--version"]))
    row("svcmod --version", version, python_pass, "python -c pass", "<= 3x", lambda ours, ref: ours <= 3 * ref)

    with tempfile.TemporaryDirectory(prefix="svcmod-bench-latency-") as scratch:
        work = Path(scratch)
        stanzas = "".join(STANZA.format(n=n) for n in range(42))
        one = work / "service.py"
        one.write_text("import subprocess\nimport time\n\nimport requests\n" + stanzas)
        lines = len(one.read_text().splitlines())
        bare = flake8_without_svcmod()
        with_plugin = median_of(args.runs, lambda: timed([flake8, "--isolated", "--select", "E", str(one)]))
        without = median_of(args.runs, lambda: timed([bare, "-m", "flake8", "--isolated", "--select", "E", str(one)]))
        added = Time(with_plugin.wall - without.wall, with_plugin.cpu - without.cpu)
        row("flake8 --select E, added by svcmod", added, without, "flake8 without svcmod", "<= +0.010 s",
            lambda ours, ref: ours <= 0.010)
        flake8_run = ["--isolated", "--select", "E", str(one)]
        plugin = median_of(args.runs, lambda: timed([sys.executable, "-c", FLAKE8_WITH_ENTRY_POINT, *flake8_run]))
        no_plugin = median_of(args.runs, lambda: timed([sys.executable, "-c", FLAKE8_WITHOUT_ENTRY_POINT,
                                                        *flake8_run]))
        row("flake8 --select E, added by the plugin alone (same venv)",
            Time(plugin.wall - no_plugin.wall, plugin.cpu - no_plugin.cpu), no_plugin,
            "flake8 without the SVC entry point", "<= +0.010 s", lambda ours, ref: ours <= 0.010)
        single = median_of(args.runs, lambda: timed([svcmod, "lint", "--no-cache", "--exit-zero", str(one)]))
        row(f"svcmod lint of one {lines}-line file with findings", single, python_pass, "python -c pass",
            "<= 0.25 s", lambda ours, ref: ours <= 0.25)

    found = discovery_seconds(targets, args.runs)
    row("discovery of the corpus", found, Time(0.15, 0.15), "goal", "<= 0.15 s", lambda ours, ref: ours <= 0.15)

    ruff_cold = median_of(args.runs, lambda: timed([ruff, *RUFF_ARGS, *map(str, targets)]))
    # text, as a developer or a hook reads it (ruff runs --quiet too): --format json also works out
    # every fix's edits by checking the file again in this process, which a warm run then pays in full
    lint = [svcmod, "lint", "--jobs", str(args.jobs), "--quiet", "--exit-zero"]
    colds, warms = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="svcmod-bench-cache-") as cache:
            command = lint + ["--cache-dir", str(Path(cache) / "c"), *map(str, targets)]
            colds.append(timed(command))
            timed(command)
            warms.append(timed(command))
    cold = Time(statistics.median(t.wall for t in colds), statistics.median(t.cpu for t in colds))
    warm = Time(statistics.median(t.wall for t in warms), statistics.median(t.cpu for t in warms))
    row("warm run on the corpus / ruff cold", Time(warm.wall / ruff_cold.wall, warm.cpu / ruff_cold.cpu), ruff_cold,
        "ruff S113,ASYNC cold", "<= 0.4x", lambda ours, ref: ours <= 0.4, unit="x")
    row("cold run on the corpus / ruff cold", Time(cold.wall / ruff_cold.wall, cold.cpu / ruff_cold.cpu), ruff_cold,
        "ruff S113,ASYNC cold", "<= 5x", lambda ours, ref: ours <= 5, unit="x")
    print(f"svcmod warm: cpu {warm.cpu:.3f} s, wall {warm.wall:.3f} s; cold: cpu {cold.cpu:.3f} s, wall "
          f"{cold.wall:.3f} s", file=sys.stderr)
    peak = max(tree_peak_rss_mb(lint + ["--no-cache", *map(str, targets)]) for _ in range(2))
    row("peak memory of a cold run, all processes", Time(peak, peak), Time(300, 300), "goal", "<= 300 MB",
        lambda ours, ref: ours <= 300, unit="MB")

    print(json.dumps(rows, indent=2))
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
