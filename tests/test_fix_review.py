"""Fixes as a reviewer reads them: each case under tests/fix_review/ is a small service project
(``before/``) and what ``svcmod lint --fix --unsafe-fixes`` must make of it (``after/``); a file
that passed ``ruff format --check`` before still passes, and no line grows past the project's limit."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_subprocess

from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config, ConfigFinder
from svcmod.registry.rules import builtin_rules
from svcmod.rule import Invalid

CASES = Path(__file__).parent / "fix_review"
RUFF = Path(sys.executable).parent / "ruff"


def ruff() -> str:
    found = str(RUFF) if RUFF.exists() else shutil.which("ruff")
    assert found, "ruff is in the test extra"
    return found


def ruff_unformatted(paths, line_length: int) -> set:
    """The files of ``paths`` that ``ruff format --check`` at ``line_length`` would reformat."""
    done = subprocess.run([ruff(), "format", "--check", "--no-cache", "--isolated", "--line-length",
                           str(line_length), *map(str, paths)], capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    # "Would reformat: path" (older ruff) or a diagnostic pointing at "--> path:line:column"
    named = set(re.findall(r"^Would reformat: (.+)$", done.stdout, re.MULTILINE))
    named |= set(re.findall(r"^\s*--> (.+?):\d+:\d+$", done.stdout, re.MULTILINE))
    unformatted = {Path(name.strip()).name for name in named}
    assert bool(unformatted) == (done.returncode == 1), done.stdout
    return unformatted


def ruff_clean(path: Path, line_length: int) -> bool:
    """``ruff format --check`` on one file, at ``line_length``, as the project would run it."""
    return not ruff_unformatted([path], line_length)


def python_files(root: Path):
    return sorted(p.relative_to(root) for p in root.rglob("*.py"))


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_fixes_read_as_a_reviewer_wants(case: str, tmp_path: Path):
    before, after = CASES / case / "before", CASES / case / "after"
    project = tmp_path / case
    shutil.copytree(before, project)
    findings = CASES / case / "findings.txt"
    if findings.exists():  # what the findings say (why a read timeout or a fix was left out)
        result = run_subprocess(["lint", "--no-cache", "."], project)
        assert result.stdout.splitlines() == findings.read_text().splitlines(), result
    result = run_subprocess(["lint", "--fix", "--unsafe-fixes", "--no-cache", "."], project)
    assert result.exit_code in (0, 1), result
    limit = ConfigFinder().for_path(project / "x.py").line_length
    for name in python_files(after):
        fixed = (project / name).read_text()
        assert fixed == (after / name).read_text(), f"{case}/{name}:\n{fixed}"
        if ruff_clean(before / name, limit):
            assert ruff_clean(project / name, limit), f"{case}/{name} no longer passes ruff format --check"
        old_long = sum(len(line) > limit for line in (before / name).read_text().splitlines())
        new_long = sum(len(line) > limit for line in fixed.splitlines())
        assert new_long <= old_long, f"{case}/{name}: a fix wrote a line over {limit} columns"


def test_line_length_comes_from_the_projects_own_tools(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "setup.cfg").write_text("[flake8]\nmax-line-length = 79\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n\n[tool.svcmod]\n")
    (tmp_path / "b" / "ruff.toml").write_text("line-length = 119\n")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    (tmp_path / "c" / "deep").mkdir()
    finder = ConfigFinder()
    assert finder.for_path(tmp_path / "a" / "x.py").line_length == 79
    assert finder.for_path(tmp_path / "b" / "x.py").line_length == 119  # ruff's own file wins
    assert finder.for_path(tmp_path / "c" / "deep" / "x.py").line_length == 100  # from the directory above
    assert finder.for_path(tmp_path / "x.py").line_length == 88


def _examples():
    for rule in builtin_rules():
        for index, example in enumerate(rule.examples):
            if isinstance(example, Invalid) and example.fixed is not None:
                yield pytest.param(rule, example, id=f"{rule.code}-{index}")


@pytest.mark.parametrize("line_length", [79, 88])
def test_every_rule_example_formatted_by_ruff_stays_formatted_after_its_fix(tmp_path: Path, line_length: int):
    """Each rule example, first formatted by ruff (as a formatted project has it), then fixed."""
    failures = []
    examples = list(_examples())
    sources = tmp_path / "examples"
    sources.mkdir()
    for number, param in enumerate(examples):
        (sources / f"e{number}.py").write_text(param.values[1].code)
    subprocess.run([ruff(), "format", "--quiet", "--no-cache", "--isolated", "--line-length", str(line_length),
                    str(sources)], check=True)
    fixed_files = {}
    for number, param in enumerate(examples):
        rule, example = param.values
        path = sources / f"e{number}.py"
        source = path.read_bytes()
        config = Config(select=(rule.code,), rule_options={rule.code: dict(example.options)} if example.options else {},
                        line_length=line_length)
        result = Checker(config, FixPolicy(apply=True, unsafe=True), only_codes=frozenset({rule.code})) \
            .check(path.name, source)
        if result.fixed is None:
            continue
        path.write_bytes(result.fixed)
        fixed_files[path.name] = (param.id, result.fixed.decode())
        if any(len(line) > line_length for line in result.fixed.decode().splitlines()) \
                and not any(len(line) > line_length for line in source.decode().splitlines()):
            failures.append(f"{param.id}: a line over {line_length}")
    assert len(fixed_files) > 50
    for name in sorted(ruff_unformatted([sources / name for name in fixed_files], line_length)):
        example_id, text = fixed_files[name]
        failures.append(f"{example_id} no longer passes ruff format --check:\n{text}")
    assert not failures, "\n\n".join(failures)


def test_migrating_the_ruff_formatted_monorepo_keeps_it_formatted_and_in_its_line_length(tmp_path: Path):
    """The fixture monorepo as a 79-column project that runs ruff format: `svcmod migrate v2` leaves
    every file passing ``ruff format --check`` and adds no line over 79 columns."""
    root = tmp_path / "monorepo"
    shutil.copytree(REPO / "fixtures" / "monorepo", root)
    with open(root / "pyproject.toml", "a") as handle:
        handle.write("\n[tool.ruff]\nline-length = 79\n")
    subprocess.run([ruff(), "format", "--quiet", "--no-cache", str(root)], check=True)
    before = {path: path.read_text() for path in root.rglob("*.py")}
    result = run_subprocess(["migrate", "v2", "."], root)
    assert result.exit_code in (0, 1), result
    changed = [path for path, text in before.items() if path.read_text() != text]
    assert len(changed) > 15  # the migration did rewrite the services
    assert not ruff_unformatted(changed, 79)
    for path in changed:
        long_before = sum(len(line) > 79 for line in before[path].splitlines())  # a docstring, a comment
        assert sum(len(line) > 79 for line in path.read_text().splitlines()) <= long_before, path


def test_a_name_a_fix_imports_joins_a_parenthesized_import_last_on_a_line_of_its_own():
    source = ("from tenacity import (\n    retry,\n    stop_after_attempt,  # bounded\n)\n\n\n"
              "@retry(stop=stop_after_attempt(3))\ndef fetch():\n    pass\n")
    result = Checker(Config(select=("SVC202",)), FixPolicy(apply=True, unsafe=True)).check("x.py", source.encode())
    assert result.fixed is not None
    assert result.fixed.decode().startswith(
        "from tenacity import (\n    retry,\n    stop_after_attempt,  # bounded\n    wait_random_exponential,\n)\n")
