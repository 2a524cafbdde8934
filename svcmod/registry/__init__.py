"""Which rules exist: built-in rules, third-party packs, declared deprecations."""
