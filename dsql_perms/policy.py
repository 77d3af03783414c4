"""Parse IAM policy JSON into checked, normalised statements.

Structural problems (wrong types, unknown elements, an unknown Effect, an empty Statement)
raise :class:`PolicyParseError` with the JSON path. Problems that AWS would only meet at
evaluation (an unknown condition operator, a value an operator cannot read) are kept on
the statement as `error`: such a statement never grants, and a Deny that cannot be
evaluated makes the decision `uncertain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from .conditions import Clause, ConditionError, compile_clause
from .errors import PolicyParseError, did_you_mean
from .records import Record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any, Literal, TypeGuard

    PolicyKind = Literal["identity", "resource"]

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_KEYS = ("Version", "Id", "Statement")
_STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_STATEMENT_KEY_SET = frozenset(_STATEMENT_KEYS)
_TOP_KEY_SET = frozenset(_TOP_KEYS)
_PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")


class Statement(Record):
    position: int  # the statement's index in the policy
    sid: str | None
    effect: str
    actions: tuple[str, ...]  # lower-cased patterns
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    principals: tuple[tuple[str, str], ...] | None  # (kind, value); kind "*" = everyone
    not_principal: bool
    conditions: tuple[Clause, ...]
    error: str | None = None
    is_allow: bool = False  # effect == "Allow", stored for the evaluator's hot path
    # The literal start of each Resource pattern (up to its first wildcard or variable):
    # a concrete ARN that starts with none of them cannot match.
    resource_prefixes: tuple[str, ...] = ()


class Policy(Record):
    """A checked policy document: its statements in order, with its name for reasons."""

    name: str
    statements: tuple[Statement, ...]
    version: str = "2012-10-17"
    source: str = ""

    @property
    def variables_enabled(self) -> bool:
        return self.version == "2012-10-17"


def _is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    """A JSON object; plain dicts are checked first, as the abstract check is slow."""
    return isinstance(value, (dict, Mapping))


def _fail(message: str, source: str, path: str) -> PolicyParseError:
    return PolicyParseError(message, source=source, where=path)


def _string_list(
    value: object, source: str, path: str, *, allow_empty: bool = False
) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if not value and not allow_empty:
            raise _fail("must not be an empty list", source, path)
        return tuple(value)
    raise _fail("must be a string or a list of strings", source, path)


def _principals(value: object, source: str, path: str) -> tuple[tuple[str, str], ...]:
    if value == "*":
        return (("*", "*"),)
    if not _is_mapping(value) or not value:
        raise _fail('must be `"*"` or an object such as {"AWS": ...}', source, path)
    out: list[tuple[str, str]] = []
    for kind, raw in value.items():
        if kind not in _PRINCIPAL_KINDS:
            hint = did_you_mean(kind, _PRINCIPAL_KINDS)
            raise _fail(f"unknown principal type `{kind}`{hint}", source, f"{path}.{kind}")
        out.extend((kind, v) for v in _string_list(raw, source, f"{path}.{kind}"))
    return tuple(out)


def _condition_values(raw: object, source: str, where: str) -> tuple[str, ...]:
    if isinstance(raw, str):  # the common case
        return (raw,)
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise _fail("must not be an empty list", source, where)
    values: list[str] = []
    for item in items:
        if isinstance(item, str):
            values.append(item)
        elif isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, (int, float)):
            values.append(str(item))
        else:
            raise _fail("condition values must be strings, numbers or booleans", source, where)
    return tuple(values)


def _conditions(value: object, source: str, path: str) -> tuple[tuple[Clause, ...], str | None]:
    if type(value) is not dict and not isinstance(value, Mapping):
        raise _fail("must be an object of condition operators", source, path)
    clauses: list[Clause] = []
    error: str | None = None
    for operator, block in value.items():
        if (type(block) is not dict and not isinstance(block, Mapping)) or not block:
            raise _fail(
                "must be a non-empty object of condition keys", source, f"{path}.{operator}"
            )
        for key, raw in block.items():
            values = _condition_values(raw, source, f"{path}.{operator}.{key}")
            try:
                clauses.append(compile_clause(operator, key, values))
            except ConditionError as exc:
                error = error or f"{path}.{operator}.{key}: {exc}"
    return tuple(clauses), error


@lru_cache(maxsize=4096)
def _literal_prefix(pattern: str) -> str:
    if pattern == "*":
        return ""
    cut = len(pattern)
    for mark in ("*", "?", "${"):
        found = pattern.find(mark)
        if 0 <= found < cut:
            cut = found
    return pattern[:cut]


def _exactly_one(
    raw: Mapping[str, Any], a: str, b: str, source: str, path: str
) -> tuple[str, bool]:
    if (a in raw) == (b in raw):
        raise _fail(f"a statement needs exactly one of `{a}` or `{b}`", source, path)
    return (a, False) if a in raw else (b, True)


def _statement(raw: object, index: int, kind: PolicyKind, source: str, path: str) -> Statement:
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise _fail("a statement must be an object", source, path)
    if not raw.keys() <= _STATEMENT_KEY_SET:
        key = sorted(raw.keys() - _STATEMENT_KEY_SET)[0]
        raise _fail(f"unknown element `{key}`{did_you_mean(key, _STATEMENT_KEYS)}", source, path)
    effect = raw.get("Effect")
    if effect != "Allow" and effect != "Deny":
        hint = did_you_mean(str(effect), ("Allow", "Deny"))
        raise _fail(
            f"Effect must be `Allow` or `Deny`, not `{effect}`{hint}", source, f"{path}.Effect"
        )
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise _fail("Sid must be a string", source, f"{path}.Sid")
    not_action = "NotAction" in raw
    if not_action == ("Action" in raw):
        raise _fail("a statement needs exactly one of `Action` or `NotAction`", source, path)
    action_key = "NotAction" if not_action else "Action"
    actions = raw[action_key]
    if isinstance(actions, str):
        actions = (actions.lower(),)
    else:
        actions = tuple(a.lower() for a in _string_list(actions, source, f"{path}.{action_key}"))
    not_resource = "NotResource" in raw
    if not_resource == ("Resource" in raw):
        raise _fail("a statement needs exactly one of `Resource` or `NotResource`", source, path)
    resource_key = "NotResource" if not_resource else "Resource"
    resources = raw[resource_key]
    if isinstance(resources, str):
        resources = (resources,)
    else:
        resources = _string_list(resources, source, f"{path}.{resource_key}")

    principals: tuple[tuple[str, str], ...] | None = None
    not_principal = False
    if kind == "resource":
        principal_key, not_principal = _exactly_one(raw, "Principal", "NotPrincipal", source, path)
        principals = _principals(raw[principal_key], source, f"{path}.{principal_key}")
    elif "Principal" in raw or "NotPrincipal" in raw:
        raise _fail("identity policies must not have `Principal` or `NotPrincipal`", source, path)

    conditions: tuple[Clause, ...] = ()
    error = None
    if "Condition" in raw:
        conditions, error = _conditions(raw["Condition"], source, f"{path}.Condition")
    prefixes = ("",) if resources == ("*",) else tuple(_literal_prefix(r) for r in resources)
    return Statement(
        index,
        sid,
        effect,
        actions,
        not_action,
        resources,
        not_resource,
        principals,
        not_principal,
        conditions,
        error,
        effect == "Allow",
        prefixes,
    )


def parse_policy(
    document: Any, *, name: str = "policy", kind: PolicyKind = "identity", source: str = ""
) -> Policy:
    """Check and normalise one IAM policy document (a decoded JSON object)."""
    src = source or name
    if not _is_mapping(document):
        raise _fail("a policy must be a JSON object", src, "$")
    if not document.keys() <= _TOP_KEY_SET:
        key = sorted(document.keys() - _TOP_KEY_SET)[0]
        raise _fail(f"unknown top-level key `{key}`{did_you_mean(key, _TOP_KEYS)}", src, "$")
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise _fail(
            f"Version must be `2012-10-17` or `2008-10-17`, not `{version}`", src, "$.Version"
        )
    if "Id" in document and not isinstance(document["Id"], str):
        raise _fail("Id must be a string", src, "$.Id")
    if "Statement" not in document:
        raise _fail("missing `Statement`", src, "$")
    raw_statements = document["Statement"]
    if _is_mapping(raw_statements):
        statements = [_statement(raw_statements, 0, kind, src, "$.Statement")]
    elif isinstance(raw_statements, list):
        if not raw_statements:
            raise _fail("Statement must not be empty", src, "$.Statement")
        statements = [
            _statement(item, i, kind, src, f"$.Statement[{i}]")
            for i, item in enumerate(raw_statements)
        ]
    else:
        raise _fail("Statement must be an object or a list of objects", src, "$.Statement")
    return Policy(name, tuple(statements), version, src)
