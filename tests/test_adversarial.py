"""Hostile and unlucky inputs (issue 22): never lose a file, never hang, never crash, never trust a planted file."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import List

import pytest
from conftest import run_subprocess, svcmod_executable, write

CALL = "import requests\nrequests.get(url)\n"
FIXED = "import requests\nrequests.get(url, timeout=10)\n"


# -- configuration values that would be written into code, or crash the run -------------------
@pytest.mark.parametrize("setting, key", [
    ("default-timeout = inf", "default-timeout"),
    ("default-timeout = nan", "default-timeout"),
    ("max-file-size = 9223372036854775807", "max-file-size"),
    ("max-file-size = 0", "max-file-size"),
    ("check-time-limit = 0", "check-time-limit"),
    ("check-time-limit = inf", "check-time-limit"),
    ("check-memory-limit = -1", "check-memory-limit"),
    ('extend = "a\\u0000b"', "extend"),
    ('cache-dir = "c\\u0000"', "cache-dir"),
    ('extend-exclude = ["x\\u0000"]', "extend-exclude"),
    ("[tool.svcmod.rules.SVC101]\ntimeout = -5", "timeout"),
    ("[tool.svcmod.rules.SVC101]\ntimeout = 0", "timeout"),
    ("[tool.svcmod.rules.SVC101]\ntimeout = nan", "timeout"),
    ("[tool.svcmod.rules.SVC106]\ntimeout = inf", "timeout"),
])
def test_bad_config_value_is_an_error_naming_file_and_key(tmp_path, setting, key):
    write(tmp_path, {"pyproject.toml": f"[tool.svcmod]\n{setting}\n", "app.py": CALL})
    result = run_subprocess(["lint", "--fix", "--unsafe-fixes", "--no-cache", "."], tmp_path)
    assert result.exit_code == 2, result
    assert result.stderr.startswith("svcmod: error: ") and "pyproject.toml" in result.stderr, result
    assert key in result.stderr and "Traceback" not in result.stderr, result
    assert (tmp_path / "app.py").read_text() == CALL  # nothing written


def test_deep_extend_chain_is_an_error_not_a_recursion_error(svcmod, tmp_path):
    depth = 2000
    files = {f"c{i}.toml": f'extend = "c{i + 1}.toml"\n' for i in range(depth)}
    files[f"c{depth}.toml"] = "default-timeout = 3\n"
    files["svcmod.toml"] = 'extend = "c0.toml"\n'
    files["app.py"] = CALL
    write(tmp_path, files)
    result = svcmod("lint", "--no-cache", ".", cwd=tmp_path)
    assert result.exit_code == 2, result
    assert "extend" in result.stderr and "Traceback" not in result.stderr, result
    assert len(result.stderr.strip().splitlines()) == 1, result


def test_moderate_extend_chain_still_works(svcmod, tmp_path):
    files = {f"c{i}.toml": f'extend = "c{i + 1}.toml"\n' for i in range(5)}
    files["c5.toml"] = "default-timeout = 3\n"
    files["svcmod.toml"] = 'extend = "c0.toml"\n'
    files["app.py"] = CALL
    write(tmp_path, files)
    result = svcmod("lint", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert "timeout=3" in (tmp_path / "app.py").read_text()


# -- git: run in the checked path's repository, never running what its config names ------------
def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "HOME": str(root),
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
                               "PATH": os.environ["PATH"]}).stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root, {"old.py": CALL, "touched.py": CALL, ".gitattributes": "*.py filter=planted\n"})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "start")
    return root


def test_changed_since_runs_no_command_the_repository_config_names(svcmod, repo, tmp_path):
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\necho \"$0\" >> '{marker}'\ncat\n")
    hook.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(hook))
    git(repo, "config", "filter.planted.clean", str(hook))
    git(repo, "config", "core.pager", str(hook))
    (repo / "touched.py").write_text(CALL + "# edited\n")
    result = svcmod("lint", "--changed-since", "HEAD", "--no-cache", ".", cwd=repo)
    assert result.exit_code == 1, result
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["touched.py"], result
    assert not marker.exists(), marker.read_text()


def test_changed_since_uses_the_repository_of_the_checked_path(svcmod, repo, tmp_path):
    (repo / "touched.py").write_text(CALL + "# edited\n")
    outside = tmp_path / "elsewhere"  # the working directory is in no repository
    outside.mkdir()
    result = svcmod("lint", "--changed-since", "HEAD", "--no-cache", str(repo), cwd=outside)
    assert result.exit_code == 1, result
    assert [Path(line.split(":")[0]).name for line in result.stdout.splitlines()] == ["touched.py"], result


# -- native crashes, time and memory: the file is SVC901, the run goes on ---------------------
def crashing_file() -> str:
    """Valid Python on which LibCST's native parser overflows its stack (SIGSEGV)."""
    return CALL + "if x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, 9000))


def slow_file(terms: int = 10_000) -> str:
    """Valid Python that keeps LibCST's parser busy for minutes."""
    return CALL + "x = (1\n" + "".join(f"    + {i}\n" for i in range(terms)) + ")\n"


def big_file(lines: int = 40_000) -> str:
    """About 1 MB that LibCST needs over a gigabyte of memory to parse."""
    return CALL + "".join(f"x{i} = [{i}, {i}, {i}]\n" for i in range(lines))


def reported(result, code: str = "SVC901") -> dict:
    return {line.split(":")[0]: line for line in result.stdout.splitlines() if f" {code} " in line}


@pytest.mark.parametrize("fix", [False, True])
def test_a_native_crash_is_svc901_and_the_run_goes_on(svcmod, tmp_path, fix):
    write(tmp_path, {"crash.py": crashing_file(), "app.py": CALL})
    args = ["lint", "--no-cache"] + (["--fix", "--unsafe-fixes"] if fix else []) + ["app.py", "crash.py"]
    result = svcmod(*args, cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "crashed" in reported(result)["crash.py"], result
    if fix:
        assert "timeout=10" in (tmp_path / "app.py").read_text()
        assert "Fixed 1 finding" in result.stderr, result
    else:
        assert "app.py:2:1: SVC101" in result.stdout, result


@pytest.mark.parametrize("crash", [False, True])
def test_stderr_stays_empty_when_the_caller_turned_faulthandler_on(tmp_path, crash):
    """pytest, like any program embedding svcmod, turns faulthandler on; workers inherit it, and a
    crashed worker printed its stack on stderr. The crash is SVC901; stderr has nothing."""
    import sys
    names = ["app.py"] + (["crash.py"] if crash else [])
    write(tmp_path, {"app.py": CALL, "crash.py": crashing_file()})
    program = ("import faulthandler, sys\nfaulthandler.enable()\nfrom svcmod.cli.main import main\n"
               "sys.argv = ['svcmod'] + sys.argv[1:]\nmain()\n")
    result = subprocess.run([sys.executable, "-c", program, "lint", "--no-cache", "-q", *names], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "app.py:2:1: SVC101" in result.stdout, result
    assert ("crash.py:1:1: SVC901" in result.stdout) == crash, result
    assert result.stderr == "", result.stderr


def test_a_crash_in_migrate_still_writes_the_report(svcmod, tmp_path):
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'svc'\n", "crash.py": crashing_file(), "app.py": CALL})
    result = svcmod("migrate", "v2", ".", "--report-json", "report.json", cwd=tmp_path)
    assert result.exit_code == 1, result  # a migrate run with errors is not a success
    report = (tmp_path / "report.json").read_text()
    assert "crash.py" in report and "app.py" in report
    assert "timeout=10" in (tmp_path / "app.py").read_text()


def test_a_file_over_the_time_limit_is_svc901_and_the_run_goes_on(svcmod, tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\ncheck-time-limit = 3\n", "slow.py": slow_file(),
                     "app.py": CALL})
    result = svcmod("lint", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "took more than 3 s" in reported(result)["slow.py"], result
    assert "timeout=10" in (tmp_path / "app.py").read_text(), result


def test_a_file_over_the_memory_limit_is_svc901_and_the_run_goes_on(svcmod, tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\ncheck-memory-limit = 100\n", "big.py": big_file(),
                     "app.py": CALL})
    result = svcmod("lint", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "100 MiB" in reported(result)["big.py"], result
    assert "timeout=10" in (tmp_path / "app.py").read_text()
    assert (tmp_path / "big.py").read_text() == big_file()


# -- signals: stop the workers, write nothing more, list what was written ----------------------
def children(pid: int) -> List[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to see the worker processes")
@pytest.mark.parametrize("signum, code, twice", [(signal.SIGINT, 130, False), (signal.SIGTERM, 143, False),
                                                 (signal.SIGINT, 130, True)])
def test_a_signal_stops_the_run_and_lists_the_files_written(tmp_path, signum, code, twice):
    files = {f"app{i:02}.py": CALL for i in range(30)}
    files["a_slow.py"] = slow_file()  # keeps one worker busy until the signal
    write(tmp_path, files)
    process = subprocess.Popen([svcmod_executable(), "lint", "--no-cache", "--fix", "--unsafe-fixes", "-j", "2",
                                "."], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: children(process.pid)), "no worker process started"
        workers = children(process.pid)
        wait_for(lambda: any("timeout" in (tmp_path / n).read_text() for n in files if n != "a_slow.py"))
        process.send_signal(signum)
        if twice:
            time.sleep(0.05)  # two separate signals, not one the kernel merges (no-op if it has ended)
            process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    text = stderr.decode()
    # the second signal may come as the process ends (Python's last moments have no handler): the
    # shell sees the same 130 either way
    assert process.returncode in ((code, -signum) if twice else (code,)), text
    assert "Traceback" not in text and "Aborted" not in text, text
    assert wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 10), "orphaned workers"
    changed = sorted(n for n in files if n != "a_slow.py" and (tmp_path / n).read_text() != CALL)
    assert all((tmp_path / n).read_text() == FIXED for n in changed), "a half-written file"
    assert not list(tmp_path.glob(".*.svcmod-tmp")), "a temporary file left behind"
    if twice:
        return  # ended at once: nothing more is promised than no orphan and no traceback
    listed = sorted(line.strip() for line in text.splitlines() if line.startswith("  "))
    assert listed == changed, text  # the workers are gone: nothing can be written after this


@pytest.mark.skipif(not Path("/proc/self/task").exists() or os.name != "posix", reason="needs /proc and sh")
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_before_the_run_is_one_line_and_the_signal_s_exit_code(tmp_path, signum, code):
    """--changed-since asks git before any file is checked: a stand-in git that waits keeps svcmod there."""
    tools = tmp_path / "tools"
    started = tmp_path / "git-started"
    write(tools, {"git": f"#!/bin/sh\necho $$ > '{started}'\nexec sleep 120\n"})
    (tools / "git").chmod(0o755)
    project = write(tmp_path / "project", {"app.py": CALL})
    process = subprocess.Popen([svcmod_executable(), "lint", "--no-cache", "--fix", "--unsafe-fixes",
                                "--changed-since", "HEAD", "."], cwd=project, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"})
    try:
        assert wait_for(lambda: started.exists() and started.read_text().strip()), "svcmod never ran git"
        git = int(started.read_text())
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == code, stderr
    [line] = stderr.decode().splitlines()  # svcmod's own line, not click's "Aborted!" or nothing at all
    assert line.startswith(f"svcmod: interrupted ({signal.Signals(signum).name})"), stderr
    assert stdout == b"" and (project / "app.py").read_text() == CALL
    assert wait_for(lambda: not Path(f"/proc/{git}").exists() or "zombie" in Path(f"/proc/{git}/status").read_text(),
                    10), "git left running"


# -- a planted cache: authenticated and schema-checked, a bad entry is a miss ------------------
def test_an_edited_or_malformed_cache_entry_is_ignored(tmp_path):
    import json
    write(tmp_path, {"app.py": CALL})
    env = {"XDG_CACHE_HOME": str(tmp_path / "user-cache")}

    def lint():
        return subprocess.run([svcmod_executable(), "lint", "app.py"], cwd=tmp_path, capture_output=True,
                              text=True, env={**os.environ, **env})
    assert "SVC101" in lint().stdout
    [bucket] = (tmp_path / ".svcmod_cache").glob("svcmod-*.json")
    data = json.loads(bucket.read_text())
    for entry in data["files"].values():
        entry[7] = []  # the findings, emptied by whoever committed the cache
    bucket.write_text(json.dumps(data))
    planted = lint()
    assert planted.returncode == 1 and "SVC101" in planted.stdout, planted
    bucket.write_text("[" * 200_000)
    malformed = lint()
    assert malformed.returncode == 1 and "SVC101" in malformed.stdout and "Traceback" not in malformed.stderr


# -- writes keep the file: read-only and hard-linked files are reported, not replaced ----------
def test_a_read_only_file_is_not_rewritten(svcmod, tmp_path):
    write(tmp_path, {"app.py": CALL})
    (tmp_path / "app.py").chmod(0o444)
    try:
        result = svcmod("lint", "--no-cache", "--fix", "--unsafe-fixes", "app.py", cwd=tmp_path)
        assert "SVC902" in result.stdout and "read-only" in result.stdout, result
        assert "SVC101" in result.stdout, result
        assert (tmp_path / "app.py").read_text() == CALL
    finally:
        (tmp_path / "app.py").chmod(0o644)


def test_a_hard_linked_file_is_not_split(svcmod, tmp_path):
    write(tmp_path, {"app.py": CALL})
    os.link(tmp_path / "app.py", tmp_path / "other_name")
    result = svcmod("lint", "--no-cache", "--fix", "--unsafe-fixes", "app.py", cwd=tmp_path)
    assert "SVC902" in result.stdout and "hard links" in result.stdout, result
    assert (tmp_path / "app.py").read_text() == CALL == (tmp_path / "other_name").read_text()


@pytest.mark.parametrize("mode", [0o644, 0o444])
def test_force_write_writes_a_hard_linked_file_in_place(svcmod, tmp_path, mode):
    write(tmp_path, {"app.py": CALL})
    os.link(tmp_path / "app.py", tmp_path / "other_name")
    inode = (tmp_path / "app.py").stat().st_ino
    (tmp_path / "app.py").chmod(mode)
    try:
        result = svcmod("lint", "--no-cache", "--fix", "--unsafe-fixes", "--force-write", "app.py", cwd=tmp_path)
        assert result.exit_code == 0 and "SVC902" not in result.stdout, result
        fixed = (tmp_path / "app.py").read_text()
        assert "timeout=10" in fixed and (tmp_path / "other_name").read_text() == fixed  # one file, two names
        assert (tmp_path / "app.py").stat().st_ino == inode and (tmp_path / "app.py").stat().st_nlink == 2
        assert (tmp_path / "app.py").stat().st_mode & 0o777 == mode
    finally:
        (tmp_path / "app.py").chmod(0o644)


def test_force_write_writes_a_read_only_file_and_keeps_it_read_only(svcmod, tmp_path):
    write(tmp_path, {"app.py": CALL})
    (tmp_path / "app.py").chmod(0o444)
    try:
        result = svcmod("lint", "--no-cache", "--fix", "--unsafe-fixes", "--force-write", "app.py", cwd=tmp_path)
        assert result.exit_code == 0 and "SVC902" not in result.stdout, result
        assert "timeout=10" in (tmp_path / "app.py").read_text()
        assert (tmp_path / "app.py").stat().st_mode & 0o777 == 0o444
    finally:
        (tmp_path / "app.py").chmod(0o644)


RETRYING_APP = """\
import retrying


@retrying.retry(stop_max_attempt_number=3, wait_fixed=1000)
def fetch():
    return 1
"""


@pytest.mark.parametrize("force", [False, True])
def test_migrate_writes_read_only_files_only_with_force_write(svcmod, tmp_path, force):
    write(tmp_path, {"app.py": RETRYING_APP, "requirements.txt": "retrying==1.3.4\n"})
    for name in ("app.py", "requirements.txt"):
        (tmp_path / name).chmod(0o444)
    try:
        result = svcmod("migrate", "v2", ".", *(["--force-write"] if force else []), cwd=tmp_path)
        app, manifest = (tmp_path / "app.py").read_text(), (tmp_path / "requirements.txt").read_text()
        if force:
            assert result.exit_code == 0, result
            assert "tenacity" in app and "tenacity" in manifest and "retrying" not in manifest
        else:
            assert result.exit_code == 1 and "read-only" in result.stdout + result.stderr, result
            assert app == RETRYING_APP and manifest == "retrying==1.3.4\n"
        for name in ("app.py", "requirements.txt"):
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o444
    finally:
        for name in ("app.py", "requirements.txt"):
            (tmp_path / name).chmod(0o644)


def test_migrate_force_write_with_check_is_a_usage_error(svcmod, tmp_path):
    write(tmp_path, {"app.py": RETRYING_APP})
    result = svcmod("migrate", "v2", ".", "--check", "--force-write", cwd=tmp_path)
    assert result.exit_code == 2 and "--force-write" in result.stderr and "Traceback" not in result.stderr, result
