"""IAM condition operators as pure functions, with three-valued results.

A clause is one operator and one key with its values. Its result is True, False, or
None when it depends on a context key whose value is unknown. The rules (IAM User Guide,
"Condition operators" and "Multivalued context keys"):

* several values for one key: OR; for negated operators (`StringNotEquals`...), the
  request value must match none of them;
* a missing key makes a positive operator false and a negated one true, except
  `...IfExists` (true) and `Null`;
* `ForAnyValue:` is false on a missing or empty key; `ForAllValues:` is true on one.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from .records import Record
from .wildcard import escape_literal, match

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any, Literal

Tri = bool | None


class ConditionError(ValueError):
    """A clause AWS would reject or could not evaluate."""


def _num(text: str) -> float:
    value = float(text)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(text)
    return value


def _date(text: str) -> float:
    from datetime import UTC, datetime  # only for Date operators: keeps start-up light

    text = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    parsed = datetime.fromisoformat(text.replace("z", "Z"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _net(text: str) -> object:
    import ipaddress  # only for IP operators: keeps start-up light

    return ipaddress.ip_network(text.strip(), strict=False)


def _ip_in(value: str, net: object) -> bool:
    import ipaddress

    try:
        address = ipaddress.ip_address(value.split("/")[0].strip())
    except ValueError:
        return False
    assert isinstance(net, (ipaddress.IPv4Network, ipaddress.IPv6Network))
    return address.version == net.version and address in net


def _arn_match(value: str, pattern: object) -> bool:
    assert isinstance(pattern, str)
    want = pattern.split(":", 5)
    got = value.split(":", 5)
    if len(want) != 6 or len(got) != 6:
        return False
    return all(match(p, g) for p, g in zip(want, got, strict=True))


def _binary(text: str) -> bytes:
    import base64

    return base64.b64decode(text, validate=True)


class _Family(Record):
    compare: Callable[[str, object], bool]
    prepare: Callable[[str], object] | None  # parses a policy value; None = use the string
    variables: bool  # policy variables allowed in values
    like: bool = False  # values are wildcard patterns


def _safe(
    fn: Callable[[str], float], cmp: Callable[[Any, Any], bool]
) -> Callable[[str, object], bool]:
    """Compare a request value read by `fn` with a prepared policy value; unreadable: no match."""

    def compare(value: str, prepared: object) -> bool:
        try:
            return cmp(fn(value), prepared)
        except (ValueError, TypeError):
            return False

    return compare


_FAMILIES: dict[str, _Family] = {
    "StringEquals": _Family(lambda v, p: v == p, None, True),
    "StringEqualsIgnoreCase": _Family(lambda v, p: v.lower() == str(p).lower(), None, True),
    "StringLike": _Family(lambda v, p: match(str(p), v), None, True, like=True),
    "NumericEquals": _Family(_safe(_num, operator.eq), _num, False),
    "NumericLessThan": _Family(_safe(_num, operator.lt), _num, False),
    "NumericLessThanEquals": _Family(_safe(_num, operator.le), _num, False),
    "NumericGreaterThan": _Family(_safe(_num, operator.gt), _num, False),
    "NumericGreaterThanEquals": _Family(_safe(_num, operator.ge), _num, False),
    "DateEquals": _Family(_safe(_date, operator.eq), _date, False),
    "DateLessThan": _Family(_safe(_date, operator.lt), _date, False),
    "DateLessThanEquals": _Family(_safe(_date, operator.le), _date, False),
    "DateGreaterThan": _Family(_safe(_date, operator.gt), _date, False),
    "DateGreaterThanEquals": _Family(_safe(_date, operator.ge), _date, False),
    "Bool": _Family(lambda v, p: v.lower() == str(p).lower(), None, True),
    "BinaryEquals": _Family(lambda v, p: v == p, None, False),
    "IpAddress": _Family(_ip_in, _net, False),
    "ArnEquals": _Family(_arn_match, None, True, like=True),
    "ArnLike": _Family(_arn_match, None, True, like=True),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
OPERATORS = tuple(sorted([*_FAMILIES, *_NEGATED, "Null"]))
_VARIABLE = r"\$\{([^}]*)\}"  # compiled on first use (start-up time)


class Clause(Record):
    operator: str  # as written in the policy
    key: str  # as written
    key_lower: str
    values: tuple[str, ...]
    base: str  # positive base operator, or "Null"
    negated: bool
    set_op: str | None  # "ForAllValues" | "ForAnyValue" | None
    if_exists: bool
    prepared: tuple[object, ...]  # parsed values, or () when values hold variables


@lru_cache(maxsize=4096)
def compile_clause(operator: str, key: str, values: tuple[str, ...]) -> Clause:
    """Check an operator/key/values triple; raise ConditionError when AWS would.

    Pure, so memoized: the same conditions recur across statements and policies.
    """
    name = operator
    set_op = None
    for prefix in ("ForAllValues:", "ForAnyValue:"):
        if name.startswith(prefix):
            set_op, name = prefix[:-1], name[len(prefix) :]
    if_exists = name.endswith("IfExists") and name != "IfExists"
    if if_exists:
        name = name[: -len("IfExists")]
    negated = name in _NEGATED
    base = _NEGATED.get(name, name)
    if base != "Null" and base not in _FAMILIES:
        raise ConditionError(f"unknown condition operator `{operator}`")
    if base == "Null":
        if if_exists or set_op:
            raise ConditionError(f"`{operator}` is not a valid form of `Null`")
        bad = [v for v in values if v.lower() not in ("true", "false")]
        if bad:
            raise ConditionError(f"`Null` takes `true` or `false`, not `{bad[0]}`")
        return Clause(operator, key, key.lower(), values, "Null", False, None, False, values)
    family = _FAMILIES[base]
    if family.variables and any("${" in v for v in values):
        prepared: tuple[object, ...] = ()
    else:
        try:
            prepared = tuple(family.prepare(v) if family.prepare else v for v in values)
        except ValueError as exc:
            raise ConditionError(f"`{operator}` cannot read its value: {exc}") from exc
        if base == "BinaryEquals":
            try:
                for v in values:
                    _binary(v)
            except ValueError as exc:
                raise ConditionError("`BinaryEquals` needs base-64 values") from exc
    return Clause(operator, key, key.lower(), values, base, negated, set_op, if_exists, prepared)


class RequestContext:
    """Case-insensitive view of a request's context, with its unknown keys."""

    __slots__ = ("_unknown_exact", "_unknown_prefixes", "values")

    def __init__(self, context: Iterable[tuple[str, object]], unknown: Iterable[str]) -> None:
        self.values: dict[str, tuple[str, ...]] = {}
        for key, value in context:
            self.values[key.lower()] = (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]
        exact: set[str] = set()
        prefixes: list[str] = []
        for key in unknown:
            lowered = key.lower()
            if lowered.endswith("*"):
                prefixes.append(lowered[:-1])
            else:
                exact.add(lowered)
        self._unknown_exact = frozenset(exact)
        self._unknown_prefixes = tuple(prefixes)

    def lookup(self, key_lower: str) -> tuple[str, ...] | Literal[False] | None:
        """The values, or False if the key is absent, or None if it is unknown."""
        found = self.values.get(key_lower)
        if found is not None:
            return found
        if key_lower in self._unknown_exact or key_lower.startswith(self._unknown_prefixes):
            return None
        return False


class ClauseResult(Record):
    """A clause's value; the explanation is formatted only when someone reads `why`."""

    value: Tri
    unknown_keys: tuple[str, ...] = ()
    clause: Clause | None = None
    detail: str = ""  # absent | present | missing | mismatch | unknown | variable
    request_values: tuple[str, ...] = ()

    @property
    def why(self) -> str:
        c = self.clause
        if c is None:
            return ""
        if self.detail in ("absent", "present"):
            return f"`Null` on `{c.key}`: the key is {self.detail}"
        if self.detail == "missing":
            return f"`{c.key}` is not in the request"
        if self.detail == "unknown":
            return f"`{c.key}` is unknown"
        if self.detail == "variable":
            return f"policy variable `{self.unknown_keys[0]}` is unknown"
        shown = ", ".join(f"`{v}`" for v in self.request_values) or "an empty value"
        wanted = ", ".join(f"`{v}`" for v in c.values)
        return f"`{c.operator}` on `{c.key}`: request has {shown}, policy wants {wanted}"


_TRUE = ClauseResult(True)


def resolve_variables(
    text: str, ctx: RequestContext, *, pattern: bool
) -> tuple[str | None, tuple[str, ...]]:
    """Substitute `${...}` policy variables.

    Returns (resolved, unknown_keys). `resolved` is None when a variable has no value and
    no default (the value then matches nothing). In pattern mode, substituted text is
    escaped so that it matches literally.
    """
    unknown: list[str] = []
    missing = False

    def replace(m: re.Match[str]) -> str:
        nonlocal missing
        inner = m.group(1)
        if inner in ("*", "?", "$"):
            return escape_literal(inner) if pattern else inner
        name, _, default = inner.partition(",")
        name = name.strip()
        default = default.strip()
        found = ctx.lookup(name.lower())
        if found is None:
            unknown.append(name)
            return ""
        if found is False or len(found) != 1:
            if default.startswith("'") and default.endswith("'") and len(default) >= 2:
                value = default[1:-1]
            else:
                missing = True
                return ""
        else:
            value = found[0]
        return escape_literal(value) if pattern else value

    resolved = re.sub(_VARIABLE, replace, text)
    if unknown:
        return None, tuple(unknown)
    return (None if missing else resolved), ()


def _policy_values(
    clause: Clause, ctx: RequestContext, variables: bool
) -> tuple[Sequence[object], tuple[str, ...]]:
    if clause.prepared or not clause.values:
        return clause.prepared, ()
    family = _FAMILIES[clause.base]
    out: list[object] = []
    unknown: list[str] = []
    for raw in clause.values:
        if not variables:
            out.append(raw)
            continue
        resolved, unk = resolve_variables(raw, ctx, pattern=family.like)
        unknown.extend(unk)
        if resolved is not None:
            out.append(resolved)
    return out, tuple(unknown)


def evaluate_clause(clause: Clause, ctx: RequestContext, *, variables: bool = True) -> ClauseResult:
    found = ctx.lookup(clause.key_lower)
    if clause.base == "Null":
        if found is None:
            return ClauseResult(None, (clause.key,), clause, "unknown")
        absent = found is False
        ok = any((v.lower() == "true") == absent for v in clause.values)
        return ClauseResult(ok, (), clause, "absent" if absent else "present")
    if found is None:
        return ClauseResult(None, (clause.key,), clause, "unknown")
    if found is False:
        if clause.if_exists or clause.set_op == "ForAllValues":
            return _TRUE
        if clause.set_op == "ForAnyValue":
            return ClauseResult(False, (), clause, "missing")
        return _TRUE if clause.negated else ClauseResult(False, (), clause, "missing")
    request_values: tuple[str, ...] = found
    policy_values, unknown = _policy_values(clause, ctx, variables)
    if unknown:
        return ClauseResult(None, unknown, clause, "variable")
    compare = _FAMILIES[clause.base].compare
    if clause.set_op is None and len(request_values) == 1 and len(policy_values) == 1:
        # the common case: one request value, one policy value
        matched = compare(request_values[0], policy_values[0])
        if matched != clause.negated:
            return _TRUE
        return ClauseResult(False, (), clause, "mismatch", request_values)

    def hit(value: str) -> bool:
        return any(compare(value, p) for p in policy_values)

    if clause.set_op == "ForAllValues":
        if clause.negated:
            ok = all(not hit(v) for v in request_values)
        else:
            ok = all(hit(v) for v in request_values)
    elif clause.set_op == "ForAnyValue":
        if clause.negated:
            ok = any(not hit(v) for v in request_values)
        else:
            ok = any(hit(v) for v in request_values)
    else:
        any_hit = any(hit(v) for v in request_values)
        ok = not any_hit if clause.negated else any_hit
    return _TRUE if ok else ClauseResult(False, (), clause, "mismatch", request_values)


def evaluate_clauses(
    clauses: Sequence[Clause], ctx: RequestContext, *, variables: bool = True
) -> ClauseResult:
    """AND over clauses: any False wins; otherwise any unknown makes the result unknown."""
    if len(clauses) == 1:
        return evaluate_clause(clauses[0], ctx, variables=variables)
    unknown: list[str] = []
    first: ClauseResult | None = None
    for clause in clauses:
        result = evaluate_clause(clause, ctx, variables=variables)
        if result.value is False:
            return result
        if result.value is None:
            unknown.extend(result.unknown_keys)
            first = first or result
    if first is not None:
        return ClauseResult(None, tuple(dict.fromkeys(unknown)), first.clause, first.detail)
    return _TRUE
