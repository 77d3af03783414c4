"""The one exception tree of dsql-perms.

::

    DsqlPermsError (ValueError)
    ├── InputError                 bad user input; carries the file and the place
    │   ├── PolicyParseError       a policy document that is not valid IAM grammar
    │   ├── PlanningError          an operation or its parameters cannot be planned
    │   │   ├── UnknownOperationError
    │   │   └── InvalidParameterError
    │   └── InvalidArnError
    ├── UsageError                 command-line options that do not go together
    └── RulesError                 the shipped rules table is broken (a bug, caught by tests)

Messages follow one style: lowercase start, no final period, user input in backticks,
context chained with colons, one line.
"""

from __future__ import annotations

from collections.abc import Iterable


class DsqlPermsError(ValueError):
    """Root of every error dsql-perms raises on purpose."""

    code = "error"


class InputError(DsqlPermsError):
    """Bad input: names the source (a file, `<stdin>` or `<params>`) and the place in it."""

    code = "input"

    def __init__(
        self, message: str, *, source: str | None = None, where: str | None = None
    ) -> None:
        self.message = message
        self.source = source
        self.where = where
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.where) if p]
        prefix = ": ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        return one_line(text)


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}


def one_line(text: str) -> str:
    """User input can hold newlines and control characters; messages stay on one line."""
    return text.translate(_CONTROL)


class PolicyParseError(InputError):
    code = "policy"


class PlanningError(InputError):
    code = "planning"


class UnknownOperationError(PlanningError):
    code = "unknown-operation"


class InvalidParameterError(PlanningError):
    code = "invalid-parameter"


class InvalidArnError(InputError):
    code = "invalid-arn"


class UsageError(DsqlPermsError):
    code = "usage"


class RulesError(DsqlPermsError):
    code = "rules"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `; did you mean `x`?` for a close match, or an empty string."""
    import difflib  # only on the error path: it costs start-up time

    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{matches[0]}`?" if matches else ""
