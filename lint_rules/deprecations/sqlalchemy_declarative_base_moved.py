"""SVC311: ``sqlalchemy.ext.declarative.declarative_base`` and friends, moved to ``sqlalchemy.orm``."""
from __future__ import annotations

import libcst as cst

from svcmod.rule import SAFE, AddImport, FastPath, Fix, FixStep, Invalid, Parts, RemoveImport, Rule, Valid, dotted

OLD = "sqlalchemy.ext.declarative"
#: Names that moved from ``sqlalchemy.ext.declarative`` to ``sqlalchemy.orm`` in SQLAlchemy 1.4.
MOVED = frozenset({"declarative_base", "declared_attr", "as_declarative", "has_inherited_table",
                   "synonym_for", "DeclarativeMeta"})


class SqlalchemyDeclarativeBaseMoved(Rule):
    """Checks for `declarative_base` (and `declared_attr`, …) imported from `sqlalchemy.ext.declarative`.

    ## Why is this bad?
    SQLAlchemy 1.4 moved `declarative_base`, `declared_attr`, `as_declarative`,
    `has_inherited_table`, `synonym_for` and `DeclarativeMeta` into `sqlalchemy.orm`; the old
    location emits `MovedIn20Warning` and is slated for removal. Under 2.0's warnings-as-errors test
    setups it fails outright. Names that still live in `sqlalchemy.ext.declarative`
    (`ConcreteBase`, `AbstractConcreteBase`, `DeferredReflection`) are left alone.

    ## Fix safety
    The fix imports the names from `sqlalchemy.orm` (aliases kept; the other names of a mixed import
    stay where they are) and rewrites attribute uses such as
    `sqlalchemy.ext.declarative.declarative_base()`. It is safe: since 1.4 the old names are the
    same objects re-exported. The project must use SQLAlchemy 1.4 or later. An import guarded by
    `try: … except ImportError:` whose other branch already imports the names from `sqlalchemy.orm`
    is left alone: it copes with both versions.

    ## References
    - https://docs.sqlalchemy.org/en/20/changelog/migration_20.html#declarative-becomes-a-first-class-api
    - https://docs.sqlalchemy.org/en/20/orm/extensions/declarative/index.html
    """

    code = "SVC311"
    name = "sqlalchemy-declarative-base-moved"
    message = "moved to `sqlalchemy.orm` in SQLAlchemy 1.4"
    fix_safety = SAFE
    fast_path = FastPath(
        imports=("sqlalchemy",),
        tokens=(b"declarative",),
        parts=Parts(via_imports=True),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("from sqlalchemy.ext.declarative import declarative_base\nBase = declarative_base()\n",
                fixed="from sqlalchemy.orm import declarative_base\nBase = declarative_base()\n"),
        Invalid("from sqlalchemy.ext.declarative import declarative_base as make_base, declared_attr\n",
                fixed="from sqlalchemy.orm import declarative_base as make_base, declared_attr\n"),
        Invalid("from sqlalchemy.ext.declarative import AbstractConcreteBase, declarative_base\n"
                "Base = declarative_base()\n",
                fixed="from sqlalchemy.ext.declarative import AbstractConcreteBase\n"
                "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n"),
        Invalid("import sqlalchemy as sa\nimport sqlalchemy.ext.declarative\nBase = sa.ext.declarative.declarative_base()\n",
                fixed="import sqlalchemy as sa\nimport sqlalchemy.ext.declarative\nBase = sa.orm.declarative_base()\n"),
        Invalid("from sqlalchemy.ext import declarative\nBase = declarative.declarative_base(metadata=meta)\n",
                fixed="from sqlalchemy.orm import declarative_base\n\n"
                "Base = declarative_base(metadata=meta)\n"),
        Valid("from sqlalchemy.orm import declarative_base\nBase = declarative_base()\n"),
        Valid("try:\n    from sqlalchemy.orm import declarative_base\nexcept ImportError:  # SQLAlchemy < 1.4\n"
              "    from sqlalchemy.ext.declarative import declarative_base\n"),
        Valid("from sqlalchemy.ext.declarative import DeferredReflection, ConcreteBase\n"),
        Valid("import sqlalchemy\nfrom myapp.db import declarative_base\nBase = declarative_base()\n"),
        Valid("import sqlalchemy\nfrom sqlalchemy.ext.declarative import *\n"),
    )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or dotted(node.module) != OLD:
            return
        if isinstance(node.names, cst.ImportStar):
            return
        moved = [a for a in node.names if dotted(a.name) in MOVED]
        if not moved:
            return
        # a guarded import whose other branch already imports from sqlalchemy.orm copes with both
        # versions; rewriting this branch would leave two identical ones
        elsewhere = self.file.names.other_branch_imports(node)
        if all(f"sqlalchemy.orm.{dotted(a.name)}" in elsewhere for a in moved):
            return
        stay = [a for a in node.names if dotted(a.name) not in MOVED]
        listed = ", ".join(f"`{dotted(a.name)}`" for a in moved)
        message = f"{listed} moved to `sqlalchemy.orm` in SQLAlchemy 1.4"
        if not stay:
            self.report(node, message=message,
                        fix=Fix.replace(node.module, cst.parse_expression("sqlalchemy.orm"), safety=SAFE,
                                        description="import from `sqlalchemy.orm`"))
            return
        stay[-1] = stay[-1].with_changes(comma=node.names[-1].comma)  # a trailing comma stays
        imports = [AddImport("sqlalchemy.orm", dotted(a.name),
                             a.asname.name.value if a.asname is not None else None) for a in moved]
        self.report(node, message=message,
                    fix=Fix.replace(node, node.with_changes(names=stay), safety=SAFE, add_imports=imports,
                                    description="import the moved names from `sqlalchemy.orm`"))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value not in MOVED:
            return
        if self.qualified_name(node) != f"{OLD}.{node.attr.value}":
            return
        # `sa.ext.declarative.X` → `sa.orm.X`: sqlalchemy.orm is loaded, ext.declarative imports it
        prefix = node.value
        if isinstance(prefix, cst.Attribute) and prefix.attr.value == "declarative" and \
                isinstance(prefix.value, cst.Attribute) and prefix.value.attr.value == "ext" and \
                self.qualified_name(prefix.value.value) == "sqlalchemy":
            new = node.with_changes(value=cst.Attribute(value=prefix.value.value, attr=cst.Name("orm")))
            self.report(node, fix=Fix.replace(node, new, safety=SAFE, description="use `sqlalchemy.orm`"))
            return
        found = self.file.names.reference_here(f"sqlalchemy.orm.{node.attr.value}", self.file.scope_stack)
        if found is None:
            self.report(node)
            return
        text, imports = found
        # `declarative.declarative_base` was the last use of `from sqlalchemy.ext import declarative`?
        # then that import goes too (it is removed only if nothing else uses it)
        removed = ()
        if isinstance(prefix, cst.Name):
            removed = (RemoveImport("sqlalchemy.ext", "declarative",
                                    prefix.value if prefix.value != "declarative" else None),)
        self.report(node, fix=Fix.replace(node, cst.parse_expression(text), safety=SAFE, add_imports=imports,
                                          remove_imports=removed, description="use `sqlalchemy.orm`"))
