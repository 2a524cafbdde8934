"""Hostile and unlucky inputs (issue 22): never lose a file, never hang, never crash, never trust a planted file."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import run_subprocess, write

CALL = "import requests\nrequests.get(url)\n"


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
