"""Configuration as users write it: nearest file wins, clear errors, suppressions, encodings kept."""
from __future__ import annotations

import pytest
from conftest import write

CALL = "import requests\nrequests.get(url)\n"


def test_nearest_config_wins_in_a_two_project_tree(svcmod, tmp_path):
    write(tmp_path, {
        "pyproject.toml": "[tool.svcmod]\ndefault-timeout = 30\n",
        "services/orders/pyproject.toml": "[project]\nname = 'orders'\n[tool.svcmod]\ndefault-timeout = 2\n",
        "services/orders/app.py": CALL,
        "services/billing/pyproject.toml": "[project]\nname = 'billing'\n",  # no [tool.svcmod]: root applies
        "services/billing/app.py": CALL,
        "services/search/svcmod.toml": "ignore = ['SVC101']\n",
        "services/search/app.py": CALL,
    })
    result = svcmod("lint", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert "timeout=2" in (tmp_path / "services/orders/app.py").read_text()
    assert "timeout=30" in (tmp_path / "services/billing/app.py").read_text()
    assert (tmp_path / "services/search/app.py").read_text() == CALL


def test_rule_option_overrides_project_setting(svcmod, tmp_path):
    write(tmp_path, {
        "pyproject.toml": "[tool.svcmod]\ndefault-timeout = 30\n[tool.svcmod.rules.SVC101]\ntimeout = 4.5\n",
        "app.py": CALL,
    })
    svcmod("lint", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert "timeout=4.5" in (tmp_path / "app.py").read_text()


def test_extend_inherits_and_overrides(svcmod, tmp_path):
    write(tmp_path, {
        "pyproject.toml": "[tool.svcmod]\ndefault-timeout = 30\nignore = ['SVC9']\n",
        "svc/pyproject.toml": "[tool.svcmod]\nextend = '../pyproject.toml'\ndefault-timeout = 7\n",
        "svc/app.py": CALL,
        "svc/broken.py": "import requests\ndef f(:\n",
    })
    result = svcmod("lint", "--fix", "--unsafe-fixes", "svc", cwd=tmp_path)
    assert "timeout=7" in (tmp_path / "svc/app.py").read_text()
    assert "SVC901" not in result.stdout  # ignore inherited from the root


def test_per_file_ignores(svcmod, tmp_path):
    write(tmp_path, {
        "pyproject.toml": "[tool.svcmod.per-file-ignores]\n\"tests/*\" = ['SVC1']\n",
        "tests/test_app.py": CALL,
        "app.py": CALL,
    })
    result = svcmod("lint", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["app.py"]


def test_exclude_patterns(svcmod, tmp_path):
    write(tmp_path, {
        "pyproject.toml": "[tool.svcmod]\nextend-exclude = ['legacy/', '*_pb2.py']\n",
        "legacy/old.py": CALL,
        "api_pb2.py": CALL,
        "app.py": CALL,
    })
    result = svcmod("lint", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["app.py"]
    forced = svcmod("lint", "--force-exclude", "legacy/old.py", cwd=tmp_path)
    assert forced.exit_code == 0 and forced.stdout == ""


@pytest.mark.parametrize("config,expected", [
    ("[tool.svcmod]\nselct = ['SVC']\n", "unknown key 'selct' in [tool.svcmod] (did you mean 'select'?)"),
    ("[tool.svcmod]\ndefault-timeout = 'ten'\n", "default-timeout: expected a number of seconds, got str 'ten'"),
    ("[tool.svcmod]\nselect = ['SVC999']\n", "select: unknown rule code or prefix 'SVC999'"),
    ("[tool.svcmod]\nignore = ['E501']\n", "ignore: unknown rule code or prefix 'E501'"),
    ("[tool.svcmod.rules.SVC101]\ntimout = 3\n", "[tool.svcmod.rules.SVC101] unknown option 'timout' (did you mean 'timeout'?)"),
    ("[tool.svcmod.rules.SVC101]\ntimeout = 'x'\n", "[tool.svcmod.rules.SVC101] timeout: expected int or float, got 'x'"),
    ("[tool.svcmod.rules.SVC1O1]\ntimeout = 3\n", "[tool.svcmod.rules.SVC1O1]: unknown rule code (did you mean 'SVC101'?)"),
    ("[tool.svcmod]\nmax-attempts = -1\n", "max-attempts: expected a positive number, got -1"),
    ("[tool.svcmod.rules.SVC101]\nstar-kwargs = 'never'\n",
     "[tool.svcmod.rules.SVC101] star-kwargs: expected one of 'report', 'skip', got 'never'"),
    ("[tool.svcmod\nselect = 1\n", "invalid TOML"),
])
def test_bad_config_is_exit_2_with_file_and_key(svcmod, tmp_path, config, expected):
    write(tmp_path, {"pyproject.toml": config, "app.py": CALL})
    result = svcmod("lint", ".", cwd=tmp_path)
    assert result.exit_code == 2, result
    assert expected in result.stderr
    assert "pyproject.toml" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_explicit_config_file(svcmod, tmp_path):
    write(tmp_path, {"ci.toml": "[tool.svcmod]\nignore = ['SVC101']\n", "app.py": CALL})
    assert svcmod("lint", "--config", "ci.toml", ".", cwd=tmp_path).exit_code == 0
    missing = svcmod("lint", "--config", "nope.toml", ".", cwd=tmp_path)
    assert missing.exit_code == 2 and "nope.toml" in missing.stderr


@pytest.mark.parametrize("comment,reported", [
    ("", True),
    ("  # noqa", False),
    ("  # noqa: SVC101", False),
    ("  # noqa: E501, SVC101", False),
    ("  # noqa: E501", True),
    ("  # svcmod: ignore[SVC101]", False),
    ("  # svcmod: ignore[SVC102]", True),
])
def test_suppression_comments(svcmod, tmp_path, comment, reported):
    write(tmp_path, {"app.py": f"import requests\nrequests.get(url){comment}\n"})
    result = svcmod("lint", ".", cwd=tmp_path)
    assert ("SVC101" in result.stdout) is reported


def test_suppression_on_last_line_of_multiline_call(svcmod, tmp_path):
    write(tmp_path, {"app.py": "import requests\nrequests.get(\n    url,\n)  # noqa: SVC101\n"})
    assert svcmod("lint", ".", cwd=tmp_path).exit_code == 0


def test_ignore_file_comment(svcmod, tmp_path):
    write(tmp_path, {"app.py": "# svcmod: ignore-file\n" + CALL})
    assert svcmod("lint", ".", cwd=tmp_path).exit_code == 0


@pytest.mark.parametrize("name,original,expected", [
    ("crlf.py", b"import requests\r\nrequests.get(url)\r\n", b"import requests\r\nrequests.get(url, timeout=10)\r\n"),
    ("bom.py", b"\xef\xbb\xbfimport requests\nrequests.get(url)\n",
     b"\xef\xbb\xbfimport requests\nrequests.get(url, timeout=10)\n"),
    ("latin1.py", b"# -*- coding: latin-1 -*-\nimport requests\nrequests.get('caf\xe9')\n",
     b"# -*- coding: latin-1 -*-\nimport requests\nrequests.get('caf\xe9', timeout=10)\n"),
    ("no_newline.py", b"import requests\nrequests.get(url)", b"import requests\nrequests.get(url, timeout=10)"),
    ("tabs.py", b"import requests\nif x:\n\trequests.get(url)\n", b"import requests\nif x:\n\trequests.get(url, timeout=10)\n"),
])
def test_encodings_and_line_endings_kept(svcmod, tmp_path, name, original, expected):
    write(tmp_path, {name: original})
    result = svcmod("lint", "--fix", "--unsafe-fixes", name, cwd=tmp_path)
    assert result.exit_code == 0, result
    assert (tmp_path / name).read_bytes() == expected
