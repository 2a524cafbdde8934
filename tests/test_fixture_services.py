"""`svcmod migrate v2` end to end on a copy of fixtures/monorepo, as the README's set-up command runs it.

The services' own pytest suites run before and after the migration (in a subprocess, on copies); the
patches of `--patch-dir` are applied with real `git apply` to a pristine copy and must give the same
tree; the reports list every project, its edits and follow-ups, the framework's declared deprecations
under their SVC4xx codes. The fixture is never modified: everything runs on copies.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from conftest import REPO, run_in_process, svcmod_executable

FIXTURE = REPO / "fixtures" / "monorepo"
SERVICES = ["orders", "payments", "notifications"]
PROJECTS = ["libs/acme-framework", "services/notifications", "services/orders", "services/payments"]
GIT = shutil.which("git")


def copy_fixture(destination: Path) -> Path:
    shutil.copytree(FIXTURE, destination, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return destination


def svcmod(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([svcmod_executable(), *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def tree(root: Path) -> Dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts and "__pycache__" not in p.parts
            and ".pytest_cache" not in p.parts}


def run_service_tests(root: Path, service: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
                          cwd=root / "services" / service, capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """The README's command on a copy (`cp -r` + `svcmod migrate v2`), with every report written."""
    base = tmp_path_factory.mktemp("monorepo")
    demo = base / "svcmod-demo"
    check_before = svcmod("migrate", "v2", "--check", str(copy_fixture(demo)), cwd=base)
    shutil.rmtree(demo)
    command = (f"cp -r {FIXTURE} {demo} && {svcmod_executable()} migrate v2 {demo} "
               f"--report-json {base / 'report.json'} --report-md {base / 'report.md'} --patch-dir {base / 'patches'}")
    run = subprocess.run(["bash", "-c", command], cwd=base, capture_output=True, text=True, timeout=600)
    check_after = svcmod("migrate", "v2", "--check", str(demo), cwd=base)
    return {"base": base, "root": demo, "check_before": check_before, "run": run, "check_after": check_after,
            "json": json.loads((base / "report.json").read_text()) if run.returncode == 0 else None,
            "markdown": (base / "report.md").read_text() if run.returncode == 0 else ""}


def test_check_exits_1_before_and_0_after(migrated):
    assert migrated["check_before"].returncode == 1, migrated["check_before"].stderr
    assert migrated["run"].returncode == 0, migrated["run"].stdout + migrated["run"].stderr
    assert migrated["check_after"].returncode == 0, migrated["check_after"].stdout + migrated["check_after"].stderr
    assert "Would make 0 edits" in migrated["check_after"].stdout


def test_every_python_file_compiles_after(migrated):
    files = sorted(migrated["root"].rglob("*.py"))
    assert len(files) > 30
    for path in files:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)


@pytest.mark.parametrize("service", SERVICES)
def test_service_tests_pass_before_migration(tmp_path, service):
    root = copy_fixture(tmp_path / "pristine")
    result = run_service_tests(root, service)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.parametrize("service", SERVICES)
def test_service_tests_pass_after_migration(migrated, tmp_path, service):
    root = tmp_path / "migrated"
    shutil.copytree(migrated["root"], root)
    result = run_service_tests(root, service)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def test_the_migration_really_moved_the_services(migrated):
    root = migrated["root"]
    code = {p.relative_to(root).as_posix(): p.read_text() for p in (root / "services").rglob("*.py")}
    everything = "\n".join(code.values())
    for gone in ("from retrying import", "DEFAULT_METHOD_WHITELIST", "log.warn(", "assertEquals(", "deadline_ms=",
                 "from acme.rpc import call", "import acme.settings", "from acme.settings import"):
        assert gone not in everything, gone
    # loop= is dropped where it is provably the running loop (a coroutine its function runs on it) …
    assert "loop=loop" not in code["services/payments/payments/events.py"]
    # … and left, as a follow-up, where the loop passed in may be another one than the running loop
    assert "await asyncio.sleep(seconds, loop=loop)" in code["services/notifications/notifications/digest.py"]
    [project] = [p for p in migrated["json"]["projects"] if p["name"] == "services/notifications"]
    assert any(f["code"] == "SVC303" and f["file"] == "notifications/digest.py" for f in project["follow_ups"])
    assert "timeout=10" in code["services/orders/orders/payments_client.py"]
    assert "method_whitelist=" not in code["services/orders/orders/scripts/replay_callbacks.py"]
    # a shim that already handles urllib3 1.x and 2.x is left as it is
    assert "method_whitelist=IDEMPOTENT_METHODS" in code["services/orders/orders/payments_client.py"]
    assert "timeout=15" in code["services/notifications/notifications/webhooks.py"]  # the service's own setting
    fx = code["services/orders/orders/fx.py"]
    assert "stop=stop_after_attempt(4)" in fx and "reraise=True" in fx
    # the framework's sessions, used from a service: a module-level session, a function returning
    # one (both through the project index) and the declared client acme.web.Request.http
    catalog = code["services/orders/orders/catalog.py"]
    assert 'session.get(f"{CATALOG_URL}/products/{sku}", timeout=10)' in catalog
    assert 'http.post(f"{CATALOG_URL}/prices", json={"skus": skus}, timeout=10)' in catalog
    assert 'request.http.get(f"{CATALOG_URL}/products{request.path}", timeout=10)' in catalog
    # a redis pool of one module whose client another module reads from with BLPOP: the pool gets
    # a connect timeout only (a read timeout would break the worker's wait); the clients built on
    # pools get none (they take the pools')
    pools = code["services/payments/payments/redis_pools.py"]
    assert "QUEUE_POOL = redis.ConnectionPool(host=REDIS_HOST, db=4, socket_connect_timeout=10)" in pools
    assert "STATUS_POOL = redis.ConnectionPool(host=REDIS_HOST, db=3, socket_timeout=5)" in pools
    assert code["services/payments/payments/settlement.py"] == \
        (FIXTURE / "services/payments/payments/settlement.py").read_text()
    # the framework's own v1 module and API stay: they are the compatibility layer
    assert (root / "libs/acme-framework/acme/settings.py").read_bytes() == \
        (FIXTURE / "libs/acme-framework/acme/settings.py").read_bytes()


def test_running_migrate_twice_changes_nothing(migrated, tmp_path):
    root = tmp_path / "again"
    shutil.copytree(migrated["root"], root)
    before = tree(root)
    second = svcmod("migrate", "v2", str(root), "--report-json", str(tmp_path / "second.json"), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert tree(root) == before
    data = json.loads((tmp_path / "second.json").read_text())
    assert data["totals"]["edits"] == 0 and data["totals"]["files_changed"] == 0


def test_in_process_run_gives_the_same_tree(migrated, tmp_path):
    root = copy_fixture(tmp_path / "svcmod-demo")
    result = run_in_process(["migrate", "v2", str(root)], cwd=tmp_path)
    assert result.exit_code == 0, result
    assert tree(root) == tree(migrated["root"])


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_patches_apply_to_a_pristine_copy_and_give_the_migrated_tree(migrated, tmp_path):
    pristine = copy_fixture(tmp_path / "pristine")
    plain = copy_fixture(tmp_path / "plain")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "pristine"]):
        subprocess.run(git + args, cwd=pristine, check=True, capture_output=True)
    projects = {p["name"]: p for p in migrated["json"]["projects"]}
    patches = sorted((migrated["base"] / "patches").iterdir())
    assert [p.name for p in patches] == ["services-notifications.patch", "services-orders.patch",
                                        "services-payments.patch"]
    for name, project in projects.items():
        if not project["files_changed"]:
            assert project["patch"] is None
            continue
        patch = Path(project["patch"])
        text = patch.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            if line.startswith(("--- ", "+++ ", "diff --git ")):
                assert "/.." not in line and " /" not in line.replace("--- /dev/null", "") and "\\" not in line
        # the migrated copy is no git work tree: the report says to apply from the project's directory
        assert project["apply"] == {"from": "the project's directory", "command": f"git apply {patch.name}"}
        applied = subprocess.run(git + ["apply", "--verbose", str(patch)], cwd=plain / name,
                                 capture_output=True, text=True)
        assert applied.returncode == 0 and "Skipped" not in applied.stderr, applied.stderr
        # in a monorepo checkout, from the top with --directory
        applied = subprocess.run(git + ["apply", "--verbose", f"--directory={name}", str(patch)], cwd=pristine,
                                 capture_output=True, text=True)
        assert applied.returncode == 0 and "Skipped" not in applied.stderr, applied.stderr
    assert tree(pristine) == tree(migrated["root"])
    assert tree(plain) == tree(migrated["root"])


def test_json_report_lists_each_project_with_edits_and_follow_ups(migrated):
    data = migrated["json"]
    assert data["migration"] == "v2"
    projects = {p["name"]: p for p in data["projects"]}
    assert sorted(projects) == PROJECTS
    for service in SERVICES:
        project = projects[f"services/{service}"]
        assert project["edits"], service
        assert project["follow_ups"], service
        assert any(e["changes_behaviour"] for e in project["edits"])
        assert any(not e["changes_behaviour"] for e in project["edits"])
        for item in project["edits"] + project["follow_ups"]:
            assert not item["file"].startswith(("/", "..")) and item["line"] >= 1
    orders = projects["services/orders"]
    assert {"SVC101", "SVC301", "SVC302", "SVC307", "SVC203"} <= set(orders["edits_by_rule"])
    assert orders["edits_by_rule"]["SVC101"]["changes_behaviour"] == orders["edits_by_rule"]["SVC101"]["count"]
    # unsafe: retrying 1.3 also retried KeyboardInterrupt and SystemExit, tenacity does not
    assert orders["edits_by_rule"]["SVC301"]["changes_behaviour"] == orders["edits_by_rule"]["SVC301"]["count"]
    assert ("SVC306", "orders/events.py") in {(f["code"], f["file"]) for f in orders["follow_ups"]}
    assert projects["libs/acme-framework"]["edits"] == []


def test_declared_framework_deprecations_appear_under_their_codes(migrated):
    projects = {p["name"]: p for p in migrated["json"]["projects"]}
    edits = {name: {(e["code"], e["file"]) for e in p["edits"]} for name, p in projects.items()}
    assert ("SVC401", "orders/inventory.py") in edits["services/orders"]  # import acme.rpc; acme.rpc.call
    assert ("SVC402", "orders/inventory.py") in edits["services/orders"]  # import acme.settings
    assert ("SVC401", "payments/ledger.py") in edits["services/payments"]  # import acme.rpc as rpc
    assert ("SVC401", "notifications/email.py") in edits["services/notifications"]  # from acme.rpc import call
    assert ("SVC402", "notifications/email.py") in edits["services/notifications"]  # from acme.settings import
    assert ("SVC401", "notifications/fanout.py") in edits["services/notifications"]  # from acme import rpc; alias
    broadcast = [f for f in projects["services/notifications"]["follow_ups"] if f["code"] == "SVC403"]
    assert [(f["file"], f["line"]) for f in broadcast] == [("notifications/fanout.py", 11)]
    markdown = migrated["markdown"]
    assert "SVC401 deprecated-acme-rpc-call" in markdown
    assert "- [ ] `notifications/fanout.py:11` SVC403" in markdown


def test_markdown_report_is_a_pull_request_body_per_project(migrated):
    markdown = migrated["markdown"]
    sections = markdown.split("\n---\n")
    assert len(sections) == len(PROJECTS)
    for section, name in zip(sections, PROJECTS):
        assert f"## svcmod migrate v2: `{name}`" in section
        assert "### Manual follow-ups" in section
    orders = sections[PROJECTS.index("services/orders")]
    assert "### Edits that change behaviour" in orders
    assert "`orders/payments_client.py:36` SVC101" in orders
    assert "- [ ] `orders/events.py:32` SVC306" in orders
    assert "### Apply\n\nFrom the project's directory:\n\n```sh\ngit apply services-orders.patch\n```" in orders


def test_terminal_table_names_every_project(migrated):
    out = migrated["run"].stdout
    for name in PROJECTS:
        assert name in out
    assert "across 4 projects" in out


BUILD_REPLAY_SESSION = """
from orders.scripts.replay_callbacks import session
retry = session().get_adapter("https://orders.internal").max_retries
print(retry.total, sorted(retry.allowed_methods))
"""


@pytest.mark.parametrize("state", ["pristine", "migrated"])
def test_urllib3_1_only_code_builds_its_retry_under_urllib3_2_only_after_migration(migrated, tmp_path, state):
    root = copy_fixture(tmp_path / state) if state == "pristine" else migrated["root"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    built = subprocess.run([sys.executable, "-c", BUILD_REPLAY_SESSION], cwd=root / "services" / "orders",
                           capture_output=True, text=True, env=env, timeout=120)
    if state == "pristine":
        assert built.returncode != 0 and "method_whitelist" in built.stderr, built.stderr
    else:
        assert built.returncode == 0, built.stderr
        assert built.stdout.split()[0] == "5" and "'GET'" in built.stdout and "'POST'" not in built.stdout
