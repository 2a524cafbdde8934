"""The CI gate fails closed: mistyped paths, broken named files and bad output paths are errors, not passes."""
from __future__ import annotations

import re

from conftest import write

import pytest

MISSING_PATH_COMMANDS = {
    "lint": ["lint", "nope/"],
    "baseline": ["baseline", "nope/", "-o", "b.json"],
    "migrate": ["migrate", "v2", "nope/"],
}


@pytest.mark.parametrize("command", sorted(MISSING_PATH_COMMANDS))
def test_a_path_that_does_not_exist_is_an_error_naming_it(svcmod, tmp_path, command):
    write(tmp_path, {"app.py": "import requests\nrequests.get('u')\n"})
    result = svcmod(*MISSING_PATH_COMMANDS[command], cwd=tmp_path)
    assert result.exit_code == 2, result
    (line,) = result.stderr.strip().splitlines()
    assert re.fullmatch(r"svcmod: error: nope/?: no such file or directory", line), line
    assert not (tmp_path / "b.json").exists()
    assert (tmp_path / "app.py").read_text() == "import requests\nrequests.get('u')\n"  # nothing migrated


def test_a_named_file_is_parsed_even_when_no_rule_wants_it(svcmod, tmp_path):
    write(tmp_path, {"broken.py": "def f(:\n    pass\n"})
    result = svcmod("lint", "--format", "json", "broken.py", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert '"SVC901"' in result.stdout and "cannot parse" in result.stdout


def test_a_walk_may_skip_a_broken_file_no_rule_wants_and_a_cached_walk_does_not_hide_a_named_one(svcmod, tmp_path):
    """Documented: discovery does not parse files no rule wants; naming the file always does,
    also when a directory run cached it first."""
    write(tmp_path, {"broken.py": "def f(:\n    pass\n"})
    assert svcmod("lint", ".", cwd=tmp_path).exit_code == 0
    assert svcmod("lint", "broken.py", cwd=tmp_path).exit_code == 1
    assert svcmod("lint", ".", cwd=tmp_path).exit_code == 0  # the named run's finding is not cached
