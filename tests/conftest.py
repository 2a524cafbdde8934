"""Shared fixtures: run svcmod as users do (installed command in a subprocess, or click's runner)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Optional, Sequence

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent


def svcmod_executable() -> str:
    """The ``svcmod`` console script installed beside this interpreter."""
    candidate = Path(sys.executable).parent / "svcmod"
    found = str(candidate) if candidate.exists() else shutil.which("svcmod")
    assert found, "the svcmod command is not installed (pip install -e '.[test]')"
    return found


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.exit_code = code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"<exit {self.exit_code}>\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def run_subprocess(args: Sequence[str], cwd: Path, stdin: Optional[bytes] = None,
                   env: Optional[Dict[str, str]] = None) -> Result:
    completed = subprocess.run([svcmod_executable(), *args], cwd=cwd, input=stdin, capture_output=True,
                               env={**os.environ, **(env or {})}, timeout=300)
    return Result(completed.returncode, completed.stdout.decode("utf-8", "replace"),
                  completed.stderr.decode("utf-8", "replace"))


def run_in_process(args: Sequence[str], cwd: Path, stdin: Optional[bytes] = None) -> Result:
    from svcmod.cli.main import main
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        outcome = runner.invoke(main, list(args), input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)
    stderr = outcome.stderr if outcome.stderr_bytes is not None else ""
    return Result(outcome.exit_code, outcome.stdout, stderr)


@pytest.fixture(params=["subprocess", "in-process"])
def svcmod(request):
    """Call ``svcmod(args, cwd=..., stdin=...)``; each test runs both ways."""
    runner = run_subprocess if request.param == "subprocess" else run_in_process

    def call(*args: str, cwd: Path, stdin: Optional[bytes] = None) -> Result:
        return runner(args, cwd, stdin)

    return call


def write(root: Path, files: Dict[str, object]) -> Path:
    """Create ``files`` (path -> text or bytes) below ``root``; text is dedented."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(str(content)).lstrip("\n"), encoding="utf-8")
    return root


def pytest_addoption(parser):
    parser.addoption("--fuzz-examples", type=int, default=None, metavar="N",
                     help="hypothesmith examples per fuzz test in tests/test_fuzz.py (long profile); "
                          "also SVCMOD_FUZZ_EXAMPLES. Default: the fast profile.")
