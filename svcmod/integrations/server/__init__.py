"""``svcmod server``: svcmod's findings, fixes and rule pages in any editor that speaks the Language Server Protocol."""
