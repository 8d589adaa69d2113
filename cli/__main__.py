"""`python -m cli` runs the pantau command (used by the demo to start its children)."""

from cli.main import main

main()
