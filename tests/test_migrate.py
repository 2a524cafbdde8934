"""`svcmod migrate`: which fixes a migration applies, what it leaves as follow-ups, config, plugins, CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write

from svcmod.migrate import migration as migrations
from svcmod.migrate.migration import Migration, Step, migrate, resolve
from svcmod.project.config import Config, ConfigError

SERVICE = {
    "pyproject.toml": """
        [project]
        name = "billing"
    """,
    "billing/client.py": """
        import datetime
        import logging

        import requests

        log = logging.getLogger(__name__)


        def invoices(base):
            log.warn("listing invoices")
            stamp = datetime.datetime.utcnow()
            return requests.get(base + "/invoices").json(), stamp
    """,
}


def service(tmp_path: Path, extra: dict = None) -> Path:
    return write(tmp_path / "billing", {**SERVICE, **(extra or {})})


def client_source(root: Path) -> str:
    return (root / "billing/client.py").read_text()


# -- the built-in v2 --------------------------------------------------------------------------
def test_v2_applies_unsafe_deadline_fixes_and_safe_renames_and_leaves_follow_ups(tmp_path):
    root = service(tmp_path)
    outcome = migrate("v2", [root])
    text = client_source(root)
    assert 'requests.get(base + "/invoices", timeout=10)' in text  # unsafe: the migration is the opt-in
    assert "log.warning(" in text
    assert "datetime.datetime.utcnow()" in text  # SVC306 is a manual follow-up in v2, not an edit
    [project] = outcome.projects
    assert project.name == "billing"
    assert sorted(e.code for e in project.edits) == ["SVC101", "SVC307"]
    assert [e.changes_behaviour for e in sorted(project.edits, key=lambda e: e.code)] == [True, False]
    assert [(f.code, f.file, f.line) for f in project.follow_ups] == [("SVC306", "billing/client.py", 11)]


def test_v2_steps_are_the_design_catalogue():
    plan = resolve("v2", Config())
    deprecated, deadlines, retries = plan.steps
    assert {"SVC301", "SVC302", "SVC303", "SVC305", "SVC307", "SVC308"} <= set(deprecated.codes)
    assert "SVC306" not in plan.fix_codes and "SVC304" not in plan.fix_codes
    assert {"SVC101", "SVC102", "SVC103", "SVC104"} <= set(deadlines.codes)
    assert set(retries.codes) <= {"SVC201", "SVC202", "SVC203"} and "SVC201" in retries.codes
    assert {"SVC204", "SVC206", "SVC306"} <= set(plan.follow_ups)
    assert not plan.fix_codes & set(plan.follow_ups)


def test_running_migrate_twice_changes_nothing_the_second_time(tmp_path):
    root = service(tmp_path)
    migrate("v2", [root])
    after_first = client_source(root)
    second = migrate("v2", [root])
    assert client_source(root) == after_first
    assert not second.pending
    assert second.projects[0].edits == []
    assert [f.code for f in second.projects[0].follow_ups] == ["SVC306"]


def test_check_and_diff_write_nothing(tmp_path):
    root = service(tmp_path)
    before = client_source(root)
    for mode in ("check", "diff"):
        outcome = migrate("v2", [root], mode=mode)
        assert outcome.pending
        assert len(outcome.projects[0].edits) == 2
        assert client_source(root) == before


def test_unknown_migration_is_a_config_error_listing_the_known_ones(tmp_path):
    root = service(tmp_path)
    with pytest.raises(ConfigError, match=r"unknown migration 'v3'.*available: v2"):
        migrate("v3", [root])


# -- configuration ------------------------------------------------------------------------------
def config_tree(tmp_path: Path, table: str) -> Path:
    return service(tmp_path, {"pyproject.toml": '[project]\nname = "billing"\n\n' + table})


def test_config_extends_v2_with_rules_whose_fixes_it_applies(tmp_path):
    root = config_tree(tmp_path, '[tool.svcmod.migrations.v2]\nextend-rules = ["SVC306"]\n')
    outcome = migrate("v2", [root])
    assert "datetime.datetime.now(" in client_source(root)
    assert "SVC306" in {e.code for e in outcome.projects[0].edits}
    assert outcome.projects[0].follow_ups == []


def test_config_ignore_leaves_a_rule_alone(tmp_path):
    root = config_tree(tmp_path, '[tool.svcmod.migrations.v2]\nignore = ["SVC1"]\n')
    outcome = migrate("v2", [root])
    assert 'requests.get(base + "/invoices")' in client_source(root)
    assert {e.code for e in outcome.projects[0].edits} == {"SVC307"}


def test_config_defines_a_new_migration(tmp_path):
    root = config_tree(tmp_path, '[tool.svcmod.migrations.quiet-logs]\ndescription = "warn -> warning"\n'
                                 'rules = ["SVC307"]\nfollow-ups = []\n')
    outcome = migrate("quiet-logs", [root])
    text = client_source(root)
    assert "log.warning(" in text and 'requests.get(base + "/invoices")' in text
    assert outcome.projects[0].follow_ups == []


def test_config_migration_based_on_another(tmp_path):
    root = config_tree(tmp_path, '[tool.svcmod.migrations.strict]\nbased-on = "v2"\nextend-follow-ups = []\n'
                                 'ignore = ["SVC307"]\n')
    migrate("strict", [root])
    text = client_source(root)
    assert "timeout=10" in text and "log.warn(" in text


@pytest.mark.parametrize("table,message", [
    ('[tool.svcmod.migrations.v2]\nextend-rule = ["SVC306"]\n', r"unknown key 'extend-rule'.*did you mean 'extend-rules'"),
    ('[tool.svcmod.migrations.v2]\nextend-rules = ["SVC999"]\n', r"extend-rules: unknown rule code or prefix 'SVC999'"),
    ('[tool.svcmod.migrations.v2]\nextend-rules = "SVC306"\n', r"extend-rules: expected a list"),
    ('[tool.svcmod.migrations.v2]\nbased-on = "v1"\n', r"based-on: unknown migration 'v1'"),
    ('[tool.svcmod.migrations.fresh]\ndescription = "nothing in it"\n', r"a new migration needs 'rules'"),
])
def test_config_mistakes_name_the_file_and_key(tmp_path, table, message):
    root = config_tree(tmp_path, table)
    with pytest.raises(ConfigError, match=message) as raised:
        migrate("v2", [root])
    assert str(root / "pyproject.toml") in str(raised.value)
    assert "[tool.svcmod.migrations." in str(raised.value)


# -- plugins --------------------------------------------------------------------------------------
class FakeEntryPoint:
    def __init__(self, name, value):
        self.name = name
        self.value = value

    def load(self):
        return self.value


def test_plugins_ship_migrations_through_the_entry_point_group(tmp_path, monkeypatch):
    shipped = Migration("logging-only", "warn -> warning", (Step("logging", ("SVC307",)),), follow_ups=("SVC306",))
    monkeypatch.setattr("svcmod.registry.rules.entry_points",
                        lambda group: [FakeEntryPoint("acme", lambda: [shipped])] if group == "svcmod.migrations" else [])
    assert "logging-only" in migrations.installed()
    root = service(tmp_path)
    outcome = migrate("logging-only", [root])
    assert {e.code for e in outcome.projects[0].edits} == {"SVC307"}
    assert [f.code for f in outcome.projects[0].follow_ups] == ["SVC306"]


def test_a_broken_plugin_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("svcmod.registry.rules.entry_points",
                        lambda group: [FakeEntryPoint("broken", 42)] if group == "svcmod.migrations" else [])
    with pytest.raises(ConfigError, match="entry point 'broken'.*expected a svcmod.migrate.Migration"):
        migrations.installed()


# -- several repositories ---------------------------------------------------------------------------
def test_several_paths_are_several_repositories(tmp_path):
    first = service(tmp_path / "one")
    second = service(tmp_path / "two")
    outcome = migrate("v2", [first, second])
    names = [p.name for p in outcome.projects]
    assert len(names) == 2 and names[0] != names[1]
    assert all(len(p.edits) == 2 for p in outcome.projects)
    assert "timeout=10" in client_source(first) and "timeout=10" in client_source(second)


# -- the command --------------------------------------------------------------------------------------
def test_cli_list_shows_v2_and_its_steps(svcmod, tmp_path):
    result = svcmod("migrate", "--list", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert "v2" in result.stdout
    assert "every outbound call gets a deadline" in result.stdout
    assert "SVC101" in result.stdout and "follow-ups:" in result.stdout


def test_cli_check_then_migrate_then_check(svcmod, tmp_path):
    root = service(tmp_path)
    before = client_source(root)
    checked = svcmod("migrate", "v2", "--check", str(root), cwd=tmp_path)
    assert checked.exit_code == 1, checked
    assert client_source(root) == before
    assert "billing" in checked.stdout and "Would make 2 edits" in checked.stdout
    assert "billing/client.py:11:" in checked.stdout and " SVC306 " in checked.stdout  # the follow-up, where
    done = svcmod("migrate", "v2", str(root), cwd=tmp_path)
    assert done.exit_code == 0, done
    assert "timeout=10" in client_source(root)
    again = svcmod("migrate", "v2", "--check", str(root), cwd=tmp_path)
    assert again.exit_code == 0, again


def test_cli_diff_prints_the_change_and_writes_nothing(svcmod, tmp_path):
    root = service(tmp_path)
    before = client_source(root)
    result = svcmod("migrate", "v2", "--diff", "billing", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert '+    return requests.get(base + "/invoices", timeout=10).json(), stamp' in result.stdout
    assert "--- a/billing/billing/client.py" in result.stdout
    assert client_source(root) == before


def test_cli_writes_reports(svcmod, tmp_path):
    root = service(tmp_path)
    result = svcmod("migrate", "v2", str(root), "--report-json", "out.json", "--report-md", "out.md",
                    "--patch-dir", "patches", cwd=tmp_path)
    assert result.exit_code == 0, result
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["migration"] == "v2"
    [project] = data["projects"]
    assert project["name"] == "billing"
    assert {e["code"] for e in project["edits"]} == {"SVC101", "SVC307"}
    assert (tmp_path / "patches" / "billing.patch").is_file()
    assert "## svcmod migrate v2: `billing`" in (tmp_path / "out.md").read_text()


@pytest.mark.parametrize("args,message", [
    (("migrate", "v2", "--diff", "--check"), "cannot be combined"),
    (("migrate",), "missing migration NAME"),
    (("migrate", "v9"), "unknown migration 'v9'"),
])
def test_cli_usage_errors_exit_2(svcmod, tmp_path, args, message):
    service(tmp_path)
    result = svcmod(*args, cwd=tmp_path / "billing")
    assert result.exit_code == 2, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_config_error_exits_2_without_traceback(svcmod, tmp_path):
    root = config_tree(tmp_path, '[tool.svcmod.migrations.v2]\nfollow-up = ["SVC306"]\n')
    result = svcmod("migrate", "v2", str(root), cwd=tmp_path)
    assert result.exit_code == 2, result
    assert "unknown key 'follow-up'" in result.stderr and "did you mean 'follow-ups'" in result.stderr
    assert "Traceback" not in result.stderr


# -- per-project configuration, declared deprecations, errors -----------------------------------------
def test_each_project_gets_the_migration_its_own_config_defines(tmp_path):
    strict = write(tmp_path / "strict", {**SERVICE, "pyproject.toml": '[project]\nname = "strict"\n\n'
                                         '[tool.svcmod.migrations.v2]\nextend-rules = ["SVC306"]\n'})
    plain = write(tmp_path / "plain", SERVICE)
    outcome = migrate("v2", [tmp_path])
    assert "datetime.datetime.now(" in client_source(strict)
    assert "datetime.datetime.utcnow()" in client_source(plain)
    follow_ups = {p.name: [f.code for f in p.follow_ups] for p in outcome.projects}
    assert follow_ups == {"plain": ["SVC306"], "strict": []}


DECLARED = """
[[tool.svcmod.deprecations]]
code = "SVC401"
name = "acme.rpc.call"
replacement = "acme.rpc.v2.invoke"
rename-kwargs = { deadline_ms = "timeout_ms" }
migrations = ["v2"]

[[tool.svcmod.deprecations]]
code = "SVC402"
name = "acme.jobs.enqueue"
replacement = "acme.tasks.submit"
migrations = ["v3"]
"""


def test_declared_deprecations_join_the_migrations_they_name(tmp_path):
    root = write(tmp_path / "svc", {
        "pyproject.toml": "[tool.svcmod]\n" + DECLARED,
        "app.py": """
            from acme.rpc import call
            from acme.jobs import enqueue

            call("users", "get", {}, deadline_ms=100)
            enqueue("cleanup")
        """,
    })
    outcome = migrate("v2", [root])
    text = (root / "app.py").read_text()
    assert 'invoke("users", "get", {}, timeout_ms=100)' in text
    assert 'enqueue("cleanup")' in text  # declared for v3 only: not part of v2, not even a follow-up
    assert {e.code for e in outcome.projects[0].edits} == {"SVC401"}  # the import and the call
    assert outcome.projects[0].follow_ups == []
    assert "SVC401" in outcome.plans[0].steps[0].codes and "SVC402" not in outcome.plans[0].codes


def test_a_file_that_cannot_be_parsed_is_an_error_of_its_project_and_the_run_goes_on(tmp_path):
    root = service(tmp_path, {"billing/broken.py": "import requests\ndef f(:\n"})
    outcome = migrate("v2", [root])
    [project] = outcome.projects
    assert [(e.code, e.file) for e in project.errors] == [("SVC901", "billing/broken.py")]
    assert "timeout=10" in client_source(root)
    assert (root / "billing/broken.py").read_text() == "import requests\ndef f(:\n"
