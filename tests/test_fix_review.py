"""Fixes as a reviewer reads them: each case under tests/fix_review/ is a small service project
(``before/``) and what ``svcmod lint --fix --unsafe-fixes`` must make of it (``after/``); a file
that passed ``ruff format --check`` before still passes, and no line grows past the project's limit."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from difflib import SequenceMatcher
from pathlib import Path
from typing import Dict, Iterable, List

import libcst as cst
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


def ruff_formatted(paths: Iterable[Path], line_length: int) -> Dict[Path, bool]:
    """Whether each of ``paths`` passes ``ruff format --check`` at ``line_length`` (paths named
    with their directories: files of several projects share names)."""
    paths = list(paths)
    done = subprocess.run([ruff(), "format", "--check", "--no-cache", "--isolated", "--line-length",
                           str(line_length), *map(str, paths)], capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    named = set(re.findall(r"^Would reformat: (.+)$", done.stdout, re.MULTILINE))
    named |= set(re.findall(r"^\s*--> (.+?):\d+:\d+$", done.stdout, re.MULTILINE))
    unformatted = {Path(name.strip()).resolve() for name in named}
    assert bool(unformatted) == (done.returncode == 1), done.stdout
    return {path: path.resolve() not in unformatted for path in paths}


def ruff_long_lines(paths: Iterable[Path], line_length: int) -> Dict[Path, Dict[int, int]]:
    """Each of ``paths``' lines that real ruff finds over ``line_length`` (E501): line number → width."""
    paths = list(paths)
    done = subprocess.run([ruff(), "check", "--isolated", "--no-cache", "--select", "E501", "--line-length",
                           str(line_length), "--output-format", "json", *map(str, paths)],
                          capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    found: Dict[Path, Dict[int, int]] = {path: {} for path in paths}
    by_name = {path.resolve(): path for path in paths}
    for diagnostic in json.loads(done.stdout):
        width = int(re.match(r"Line too long \((\d+) > \d+\)", diagnostic["message"]).group(1))
        found[by_name[Path(diagnostic["filename"]).resolve()]][diagnostic["location"]["row"]] = width
    return found


def lines_grown_over(before: str, after: str, long_before: Dict[int, int], long_after: Dict[int, int]) -> List[str]:
    """The lines a change wrote over the limit: every changed line of ``after`` over it must stand
    for a line of the same change that was over it too, and be no wider than the widest of those."""
    grown = []
    old, new = before.splitlines(), after.splitlines()
    for tag, old_start, old_end, new_start, new_end in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        widest = max((long_before.get(number, 0) for number in range(old_start + 1, old_end + 1)), default=0)
        for number in range(new_start + 1, new_end + 1):
            if long_after.get(number, 0) > widest:
                grown.append(f"line {number} ({long_after[number]} columns): {new[number - 1]}")
    return grown


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


@pytest.mark.parametrize("line_length,ruff_formatted_first", [(79, True), (88, True), (88, False)],
                         ids=["ruff-formatted-79", "ruff-formatted-88", "as-written-88"])
def test_every_rule_example_keeps_its_format_and_line_limit_after_its_fix(tmp_path: Path, line_length: int,
                                                                          ruff_formatted_first: bool):
    """Each rule example in a project of its own (its rule selected, its options, ruff's line length),
    as written or first formatted by ruff (as a formatted project has it), fixed by the installed
    ``svcmod lint --fix --unsafe-fixes``: one real ruff found formatted before still is (one it did
    not may be after: a fix can take away what ruff would change), and no line the fix wrote is
    over the limit unless it stands for one that was, and is no wider."""
    examples = list(_examples())
    root = tmp_path / "examples"
    for number, param in enumerate(examples):
        rule, example = param.values
        project = root / f"e{number}"
        project.mkdir(parents=True)
        options = "".join(f"{key} = {json.dumps(value)}\n" for key, value in example.options.items())
        (project / "pyproject.toml").write_text(
            f'[tool.svcmod]\nselect = ["{rule.code}"]\n'
            + (f"\n[tool.svcmod.rules.{rule.code}]\n{options}" if options else "")
            + f"\n[tool.ruff]\nline-length = {line_length}\n")
        (project / "example.py").write_text(example.code)
    paths = [root / f"e{number}" / "example.py" for number in range(len(examples))]
    if ruff_formatted_first:
        subprocess.run([ruff(), "format", "--quiet", "--no-cache", "--isolated", "--line-length", str(line_length),
                        str(root)], check=True)
    before = {path: path.read_text() for path in paths}
    formatted_before = ruff_formatted(paths, line_length)
    long_before = ruff_long_lines(paths, line_length)

    result = run_subprocess(["lint", "--fix", "--unsafe-fixes", "--no-cache", "."], root)
    assert result.exit_code in (0, 1), result

    fixed = [path for path in paths if path.read_text() != before[path]]
    assert len(fixed) > 50
    formatted_after = ruff_formatted(paths, line_length)
    long_after = ruff_long_lines(paths, line_length)
    failures = []
    for number, path in enumerate(paths):
        example_id = examples[number].id
        if formatted_before[path] and not formatted_after[path]:
            failures.append(f"{example_id}: ruff format --check passes before the fix, not after:\n{path.read_text()}")
        failures += [f"{example_id}: {line}" for line in
                     lines_grown_over(before[path], path.read_text(), long_before[path], long_after[path])]
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


CONDITIONALS = [
    "@retry(stop=stop_after_attempt(5), retry=(retry_if_exception_type(RETRYABLE) if isinstance(RETRYABLE, tuple)"
    " else retry_if_exception_type() & retry_if_exception(RETRYABLE)) | retry_if_result(is_busy), reraise=True)",
    "x = f(retry_if_exception_type(is_io_error) if isinstance(is_io_error, tuple) else "
    "retry_if_exception_type(is_io_error_with_a_long_name, other), b)",
    "requests.get(url, timeout=(connect_timeout_seconds if connect_timeout_seconds is not None else 10), "
    "headers=hdrs)",
    "requests.get(url, timeout=connect_timeout_seconds if connect_timeout_seconds is not None else 10, "
    "headers=hdrs)",
    "x = f(k=(aaaa if bbbbbbbbbbbbbbbbbbbbbbbbb and cccccccccccccccc or ddddddddddddddddd else [eeeeeeeeeeeeeeeeee, "
    "ffffff, gggggggggggggggggg]))",
]


@pytest.mark.parametrize("line_length", [40, 60, 79, 88])
def test_a_conditional_expression_in_a_call_is_laid_out_as_ruff_formats_it(line_length: int):
    """The retrying migration writes ``retry=(A if isinstance(X, tuple) else B)`` for a value it
    cannot see into: each statement, laid out at ``line_length``, is what real ruff makes of it
    (where every line fits, and the layout knows the statement: what it does not is left to the
    fix's own fallbacks, as operators of two kinds are)."""
    from svcmod.check.layout import Unsupported, laid_out, statement_of
    laid = 0
    for text in CONDITIONALS:
        decorated = text.startswith("@")
        source = text + ("\ndef f():\n    pass\n" if decorated else "\n")
        node = cst.parse_statement(source)
        try:
            ours = laid_out(statement_of(node.decorators[0] if decorated else node, (3, 9)), line_length)
        except Unsupported:
            ours = None
        done = subprocess.run([ruff(), "format", "--isolated", "--line-length", str(line_length), "-"],
                              input=source, capture_output=True, text=True, check=True)
        expected = done.stdout.split("\ndef f():")[0].rstrip("\n")
        if ours is not None:
            laid += 1
            assert ours == expected, f"at {line_length} columns, ruff:\n{expected}\nsvcmod:\n{ours}"
    assert laid >= len(CONDITIONALS) - 2


def test_a_fix_no_layout_keeps_within_the_limit_is_not_applied_and_not_offered(tmp_path: Path):
    """client.py: the call holds a comment and ends in a long subscript: the timeout on a line of its
    own would still leave that line over 88 columns. headers.py: calls in a ``while`` and an ``elif``
    header, which no layout breaks. Those statements are left as they are and their findings
    reported without ``[*]``, as findings with no fix; the call in the ``if`` body is fixed."""
    project = tmp_path / "project"
    shutil.copytree(CASES / "no_layout_fits" / "before", project)
    before = (project / "client.py").read_text()
    result = run_subprocess(["lint", "--fix", "--unsafe-fixes", "--no-cache", "."], project)
    assert (project / "client.py").read_text() == before
    assert result.exit_code == 1, result
    assert result.stdout.splitlines()[:3] == [
        "client.py:7:9: SVC101 requests call without a timeout can hang forever",
        "headers.py:7:11: SVC101 requests call without a timeout can hang forever",
        "headers.py:11:10: SVC101 requests call without a timeout can hang forever",
    ], result
    assert "[*]" not in result.stdout and "SVC902" not in result.stdout, result
    assert "Fixed 1 finding" in result.stdout + result.stderr, result


class _Renamed(cst.CSTVisitor):
    """Finds the attribute ``spelled`` (``socket.error``), as a deprecation rule's rename would."""

    def __init__(self, spelled: str) -> None:
        self.spelled, self.found = spelled, []

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if cst.Module([]).code_for_node(node) == self.spelled:
            self.found.append(node)


@pytest.mark.parametrize("handler", ["except", "except*"])
def test_a_rename_that_writes_an_except_header_over_the_limit_is_not_applied(handler: str):
    """``except (socket.error, …):`` renamed to ``requests.exceptions.ConnectionError``: no layout
    prints an ``except`` header, so a rename that takes it past 79 columns is refused (no built-in
    rule renames there today; the refusal is the checker's, for any rule's fix), while a fix in the
    handler's body still lands."""
    from svcmod.check.fixing import apply_fixes
    from svcmod.rule import SAFE, Fix

    source = ("import socket\n\nimport requests\n\n\ndef fetch(session, url):\n    try:\n        return session.get(url)\n"
              f"    {handler} (socket.error, requests.exceptions.ReadTimeout, TimeoutError):\n"
              "        return socket.error\n")
    module = cst.parse_module(source)
    finder = _Renamed("socket.error")
    module.visit(finder)
    in_header, in_body = finder.found
    new = cst.parse_expression("requests.exceptions.ConnectionError")
    header_fix = Fix({in_header: new}, SAFE, "rename")
    body_fix = Fix({in_body: new}, SAFE, "rename")
    changes: dict = {}
    fixed, applied = apply_fixes(module, [header_fix, body_fix], 79, (3, 11), source, changes)
    assert applied == [body_fix] and changes["refused"] == [header_fix]
    assert fixed.code == source.replace("        return socket.error", "        return requests.exceptions.ConnectionError")
    # within the limit, the same rename is applied
    fixed, applied = apply_fixes(module, [header_fix, body_fix], 100, (3, 11), source, {})
    assert applied == [header_fix, body_fix] and "socket" not in fixed.code.split("\n", 1)[1]
