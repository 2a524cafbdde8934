"""Declared deprecations (SVC4xx): rules made from ``[[tool.svcmod.deprecations]]`` entries in config.

A framework team declares its own API moves as data::

    [[tool.svcmod.deprecations]]
    code = "SVC401"
    name = "acme.rpc.call"                # the deprecated callable, attribute or module
    replacement = "acme.rpc.v2.invoke"    # omit: report only
    rename-kwargs = { deadline_ms = "timeout_ms" }
    remove-kwargs = ["legacy"]
    message = "acme.rpc.call was removed in the v2 framework"
    migrations = ["v2"]

Each entry becomes a ``Rule`` subclass. Its safe fix moves every way a file can reach the deprecated
name: ``from acme.rpc import call [as c]`` becomes ``from acme.rpc.v2 import invoke [as c]`` (the
uses of an unaliased name are renamed), ``acme.rpc.call(...)`` after ``import acme.rpc`` becomes
``acme.rpc.v2.invoke(...)`` with ``import acme.rpc.v2``, ``r.call(...)`` after ``import acme.rpc as r``
becomes ``invoke(...)`` with ``from acme.rpc.v2 import invoke``, and a moved module takes its imports
and submembers along (``import acme.settings as s`` → ``import acme.config as s``,
``from acme.settings import get`` → ``from acme.config import get``). Keyword renames and removals
apply only at call sites of the deprecated callable.
"""
from __future__ import annotations

import json
import keyword as python_keyword
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Sequence, Tuple, Type

from svcmod.project.config import Config, ConfigError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.rule import Rule

# The rule classes (svcmod.registry.declared_rules) import LibCST: this module reads and checks the
# entries without it, so a warm run with declared deprecations imports no rule either

KEYS = ("code", "name", "replacement", "rename-kwargs", "remove-kwargs", "message", "migrations", "requires")
_CODE = re.compile(r"^SVC4[0-9]{2}$")


def rules_from_config(config: Config, existing: Sequence[Type[Rule]]) -> Tuple[Type[Rule], ...]:
    """One rule class per declared deprecation of ``config``; ``ConfigError`` for a wrong entry or
    a code that one of the ``existing`` rules already has."""
    entries = [{k: v for k, v in entry.items()} for entry in config.deprecations]
    rules = _rules(json.dumps(entries, sort_keys=True, default=str))
    taken = {rule.code: rule for rule in existing}
    for rule in rules:
        other = taken.get(rule.code)
        if other is not None:
            raise ConfigError(f"{rule.deprecation.source}: code: '{rule.code}' is already the code of "
                              f"rule {other.name} ({other.__module__})")
    return rules


@lru_cache(maxsize=64)
def _rules(serialized: str) -> Tuple[Type[Rule], ...]:
    # the same entries give the same classes: configs are read once per directory, rules per worker
    return tuple(deprecation.rule_class() for deprecation in _deprecations(serialized))


@lru_cache(maxsize=64)
def _deprecations(serialized: str) -> Tuple["Deprecation", ...]:
    entries = json.loads(serialized)
    seen: Dict[str, str] = {}
    found = []
    for entry in entries:
        deprecation = Deprecation.from_entry(entry)
        if deprecation.code in seen:
            raise ConfigError(f"{deprecation.source}: code: '{deprecation.code}' is already declared by "
                              f"{seen[deprecation.code]}")
        seen[deprecation.code] = deprecation.source
        found.append(deprecation)
    return tuple(found)


def _is_dotted_name(value: str) -> bool:
    parts = value.split(".")
    return all(part.isidentifier() and not python_keyword.iskeyword(part) for part in parts)


def _is_identifier(value: Any) -> bool:
    return isinstance(value, str) and value.isidentifier() and not python_keyword.iskeyword(value)


class Deprecation:
    """One validated ``[[tool.svcmod.deprecations]]`` entry."""

    def __init__(self, source: str, code: str, name: str, replacement: Optional[str],
                 rename_kwargs: Mapping[str, str], remove_kwargs: Sequence[str], message: Optional[str],
                 migrations: Sequence[str], requires: Optional[str] = None) -> None:
        self.source = source
        self.code = code
        self.name = name
        self.replacement = replacement
        self.rename_kwargs = dict(rename_kwargs)
        self.remove_kwargs = tuple(remove_kwargs)
        self.message = message or (f"{name} is deprecated: use {replacement}" if replacement
                                   else f"{name} is deprecated")
        self.migrations = tuple(migrations)
        #: the distribution (a requirement string) the replacement comes from: migrations add it
        self.requires = requires

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> "Deprecation":
        source = str(entry.get("__source__", "[[tool.svcmod.deprecations]]"))

        def fail(key: str, problem: str) -> ConfigError:
            return ConfigError(f"{source}: {key}: {problem}")

        for key in entry:
            if key != "__source__" and key not in KEYS:
                raise ConfigError(f"{source}: unknown key '{key}'{did_you_mean(key, KEYS)} "
                                  f"(keys: {', '.join(KEYS)})")
        for key in ("code", "name"):
            if key not in entry:
                raise fail(key, "missing (every deprecation needs a code and a name)")
        code = entry["code"]
        if not isinstance(code, str) or not _CODE.match(code):
            raise fail("code", f"expected a code SVC400-SVC499 for a declared deprecation, got {code!r}")
        names = {}
        for key in ("name", "replacement"):
            value = entry.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise fail(key, f"expected a dotted name as a string, got {type(value).__name__} {value!r}")
            if not _is_dotted_name(value):
                raise fail(key, f"'{value}' is not a qualified dotted name such as 'package.module.function'")
            names[key] = value
        if names.get("replacement") == names["name"]:
            raise fail("replacement", "is the deprecated name itself")
        rename = entry.get("rename-kwargs", {})
        if not isinstance(rename, dict):
            raise fail("rename-kwargs", f"expected a table of old = \"new\" keyword names, got {rename!r}")
        for old, new in rename.items():
            if not _is_identifier(old) or not _is_identifier(new):
                raise fail("rename-kwargs", f"expected keyword names, got {old!r} = {new!r}")
        remove = entry.get("remove-kwargs", [])
        if not isinstance(remove, list) or not all(_is_identifier(k) for k in remove):
            raise fail("remove-kwargs", f"expected a list of keyword names, got {remove!r}")
        both = set(rename) & set(remove)
        if both:
            raise fail("remove-kwargs", f"{', '.join(sorted(both))} is also renamed in rename-kwargs")
        message = entry.get("message")
        if message is not None and not isinstance(message, str):
            raise fail("message", f"expected a string, got {type(message).__name__} {message!r}")
        migrations = entry.get("migrations", [])
        if not isinstance(migrations, list) or not all(isinstance(m, str) and m for m in migrations):
            raise fail("migrations", f"expected a list of migration names, got {migrations!r}")
        requires = entry.get("requires")
        if requires is not None:
            from packaging.requirements import InvalidRequirement, Requirement
            try:
                Requirement(requires if isinstance(requires, str) else "")
            except InvalidRequirement:
                raise fail("requires", f"expected a requirement such as \"acme-framework>=2\", got {requires!r}") \
                    from None
        return cls(source, code, names["name"], names.get("replacement"), rename, remove, message, migrations,
                   requires)

    @property
    def fixes_anything(self) -> bool:
        return self.replacement is not None or bool(self.rename_kwargs) or bool(self.remove_kwargs)

    def rule_class(self) -> Type[Rule]:
        """A ``DeclaredDeprecation`` subclass for this entry."""
        from svcmod.registry.declared_rules import rule_class
        return rule_class(self)

    @property
    def module(self) -> str:
        """The top-level module whose import the rule's fast path looks for."""
        return self.name.split(".")[0]


def deprecations_of(config: Config) -> Tuple["Deprecation", ...]:
    """The declared deprecations of ``config``, checked as ``rules_from_config`` checks them, without
    making their rules (a warm run takes what it needs of them from here: codes and modules)."""
    entries = [{k: v for k, v in entry.items()} for entry in config.deprecations]
    return _deprecations(json.dumps(entries, sort_keys=True, default=str))
