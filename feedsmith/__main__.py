"""`python -m feedsmith` runs the command line."""

from feedsmith.cli import main

main()
