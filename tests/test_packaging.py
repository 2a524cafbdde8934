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

    table = CliRunner().invoke(main, ["rules", "--format", "markdown"]).stdout
    readme = (REPO / "README.md").read_text()
    begin = readme.index("-->\n", readme.index("<!-- rules:begin")) + 4
    end = readme.index("<!-- rules:end -->")
    assert readme[begin:end] == table, "README's rule table is stale: paste `svcmod rules --format markdown`"
