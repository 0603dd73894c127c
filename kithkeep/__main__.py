"""`python -m kithkeep` runs the command line."""

from kithkeep.services.cli.app import main

main()
