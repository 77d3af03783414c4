"""`python -m dsql_perms` runs the command line."""

from .entry import run

run()
