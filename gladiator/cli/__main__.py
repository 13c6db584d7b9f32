"""`python -m gladiator.cli` (used by the demo to run commands exactly as a user would)."""

from gladiator.cli import main

main()
