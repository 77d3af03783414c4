"""The `dsql-perms` console script: a short start-up path for `check`, click for the rest.

Importing click takes about twice as long as starting Python itself, which matters for a
check run before every deploy. So `dsql-perms check` with plain long options (the form the
README, CI jobs and scripts use) is parsed here, by a parser that accepts only what it is
sure click would parse the same way, and runs the same function click's command runs
(check_run.run_check). Anything else (help, a short option, an unknown or misspelt option,
`--`, a second positional argument, a value that looks like an option, a repeated
single-value option, a `--format` outside its choices, every other command) goes to click.
tests/test_entry.py checks the table below against click's own definition of the command
and the parses against click's on generated command lines.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from .errors import DsqlPermsError, one_line

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

EXIT_INPUT = 2

# `check`'s options as click declares them in cli_check: option -> (parameter name, kind).
CHECK_OPTIONS: dict[str, tuple[str, str]] = {
    "--params": ("params_path", "value"),
    "--cloudformation": ("cfn_path", "value"),
    "--terraform-plan": ("tf_path", "value"),
    "--parameter": ("cfn_parameters", "multiple"),
    "--region": ("region", "value"),
    "--account": ("account", "value"),
    "--policy": ("policy", "multiple"),
    "--scp": ("scp", "multiple"),
    "--rcp": ("rcp", "multiple"),
    "--boundary": ("boundary", "value"),
    "--session-policy": ("session_policy", "value"),
    "--resource-policy": ("resource_policy", "multiple"),
    "--key-policy": ("key_policy", "value"),
    "--principal": ("principal", "value"),
    "--context": ("context_pairs", "multiple"),
    "--current": ("current_path", "value"),
    "--live": ("live", "flag"),
    "--profile": ("profile", "value"),
    "--no-scps": ("no_scps", "flag"),
    "--collected": ("collected_path", "value"),
    "--cross-check-simulator": ("cross_check_simulator", "flag"),
    "--format": ("fmt", "value"),
    "--output": ("output", "value"),
}
CHECK_FORMATS = ("text", "json", "sarif", "junit", "markdown")
CHECK_DEFAULTS: dict[str, Any] = {"fmt": "text"}


def parse_check_arguments(argv: Sequence[str]) -> dict[str, Any] | None:
    """The keyword arguments click would pass to `check`, or None to let click decide."""
    if not argv or argv[0] != "check":
        return None
    kinds = dict(CHECK_OPTIONS.values())
    found: dict[str, Any] = {"operation": None}
    for name, kind in kinds.items():
        found[name] = () if kind == "multiple" else False if kind == "flag" else None
    found.update(CHECK_DEFAULTS)
    seen: set[str] = set()
    rest = list(argv[1:])
    while rest:
        token = rest.pop(0)
        if not token.startswith("-") or token == "-":
            if found["operation"] is not None or token == "":
                return None
            found["operation"] = token
            continue
        option, has_value, value = token.partition("=")
        if option not in CHECK_OPTIONS:
            return None
        name, kind = CHECK_OPTIONS[option]
        if kind == "flag":
            if has_value or name in seen:
                return None
            found[name] = True
        else:
            if not has_value:
                if not rest:
                    return None
                value = rest.pop(0)
            if value.startswith("-") and value != "-":
                return None
            if kind == "multiple":
                found[name] = (*found[name], value)
            elif name in seen:
                return None
            else:
                found[name] = value
        seen.add(name)
    if found["fmt"] not in CHECK_FORMATS:
        return None
    return found


def guarded(run: Callable[[], int]) -> int:
    """Run a command: our errors become one line on stderr and exit code 2, never a traceback."""
    try:
        return run()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly with click's code for it, 1.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except DsqlPermsError as exc:
        _error(f"dsql-perms: error: {one_line(str(exc))}")
    except RecursionError:
        _error("dsql-perms: error: input nested too deeply")
    except Exception as exc:  # the command line never shows a traceback
        if type(exc).__module__.startswith(("botocore", "boto3")):
            _error(f"dsql-perms: error: AWS: {one_line(str(exc))}")
        else:
            message = one_line(f"{type(exc).__name__}: {exc}")
            _error(f"dsql-perms: internal error: {message} (please report)")
    return EXIT_INPUT


def _error(line: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    check_arguments = parse_check_arguments(arguments)
    if check_arguments is None:
        from .cli import main as click_main

        return click_main(arguments)

    def run_check() -> int:
        from .check_run import run_check

        return run_check(**check_arguments)

    return guarded(run_check)


def run() -> None:
    sys.exit(main())
