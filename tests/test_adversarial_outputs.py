"""Issue 22, items 8, 9 and 11: hostile JSON inputs, odd file names in every output, unreadable named files."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import run_subprocess, svcmod_executable, write

APP = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
POSIX_BYTES = sys.platform != "darwin"  # macOS refuses file names that are not UTF-8


# -- 8: baseline and merge inputs --------------------------------------------------------------------
def shard_with(findings) -> str:
    return json.dumps({"svcmod_shard": {"k": 1, "n": 1, "files": 1, "all_files": 1}, "findings": findings})


HOSTILE = {
    "deep": "[" * 100000 + "]" * 100000,
    "deep-object": '{"a":' * 5000 + "1" + "}" * 5000,
    "huge-line": '{"version": 1, "findings": [{"fingerprint": "x", "line": 1e999}]}',
    "nan": '{"version": 1, "findings": [{"fingerprint": "x", "line": NaN}]}',
    "long-int": '{"version": 1, "findings": [{"fingerprint": "x", "line": ' + "9" * 5000 + "}]}",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_baseline_is_one_error_naming_it(svcmod, tmp_path, case):
    write(tmp_path, {"app.py": APP, "base.json": HOSTILE[case]})
    result = svcmod("lint", "--baseline", "base.json", ".", cwd=tmp_path)
    assert result.exit_code == 2, result
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("svcmod: error: base.json: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize("case", ["deep", "huge-line"])
def test_a_hostile_shard_is_one_error_naming_it(svcmod, tmp_path, case):
    text = HOSTILE[case] if case == "deep" else shard_with([{
        "code": "SVC101", "filename": "a.py", "location": {"row": 1e999, "column": 1}}])
    write(tmp_path, {"shard.json": text})
    result = svcmod("report", "merge", "--format", "sarif", "shard.json", cwd=tmp_path)
    assert result.exit_code == 2, result
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("svcmod: error: shard.json: ") and "Traceback" not in result.stderr


# -- 9: names ----------------------------------------------------------------------------------------
@pytest.mark.skipif(not POSIX_BYTES, reason="the file system refuses names that are not UTF-8")
def test_a_patch_names_a_non_utf8_file_as_git_does(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    name = os.fsdecode(b"caf\xe9.py")
    write(repo, {"pyproject.toml": "[project]\nname = 'x'\n"})
    (repo / name).write_text("import logging\nlogging.warn('x')\n")
    subprocess.run(["git", "init", "-q", "."], cwd=repo, check=True)
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy)
    result = run_subprocess(["migrate", "v2", ".", "--check", "--patch-dir", str(tmp_path / "patches")], repo)
    assert result.exit_code == 1, result
    (patch,) = (tmp_path / "patches").iterdir()
    assert b'"a/caf\\351.py"' in patch.read_bytes()
    applied = subprocess.run(["git", "apply", str(patch)], cwd=copy, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert (copy / name).read_text() == "import logging\nlogging.warning('x')\n"

    sarif = json.loads(run_subprocess(["lint", "--format", "sarif", "."], repo).stdout)
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "caf%E9.py"


def test_a_newline_in_a_file_name_does_not_split_a_line_of_text_output(tmp_path):
    write(tmp_path, {"two\nlines.py": APP, "plain.py": APP})
    result = run_subprocess(["lint", "."], tmp_path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2, lines
    assert any(line.startswith("two\\nlines.py:5:12: SVC101") for line in lines)


# -- 11: unreadable named files, migrate errors ------------------------------------------------------
def _as_unprivileged(args):
    """Root reads every file: run as nobody (setpriv) there, else as we are."""
    if os.geteuid() != 0:
        return args
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no file is unreadable")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *args]


def test_an_unreadable_named_file_is_svc901_and_the_run_goes_on():
    place = Path(tempfile.mkdtemp(prefix="svcmod-unreadable-"))
    try:
        place.chmod(0o777)
        write(place, {"secret.py": APP, "app.py": APP})
        (place / "secret.py").chmod(0)
        completed = subprocess.run(_as_unprivileged([svcmod_executable(), "lint", "--no-cache", "secret.py",
                                                     "app.py"]), cwd=place, capture_output=True, text=True,
                                   timeout=120)
        assert completed.returncode == 1, completed
        assert "secret.py:1:1: SVC901 cannot read: Permission denied" in completed.stdout
        assert "app.py:5:12: SVC101" in completed.stdout
        assert "not readable" not in completed.stderr
    finally:
        shutil.rmtree(place, ignore_errors=True)


def test_a_migration_with_errors_exits_non_zero(svcmod, tmp_path):
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n", "app.py": APP,
                     "broken.py": "import requests\nrequests.get(\n"})
    result = svcmod("migrate", "v2", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "timeout=" in (tmp_path / "app.py").read_text()  # the rest was migrated
