"""The pre-commit hooks with real pre-commit: it installs svcmod from this repository and runs it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from conftest import REPO, write

pytestmark = pytest.mark.slow

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """This repository's files as they are now, committed in a repository of their own.

    ``pre-commit try-repo`` installs a repository's committed state (plus changes to tracked files,
    not new files); a copy with everything committed makes the test see exactly this checkout.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, check=True, capture_output=True).stdout.decode().split("\0")
    target = tmp_path_factory.mktemp("svcmod-checkout")
    for name in listed:
        source = REPO / name
        if name and source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "checkout")
    return target


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """One cache for the module: pre-commit installs svcmod's environment once and reuses it."""
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(checkout: Path, home: Path, project: Path, hook: str, *files: str) -> subprocess.CompletedProcess:
    """The hook on ``files`` (default: every file; pre-commit's own default is the staged ones)."""
    env: Dict[str, str] = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    which = ["--files", *files] if files else ["--all-files"]
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(checkout), hook, *which],
                          cwd=project, capture_output=True, text=True, env=env, timeout=900)


def project_with(tmp_path: Path, files: Dict[str, str]) -> Path:
    project = tmp_path / "project"
    write(project, files)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "start")
    return project


def test_lint_hook_fails_naming_the_code(checkout, pre_commit_home, tmp_path):
    project = project_with(tmp_path, {
        "service/app.py": "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n",
        "service/ok.py": "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=5)\n",
    })
    result = try_repo(checkout, pre_commit_home, project, "svcmod-lint")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "svcmod lint" in output and "Failed" in output
    assert "service/app.py:5:12: SVC101" in output
    assert "service/ok.py" not in output

    (project / "service/app.py").write_text("import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=3)\n")
    git(project, "commit", "-q", "-am", "deadline")
    result = try_repo(checkout, pre_commit_home, project, "svcmod-lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_fix_hook_applies_safe_fixes_and_fails_because_it_changed_files(checkout, pre_commit_home, tmp_path):
    project = project_with(tmp_path, {
        "worker.py": "import logging\n\nlog = logging.getLogger(__name__)\n\n\ndef work():\n    log.warn(\"slow\")\n",
    })
    result = try_repo(checkout, pre_commit_home, project, "svcmod-fix")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "files were modified by this hook" in output
    assert 'log.warning("slow")' in (project / "worker.py").read_text()

    git(project, "commit", "-q", "-am", "fixed")
    result = try_repo(checkout, pre_commit_home, project, "svcmod-fix")
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_hook_on_one_staged_file_sees_the_session_another_module_made(checkout, pre_commit_home, tmp_path):
    """Issue 17: pre-commit passes only the staged files; a session made in a module that is not
    staged is still known, and only the staged file is reported."""
    project = project_with(tmp_path, {
        "app/__init__.py": "",
        "app/http.py": "import requests\n\nsession = requests.Session()\n",
        "app/views.py": "from app.http import session\n\n\ndef fetch(url):\n    return session.get(url, timeout=5)\n",
    })
    views = project / "app/views.py"
    views.write_text(views.read_text() + "\n\ndef status(url):\n    return session.get(url)\n")
    git(project, "add", "app/views.py")
    result = try_repo(checkout, pre_commit_home, project, "svcmod-lint", "app/views.py")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "app/views.py:9:12: SVC101" in output
    assert output.count("SVC101") == 1 and "app/http.py" not in output
