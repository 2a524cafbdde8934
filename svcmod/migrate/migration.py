"""Migrations: named, ordered lists of rule fixes applied as one opt-in, and what is left as manual work.

A migration names the rules whose fixes it applies (unsafe ones included: running the migration is
the user's consent) and the rules whose findings it lists as manual follow-ups. Built in: ``v2``.
Config ``[tool.svcmod.migrations.NAME]`` extends or defines migrations, plugins ship more through
the ``svcmod.migrations`` entry-point group, and every declared deprecation
(``[[tool.svcmod.deprecations]]``) whose ``migrations`` names a migration joins it.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

from svcmod.project.config import Config, ConfigError, ConfigFinder, did_you_mean
from svcmod.rule import FixStep, FollowUp

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.outputs.reports import ProjectReport
    from svcmod.rule import Requires
    from svcmod.results import FileResult, RunResult

ENTRY_POINT_GROUP = "svcmod.migrations"


@dataclass(frozen=True)
class Step:
    """One stage of a migration: a title users read and the rule codes whose fixes it applies."""

    title: str
    codes: Tuple[str, ...]


@dataclass(frozen=True)
class Migration:
    """A named recipe: ordered steps of fixes, then the codes whose findings are manual follow-ups.

    Codes may be prefixes (``SVC1``). The steps are applied together in one run per file and
    repeated until the file settles, so a later step builds on an earlier one's output (SVC301 turns
    ``retrying`` into tenacity, then SVC201 bounds that tenacity retry in the next round).
    """

    name: str
    description: str
    steps: Tuple[Step, ...]
    follow_ups: Tuple[str, ...] = ()
    #: Add the declared deprecations whose ``migrations`` name this migration.
    declared: bool = True
    origin: str = "built in"


@dataclass(frozen=True)
class BuiltinMigration:
    """A built-in migration before its rules are known: its steps' keys (what a rule names in
    ``FixStep``) and titles, in the order they run. Each rule places itself in it (``Rule.in_migrations``):
    ``FixStep("v2", "deadlines")`` puts its fixes in that step, ``FollowUp("v2")`` lists its findings
    as manual follow-ups."""

    name: str
    description: str
    steps: Tuple[Tuple[str, str], ...]

    def with_rules(self, rules: Sequence[type]) -> Migration:
        """The migration made of the places ``rules`` (in code order) declare in it."""
        fixes: Dict[str, List[str]] = {key: [] for key, _ in self.steps}
        follow_ups: List[str] = []
        for rule in rules:
            for role in getattr(rule, "in_migrations", None) or ():
                if role.migration != self.name:
                    continue
                if isinstance(role, FixStep):
                    if role.step not in fixes:
                        raise ConfigError(f"rule {rule.code} ({rule.__module__}): migration '{self.name}' has no "
                                          f"step '{role.step}'{did_you_mean(role.step, fixes)} "
                                          f"(steps: {', '.join(fixes)})")
                    fixes[role.step].append(rule.code)
                elif isinstance(role, FollowUp):
                    follow_ups.append(rule.code)
        steps = tuple(Step(title, tuple(fixes[key])) for key, title in self.steps)
        return Migration(self.name, self.description, steps, tuple(follow_ups))


V2 = BuiltinMigration(
    name="v2",
    description="the service baseline: deprecated usages rewritten, a deadline on every outbound call, "
                "every retry bounded and jittered; the rest listed as manual follow-ups",
    steps=(
        ("deprecations", "deprecated usages rewritten"),
        ("deadlines", "every outbound call gets a deadline"),
        ("retries", "every retry gets a bound and a jittered backoff"),
    ),
)

BUILTIN: Tuple[BuiltinMigration, ...] = (V2,)


def builtin() -> Tuple[Migration, ...]:
    """The built-in migrations, with the rules that place themselves in them (third-party packs too)."""
    from svcmod.registry.rules import builtin_rules
    rules = builtin_rules()
    return tuple(migration.with_rules(rules) for migration in BUILTIN)


@dataclass(frozen=True)
class Plan:
    """A migration made concrete for one configuration: the exact codes it fixes and reports."""

    migration: Migration
    steps: Tuple[Step, ...]  # codes expanded to the rules that exist
    follow_ups: Tuple[str, ...]
    missing: Tuple[str, ...] = ()  # codes the migration names that no installed rule has
    #: what the code each fixing rule writes needs installed (retrying → tenacity>=8)
    requires: Mapping[str, Tuple["Requires", ...]] = field(default_factory=dict)

    @property
    def fix_codes(self) -> FrozenSet[str]:
        return frozenset(code for step in self.steps for code in step.codes)

    @property
    def codes(self) -> FrozenSet[str]:
        return self.fix_codes | frozenset(self.follow_ups)


# -- where migrations come from ---------------------------------------------------------------
def _plugin_migrations() -> List[Migration]:
    from svcmod.registry.rules import entry_points
    found: List[Migration] = []
    for entry in entry_points(ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
            if callable(loaded) and not isinstance(loaded, Migration):
                loaded = loaded()
        except Exception as error:  # a broken plugin is a clear error, not a traceback
            raise ConfigError(f"entry point '{entry.name}' in group {ENTRY_POINT_GROUP}: cannot load: "
                              f"{type(error).__name__}: {error}") from None
        items = [loaded] if isinstance(loaded, Migration) else list(loaded) if isinstance(loaded, (list, tuple)) else [loaded]
        for item in items:
            if not isinstance(item, Migration):
                raise ConfigError(f"entry point '{entry.name}' in group {ENTRY_POINT_GROUP}: expected a "
                                  f"svcmod.migrate.Migration, got {type(item).__name__}")
            found.append(replace(item, origin=f"plugin {entry.name}"))
    return found


def installed() -> Dict[str, Migration]:
    """Built-in migrations and those of installed plugins, by name."""
    migrations: Dict[str, Migration] = {}
    for migration in list(builtin()) + _plugin_migrations():
        other = migrations.get(migration.name)
        if other is not None:
            raise ConfigError(f"migration '{migration.name}' is defined twice: {other.origin} and {migration.origin}")
        migrations[migration.name] = migration
    return migrations


#: ``[tool.svcmod.migrations.NAME]`` keys and what each expects.
CONFIG_KEYS: Dict[str, str] = {
    "description": "a string",
    "based-on": "the name of the migration to start from",
    "rules": "a list of rule codes or prefixes whose fixes the migration applies (replaces the steps)",
    "extend-rules": "a list of rule codes or prefixes whose fixes are applied too",
    "follow-ups": "a list of rule codes or prefixes listed as manual follow-ups (replaces the list)",
    "extend-follow-ups": "a list of rule codes or prefixes listed as manual follow-ups too",
    "ignore": "a list of rule codes or prefixes the migration leaves alone",
    "declared-deprecations": "true or false: add the declared deprecations naming this migration",
}


def available(config: Config, installed_ones: Optional[Mapping[str, Migration]] = None) -> Dict[str, Migration]:
    """Every migration usable under ``config``: installed ones, as extended or defined in config."""
    migrations = dict(installed_ones if installed_ones is not None else installed())
    for name, table in config.migrations.items():
        migrations[name] = _from_config(name, table, migrations, config)
    return migrations


def _from_config(name: str, table: Mapping[str, Any], known: Mapping[str, Migration], config: Config) -> Migration:
    source = table.get("__source__") or (str(config.path) if config.path else "configuration")
    where = f"{source}: [tool.svcmod.migrations.{name}]"
    for key, value in table.items():
        if key == "__source__":
            continue
        if key not in CONFIG_KEYS:
            raise ConfigError(f"{where}: unknown key '{key}'{did_you_mean(key, CONFIG_KEYS)} "
                              f"(keys: {', '.join(CONFIG_KEYS)})")
        expected = CONFIG_KEYS[key]
        if key in ("description", "based-on"):
            if not isinstance(value, str):
                raise ConfigError(f"{where} {key}: expected {expected}, got {value!r}")
        elif key == "declared-deprecations":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} {key}: expected {expected}, got {value!r}")
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} {key}: expected {expected}, got {value!r}")
    base_name = table.get("based-on")
    if base_name is not None:
        if base_name == name and name not in known:
            raise ConfigError(f"{where} based-on: '{name}' cannot be based on itself")
        base = known.get(base_name)
        if base is None:
            raise ConfigError(f"{where} based-on: unknown migration '{base_name}'{did_you_mean(base_name, known)}")
    else:
        # [tool.svcmod.migrations.v2] with extend-rules extends the v2 that exists
        base = known.get(name)
    if base is None and "rules" not in table and "extend-rules" not in table and "follow-ups" not in table \
            and "extend-follow-ups" not in table:
        raise ConfigError(f"{where}: a new migration needs 'rules' (or 'based-on' an existing one); "
                          f"known migrations: {', '.join(sorted(known)) or 'none'}")
    codes = _known_codes(config)
    for key in ("rules", "extend-rules", "follow-ups", "extend-follow-ups", "ignore"):
        for code in table.get(key, ()):
            if code != "ALL" and not any(k.startswith(code) for k in codes):
                raise ConfigError(f"{where} {key}: unknown rule code or prefix '{code}'{did_you_mean(code, codes)}")
    steps = base.steps if base is not None else ()
    follow_ups = base.follow_ups if base is not None else ()
    if "rules" in table:
        steps = (Step(f"rules from {Path(source).name}", tuple(table["rules"])),)
    if table.get("extend-rules"):
        steps = steps + (Step(f"added in {Path(source).name}", tuple(table["extend-rules"])),)
    if "follow-ups" in table:
        follow_ups = tuple(table["follow-ups"])
    follow_ups = follow_ups + tuple(table.get("extend-follow-ups", ()))
    ignored = tuple(table.get("ignore", ()))
    if ignored:
        steps = tuple(Step(s.title, tuple(c for c in s.codes if not _covers(ignored, c))) for s in steps)
        follow_ups = tuple(c for c in follow_ups if not _covers(ignored, c))
    description = table.get("description") or (base.description if base is not None else f"defined in {source}")
    declared = table.get("declared-deprecations", base.declared if base is not None else True)
    return Migration(name, description, steps, follow_ups, declared, origin=source)


def _covers(selectors: Iterable[str], code: str) -> bool:
    return any(s == "ALL" or code.startswith(s) for s in selectors)


def _known_codes(config: Config) -> List[str]:
    from svcmod.registry.rules import known_codes
    return known_codes(config)


def resolve(name: str, config: Config, installed_ones: Optional[Mapping[str, Migration]] = None) -> Plan:
    """The migration ``name`` under ``config``, with prefixes expanded and declared deprecations added."""
    migrations = available(config, installed_ones)
    migration = migrations.get(name)
    if migration is None:
        raise ConfigError(f"unknown migration '{name}'{did_you_mean(name, migrations)}; "
                          f"available: {', '.join(sorted(migrations)) or 'none'} (svcmod migrate --list)")
    from svcmod.registry.rules import rules_for
    rules = rules_for(config)
    existing = [r.code for r in rules]
    missing: List[str] = []

    def expand(selectors: Sequence[str], taken: set) -> Tuple[str, ...]:
        out: List[str] = []
        for selector in selectors:
            matched = [c for c in existing if (selector == "ALL" or c.startswith(selector)) and c not in taken]
            if not matched and not any(c.startswith(selector) for c in existing):
                missing.append(selector)
            for code in matched:
                taken.add(code)
                out.append(code)
        return tuple(out)

    taken: set = set()
    steps = [Step(s.title, expand(s.codes, taken)) for s in migration.steps]
    declared_reports: Tuple[str, ...] = ()
    if migration.declared:
        named = [r for r in rules if name in tuple(getattr(r, "migrations", ()) or ()) and r.code not in taken]
        # a declared deprecation without a replacement can only be reported: a follow-up
        declared = tuple(r.code for r in named if r.fix_safety is not None)
        declared_reports = tuple(r.code for r in named if r.fix_safety is None)
        taken.update(r.code for r in named)
        if declared:
            if steps:
                steps[0] = Step(steps[0].title, steps[0].codes + declared)
            else:
                steps.append(Step("declared deprecations", declared))
    follow_ups = expand(migration.follow_ups, taken) + declared_reports
    fixing = {code for step in steps for code in step.codes}
    requires = {r.code: tuple(r.requires) for r in rules if r.code in fixing and r.requires}
    return Plan(migration, tuple(steps), follow_ups, tuple(dict.fromkeys(missing)), requires)


# -- running one --------------------------------------------------------------------------------
@dataclass
class MigrationOutcome:
    """What ``migrate`` did: the plan(s) used, the engine's results and the per-project reports."""

    name: str
    mode: str  # "write", "check" or "diff"
    plans: List[Plan]
    result: "RunResult"
    projects: List["ProjectReport"] = field(default_factory=list)
    #: dependency manifests edited (or to be edited): absolute path -> (bytes before, bytes after)
    manifests: Dict[Path, Tuple[bytes, bytes]] = field(default_factory=dict)

    @property
    def changed_files(self) -> List["FileResult"]:
        return [r for r in self.result.files if r.fixed is not None and r.original is not None
                and r.fixed != r.original]

    @property
    def pending(self) -> bool:
        """True when the migration would change (or, in write mode, changed) some file."""
        return bool(self.changed_files) or bool(self.manifests)


def migrate(name: str, paths: Sequence[Path] = (Path("."),), *, mode: str = "write",
            jobs: Optional[int] = None, config_file: Optional[Path] = None,
            progress: Optional[Callable[[int, int], None]] = None,
            shard: Optional[Tuple[int, int]] = None, force_write: bool = False) -> MigrationOutcome:
    """Apply migration ``name`` to ``paths`` (several paths: several repositories).

    ``mode`` is ``"write"`` (rewrite the files), ``"check"`` or ``"diff"`` (write nothing);
    ``force_write`` writes read-only and hard-linked files too, as ``lint --fix --force-write``. Each file
    gets the migration as its nearest configuration defines it. Raises ConfigError on bad config
    or an unknown migration.
    """
    from svcmod.check.policy import FixPolicy
    from svcmod.outputs.reports import build_reports
    from svcmod.project.discovery import Discovery
    from svcmod.results import RunResult
    from svcmod.run.engine import RunOptions, run
    from svcmod.run.stopping import Interrupted

    if mode not in ("write", "check", "diff"):
        raise ValueError(f"unknown mode {mode!r}")
    started = time.perf_counter()
    paths = list(paths) or [Path(".")]
    finder = ConfigFinder(config_file)
    discovery = Discovery(finder)
    files = discovery.files(paths)
    identity = None
    everything = files
    if shard is not None:
        files, identity = _shard_by_project(files, paths, finder, *shard)

    # files whose configurations give the same plan run together (usually: all of them)
    shipped = installed()  # entry points read once, not once per configuration
    plans: Dict[int, Plan] = {}
    groups: Dict[Tuple[FrozenSet[str], FrozenSet[str]], Tuple[Plan, List[Path]]] = {}
    for file in files:
        config = finder.for_path(file)
        plan = plans.get(id(config))
        if plan is None:
            plan = plans[id(config)] = resolve(name, config, shipped)
        groups.setdefault((plan.fix_codes, plan.codes), (plan, []))[1].append(file)
    if not groups:
        # nothing to check: still say whether the migration exists
        here = paths[0] if paths[0].is_dir() else paths[0].parent
        plan = resolve(name, finder.for_path(here.absolute() / "x.py"), shipped)
        groups[(plan.fix_codes, plan.codes)] = (plan, [])

    merged = RunResult(problems=list(discovery.problems), shard=identity)
    finished = 0
    for plan, group_files in groups.values():
        if not group_files:
            continue
        report_progress = None
        if progress is not None:
            report_progress = (lambda offset: lambda done, _total: progress(offset + done, len(files)))(finished)
        options = RunOptions(
            paths=paths, files=group_files,
            fix=FixPolicy(apply=True, unsafe=True, only=plan.fix_codes),
            only_codes=plan.codes,
            write=mode == "write", force_write=force_write, keep_sources=True, jobs=jobs, config_file=config_file,
            index_files=everything if shard is not None else None,  # a project may lend another a client
        )
        try:
            result = run(options, progress=report_progress)
        except Interrupted as stop:  # the files earlier groups wrote were written too
            stop.written[:0] = [f.filename for f in merged.files if f.written]
            raise
        finished += len(group_files)
        merged.files.extend(result.files)
        merged.problems.extend(result.problems)
        merged.projects.update(result.projects)
        merged.paths.update(result.paths)
        merged.project_dirs.update(result.project_dirs)
    merged.files.sort(key=lambda r: r.filename)
    unique_plans = list({id(p): p for p, _ in groups.values()}.values())
    outcome = MigrationOutcome(name, mode, unique_plans, merged)
    merged.elapsed = time.perf_counter() - started
    outcome.projects = build_reports(merged)
    requires: Dict[str, Tuple["Requires", ...]] = {}
    for plan in unique_plans:
        requires.update(plan.requires)
    from svcmod.migrate.dependencies import update_manifests
    update_manifests(outcome, requires, write=mode == "write", force=force_write)
    merged.elapsed = time.perf_counter() - started
    # files' seconds are summed over the workers (and so over the cores): each project gets its
    # share of the run's wall time, so the projects add up to the run
    busy = sum(p.seconds for p in outcome.projects)
    for project in outcome.projects:
        project.seconds = merged.elapsed * project.seconds / busy if busy else 0.0
    return outcome


def _shard_by_project(files: Sequence[Path], paths: Sequence[Path], finder: ConfigFinder, k: int, n: int):
    """The files of the projects in shard ``k`` of ``n``, and the shard's identity.

    A migration is split by project, not by file: a project's dependency manifests, patch and
    pull-request body then come whole from one job, and merging is putting projects side by side.
    """
    from svcmod.project.projects import ProjectFinder
    from svcmod.run.sharding import config_digest, given_roots, relative_name, shard_identity, shard_of
    projects = ProjectFinder(list(paths))
    roots = given_roots(paths)
    chosen: List[Path] = []
    project_of_dir: Dict[str, str] = {}
    configs: Dict[int, Config] = {}
    for file in files:
        directory = os.path.dirname(os.path.abspath(file))
        config = finder.for_path(file)
        configs.setdefault(id(config), config)
        name = project_of_dir.get(directory)
        if name is None:
            project = projects.project_of(Path(os.path.abspath(file)), config)
            name = project_of_dir[directory] = projects.name_of(project)  # as reports name it
        if shard_of(name, n) == k:
            chosen.append(file)
    identity = shard_identity(k, n, [relative_name(f, roots) for f in chosen], [relative_name(f, roots) for f in files],
                              config_digest([c.fingerprint() for c in configs.values()]))
    return chosen, identity

