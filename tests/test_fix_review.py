"""Fixes as a reviewer reads them: each case under tests/fix_review/ is a small service project
(``before/``) and what ``svcmod lint --fix --unsafe-fixes`` must make of it (``after/``); a file
that passed ``ruff format --check`` before still passes, and no line grows past the project's limit."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config, ConfigFinder
from svcmod.registry.rules import builtin_rules
from svcmod.rule import Invalid

CASES = Path(__file__).parent / "fix_review"
RUFF = Path(sys.executable).parent / "ruff"


def ruff_clean(path: Path, line_length: int) -> bool:
    """``ruff format --check`` on one file, at ``line_length``, as the project would run it."""
    found = str(RUFF) if RUFF.exists() else shutil.which("ruff")
    assert found, "ruff is in the test extra"
    done = subprocess.run([found, "format", "--check", "--quiet", "--no-cache", "--isolated",
                           "--line-length", str(line_length), str(path)], capture_output=True)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


def python_files(root: Path):
    return sorted(p.relative_to(root) for p in root.rglob("*.py"))


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_fixes_read_as_a_reviewer_wants(case: str, tmp_path: Path, svcmod):
    before, after = CASES / case / "before", CASES / case / "after"
    project = tmp_path / case
    shutil.copytree(before, project)
    result = svcmod("lint", "--fix", "--unsafe-fixes", "--no-cache", ".", cwd=project)
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
    found = str(RUFF) if RUFF.exists() else shutil.which("ruff")
    failures = []
    examples = list(_examples())
    sources = tmp_path / "examples"
    sources.mkdir()
    for number, param in enumerate(examples):
        (sources / f"e{number}.py").write_text(param.values[1].code)
    subprocess.run([found, "format", "--quiet", "--no-cache", "--isolated", "--line-length", str(line_length),
                    str(sources)], check=True)
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
        if not ruff_clean(path, line_length):
            failures.append(f"{param.id}:\n{result.fixed.decode()}")
        elif any(len(line) > line_length for line in result.fixed.decode().splitlines()) \
                and not any(len(line) > line_length for line in source.decode().splitlines()):
            failures.append(f"{param.id}: a line over {line_length}")
    assert not failures, "\n\n".join(failures)
