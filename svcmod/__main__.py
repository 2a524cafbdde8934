"""``python -m svcmod``."""
from svcmod.cli import main

main()
