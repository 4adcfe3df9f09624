"""The `feedsmith` command: `main` parses the command line (`parser`), runs one command
(`commands`: thin calls into the library) and prints its report (`printing`)."""

from feedsmith.cli.commands import main

__all__ = ["main"]
