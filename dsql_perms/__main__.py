"""`python -m dsql_perms` runs the command line."""

from .cli import run

run()
