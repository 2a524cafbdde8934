"""Issue 17: a run naming a few files (a commit hook's staged files, an editor's one file) sees what
the rest of their project lends them, as a run over the whole repository does, and reports only them."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Set, Tuple

import pytest
from conftest import REPO, run_in_process

#: A service module using the shared library's sessions (acme.http) and a declared client.
CATALOG = "services/orders/orders/catalog.py"
CATALOG_FINDINGS = {(CATALOG, 9, "SVC101"), (CATALOG, 14, "SVC101"), (CATALOG, 18, "SVC101")}

Found = Set[Tuple[str, int, str]]


@pytest.fixture()
def monorepo(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(REPO / "fixtures" / "monorepo", tmp_path / "monorepo",
                                ignore=shutil.ignore_patterns("__pycache__", ".svcmod_cache")))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def json_findings(stdout: str, cwd: Path, root: Path) -> Found:
    return {(Path(os.path.relpath(cwd / f["filename"], root)).as_posix(), f["location"]["row"], f["code"])
            for f in json.loads(stdout)}


def test_lint_of_one_file_reports_what_lint_of_the_repository_reports_for_it(monorepo, svcmod):
    whole = svcmod("lint", "--format", "json", "--exit-zero", "--no-cache", ".", cwd=monorepo)
    assert {f for f in json_findings(whole.stdout, monorepo, monorepo) if f[0] == CATALOG} == CATALOG_FINDINGS
    for _ in ("cold", "warm"):
        named = svcmod("lint", "--format", "json", "--exit-zero", CATALOG, cwd=monorepo)
        assert json_findings(named.stdout, monorepo, monorepo) == CATALOG_FINDINGS, named  # and no other file's


def test_a_service_linted_from_its_own_directory_sees_the_shared_library(monorepo, svcmod):
    service = monorepo / "services" / "orders"
    result = svcmod("lint", "--format", "json", "--exit-zero", "--select", "SVC101", "orders/catalog.py",
                    cwd=service)
    assert json_findings(result.stdout, service, monorepo) == CATALOG_FINDINGS, result
    result = svcmod("lint", "--format", "json", "--exit-zero", "--select", "SVC101", ".", cwd=service)
    assert {f for f in json_findings(result.stdout, service, monorepo) if f[0] == CATALOG} == CATALOG_FINDINGS


def test_changed_since_sees_the_shared_library(monorepo, svcmod):
    subprocess.run(["git", "add", "."], cwd=monorepo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "start"],
                   cwd=monorepo, check=True)
    catalog = monorepo / CATALOG
    catalog.write_text(catalog.read_text() + "\n# edited\n")
    result = svcmod("lint", "--format", "json", "--exit-zero", "--changed-since", "HEAD", ".", cwd=monorepo)
    assert json_findings(result.stdout, monorepo, monorepo) == CATALOG_FINDINGS, result


def test_a_warm_run_of_one_file_reads_no_other_file_for_the_index(monorepo, monkeypatch):
    from svcmod.run import indexing
    parsed = []
    real = indexing.module_names
    monkeypatch.setattr(indexing, "module_names", lambda *a, **k: parsed.append(a[1]) or real(*a, **k))
    assert run_in_process(["lint", "--exit-zero", CATALOG], monorepo).exit_code == 0
    assert any(module.endswith(":acme.http") for module in parsed)  # cold: the shared library is read
    parsed.clear()
    read = []
    real_read = indexing.read_source
    monkeypatch.setattr(indexing, "read_source", lambda *a, **k: read.append(a[0]) or real_read(*a, **k))
    again = run_in_process(["lint", CATALOG], monorepo)
    assert again.exit_code == 1 and again.stdout.count("SVC101") == 3, again
    assert parsed == [] and read == []


def test_baseline_and_migrate_of_one_file_see_the_shared_library(monorepo, svcmod):
    result = svcmod("baseline", "-o", "baseline.json", CATALOG, cwd=monorepo)
    assert result.exit_code == 0, result
    entries = json.loads((monorepo / "baseline.json").read_text())["findings"]
    assert sorted((e["line"], e["code"]) for e in entries) == [(9, "SVC101"), (14, "SVC101"), (18, "SVC101")]
    result = svcmod("migrate", "v2", "--diff", CATALOG, cwd=monorepo)
    assert result.stdout.count("timeout=10") == 3, result


def test_flake8_on_one_file_with_no_cache_sees_the_shared_library(monorepo):
    service = monorepo / "services" / "orders"
    completed = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "SVC1",
                                "--format", "%(row)d|%(code)s", "orders/catalog.py"], cwd=service,
                               capture_output=True, text=True, timeout=300)
    assert not (monorepo / ".svcmod_cache").exists() and not (service / ".svcmod_cache").exists()
    rows = {tuple(line.split("|")) for line in completed.stdout.splitlines()}
    assert rows == {("9", "SVC101"), ("14", "SVC101"), ("18", "SVC101")}, completed.stderr
