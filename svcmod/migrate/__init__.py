"""Migrations: named, ordered lists of rule fixes applied as one opt-in, per project.

``svcmod.migrate.Migration`` is what plugins return from the ``svcmod.migrations`` entry-point group."""
from svcmod.migrate.migration import Migration, Step

__all__ = ["Migration", "Step"]
