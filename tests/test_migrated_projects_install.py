"""A migrated project installs from its own manifests, into a fresh virtualenv, and passes its own tests.

The venvs are built by pip from the manifests alone (the project's wheel, built from its migrated
``setup.py``/``pyproject.toml``, plus ``-r requirements.txt``): nothing of the test environment leaks
in, so a dependency the migration forgot to declare fails the project's tests with
``ModuleNotFoundError``. pip reaches the configured index (PyPI in CI, with its cache). The wheels
are built in one build environment made once per module (``builder``) rather than in a fresh
isolated one per install, which was about half of each install's time (the two tests: 294 s before,
220 s after, on a shared 2-core machine under load 12).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from conftest import REPO, write

from svcmod.check.names import imported_modules
from svcmod.migrate.migration import migrate

pytestmark = pytest.mark.slow

TRIO = {
    # setup.py + requirements.txt + pyproject.toml, as many services have them
    "setup.py": """
        from setuptools import setup

        setup(
            name="inventory",
            version="1.0",
            packages=["inventory"],
            install_requires=[
                "requests>=2.20",
                "retrying>=1.3",
                "urllib3>=1.21,<2",
            ],
        )
    """,
    "requirements.txt": "requests>=2.20\nretrying>=1.3  # retries\nurllib3>=1.21,<2\npytest>=7\n",
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
    """,
    "inventory/__init__.py": "",
    "inventory/client.py": """
        import requests
        from requests.adapters import HTTPAdapter
        from retrying import retry

        # the guarded import of issue 21: requests' vendored copy first, urllib3 itself as fallback
        try:
            from requests.packages.urllib3.util.retry import Retry
        except ImportError:
            from urllib3.util.retry import Retry


        def session():
            http = requests.Session()
            policy = Retry(total=3, allowed_methods=["GET"]) if hasattr(Retry, "DEFAULT_ALLOWED_METHODS") \\
                else Retry(total=3, method_whitelist=["GET"])
            http.mount("http://", HTTPAdapter(max_retries=policy))
            return http


        def read_only_policy():
            return Retry(total=2, method_whitelist=["GET", "HEAD"])


        @retry(stop_max_attempt_number=3, wait_fixed=10)
        def stock(fetch):
            return fetch()
    """,
    "tests/test_client.py": """
        from inventory.client import read_only_policy, session, stock


        def test_a_failing_read_is_retried_until_it_succeeds():
            calls = []

            def fetch():
                calls.append(1)
                if len(calls) < 3:
                    raise ConnectionError("down")
                return 7

            assert stock(fetch) == 7
            assert len(calls) == 3


        def test_the_session_retries_gets():
            assert session().get_adapter("http://stock").max_retries.total == 3


        def test_the_read_only_policy():
            assert read_only_policy().total == 2
    """,
}


def fresh_venv(where: Path) -> Path:
    """A virtualenv with nothing in it (not even pip: the test's pip installs into it)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    return where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def pip_install(python: Path, *arguments: str, cwd: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                             "--disable-pip-version-check", *arguments],
                            cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def run_tests(python: Path, project: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def builder(tmp_path_factory) -> Path:
    """One environment that builds every project's wheel (the projects build with setuptools):
    pip would otherwise make a fresh build environment, setuptools and all, for every install."""
    python = fresh_venv(tmp_path_factory.mktemp("builder") / "venv")
    pip_install(python, "setuptools>=64", "wheel", cwd=tmp_path_factory.getbasetemp())
    return python


def wheel(builder: Path, project: Path, into: Path) -> Path:
    """The project's wheel, built from its own manifests (what ``pip install <project>`` builds)."""
    into.mkdir(parents=True)
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(builder), "wheel", "-q", "--no-deps",
                             "--no-build-isolation", "--disable-pip-version-check", "-w", str(into), str(project)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [built] = into.glob("*.whl")
    return built


def install_from_manifests(python: Path, project: Path, builder: Path, wheels: Path) -> None:
    # the project as it declares itself, plus its requirements file: what a deploy installs
    pip_install(python, str(wheel(builder, project, wheels)), "-r", "requirements.txt", cwd=project)


def test_the_setup_requirements_pyproject_trio_installs_and_passes_before_and_after(tmp_path, builder):
    project = write(tmp_path / "inventory", TRIO)
    before = fresh_venv(tmp_path / "venv-before")
    install_from_manifests(before, project, builder, tmp_path / "wheels-before")
    result = run_tests(before, project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

    outcome = migrate("v2", [project])
    [report] = outcome.projects
    assert {d.file for d in report.dependencies} == {"setup.py", "requirements.txt"}
    assert "from retrying" not in (project / "inventory/client.py").read_text()
    assert "method_whitelist" not in (project / "inventory/client.py").read_text().split("def read_only_policy")[1]

    # the migrated code in the old environment: what a deploy without the manifest edits would run
    stale = run_tests(before, project)
    assert stale.returncode != 0 and "No module named 'tenacity'" in stale.stdout + stale.stderr

    after = fresh_venv(tmp_path / "venv-after")
    install_from_manifests(after, project, builder, tmp_path / "wheels-after")
    result = run_tests(after, project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    listed = subprocess.run([str(after), "-c", "import importlib.metadata as m; print(sorted("
                             "d.metadata['Name'].lower() for d in m.distributions()))"],
                            capture_output=True, text=True, check=True).stdout
    assert "retrying" not in listed and "tenacity" in listed


FIXTURE = REPO / "fixtures" / "monorepo"
SERVICES = ("notifications", "orders", "payments")


def test_the_fixture_services_install_from_their_migrated_manifests_and_pass_their_tests(tmp_path, builder):
    root = tmp_path / "monorepo"
    shutil.copytree(FIXTURE, root)
    outcome = migrate("v2", [root])
    assert not [e for p in outcome.projects for e in p.errors]
    python = fresh_venv(tmp_path / "venv")
    # one environment for the three services (one pip run), each installed from its manifest
    framework = wheel(builder, root / "libs" / "acme-framework", tmp_path / "wheels" / "acme-framework")
    services = [f"{wheel(builder, root / 'services' / s, tmp_path / 'wheels' / s)}[test]" for s in SERVICES]
    pip_install(python, str(framework), *services, cwd=root)
    check = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    for service in SERVICES:
        result = run_tests(python, root / "services" / service)
        assert result.returncode == 0, service + result.stdout[-3000:] + result.stderr[-2000:]
    # the shared environment must not hide a missing dependency: every module the migration made a
    # service import (tenacity, redis…) comes from a distribution its own manifest declares (or one
    # of theirs). (orders imports psycopg2 and sqlalchemy without declaring them, before and after.)
    for service in SERVICES:
        new = top_level_imports(root / "services" / service / service) - \
            top_level_imports(FIXTURE / "services" / service / service)
        missing = undeclared_imports(python, new, service)
        assert missing == [], f"{service} imports {missing} without declaring them"


def top_level_imports(package: Path) -> set:
    return {name.split(".")[0] for path in package.rglob("*.py") for name in imported_modules(path.read_bytes())}


def undeclared_imports(python: Path, imported: set, package: str) -> List[str]:
    script = f"""
import importlib.metadata as m, json, re, sys
def c(name):
    return re.sub(r"[-_.]+", "-", name).lower()
owners = m.packages_distributions()
def closure(name, extras=(), seen=None):
    seen = set() if seen is None else seen
    if c(name) in seen:
        return seen
    seen.add(c(name))
    try:
        requires = m.requires(name) or []
    except m.PackageNotFoundError:
        return seen
    for text in requires:  # (the fresh venv has no packaging: names and extras read by hand)
        found = re.match(r"\\s*([A-Za-z0-9][A-Za-z0-9._-]*)\\s*(?:\\[([^\\]]*)\\])?", text)
        marker = text.partition(";")[2]
        if "extra" in marker and not any(repr(e) in marker or f'"{{e}}"' in marker for e in extras):
            continue
        more = [x.strip() for x in (found.group(2) or "").split(",") if x.strip()]
        closure(found.group(1), more, seen)
    return seen
declared = closure({package!r}, ("test",))
modules = {sorted(imported)!r}
print(json.dumps(sorted(mod for mod in modules if mod not in sys.stdlib_module_names and mod != {package!r}
                        and not any(c(d) in declared for d in owners.get(mod, ["?"])))))
"""
    out = subprocess.run([str(python), "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)
