"""A commit hook's run (a few small files) starts no worker process, and is still safe from files that crash LibCST."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import write

# runs svcmod in this interpreter and says how many worker processes it started
PROBE = ("import sys, runpy\n"
         "import multiprocessing.process as process\n"
         "started = []\n"
         "original = process.BaseProcess.start\n"
         "def start(self):\n    started.append(self)\n    return original(self)\n"
         "process.BaseProcess.start = start\n"
         "sys.argv = ['svcmod'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('svcmod', run_name='__main__')\n"
         "except SystemExit as exit:\n    code = exit.code\n"
         "print('EXIT', code, 'WORKERS', len(started), file=sys.stderr)\n")

CALL = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


def svcmod(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *args], cwd=root, capture_output=True, text=True, timeout=300)


def test_a_few_small_files_are_checked_without_a_worker(tmp_path):
    write(tmp_path, {"a.py": CALL, "b.py": "import subprocess\n\nsubprocess.run(['ls'])\n"})
    result = svcmod(tmp_path, "lint", "--no-cache", "--fix", "--unsafe-fixes", "a.py", "b.py")
    assert "EXIT 1 WORKERS 0" in result.stderr, result.stderr  # b.py: SVC106, not fixed without a subprocess-timeout
    assert "timeout=10" in (tmp_path / "a.py").read_text() and "b.py:3:1: SVC106" in result.stdout


def test_a_deep_file_still_goes_to_a_worker_and_cannot_crash_the_run(tmp_path):
    # LibCST's native parser overflows its stack on this valid file (SIGSEGV)
    crash = CALL + "if x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, 9000))
    write(tmp_path, {"crash.py": crash})
    result = svcmod(tmp_path, "lint", "--no-cache", "crash.py")
    assert "EXIT 1 WORKERS" in result.stderr and "WORKERS 0" not in result.stderr, result.stderr
    assert "crash.py:1:1: SVC901" in result.stdout and "crashed" in result.stdout, result.stdout


def test_many_files_go_to_workers(tmp_path):
    write(tmp_path, {f"m{i}.py": CALL for i in range(9)})
    result = svcmod(tmp_path, "lint", "--no-cache", "-j", "1", ".")
    assert "EXIT 1 WORKERS 1" in result.stderr, result.stderr
    assert result.stdout.count("SVC101") == 9
