"""Rewrites that need more than a node swap: several sites, imports, whole-library moves."""
