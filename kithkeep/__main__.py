"""`python -m kithkeep` runs the command line."""

from kithkeep.services.cli.entry import main

main()
