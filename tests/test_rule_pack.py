"""A third-party rule pack, installed as users install one (a wheel, by pip), joins svcmod through
the ``svcmod.rules`` entry point: ``svcmod rules``, ``svcmod rule``, ``lint`` and ``migrate v2`` see it."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, svcmod_executable, write

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PACK = REPO / "fixtures" / "rule_pack"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path) -> Path:
    """A wheel of fixtures/rule_pack, its metadata made from the pack's own pyproject.toml."""
    project = tomllib.loads((PACK / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = project["name"].replace("-", "_"), project["version"]
    info = f"{name}-{version}.dist-info"
    groups = project["entry-points"]
    entry_points = "".join(f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in entries.items()) + "\n"
                           for group, entries in groups.items())
    files = {str(path.relative_to(PACK)): path.read_bytes()
             for path in sorted((PACK / "acme_svc_rules").glob("*.py"))}
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {version}\n"
                                 f"Summary: {project['description']}\n").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: svcmod-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = entry_points.encode()
    record = [_record_line(path, data) for path, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


@pytest.fixture(scope="module")
def installed_pack(tmp_path_factory) -> Path:
    """A folder the pack was pip-installed into; on PYTHONPATH, Python finds its dist-info."""
    folder = tmp_path_factory.mktemp("pack")
    target = folder / "site"
    completed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                                "--target", str(target), str(build_wheel(folder))],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert (target / "acme_svc_rules-0.1.0.dist-info" / "entry_points.txt").exists()
    return target


def svcmod_with(pack, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pack is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pack), env.get("PYTHONPATH")]))
    return subprocess.run([svcmod_executable(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def service(tmp_path) -> Path:
    return write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'billing'\n",
        "billing/handlers.py": """
            import requests


            def handle(request):
                print("got", request)
                return requests.get("https://ledger", timeout=5)
            """,
    })


def test_the_pack_rule_is_listed_and_documented(installed_pack, tmp_path):
    listed = svcmod_with(installed_pack, "rules", "--format", "json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert {"code": "SVC801", "name": "print-call", "fix": None,
            "summary": "Checks for `print()` calls in service code."} in json.loads(listed.stdout)
    page = svcmod_with(installed_pack, "rule", "SVC801", cwd=tmp_path)
    assert page.returncode == 0, page.stderr
    assert page.stdout.startswith("# SVC801 print-call\n") and "## Why is this bad?" in page.stdout


def test_lint_reports_what_the_pack_rule_finds(installed_pack, service):
    linted = svcmod_with(installed_pack, "lint", "--no-cache", "--format", "json", ".", cwd=service)
    assert linted.returncode == 1, linted.stderr
    assert [(f["code"], f["location"]["row"]) for f in json.loads(linted.stdout)] == [("SVC801", 5)]


def test_migrate_v2_lists_the_pack_rule_where_it_places_itself(installed_pack, service):
    listed = svcmod_with(installed_pack, "migrate", "--list", cwd=service)
    assert listed.returncode == 0, listed.stderr
    follow_ups = next(line for line in listed.stdout.splitlines() if "follow-ups:" in line)
    assert "SVC801" in follow_ups
    report = service / "report.json"
    migrated = svcmod_with(installed_pack, "migrate", "v2", ".", "--check", "--report-json", str(report), cwd=service)
    assert migrated.returncode == 0, migrated.stderr  # nothing to change: a follow-up is not an edit
    follow_up_codes = [item["code"] for project in json.loads(report.read_text())["projects"]
                       for item in project["follow_ups"]]
    assert follow_up_codes == ["SVC801"]


def test_without_the_pack_its_rule_is_unknown(service):
    page = svcmod_with(None, "rule", "SVC801", cwd=service)
    assert page.returncode == 2 and page.stderr.startswith("svcmod: error: unknown rule 'SVC801'")
