"""Dependency manifests follow the migrated code: each format edited in its own style, never a broken install."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write

from svcmod.migrate.manifests import plan_changes
from svcmod.migrate.migration import migrate
from svcmod.rule import Requires

TENACITY = ("SVC301", Requires("tenacity>=8", replaces="retrying"))
REDIS = ("SVC310", Requires("redis>=4.2", replaces="aioredis"))
URLLIB3 = ("SVC302", Requires("urllib3>=1.26"))


def after(root: Path, needed, imported=()) -> dict:
    changes = plan_changes(root, needed, lambda module: module in imported)
    return {path.relative_to(root).as_posix(): new.decode() for path, (_, new) in changes.files.items()}, changes


def test_requirements_txt_replaced_in_place_comment_kept_and_pin_becomes_a_follow_up(tmp_path):
    write(tmp_path, {"requirements.txt": "# deploy pins\nrequests==2.31.0\nretrying==1.3.4  # retries\n"
                                         "urllib3==1.25.11\n"})
    files, changes = after(tmp_path, [TENACITY, URLLIB3])
    assert files["requirements.txt"] == ("# deploy pins\nrequests==2.31.0\ntenacity>=8  # retries\n"
                                         "urllib3==1.25.11\n")
    [manual] = changes.manual
    assert (manual.file, manual.line, manual.code) == ("requirements.txt", 4, "SVC302")
    assert "urllib3==1.25.11" in manual.message and "urllib3>=1.26" in manual.message


def test_requirements_txt_sorted_file_stays_sorted_and_markers_are_kept(tmp_path):
    write(tmp_path, {"requirements.txt": "aiohttp>=3.8\naioredis>=1.3; python_version < '3.12'\nzope>=1\n"})
    files, _ = after(tmp_path, [REDIS])
    assert files["requirements.txt"] == 'aiohttp>=3.8\nredis>=4.2; python_version < "3.12"\nzope>=1\n'
    write(tmp_path, {"requirements.txt": "aiohttp>=3.8\nzope>=1\n"})
    files, _ = after(tmp_path, [TENACITY])
    assert files["requirements.txt"] == "aiohttp>=3.8\ntenacity>=8\nzope>=1\n"


def test_hashes_on_continuation_lines_are_a_follow_up_naming_the_line(tmp_path):
    write(tmp_path, {"requirements.txt": "retrying==1.3.4 \\\n    --hash=sha256:abc\nrequests==2.31.0\n"})
    files, changes = after(tmp_path, [TENACITY])
    assert "requirements.txt" not in files
    [manual] = changes.manual
    assert manual.line == 1 and "hashes" in manual.message and "tenacity>=8" in manual.message


def test_a_distribution_still_imported_elsewhere_is_kept_and_the_new_one_added(tmp_path):
    write(tmp_path, {"requirements.txt": "retrying==1.3.4\n"})
    files, changes = after(tmp_path, [TENACITY], imported=("retrying",))
    assert files["requirements.txt"] == "retrying==1.3.4\ntenacity>=8\n"
    assert "kept: still imported" in changes.edits[0].description


def test_setup_py_literal_list_keeps_quotes_and_one_per_line_layout(tmp_path):
    write(tmp_path, {"setup.py": """
        from setuptools import setup

        setup(
            name='app',
            install_requires=[
                'requests>=2.20',
                'urllib3>=1.21,<3',
            ],
            extras_require={'cache': ['aioredis>=1.3']},
        )
    """})
    files, _ = after(tmp_path, [TENACITY, URLLIB3, REDIS])
    assert files["setup.py"] == (
        "from setuptools import setup\n\nsetup(\n    name='app',\n    install_requires=[\n"
        "        'requests>=2.20',\n        'urllib3>=1.26,<3',\n        'tenacity>=8',\n    ],\n"
        "    extras_require={'cache': ['redis>=4.2']},\n)\n")


def test_setup_py_install_requires_from_a_module_level_list_and_inline_layout(tmp_path):
    write(tmp_path, {"setup.py": """
        import setuptools
        REQUIRES = ["requests", "retrying"]
        setuptools.setup(name="app", install_requires=REQUIRES)
    """})
    files, _ = after(tmp_path, [TENACITY])
    assert 'REQUIRES = ["requests", "tenacity>=8"]' in files["setup.py"]


def test_setup_py_computed_install_requires_is_a_follow_up(tmp_path):
    write(tmp_path, {"setup.py": """
        from setuptools import setup
        setup(name="app", install_requires=open("requirements.in").read().split())
    """})
    files, changes = after(tmp_path, [TENACITY])
    assert files == {}
    [manual] = changes.manual
    assert (manual.file, manual.line) == ("setup.py", 2) and "not a literal list" in manual.message


def test_setup_cfg_install_requires_lines_and_extras(tmp_path):
    write(tmp_path, {"setup.cfg": """
        [metadata]
        name = app

        [options]
        packages = find:
        install_requires =
            requests>=2
            urllib3>=1.21

        [options.extras_require]
        cache =
            aioredis>=1.3
    """})
    files, _ = after(tmp_path, [TENACITY, URLLIB3, REDIS])
    assert files["setup.cfg"] == (
        "[metadata]\nname = app\n\n[options]\npackages = find:\ninstall_requires =\n    requests>=2\n"
        "    urllib3>=1.26\n    tenacity>=8\n\n[options.extras_require]\ncache =\n    redis>=4.2\n")


def test_pyproject_project_and_optional_dependencies_keep_comments(tmp_path):
    write(tmp_path, {"pyproject.toml": """
        [project]
        name = "app"
        dependencies = [
            "requests>=2",  # http
            "retrying>=1.3",
        ]

        [project.optional-dependencies]
        cache = ["aioredis>=1.3", "hiredis"]
    """})
    files, _ = after(tmp_path, [TENACITY, REDIS])
    assert files["pyproject.toml"] == (
        '[project]\nname = "app"\ndependencies = [\n    "requests>=2",  # http\n    "tenacity>=8",\n]\n\n'
        '[project.optional-dependencies]\ncache = ["redis>=4.2", "hiredis"]\n')


def test_pyproject_added_when_nothing_lists_it(tmp_path):
    write(tmp_path, {"pyproject.toml": '[project]\nname = "app"\ndependencies = [\n    "requests>=2",\n]\n'})
    files, changes = after(tmp_path, [TENACITY])
    assert files["pyproject.toml"] == ('[project]\nname = "app"\ndependencies = [\n    "requests>=2",\n'
                                       '    "tenacity>=8",\n]\n')
    assert [(e.file, e.description) for e in changes.edits] == [("pyproject.toml", "added tenacity>=8")]


def test_poetry_dependencies(tmp_path):
    write(tmp_path, {"pyproject.toml": """
        [tool.poetry]
        name = "app"

        [tool.poetry.dependencies]
        python = "^3.9"
        retrying = "*"
        urllib3 = "^1.25"
    """})
    files, changes = after(tmp_path, [TENACITY, URLLIB3])
    assert files["pyproject.toml"] == ('[tool.poetry]\nname = "app"\n\n[tool.poetry.dependencies]\n'
                                       'python = "^3.9"\ntenacity = ">=8"\nurllib3 = "^1.25"\n')
    [manual] = changes.manual  # Poetry's caret is its own syntax: a person bumps it
    assert manual.code == "SVC302" and manual.line == 7 and "^1.25" in manual.message


def test_an_already_satisfied_requirement_is_left_alone(tmp_path):
    write(tmp_path, {"requirements.txt": "tenacity>=8.2\nurllib3>=2,<3\n"})
    files, changes = after(tmp_path, [TENACITY, URLLIB3])
    assert files == {} and changes.edits == [] and changes.manual == []


def test_an_upper_bound_below_the_minimum_is_a_follow_up(tmp_path):
    write(tmp_path, {"requirements.txt": "urllib3<1.26\n"})
    files, changes = after(tmp_path, [URLLIB3])
    assert files == {} and "excludes 1.26" in changes.manual[0].message


def test_an_unparsable_manifest_is_a_follow_up_not_a_crash(tmp_path):
    write(tmp_path, {"pyproject.toml": "[project\nname = 1\n", "requirements.txt": "retrying\n"})
    files, changes = after(tmp_path, [TENACITY])
    assert files["requirements.txt"] == "tenacity>=8\n"
    assert [m.file for m in changes.manual] == ["pyproject.toml"]


# -- through `svcmod migrate` --------------------------------------------------------------------
TRIO = {
    "setup.py": """
        from setuptools import setup

        setup(
            name="trio",
            packages=["trio_app"],
            install_requires=[
                "retrying>=1.3",
            ],
        )
    """,
    "requirements.txt": "retrying==1.3.4\n",
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
    """,
    "trio_app/__init__.py": """
        from retrying import retry


        @retry(stop_max_attempt_number=3)
        def ping():
            return "pong"
    """,
}


def test_migrate_edits_manifests_and_shows_them_in_diff_patch_and_reports(tmp_path, svcmod):
    root = write(tmp_path / "trio", TRIO)
    result = svcmod("migrate", "v2", ".", "--diff", cwd=root)
    assert result.exit_code == 1, result
    assert '-    "retrying>=1.3",\n+    "tenacity>=8",' in result.stdout.replace("        ", "    ")
    assert "-retrying==1.3.4\n+tenacity>=8\n" in result.stdout
    assert (root / "requirements.txt").read_text() == "retrying==1.3.4\n"  # --diff writes nothing
    result = svcmod("migrate", "v2", ".", "--report-json", "r.json", "--report-md", "r.md", "--patch-dir", "p",
                    cwd=root)
    assert result.exit_code == 0, result
    assert (root / "requirements.txt").read_text() == "tenacity>=8\n"
    assert '"tenacity>=8",' in (root / "setup.py").read_text()
    [project] = json.loads((root / "r.json").read_text())["projects"]
    assert sorted((d["file"], d["change"]) for d in project["dependencies"]) == [
        ("requirements.txt", "retrying==1.3.4 → tenacity>=8"), ("setup.py", "retrying>=1.3 → tenacity>=8")]
    assert {"requirements.txt", "setup.py"} <= set(project["files_changed"])
    assert "### Dependencies" in (root / "r.md").read_text()
    [patch] = (root / "p").iterdir()
    assert "+tenacity>=8" in patch.read_text()
    # a second run has nothing left to do
    again = svcmod("migrate", "v2", ".", "--check", cwd=root)
    assert again.exit_code == 0, again


def test_migrate_keeps_a_distribution_other_modules_still_import(tmp_path):
    root = write(tmp_path / "trio", {**TRIO, "trio_app/legacy.py": "import retrying\nretrying.Retrying\n"})
    outcome = migrate("v2", [root])
    assert (root / "requirements.txt").read_text() == "retrying==1.3.4\ntenacity>=8\n"
    [project] = outcome.projects
    assert all("kept: still imported" in d.description for d in project.dependencies)


def test_per_project_seconds_add_up_to_the_run(tmp_path):
    write(tmp_path / "a", TRIO)
    write(tmp_path / "b", TRIO)
    outcome = migrate("v2", [tmp_path], mode="check")
    assert len(outcome.projects) == 2
    assert sum(p.seconds for p in outcome.projects) == pytest.approx(outcome.result.elapsed, rel=1e-6)


def test_a_declared_deprecation_requires_its_replacement_distribution(tmp_path):
    root = write(tmp_path / "svc", {
        "pyproject.toml": """
            [project]
            name = "svc"
            dependencies = ["acme-framework>=1.9"]

            [[tool.svcmod.deprecations]]
            code = "SVC401"
            name = "acme.rpc.call"
            replacement = "acme.rpc.v2.invoke"
            migrations = ["v2"]
            requires = "acme-framework>=2"
        """,
        "svc/app.py": "from acme.rpc import call\n\ncall('x')\n",
    })
    migrate("v2", [root])
    assert 'dependencies = ["acme-framework>=2"]' in (root / "pyproject.toml").read_text()
    assert "from acme.rpc.v2 import invoke" in (root / "svc/app.py").read_text()
