"""`svcmod baseline` and `lint --baseline`: only new findings fail; `--changed-since` with real git."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import write

APP = """
import requests


def users(base):
    return requests.get(base + "/users")


def orders(base):
    return requests.get(base + "/orders")
"""


def findings(result) -> list:
    # ruff's JSON names files absolutely; compared here as the command line named them
    return [(Path(f["filename"]).name, f["location"]["row"], f["code"]) for f in json.loads(result.stdout)]


def make_baseline(svcmod, root: Path, *paths: str) -> dict:
    result = svcmod("baseline", *(paths or (".",)), "-o", ".svcmod-baseline.json", cwd=root)
    assert result.exit_code == 0, result
    return json.loads((root / ".svcmod-baseline.json").read_text())


def test_baseline_records_findings_and_lint_passes(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP})
    data = make_baseline(svcmod, tmp_path)
    assert [(e["file"], e["line"], e["code"]) for e in data["findings"]] == [("app.py", 5, "SVC101"),
                                                                            ("app.py", 9, "SVC101")]
    assert svcmod("lint", ".", cwd=tmp_path).exit_code == 1
    result = svcmod("lint", "--baseline", ".svcmod-baseline.json", ".", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert result.stdout == ""


def test_line_inserted_above_still_passes_and_new_finding_fails_alone(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP})
    make_baseline(svcmod, tmp_path)
    app = tmp_path / "app.py"
    # code added above the old findings, a comment added to one of them, an edit elsewhere
    app.write_text(app.read_text().replace("import requests\n", "import logging\nimport requests\n\nLOG = "
                                           "logging.getLogger(__name__)\n")
                   .replace('"/orders")', '"/orders")  # TODO: timeout once orders is fast')
                   .replace("def orders(base):", "def orders(base, version=2):"))
    result = svcmod("lint", "--baseline", ".svcmod-baseline.json", ".", cwd=tmp_path)
    assert result.exit_code == 0, result

    app.write_text(app.read_text() + '\n\ndef refunds(base):\n    return requests.post(base + "/refunds")\n')
    result = svcmod("lint", "--baseline", ".svcmod-baseline.json", "--format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert findings(result) == [("app.py", 16, "SVC101")]


def test_identical_lines_are_counted(svcmod, tmp_path):
    """A third copy of a baselined line is new, even though its text is the same."""
    write(tmp_path, {"app.py": "import requests\n\nrequests.get(URL)\nrequests.get(URL)\n"})
    make_baseline(svcmod, tmp_path)
    (tmp_path / "app.py").write_text("import requests\n\nrequests.get(URL)\nrequests.get(URL)\nrequests.get(URL)\n")
    result = svcmod("lint", "--baseline", ".svcmod-baseline.json", "--format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert len(findings(result)) == 1


def test_editing_the_flagged_line_makes_it_new(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP})
    make_baseline(svcmod, tmp_path)
    app = tmp_path / "app.py"
    app.write_text(app.read_text().replace('"/orders"', '"/v2/orders"'))
    result = svcmod("lint", "--baseline", ".svcmod-baseline.json", "--format", "json", ".", cwd=tmp_path)
    assert findings(result) == [("app.py", 9, "SVC101")]


def test_stale_entries_are_reported_with_statistics(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP})
    make_baseline(svcmod, tmp_path)
    app = tmp_path / "app.py"
    app.write_text(app.read_text().replace('"/users")', '"/users", timeout=5)'))
    result = svcmod("lint", "--baseline", ".svcmod-baseline.json", "--statistics", ".", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert "1 baseline entry no longer found" in result.stderr
    assert 'stale: app.py:5: SVC101 return requests.get(base + "/users")' in result.stderr


def test_entries_of_files_not_checked_are_not_stale(svcmod, tmp_path):
    write(tmp_path, {"a/app.py": APP, "b/app.py": APP})
    make_baseline(svcmod, tmp_path)
    result = svcmod("lint", "--baseline", ".svcmod-baseline.json", "--statistics", "a", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert "stale" not in result.stderr and "no longer found" not in result.stderr


def test_baseline_works_from_another_directory(svcmod, tmp_path):
    """Paths in the baseline are relative to its own folder, not to where lint runs."""
    write(tmp_path, {"svc/app.py": APP})
    make_baseline(svcmod, tmp_path)
    result = svcmod("lint", "--baseline", "../.svcmod-baseline.json", ".", cwd=tmp_path / "svc")
    assert result.exit_code == 0, result


def test_unreadable_baseline_is_a_usage_error(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP, "bad.json": "{not json"})
    result = svcmod("lint", "--baseline", "bad.json", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "bad.json" in result.stderr and "not a baseline file" in result.stderr
    result = svcmod("lint", "--baseline", "missing.json", ".", cwd=tmp_path)
    assert result.exit_code == 2 and "missing.json" in result.stderr


# -- --changed-since ----------------------------------------------------------------------------
def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "HOME": str(root),
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
                               "PATH": "/usr/bin:/bin:/usr/local/bin"}).stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    write(tmp_path, {"old.py": APP, "touched.py": APP, "excluded/gen.py": APP,
                     "pyproject.toml": '[tool.svcmod]\nextend-exclude = ["excluded/"]\n',
                     ".gitignore": "ignored.py\n"})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "start")
    return tmp_path


def test_changed_since_checks_changed_and_untracked_files_only(svcmod, repo):
    (repo / "touched.py").write_text(APP + "\n# edited\n")
    (repo / "excluded/gen.py").write_text(APP + "\n# edited\n")
    write(repo, {"new.py": APP, "ignored.py": APP})
    result = svcmod("lint", "--changed-since", "HEAD", "--format", "json", ".", cwd=repo)
    assert result.exit_code == 1, result
    assert sorted({name for name, _, _ in findings(result)}) == ["new.py", "touched.py"]


def test_changed_since_a_branch_point(svcmod, repo):
    """On a feature branch, `--changed-since main` means the branch's own changes."""
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "touched.py").write_text(APP + "\n# feature work\n")
    git(repo, "commit", "-q", "-am", "feature work")
    result = svcmod("lint", "--changed-since", "main", "--format", "json", ".", cwd=repo)
    assert sorted({name for name, _, _ in findings(result)}) == ["touched.py"]
    clean = svcmod("lint", "--changed-since", "HEAD", ".", cwd=repo)
    assert clean.exit_code == 0, clean


def test_changed_since_with_baseline(svcmod, repo):
    make_baseline(svcmod, repo)
    (repo / "touched.py").write_text(APP + '\n\ndef new(base):\n    return requests.get(base)\n')
    result = svcmod("lint", "--changed-since", "HEAD", "--baseline", ".svcmod-baseline.json",
                    "--format", "json", ".", cwd=repo)
    assert findings(result) == [("touched.py", 14, "SVC101")]


def test_changed_since_unknown_ref_or_no_repository(svcmod, repo, tmp_path_factory):
    result = svcmod("lint", "--changed-since", "no-such-branch", ".", cwd=repo)
    assert result.exit_code == 2
    assert "'no-such-branch' is not a commit, branch or tag" in result.stderr
    elsewhere = tmp_path_factory.mktemp("not-a-repo")
    write(elsewhere, {"app.py": APP})
    result = svcmod("lint", "--changed-since", "HEAD", ".", cwd=elsewhere)
    assert result.exit_code == 2 and "is not inside a git repository" in result.stderr
