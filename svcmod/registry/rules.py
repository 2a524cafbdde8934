"""Which rules exist: the modules of ``svcmod.lint_rules``, third-party packs, declared deprecations."""
from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Type

from svcmod.project.config import (
    Config,
    ConfigError,
    check_codes,
    did_you_mean,
    is_selected,
)
from svcmod.results import ENGINE_CODES
from svcmod.settings import Setting

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.rule import Rule

# svcmod.rule and the rules import LibCST: imported only when rule classes are needed (a warm run
# validates against svcmod.registry.index's record instead)


def entry_points(group: str) -> list:
    from importlib.metadata import entry_points
    if sys.version_info >= (3, 10):
        return list(entry_points(group=group))
    return list(entry_points().get(group, []))  # pragma: no cover


@lru_cache(maxsize=None)
def builtin_rules() -> Tuple[Type[Rule], ...]:
    """Every rule class of ``svcmod.lint_rules`` and of installed ``svcmod.rules`` entry points."""
    import svcmod.lint_rules as package
    from svcmod.rule import Rule
    found: Dict[str, Type[Rule]] = {}

    def add(candidate: Any, origin: str) -> None:
        if inspect.isclass(candidate) and issubclass(candidate, Rule) and candidate is not Rule and candidate.code:
            other = found.get(candidate.code)
            if other is not None and other is not candidate:
                raise ConfigError(f"rule code {candidate.code} is defined twice: {other.__module__} and {origin}")
            found[candidate.code] = candidate

    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if getattr(value, "__module__", None) == module.__name__:
                add(value, module.__name__)
    for entry in entry_points("svcmod.rules"):
        loaded = entry.load()
        for value in (loaded if isinstance(loaded, (list, tuple)) else [loaded]):
            add(value, f"entry point {entry.name}")
    return tuple(sorted(found.values(), key=lambda r: r.code))


def declared_rules(config: Config) -> Tuple[Type[Rule], ...]:
    """Rules made from the ``[[tool.svcmod.deprecations]]`` of ``config``."""
    if not config.deprecations:
        return ()
    from svcmod.registry.declared import rules_from_config
    return rules_from_config(config, builtin_rules())


def rules_for(config: Config) -> Tuple[Type[Rule], ...]:
    return builtin_rules() + declared_rules(config)


def known_codes(config: Config, installed: Optional[Sequence[Any]] = None) -> List[str]:
    """Every code ``config`` may name; ``installed``: the rules (classes or index records) if known."""
    return [r.code for r in (rules_for(config) if installed is None else installed)] + list(ENGINE_CODES)


def validate(config: Config, installed: Optional[Sequence[Any]] = None) -> None:
    """Check codes and rule options of ``config`` against the rules that exist (``installed``: the
    rule classes, or svcmod.registry.index's records of them; by default the imported classes)."""
    where = str(config.path) if config.path else "command line"
    rules = {r.code: r for r in (rules_for(config) if installed is None else installed)}
    codes = list(rules) + list(ENGINE_CODES)
    check_codes(config.select, codes, f"{where}: select")
    check_codes(config.extend_select, codes, f"{where}: extend-select")
    check_codes(config.ignore, codes, f"{where}: ignore")
    check_codes(config.fixable, codes, f"{where}: fixable")
    check_codes(config.unfixable, codes, f"{where}: unfixable")
    for pattern, ignored in config.per_file_ignores:
        check_codes(ignored, codes, f"{where}: per-file-ignores \"{pattern}\"")
    for code, options in config.rule_options.items():
        rule = rules.get(code)
        if rule is None:
            raise ConfigError(f"{where}: [tool.svcmod.rules.{code}]: unknown rule code{did_you_mean(code, rules)}")
        for key, value in options.items():
            if key not in rule.options:
                names = ", ".join(rule.options) or "none"
                raise ConfigError(f"{where}: [tool.svcmod.rules.{code}] unknown option '{key}'"
                                  f"{did_you_mean(key, rule.options)} (options of {code}: {names})")
            allowed = rule.choices.get(key)
            if allowed is not None and value not in allowed:
                raise ConfigError(f"{where}: [tool.svcmod.rules.{code}] {key}: expected one of "
                                  f"{', '.join(repr(a) for a in allowed)}, got {value!r}")
            default = rule.options[key]
            expected = _expected_type(default)
            if expected and not (isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected)):
                raise ConfigError(f"{where}: [tool.svcmod.rules.{code}] {key}: expected "
                                  f"{' or '.join(t.__name__ for t in expected)}, got {value!r}")
            if expected == (int, float) and not (math.isfinite(value) and value > 0):
                # the value is written into code (timeout=inf is a NameError; 0 or -5 never waits)
                raise ConfigError(f"{where}: [tool.svcmod.rules.{code}] {key}: expected a finite "
                                  f"positive number, got {value!r}")


def _expected_type(default: Any) -> Tuple[type, ...]:
    if isinstance(default, Setting):
        return (int, float)
    if isinstance(default, bool):
        return (bool,)
    if isinstance(default, (int, float)):
        return (int, float)
    if isinstance(default, str):
        return (str,)
    if isinstance(default, (list, tuple)):
        return (list,)
    return ()


def selected_rules(config: Config) -> Tuple[Type[Rule], ...]:
    select = config.select + config.extend_select
    return tuple(r for r in rules_for(config) if is_selected(r.code, select, config.ignore))


def find_rule(code: str, config: Config) -> Type[Rule]:
    for rule in rules_for(config):
        if rule.code == code.upper() or rule.name == code:
            return rule
    raise ConfigError(f"unknown rule '{code}'{did_you_mean(code.upper(), [r.code for r in rules_for(config)])}")
