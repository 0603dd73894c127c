"""`python -m kithkeep` runs the command line."""

from kithkeep.services.cli import main

main()
