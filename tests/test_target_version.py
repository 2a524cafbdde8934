"""A fix's layout uses only syntax the project's lowest Python accepts: with-items in parentheses need 3.9."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write

SOURCE = '''\
import requests


def download(url, path):
    with requests.get(url, stream=True) as response, open(path, "wb") as out:
        out.write(response.content)
'''

# the fix as written makes the header 87 columns, over the project's 79: with no parentheses
# (Python 3.8), the added argument goes on a line of its own after the call's last one
AS_THE_FIX_WROTE_IT = '''\
import requests


def download(url, path):
    with requests.get(url, stream=True,
        timeout=10) as response, open(path, "wb") as out:
        out.write(response.content)
'''

IN_PARENTHESES = '''\
import requests


def download(url, path):
    with (
        requests.get(url, stream=True, timeout=10) as response,
        open(path, "wb") as out,
    ):
        out.write(response.content)
'''

PROJECT = '[project]\nname = "shop"\nversion = "1.0"\n'
RUFF = '[tool.ruff]\nline-length = 79\n'


def fixed(svcmod, root: Path, files: dict) -> str:
    write(root, dict(files, **{"shop/fetch.py": SOURCE}))
    result = svcmod("lint", "--fix", "--unsafe-fixes", "--no-cache", ".", cwd=root)
    assert result.exit_code in (0, 1), result
    text = (root / "shop" / "fetch.py").read_text()
    compile(text, "fetch.py", "exec")
    return text


@pytest.mark.parametrize("declaration, expected", [
    # Python 3.8 rejects ``with (a as b, c as d):``: the added argument on a line of its own
    (PROJECT + 'requires-python = ">=3.8"\n\n' + RUFF, AS_THE_FIX_WROTE_IT),
    (PROJECT + 'requires-python = ">=3.8.1, <4"\n\n' + RUFF, AS_THE_FIX_WROTE_IT),
    (PROJECT + 'requires-python = ">=3.9"\n\n' + RUFF, IN_PARENTHESES),
    # ruff's target-version wins over requires-python, as in ruff
    (PROJECT + 'requires-python = ">=3.8"\n\n' + RUFF + 'target-version = "py310"\n', IN_PARENTHESES),
    # [tool.svcmod] target-version wins over both
    (PROJECT + 'requires-python = ">=3.9"\n\n' + RUFF + '\n[tool.svcmod]\ntarget-version = "py38"\n',
     AS_THE_FIX_WROTE_IT),
    # nothing says: the project may run on 3.8
    (PROJECT + '\n' + RUFF, AS_THE_FIX_WROTE_IT),
], ids=["requires-3.8", "requires-3.8.1", "requires-3.9", "ruff-py310", "svcmod-py38", "undeclared"])
def test_with_items_go_in_parentheses_only_when_the_project_runs_on_39_or_later(
        svcmod, tmp_path: Path, declaration: str, expected: str):
    assert fixed(svcmod, tmp_path, {"pyproject.toml": declaration}) == expected


def test_ruff_toml_target_version_and_a_parent_directory_declaration_count(svcmod, tmp_path: Path):
    files = {"ruff.toml": 'line-length = 79\ntarget-version = "py39"\n', "shop/pyproject.toml": PROJECT}
    assert fixed(svcmod, tmp_path, files) == IN_PARENTHESES


def test_a_target_version_ruff_would_not_know_is_a_one_line_config_error(svcmod, tmp_path: Path):
    write(tmp_path, {"pyproject.toml": PROJECT + '\n[tool.svcmod]\ntarget-version = "3.9"\n',
                     "shop/fetch.py": SOURCE})
    result = svcmod("lint", "--no-cache", ".", cwd=tmp_path)
    assert result.exit_code == 2, result
    assert result.stderr.strip().splitlines() == [
        f"svcmod: error: {tmp_path.resolve() / 'pyproject.toml'}: [tool.svcmod] target-version: expected a "
        "Python version named as ruff names it ('py38', 'py39', ...), got '3.9'"]
    assert (tmp_path / "shop" / "fetch.py").read_text() == SOURCE
