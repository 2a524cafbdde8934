"""The distribution ships every package of the source tree (a missing one only shows after `pip install .`)."""
from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent


def test_every_package_directory_is_listed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = config["package-dir"]
    found = set()
    for package, folder in mapping.items():
        root = REPO / folder
        for init in root.rglob("__init__.py"):
            relative = init.parent.relative_to(root)
            found.add(".".join((package, *relative.parts)))
    assert found == listed


def test_console_script_and_flake8_entry_point():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["svcmod"] == "svcmod.cli.main:main"
    assert "SVC" in project["entry-points"]["flake8.extension"]


def test_readme_rule_table_is_current():
    from click.testing import CliRunner

    from svcmod.cli.main import main
    from svcmod.outputs.rule_table import COMMAND, table_in

    table = CliRunner().invoke(main, ["rules", "--format", "markdown"]).stdout
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert table_in(readme) == table, f"README's rule table is stale: run `{COMMAND}`"
    assert COMMAND in readme  # the README says how it is made


def test_rules_write_puts_the_table_between_the_markers_and_leaves_the_rest(tmp_path):
    from click.testing import CliRunner

    from svcmod.cli.main import main

    readme = tmp_path / "README.md"
    readme.write_text("# pack\n\nintro\n<!-- rules:begin -->\n| old | table |\n<!-- rules:end -->\n\nmore\n")
    result = CliRunner().invoke(main, ["rules", "--format", "markdown", "--write", str(readme)])
    assert result.exit_code == 0, result.output
    table = CliRunner().invoke(main, ["rules", "--format", "markdown"]).stdout
    assert readme.read_text() == f"# pack\n\nintro\n<!-- rules:begin -->\n{table}<!-- rules:end -->\n\nmore\n"
    again = CliRunner().invoke(main, ["rules", "--format", "markdown", "--write", str(readme)])
    assert again.exit_code == 0 and "current" in again.stderr

    elsewhere = tmp_path / "NOTES.md"
    elsewhere.write_text("no markers here\n")
    refused = CliRunner().invoke(main, ["rules", "--format", "markdown", "--write", str(elsewhere)])
    assert refused.exit_code == 2 and elsewhere.read_text() == "no markers here\n"
    assert refused.stderr.startswith(f"svcmod: error: {elsewhere}: no '<!-- rules:begin")


def test_metadata_as_current_setuptools_expects():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert "MIT License" in (REPO / "LICENSE").read_text()
    assert "version" in project["dynamic"] and "version" not in project  # one place: svcmod.__version__
    assert any(c.startswith("Programming Language :: Python :: 3") for c in project["classifiers"])
    assert project["urls"]["Homepage"].startswith("https://")
    assert (REPO / "svcmod" / "py.typed").exists()


def test_the_wheel_builds_without_warnings_and_ships_its_license_and_types(tmp_path):
    import subprocess
    import zipfile

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path), str(REPO)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "SetuptoolsDeprecationWarning" not in built.stdout + built.stderr
    (wheel,) = tmp_path.glob("svcmod-*.whl")
    from svcmod import __version__
    assert wheel.name.startswith(f"svcmod-{__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    assert "svcmod/py.typed" in names
    assert any(name.endswith("licenses/LICENSE") for name in names)
