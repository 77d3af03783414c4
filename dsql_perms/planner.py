"""plan(operation, params, ...) -> the authorization requests AWS will evaluate.

The rules table says which actions an operation needs, on which resources, in which
Regions, with which context, and which parameter triggers each. This module computes the
parameter-derived values the table refers to (the "bindings": added and removed peers,
keys, tags...), checks the documented rules botocore does not know, and expands the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from .arn import (
    ACCOUNT_ID,
    REGION,
    UNKNOWN_CLUSTER_ID,
    UNKNOWN_KEY_ID,
    Principal,
    partition_for_region,
)
from .bindings import Bindings, compute_bindings
from .errors import InvalidParameterError, PlanningError
from .model import AuthzRequest, ContextValue
from .rules import Operation, Requirement, RuleTable, load_rules

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

_TEMPLATE = re.compile(r"\$\{([A-Za-z]+)\}")


class PlannedCall:
    """One planned API call and the authorization requests it will cause."""

    __slots__ = ("account", "operation", "params", "region", "requests", "warnings")

    operation: str
    region: str
    account: str
    requests: tuple[AuthzRequest, ...]
    warnings: tuple[str, ...]
    params: Mapping[str, Any]

    def __init__(
        self,
        operation: str,
        region: str,
        account: str,
        requests: tuple[AuthzRequest, ...],
        warnings: tuple[str, ...] = (),
        params: Mapping[str, Any] | None = None,
    ) -> None:
        setter = object.__setattr__  # an immutable value: every field is written once, here
        setter(self, "operation", operation)
        setter(self, "region", region)
        setter(self, "account", account)
        setter(self, "requests", requests)
        setter(self, "warnings", warnings)
        setter(self, "params", {} if params is None else params)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"PlannedCall is immutable: cannot set `{name}`")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlannedCall):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    def __repr__(self) -> str:
        return (
            f"PlannedCall(operation={self.operation!r}, region={self.region!r}, "
            f"account={self.account!r}, requests=<{len(self.requests)}>, "
            f"warnings={self.warnings!r})"
        )

    def __iter__(self) -> Iterator[AuthzRequest]:
        return iter(self.requests)

    def __len__(self) -> int:
        return len(self.requests)

    def __getitem__(self, index: int) -> AuthzRequest:
        return self.requests[index]

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.region for r in self.requests))


def _fill(template: str, values: Mapping[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        return values[m.group(1)]

    return _TEMPLATE.sub(sub, template)


def _base_context(
    region: str, principal: Principal | None, rule_context: tuple[tuple[str, str], ...]
) -> dict[str, ContextValue]:
    ctx: dict[str, ContextValue] = {
        "aws:RequestedRegion": region,
        "aws:SecureTransport": "true",
        "aws:ViaAWSService": "false",
        "aws:PrincipalIsAWSService": "false",
    }
    if principal is not None:
        ctx["aws:PrincipalArn"] = principal.principal_arn
        ctx["aws:PrincipalAccount"] = principal.account
        ctx["aws:PrincipalType"] = principal.principal_type
        if principal.kind == "user":
            ctx["aws:username"] = principal.name
    ctx.update(rule_context)
    return ctx


def _expand(
    op: Operation, rule: Requirement, b: Bindings, table: RuleTable, principal: Principal | None
) -> list[AuthzRequest]:
    state = b.state(rule.when)
    if state == "no":
        return []
    conditional = (
        rule.conditional
        if (rule.conditional and (rule.conditional_when == "always" or state == "unknown"))
        else None
    )
    items: list[tuple[str, str]] = [("", "")]
    if rule.each:
        items = list(b.items(rule.each))
    out: list[AuthzRequest] = []
    for item, item_path in items:
        for region_kind in rule.regions:
            check_region = b.region_for(region_kind)
            values = b.template_values(check_region, item)
            resources = tuple(dict.fromkeys(_fill(t, values) for t in rule.resources))
            placeholder = b.is_placeholder(resources[0])
            if any(UNKNOWN_CLUSTER_ID in r or UNKNOWN_KEY_ID in r for r in resources):
                resources = tuple(
                    dict.fromkeys(
                        r.replace(UNKNOWN_CLUSTER_ID, "*").replace(UNKNOWN_KEY_ID, "*")
                        for r in resources
                    )
                )
                placeholder = True
            ctx = _base_context(check_region, principal, rule.context)
            unknown = {k for k in table.unknown_context if k != "aws:ResourceTag/*"}
            if principal is None:
                unknown |= {
                    "aws:PrincipalArn",
                    "aws:PrincipalAccount",
                    "aws:PrincipalType",
                    "aws:username",
                }
            for name in rule.context_sets:
                known, unknown_more = b.context_set(name, op, resources[0], check_region)
                ctx.update(known)
                unknown |= unknown_more
            if region_kind == "witness":
                # How DSQL makes the witness-Region check is not documented (open question 1).
                unknown |= {
                    "aws:CalledVia",
                    "aws:ViaAWSService",
                    "aws:CalledViaFirst",
                    "aws:CalledViaLast",
                }
                ctx.pop("aws:ViaAWSService", None)
            unknown -= set(ctx)
            trigger = item_path or b.trigger(rule.when)
            out.append(
                AuthzRequest(
                    rule.action,
                    resources[0],
                    check_region,
                    ctx,
                    unknown,
                    principal.arn if principal else None,
                    resource_variants=resources[1:],
                    resource_is_placeholder=placeholder,
                    required_by=f"{op.name}#{trigger}" if trigger else op.name,
                    evidence=rule.evidence,
                    evidence_reason=rule.reason,
                    source_url=rule.source_url,
                    conditional=conditional,
                    rule_id=rule.id,
                )
            )
    return out


def plan(
    operation: str,
    params: Mapping[str, Any] | None = None,
    *,
    region: str,
    account: str,
    current: Mapping[str, Any] | None = None,
    principal: str | None = None,
    source: str = "<params>",
    table: RuleTable | None = None,
    service_linked_role_exists: bool | None = None,
) -> PlannedCall:
    """Turn a planned DSQL call into the authorization requests AWS will evaluate.

    `operation` is a boto3 method name or an API name; `params` are the keyword arguments
    you would pass to boto3; `current` is the cluster as `get_cluster` returns it;
    `service_linked_role_exists` (known in live mode) settles the conditional
    `iam:CreateServiceLinkedRole` requirement.
    Raises an InputError subclass (one line, naming `source` and the place) on bad input.
    """
    table = table or load_rules()
    op = table.operation(operation)
    params = dict(params or {})
    if not REGION.fullmatch(region):
        raise PlanningError(f"`{region}` is not a Region name", source="--region")
    if not ACCOUNT_ID.fullmatch(account):
        raise PlanningError(f"`{account}` is not a 12-digit account id", source="--account")
    caller = Principal.parse(principal) if principal else None
    if op.client_side:
        _validate_token_params(params, source)
    else:
        from .validation import validate_params

        validate_params(op.name, params, source=source)
    if current is not None:
        _check_current(current)
    bindings = compute_bindings(
        op,
        params,
        region=region,
        account=account,
        partition=partition_for_region(region),
        current=current,
        table=table,
        source=source,
        service_linked_role_exists=service_linked_role_exists,
    )
    requests = [r for rule in op.requires for r in _expand(op, rule, bindings, table, caller)]
    return PlannedCall(op.name, region, account, tuple(requests), tuple(bindings.warnings), params)


_CURRENT_SHAPE: dict[str, type | dict[str, type]] = {
    "arn": str,
    "identifier": str,
    "tags": dict,
    "multiRegionProperties": {"witnessRegion": str, "clusters": list},
    "encryptionDetails": {"encryptionType": str, "kmsKeyArn": str},
}


def _check_current(current: object) -> None:
    """The fields of `get_cluster` output the planner reads must have their documented types."""

    def fail(message: str, where: str = "$") -> InvalidParameterError:
        return InvalidParameterError(message, source="--current", where=where)

    if not isinstance(current, Mapping):
        raise fail("the current state must be a JSON object (what get_cluster returns)")
    for name, shape in _CURRENT_SHAPE.items():
        value = current.get(name)
        if value is None:
            continue
        if isinstance(shape, dict):
            if not isinstance(value, Mapping):
                raise fail("must be an object", name)
            for field, kind in shape.items():
                if value.get(field) is not None and not isinstance(value[field], kind):
                    raise fail(
                        f"must be a {'list' if kind is list else 'string'}", f"{name}.{field}"
                    )
            if any(not isinstance(c, str) for c in value.get("clusters") or []):
                raise fail("must be a list of cluster ARNs", f"{name}.clusters")
        elif not isinstance(value, shape):
            raise fail(f"must be {'an object' if shape is dict else 'a string'}", name)
    if any(not isinstance(v, str) for v in (current.get("tags") or {}).values()):
        raise fail("tag values must be strings", "tags")


def _validate_token_params(params: Mapping[str, Any], source: str) -> None:
    allowed = {"Hostname": str, "Region": str, "ExpiresIn": int}
    for name, value in params.items():
        if name not in allowed:
            from .errors import did_you_mean

            raise InvalidParameterError(
                f"unknown parameter `{name}`{did_you_mean(name, allowed)}",
                source=source,
                where=name,
            )
        if not isinstance(value, allowed[name]) or isinstance(value, bool):
            raise InvalidParameterError("wrong type", source=source, where=name)
    if "Hostname" not in params:
        raise InvalidParameterError("missing required parameter `Hostname`", source=source)
    expires = params.get("ExpiresIn", 900)
    if not 1 <= expires <= 604800:
        raise InvalidParameterError(
            "must be between 1 and 604800 seconds", source=source, where="ExpiresIn"
        )
