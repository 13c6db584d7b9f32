"""`python -m gladiator_cli` (used by the demo to run commands exactly as a user would)."""

from gladiator_cli import main

main()
