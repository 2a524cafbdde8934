"""The ``svcmod`` command: one module per command, each parsing options and calling the library."""
