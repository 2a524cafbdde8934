"""``python -m svcmod``."""
from svcmod.cli.main import main

main()
