"""Declared deprecations (SVC4xx): a project's ``[[tool.svcmod.deprecations]]`` run through the real CLI."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import run_in_process, write

from svcmod.project.config import Config, ConfigError, load_config
from svcmod.registry.declared import rules_from_config
from svcmod.registry.rules import builtin_rules

CONFIG = """
[tool.svcmod]
select = ["SVC4"]

[[tool.svcmod.deprecations]]
code = "SVC401"
name = "acme.rpc.call"
replacement = "acme.rpc.v2.invoke"
rename-kwargs = { deadline_ms = "timeout_ms" }
remove-kwargs = ["legacy"]
message = "acme.rpc.call was removed in the v2 framework"
migrations = ["v2"]

[[tool.svcmod.deprecations]]
code = "SVC402"
name = "acme.settings"
replacement = "acme.config"
migrations = ["v2"]

[[tool.svcmod.deprecations]]
code = "SVC403"
name = "acme.rpc.broadcast"
message = "acme.rpc.broadcast is gone: call each service"

[[tool.svcmod.deprecations]]
code = "SVC404"
name = "legacy_auth"
replacement = "acme.auth"

[[tool.svcmod.deprecations]]
code = "SVC405"
name = "acme.metrics"
replacement = "statsd_client"
"""

# A small framework with the v1 API beside v2, so migrated code can be run.
FRAMEWORK = {
    "acme/__init__.py": "",
    "acme/rpc/__init__.py": """
        from acme.rpc import v2
        CALLS = []

        def call(service, method, deadline_ms=None, legacy=False):
            CALLS.append(("v1", service, method, deadline_ms))

        def broadcast(services, method):
            return [call(s, method) for s in services]
        """,
    "acme/rpc/v2.py": """
        CALLS = []

        def invoke(service, method, timeout_ms=None):
            CALLS.append(("v2", service, method, timeout_ms))
            return "v2"
        """,
    "acme/settings.py": "def get(key):\n    return 'v1:' + key\n",
    "acme/config.py": "def get(key):\n    return 'v2:' + key\n",
    "acme/auth.py": "def login(user):\n    return 'v2 login ' + user\n",
    "legacy_auth.py": "def login(user):\n    return 'v1 login ' + user\n",
}


def project(tmp_path: Path, files: dict, config: str = CONFIG) -> Path:
    write(tmp_path, {"pyproject.toml": config, **FRAMEWORK, **files})
    return tmp_path


def fixed(tmp_path: Path, code: str, name: str = "service.py") -> str:
    """``svcmod lint --fix`` on ``code`` in a project with CONFIG; the file afterwards."""
    project(tmp_path, {name: code})
    result = run_in_process(["lint", "--fix", name], tmp_path)
    assert result.exit_code in (0, 1), result
    text = (tmp_path / name).read_text()
    again = run_in_process(["lint", "--fix", name], tmp_path)
    assert (tmp_path / name).read_text() == text, "a second run changed the file"
    assert "SVC902" not in again.stdout, again
    return text


@pytest.mark.parametrize("before,after", [
    pytest.param("from acme.rpc import call\ncall('users', 'get', deadline_ms=300)\n",
                 "from acme.rpc.v2 import invoke\ninvoke('users', 'get', timeout_ms=300)\n", id="from-import"),
    pytest.param("from acme.rpc import call as c\nc('users', 'get', deadline_ms=300, legacy=True)\n",
                 "from acme.rpc.v2 import invoke as c\nc('users', 'get', timeout_ms=300)\n", id="from-import-alias"),
    pytest.param("import acme.rpc\nacme.rpc.call('users', 'get')\n",
                 "import acme.rpc\nimport acme.rpc.v2\n\nacme.rpc.v2.invoke('users', 'get')\n", id="dotted-import"),
    pytest.param("import acme.rpc as r\nr.call('users', 'get', legacy=True, deadline_ms=5)\n",
                 "from acme.rpc.v2 import invoke\n\ninvoke('users', 'get', timeout_ms=5)\n",
                 id="module-alias"),
    pytest.param("from acme import rpc\nhandler = rpc.call\n",
                 "from acme.rpc.v2 import invoke\n\nhandler = invoke\n", id="attribute-without-call"),
    pytest.param("from acme.rpc import call, broadcast\ncall('a', 'b')\n",
                 "from acme.rpc import broadcast\nfrom acme.rpc.v2 import invoke\n\ninvoke('a', 'b')\n",
                 id="one-name-of-several"),
    pytest.param("from acme.rpc import call\n\ndef invoke():\n    return call('a', 'b')\n",
                 "from acme.rpc.v2 import invoke as call\n\ndef invoke():\n    return call('a', 'b')\n",
                 id="new-name-taken-keeps-old-as-alias"),
    pytest.param("import acme.settings\nacme.settings.get('k')\n",
                 "import acme.config\nacme.config.get('k')\n", id="module-move-import"),
    pytest.param("import acme.settings as s\ns.get('k')\n", "import acme.config as s\ns.get('k')\n",
                 id="module-move-alias"),
    pytest.param("from acme.settings import get\nget('k')\n", "from acme.config import get\nget('k')\n",
                 id="module-move-member"),
    pytest.param("from acme import settings\nsettings.get('k')\n", "from acme import config\nconfig.get('k')\n",
                 id="module-move-from-parent"),
    pytest.param("import legacy_auth\nlegacy_auth.login('ann')\n", "import acme.auth\nacme.auth.login('ann')\n",
                 id="top-level-module-move"),
    pytest.param("from acme import metrics\nmetrics.incr('x')\n", "import statsd_client\nstatsd_client.incr('x')\n",
                 id="module-moved-to-top-level"),
    pytest.param("from acme import metrics as m, rpc\nm.incr('x')\n",
                 "from acme import rpc\nimport statsd_client as m\n\nm.incr('x')\n", id="module-moved-to-top-level-alias"),
    pytest.param("from acme.rpc import call\ncall('a', 'b',\n     legacy=True)\n",
                 "from acme.rpc.v2 import invoke\ninvoke('a', 'b')\n", id="removed-last-keyword"),
])
def test_lint_fix_moves_every_style_of_use(tmp_path, before, after):
    assert fixed(tmp_path, before) == after


def test_every_style_in_one_file(tmp_path):
    code = """\
    import acme.rpc
    import acme.settings
    from acme.rpc import call, broadcast
    from acme.rpc import call as c
    import acme.rpc as r
    from acme import rpc
    from acme.settings import get
    import acme.settings as s


    def f():
        acme.rpc.call("x", "y", deadline_ms=5, legacy=True)
        call("x", deadline_ms=3)
        c("x", legacy=False, deadline_ms=1)
        r.call("x")
        rpc.call("y", legacy=True)
        handler = acme.rpc.call
        broadcast(["a"], "m")
        return acme.settings.get("k"), s.get("j"), get("z"), handler
    """
    text = fixed(tmp_path, textwrap.dedent(code))
    assert "acme.rpc.call" not in text and "acme.settings" not in text and "deadline_ms" not in text
    assert "from acme.rpc import broadcast\n" in text
    assert "    c(\"x\", timeout_ms=1)\n" in text
    assert "    invoke(\"y\")\n" in text
    assert "    return acme.config.get(\"k\"), s.get(\"j\"), get(\"z\"), handler\n" in text
    compile(text, "service.py", "exec")


def test_keywords_change_only_at_calls_of_the_deprecated_callable(tmp_path):
    code = """\
    import acme.rpc
    from acme.rpc import v2

    def call(service, deadline_ms=None):
        pass

    v2.invoke('a', 'b', timeout_ms=1)
    call('local', deadline_ms=3)
    acme.rpc.call('remote', 'm', deadline_ms=4)
    """
    text = fixed(tmp_path, textwrap.dedent(code))
    assert "call('local', deadline_ms=3)" in text
    assert "acme.rpc.v2.invoke('remote', 'm', timeout_ms=4)" in text


def test_a_call_passing_kwargs_keeps_the_file_for_a_person(tmp_path):
    code = "from acme.rpc import call\ncall('a', 'b', deadline_ms=1)\ncall('a', **options)\n"
    project(tmp_path, {"service.py": code})
    result = run_in_process(["lint", "--fix", "service.py"], tmp_path)
    assert (tmp_path / "service.py").read_text() == code
    assert "service.py:3:1: SVC401 acme.rpc.call was removed in the v2 framework (not fixed in this file: " \
           "this call passes **kwargs, which may hold deadline_ms, legacy)" in result.stdout, result


def test_migrated_services_run_against_the_new_api(tmp_path):
    code = """\
    import acme.rpc as r
    from acme.rpc import call
    import acme.settings
    import legacy_auth

    def main():
        call('users', 'get', deadline_ms=300, legacy=True)
        r.call('orders', 'list', deadline_ms=50)
        return acme.settings.get('region'), legacy_auth.login('ann')
    """
    fixed(tmp_path, textwrap.dedent(code), name="service.py")
    script = ("import service, acme.rpc.v2 as v2, acme.rpc as v1\n"
              "print(service.main()); print(v2.CALLS); print(v1.CALLS)\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "('v2:region', 'v2 login ann')",
        "[('v2', 'users', 'get', 300), ('v2', 'orders', 'list', 50)]",
        "[]",
    ]


def test_report_only_entries_report_every_use_and_change_nothing(tmp_path):
    code = "from acme.rpc import broadcast\nbroadcast(['a', 'b'], 'ping')\n"
    project(tmp_path, {"service.py": code})
    result = run_in_process(["lint", "--fix", "service.py"], tmp_path)
    assert result.exit_code == 1
    assert (tmp_path / "service.py").read_text() == code
    assert "service.py:1:1: SVC403 acme.rpc.broadcast is gone: call each service" in result.stdout
    assert "service.py:2:1: SVC403 acme.rpc.broadcast is gone: call each service" in result.stdout


def test_findings_use_the_declared_message_and_are_fixable(tmp_path):
    project(tmp_path, {"service.py": "import acme.rpc\nacme.rpc.call('a', 'b')\n"})
    result = run_in_process(["lint", "service.py"], tmp_path)
    assert result.exit_code == 1
    assert "service.py:2:1: SVC401 [*] acme.rpc.call was removed in the v2 framework" in result.stdout


def test_a_keyword_only_entry_renames_keywords_and_reports_nothing_else(tmp_path):
    config = """
    [tool.svcmod]
    select = ["SVC4"]

    [[tool.svcmod.deprecations]]
    code = "SVC410"
    name = "acme.rpc.call"
    rename-kwargs = { deadline_ms = "timeout_ms" }
    """
    project(tmp_path, {"service.py": "from acme.rpc import call\ncall('a', deadline_ms=1)\ncall('b')\n"}, config)
    listed = run_in_process(["lint", "service.py"], tmp_path)
    assert listed.stdout.count("SVC410") == 1 and "service.py:2:1" in listed.stdout
    assert run_in_process(["lint", "--fix", "service.py"], tmp_path).exit_code == 0
    assert (tmp_path / "service.py").read_text() == "from acme.rpc import call\ncall('a', timeout_ms=1)\ncall('b')\n"


def test_files_not_importing_the_framework_are_left_alone(tmp_path):
    code = "import rpc\nrpc.call('a', deadline_ms=1)\nfrom other.acme.rpc import call\ncall()\n"
    assert fixed(tmp_path, code) == code


@pytest.mark.parametrize("entry,expected", [
    ('code = "SVC401"\nname = "acme..call"', "name: 'acme..call' is not a qualified dotted name"),
    ('code = "SVC401"\nname = "acme.rpc.class"', "name: 'acme.rpc.class' is not a qualified dotted name"),
    ('code = "SVC401"\nname = "acme.rpc.call"\nreplacment = "acme.v2"', "unknown key 'replacment' (did you mean 'replacement'?)"),
    ('code = "SVC101"\nname = "acme.rpc.call"', "code: expected a code SVC400-SVC499"),
    ('code = "SVC401"\nname = 3', "name: expected a dotted name as a string, got int 3"),
    ('code = "SVC401"\nname = "acme.rpc.call"\nrename-kwargs = ["a"]', "rename-kwargs: expected a table"),
    ('code = "SVC401"\nname = "acme.rpc.call"\nremove-kwargs = "legacy"', "remove-kwargs: expected a list of keyword names"),
    ('code = "SVC401"\nname = "acme.rpc.call"\nmigrations = "v2"', "migrations: expected a list of migration names"),
    ('name = "acme.rpc.call"', "code: missing"),
])
def test_wrong_entries_are_config_errors_naming_file_and_entry(tmp_path, entry, expected):
    config = f'[tool.svcmod]\n\n[[tool.svcmod.deprecations]]\ncode = "SVC420"\nname = "ok.name"\n\n' \
             f'[[tool.svcmod.deprecations]]\n{entry}\n'
    write(tmp_path, {"pyproject.toml": config, "service.py": "import acme\n"})
    result = run_in_process(["lint", "service.py"], tmp_path)
    assert result.exit_code == 2, result
    output = result.stderr + result.stdout
    assert "pyproject.toml: [[tool.svcmod.deprecations]] #2" in output, output
    assert expected in output, output


def test_duplicate_codes_name_both_entries(tmp_path):
    config = ('[tool.svcmod]\n\n[[tool.svcmod.deprecations]]\ncode = "SVC401"\nname = "a.b"\n\n'
              '[[tool.svcmod.deprecations]]\ncode = "SVC401"\nname = "c.d"\n')
    write(tmp_path, {"pyproject.toml": config})
    with pytest.raises(ConfigError) as error:
        rules_from_config(load_config(tmp_path / "pyproject.toml"), builtin_rules())
    message = str(error.value)
    assert "#2: code: 'SVC401' is already declared by" in message and "#1" in message


def test_rules_carry_their_migrations_for_the_migrate_command(tmp_path):
    write(tmp_path, {"pyproject.toml": CONFIG})
    rules = {rule.code: rule for rule in rules_from_config(load_config(tmp_path / "pyproject.toml"), builtin_rules())}
    assert rules["SVC401"].migrations == ("v2",)
    assert rules["SVC403"].migrations == ()
    assert rules["SVC401"].fix_safety == "safe" and rules["SVC403"].fix_safety is None
    assert rules["SVC401"].fast_path.imports == ("acme",)
    # the same configuration gives the same classes (workers and the registry agree)
    assert rules_from_config(load_config(tmp_path / "pyproject.toml"), builtin_rules())[0] is rules["SVC401"]
    assert rules_from_config(Config(), builtin_rules()) == ()


def test_svcmod_rule_documents_a_declared_deprecation(tmp_path):
    write(tmp_path, {"pyproject.toml": CONFIG})
    result = run_in_process(["rule", "SVC401"], tmp_path)
    assert result.exit_code == 0, result
    assert "acme.rpc.call was removed in the v2 framework" in result.stdout
