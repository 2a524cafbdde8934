"""Differential check: the fast path against the reference (``--no-fast-path``) on real code and mutants.

The fast path (prefilter, import scan, outline, excerpts, sketches) promises never to change a
result. The reference parses every file whole with LibCST and runs every rule on it. Both must give
the same findings: code, place, message and fix (with ``--fix``: also the same fixed bytes).

    python bench/differential.py                         # stdlib + pinned wheels + 20,000 mutants, 2 jobs
    python bench/differential.py --mutants 2000 --no-corpus
    python bench/differential.py --only stdlib requests-2.32.3 --mutants 0

The corpus is ``bench/corpus.py``'s (pinned wheels fetched with ``pip download --no-deps``, cached
in the git-ignored ``bench/.corpus/``). Mutants (``bench/mutants.py``) are made from every rule's
examples, the fixture monorepo and small files of the corpus. Prints the counts and every
difference; exits 1 if there is one. ``tests/test_differential.py`` runs a fixed-seed slice.
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import corpus  # noqa: E402  (bench/ is not a package)
import mutants as mutant_maker  # noqa: E402

from svcmod.check.checker import Checker  # noqa: E402
from svcmod.check.policy import FixPolicy  # noqa: E402
from svcmod.project.config import Config  # noqa: E402
from svcmod.registry.rules import builtin_rules  # noqa: E402
from svcmod.results import FileResult  # noqa: E402
from svcmod.rule import Invalid  # noqa: E402

T = TypeVar("T")

#: Small pinned service libraries: the wheel part of the test suite's slice.
SMALL_WHEELS = ("requests==2.32.3", "tenacity==9.0.0", "backoff==2.2.1")


@dataclass
class Difference:
    name: str
    source: bytes
    fast: list
    reference: list
    fixed: Tuple[Optional[bytes], Optional[bytes]] = (None, None)
    #: what each path raised, if it did (the exception and where: a summary of the traceback)
    crashed: Tuple[Optional[str], Optional[str]] = (None, None)

    def __str__(self) -> str:
        lines = [f"DIFFERENT: {self.name}"]
        for path, crash in zip(("fast path", "reference"), self.crashed):
            if crash is not None:
                lines.append(f"  the {path} raised {crash}")
        lines += [f"  only fast path: {item}" for item in sorted(set(self.fast) - set(self.reference))]
        lines += [f"  only reference: {item}" for item in sorted(set(self.reference) - set(self.fast))]
        if self.fixed[0] != self.fixed[1]:
            lines.append("  the fixed files differ")
        return "\n".join(lines)


@dataclass
class Tally:
    files: int = 0
    lines: int = 0
    findings: int = 0
    unparsable: int = 0  # files LibCST cannot parse: SVC901 in the reference only (not compared)
    crashes: int = 0  # files on which either path raised (each also a difference)
    differences: List[Difference] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.files += other.files
        self.lines += other.lines
        self.findings += other.findings
        self.unparsable += other.unparsable
        self.crashes += other.crashes
        self.differences += other.differences


def crash_summary(error: BaseException, frames: int = 4) -> str:
    """``ValueError: message`` and the innermost frames it came from, on one line each."""
    where = traceback.extract_tb(error.__traceback__)[-frames:]
    text = (str(error).strip().splitlines() or [""])[0][:200]
    return "\n".join([f"{type(error).__name__}: {text}"]
                     + [f"      at {Path(frame.filename).name}:{frame.lineno} in {frame.name}" for frame in where])


def _key(finding) -> tuple:
    return (finding.code, finding.line, finding.column, finding.end_line, finding.end_column,
            finding.message, finding.fix_applicability, finding.fix_message)


class Comparison:
    """The fast path and the reference, each built once, compared on one file at a time."""

    def __init__(self, config: Optional[Config] = None, fix: bool = False) -> None:
        config = config or Config()
        policy = FixPolicy(apply=fix, unsafe=True)
        self.fast = Checker(config, policy)
        self.reference = Checker(config, policy, fast_path=False)

    def compare(self, name: str, source: bytes) -> Tally:
        """The two paths on one file. A path that raises is a difference, never the end of the run."""
        tally = Tally(files=1, lines=source.count(b"\n"))
        fast, fast_crash = _checked(self.fast, name, source)
        reference, reference_crash = _checked(self.reference, name, source)
        if fast is None or reference is None:
            tally.crashes = 1
            tally.differences.append(Difference(
                name, source, sorted(map(_key, fast.findings)) if fast else [],
                sorted(map(_key, reference.findings)) if reference else [],
                crashed=(fast_crash, reference_crash)))
            return tally
        found, expected = sorted(map(_key, fast.findings)), sorted(map(_key, reference.findings))
        tally.findings = len(expected)
        if any(item[0] == "SVC901" for item in expected) and not any(item[0] == "SVC901" for item in found):
            # A file LibCST cannot parse: the fast path reports this only where it parses, as the
            # README says; and LibCST refuses some code that Python accepts (``(x): int``).
            if not [item for item in found if item[0] != "SVC901"] or _python_parses(source):
                tally.unparsable = 1
                return tally
        if found != expected or fast.fixed != reference.fixed:
            tally.differences.append(Difference(name, source, found, expected, (fast.fixed, reference.fixed)))
        return tally


def _checked(checker: Checker, name: str, source: bytes) -> Tuple[Optional[FileResult], Optional[str]]:
    try:
        return checker.check(name, source), None
    except Exception as error:  # noqa: BLE001  (any crash is what is counted)
        return None, crash_summary(error)


def _python_parses(source: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


# -- what is compared --------------------------------------------------------------------------
def example_texts() -> List[str]:
    """The code of every rule's examples, valid and invalid."""
    return sorted({example.code for rule in builtin_rules() for example in rule.examples})


def invalid_example_texts() -> List[str]:
    return sorted({example.code for rule in builtin_rules() for example in rule.examples
                   if isinstance(example, Invalid)})


def fixture_texts() -> List[str]:
    return small_texts(sorted((REPO / "fixtures").rglob("*.py")), 10_000)


def stdlib_root() -> Path:
    """The read-only stdlib copy of the workplace if there is one, else the running Python's."""
    import sysconfig
    copy = Path("/work/stdlib")
    return copy if copy.is_dir() else Path(sysconfig.get_paths()["stdlib"])


def python_files(root: Path) -> List[Path]:
    skip = {"site-packages", "dist-packages", "__pycache__"}
    found = []
    for directory, names, files in os.walk(root):
        names[:] = sorted(n for n in names if n not in skip)
        found.extend(Path(directory) / f for f in sorted(files) if f.endswith(".py"))
    return found


def small_texts(paths: Iterable[Path], most_lines: int = 400) -> List[str]:
    """Texts of the files among ``paths`` short enough to be mutated often."""
    texts = []
    for path in paths:
        data = path.read_bytes()
        if data.count(b"\n") <= most_lines:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if mutant_maker.compiles(text):
                texts.append(text)
    return texts


def wheel_trees(specs: Sequence[str], root: Path = corpus.DEFAULT_ROOT) -> List[Path]:
    """The unpacked trees of pinned wheels, downloaded with ``pip download --no-deps`` when not
    cached yet (raises ``subprocess.CalledProcessError`` offline)."""
    import subprocess
    wheels, tree = root / "wheels", root / "tree"
    wheels.mkdir(parents=True, exist_ok=True)
    missing = [s for s in specs if not (tree / corpus._dirname(s)).is_dir()]
    to_fetch = [s for s in missing if not any(w.name.lower().startswith(corpus._wheel_prefix(s))
                                              for w in wheels.glob("*.whl"))]
    if to_fetch:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
                        "--dest", str(wheels), *to_fetch], check=True, capture_output=True, timeout=300)
    for spec in missing:
        corpus._unpack(corpus._find_wheel(wheels, spec), tree / corpus._dirname(spec))
    return [tree / corpus._dirname(s) for s in specs]


# -- the long mode -----------------------------------------------------------------------------
_COMPARISON: Optional[Comparison] = None
_FIXING: Optional[Comparison] = None


def _compare_path(path: str) -> Tally:
    global _COMPARISON
    if _COMPARISON is None:
        _COMPARISON = Comparison()
    try:
        source = Path(path).read_bytes()
    except OSError as error:
        tally = Tally(files=1, crashes=1)
        tally.differences.append(Difference(path, b"", [], [], crashed=(crash_summary(error),) * 2))
        return tally
    return _COMPARISON.compare(path, source)


def _compare_mutants(batch: Tuple[int, int, int]) -> Tally:
    """Mutants number ``start`` to ``start + count`` of the seed's sequence, each compared without
    fixes, and one in ``_FIX_EVERY`` with fixes too (the fixed bytes must be the same)."""
    global _COMPARISON, _FIXING
    if _COMPARISON is None:
        _COMPARISON = Comparison()
    if _FIXING is None:
        _FIXING = Comparison(fix=True)
    seed, start, count = batch
    tally = Tally()
    made = mutant_maker.mutants(_MUTATED, count, seed * 1_000_003 + start)
    number = 0
    while True:
        try:
            text, applied = next(made)
        except StopIteration:
            return tally
        except Exception as error:  # noqa: BLE001  a rewrite that raises ends its batch, counted
            tally.crashes += 1
            tally.differences.append(Difference(f"mutant-{seed}-{start + number}.py (making it)", b"", [], [],
                                                crashed=(crash_summary(error),) * 2))
            return tally
        source = text.encode("utf-8", "surrogatepass")
        name = f"mutant-{seed}-{start + number}.py"
        compared = _COMPARISON.compare(name, source)
        if not compared.differences and number % _FIX_EVERY == 0:  # the same findings: the same fixes?
            fixed = _FIXING.compare(name, source)
            compared.differences, compared.crashes = fixed.differences, fixed.crashes
        for difference in compared.differences:
            difference.name += f" ({', '.join(applied)})"
        tally.add(compared)
        number += 1


def _pooled(jobs: int, work: Callable[[T], Tally], items: Sequence[T], describe: Callable[[T], str],
            initializer: Optional[Callable[..., None]] = None, initargs: tuple = ()) -> Iterator[Tally]:
    """``work`` on each item in worker processes. A worker that dies (a segfault in a native parser,
    the out-of-memory killer) is a crash counted for the item that killed it (found by running the
    first unfinished item alone); the run goes on in a new pool."""
    left, alone = list(items), False
    while left:
        batch = left[:1] if alone else left
        done = 0
        with ProcessPoolExecutor(1 if alone else jobs, initializer=initializer, initargs=initargs) as pool:
            futures = [pool.submit(work, item) for item in batch]
            try:
                for future in futures:
                    yield future.result()
                    done += 1
            except BrokenProcessPool as error:
                if alone:
                    tally = Tally(files=1, crashes=1)
                    tally.differences.append(Difference(f"{describe(left[0])} (its worker process died)", b"",
                                                        [], [], crashed=(crash_summary(error),) * 2))
                    yield tally
                    done = 1
                alone = not alone
                left = left[done:]
                continue
        alone = False
        left = left[done:]


_MUTATED: List[str] = []
_FIX_EVERY = 5


def _init(texts: List[str]) -> None:
    _MUTATED[:] = texts


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=20_000, help="how many mutants (default 20,000)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--no-corpus", action="store_true", help="mutants and rule examples only")
    parser.add_argument("--only", nargs="+", metavar="DIR", help="only these corpus folders (e.g. stdlib)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--save", type=Path, metavar="DIR", help="write each differing source to DIR")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report: List[Tuple[str, Tally]] = []

    examples = Tally()
    fixing = Comparison(fix=True)
    for number, text in enumerate(example_texts()):
        examples.add(fixing.compare(f"example-{number}.py", text.encode()))
    report.append(("rule examples (with fixes)", examples))

    mutated = example_texts() + fixture_texts()
    if not args.no_corpus:
        tree = corpus.build()
        folders = [tree / name for name in args.only] if args.only else \
            [tree / "stdlib", *(tree / corpus._dirname(spec) for spec in corpus.WHEELS)]
        for folder in folders:
            paths = [str(p) for p in python_files(folder)]
            tally = Tally()
            for one in _pooled(args.jobs, _compare_path, paths, str):
                tally.add(one)
            report.append((folder.name, tally))
            print(f"{folder.name}: {tally.files} files, {tally.lines:,} lines, "
                  f"{len(tally.differences)} differences ({tally.crashes} crashes)", file=sys.stderr)

    tree = corpus.DEFAULT_ROOT / "tree"
    if args.mutants and (tree / "stdlib").is_dir():  # small real files are mutated too, when at hand
        mutated += small_texts(python_files(tree / "stdlib"), 150)[::7]
        for spec in SMALL_WHEELS:
            if (tree / corpus._dirname(spec)).is_dir():
                mutated += small_texts(python_files(tree / corpus._dirname(spec)), 300)
    if args.mutants:
        batch = 200
        batches = [(args.seed, start, min(batch, args.mutants - start)) for start in range(0, args.mutants, batch)]
        tally = Tally()
        for one in _pooled(args.jobs, _compare_mutants, batches, lambda b: f"mutants {b[1]}-{b[1] + b[2]}",
                           _init, (mutated,)):
            tally.add(one)
        report.append((f"mutants (seed {args.seed}, from {len(mutated)} texts; with and without fixes)", tally))

    total = 0
    for name, tally in report:
        for difference in tally.differences:
            print(difference)
            if args.save and difference.source:  # by the file's own name: a corpus path is absolute
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / Path(difference.name.split()[0]).name).write_bytes(difference.source)
        total += len(tally.differences)
    print()
    corpus_lines = sum(t.lines for n, t in report if not n.startswith(("rule examples", "mutants")))
    for name, tally in report:
        print(f"{name:<60} {tally.files:>7,} files {tally.lines:>10,} lines {tally.findings:>6,} findings "
              f"{tally.unparsable:>4} unparsable {tally.crashes:>3} crashes {len(tally.differences):>4} differences")
    print(f"corpus lines compared: {corpus_lines:,}; {time.perf_counter() - started:.0f} s; "
          f"{total} differences")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
