"""Does one statement apply to one request? Action, Resource, Principal, Condition, each
three-valued (True, False, or None when it depends on something unknown)."""

from __future__ import annotations

from collections.abc import Callable

from .arn import Principal
from .conditions import RequestContext, Tri, evaluate_clauses, resolve_variables
from .model import AuthzRequest, Reason
from .policy import Policy, Statement
from .records import Record
from .wildcard import covers, has_wildcard, match, overlaps

Why = str | Callable[[], str]


class Hit(Record):
    """One statement whose action matched, with its outcome for this request."""

    layer: str
    policy: Policy
    statement: Statement
    applies: Tri
    grant: str  # for resource/key policies: direct | role | account; else "identity"
    why_source: Why
    unknown: tuple[str, ...]
    allows_reason: Reason | None = None  # precomputed for statements that always apply

    @property
    def why(self) -> str:
        """The explanation, formatted only when a report needs it."""
        source = self.why_source
        return source if isinstance(source, str) else source()

    def reason(self, detail: str = "") -> Reason:
        s = self.statement
        return Reason(self.layer, self.policy.name, s.position, s.sid, s.effect, detail or self.why)


def action_matches(stmt: Statement, action: str) -> bool:
    """`action` is lower-cased, as the statement's patterns are."""
    hit = action in stmt.actions
    if not hit:
        for pattern in stmt.actions:
            if ("*" in pattern or "?" in pattern) and match(pattern, action):
                hit = True
                break
    return hit != stmt.not_action


def resource_matches(
    stmt: Statement, policy: Policy, resource: str, req: AuthzRequest, ctx: RequestContext
) -> tuple[Tri, Why, tuple[str, ...]]:
    if not stmt.not_resource and "*" in stmt.resources:
        return True, "", ()
    is_pattern = has_wildcard(resource)
    unknown: list[str] = []
    best = "none"  # none | partial | full
    for raw in stmt.resources:
        pattern = raw
        if policy.variables_enabled and "${" in raw:
            resolved, unk = resolve_variables(raw, ctx, pattern=True)
            if unk:
                unknown.extend(unk)
                continue
            if resolved is None:
                continue
            pattern = resolved
        if not is_pattern:
            level = "full" if match(pattern, resource) else "none"
        elif covers(pattern, resource):
            level = "full"
        else:
            level = "partial" if overlaps(pattern, resource) else "none"
        if level == "full" or (level == "partial" and best == "none"):
            best = level
        if best == "full":
            break
    if stmt.not_resource:
        best = {"full": "none", "none": "full", "partial": "partial"}[best]
        if unknown and best == "full":
            best = "partial"
    if best == "full":
        return True, "", ()
    if unknown and best == "none" and not stmt.not_resource:
        return None, f"policy variable `{unknown[0]}` in Resource is unknown", tuple(unknown)
    partial = best == "partial"

    def why() -> str:
        listed = ", ".join(f"`{r}`" for r in stmt.resources)
        element = "NotResource" if stmt.not_resource else "Resource"
        verb = "covers only part of" if partial else "does not match"
        return f"{element} {listed} {verb} `{resource}`"

    if partial:
        uncertain = req.resource_is_placeholder or not stmt.is_allow
        return (None if uncertain else False), why, ()
    return False, why, ()


def principal_matches(stmt: Statement, caller: Principal | None) -> tuple[Tri, str]:
    """Returns (applies, grant kind) for resource-based and key policies."""
    assert stmt.principals is not None
    grant = ""
    for kind, value in stmt.principals:
        if kind == "*" or (kind == "AWS" and value == "*"):
            grant = "direct"
            break
        if kind != "AWS":
            continue  # service, federated and canonical principals are not our callers
        if caller is None:
            return None, "direct"  # at best the statement names the caller itself
        if (
            value == caller.account
            or value == f"arn:aws:iam::{caller.account}:root"
            or (value.endswith(f":iam::{caller.account}:root"))
        ):
            grant = grant or "account"
        elif value == caller.arn:
            grant = "direct"
            break
        elif caller.role_arn and caller.kind == "role_session":
            role_name = value.rsplit("/", 1)[-1]
            if (
                value.split(":")[4:5] == [caller.account]
                and ":role/" in value
                and (role_name == caller.name)
            ):
                grant = grant or "role"
    matched = bool(grant)
    if stmt.not_principal:
        return (not matched), ("direct" if not matched else "")
    return matched, grant


def statement_hit(
    layer: str,
    policy: Policy,
    stmt: Statement,
    req: AuthzRequest,
    resource: str,
    ctx: RequestContext,
    caller: Principal | None,
) -> Hit:
    if stmt.error is not None:
        applies: Tri = False if stmt.is_allow else None
        return Hit(layer, policy, stmt, applies, "", f"cannot be evaluated: {stmt.error}", ())
    res, why, unknown = resource_matches(stmt, policy, resource, req, ctx)
    if res is False:
        return Hit(layer, policy, stmt, False, "", why, ())
    grant = "identity"
    if stmt.principals is not None:
        principal_ok, grant = principal_matches(stmt, caller)
        if principal_ok is False:
            return Hit(layer, policy, stmt, False, "", "Principal does not match the caller", ())
        if principal_ok is None:
            res, why, unknown = (
                None,
                "the caller is unknown (give --principal)",
                (*unknown, "aws:PrincipalArn"),
            )
    if not stmt.conditions and res is True:
        return Hit(layer, policy, stmt, True, grant, "", ())
    cond = evaluate_clauses(stmt.conditions, ctx, variables=policy.variables_enabled)
    if cond.value is False:
        return Hit(layer, policy, stmt, False, grant, lambda: f"condition not met: {cond.why}", ())
    if cond.value is None or res is None:
        keys = (*unknown, *cond.unknown_keys)
        return Hit(
            layer, policy, stmt, None, grant, why if res is None else (lambda: cond.why), keys
        )
    return Hit(layer, policy, stmt, True, grant, "", ())
