"""check(): plan a call, evaluate every request, and propose the smallest verified fix."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import DsqlPermsError
from .evaluator import evaluate
from .generator import policy_document, statements_for
from .model import AuthzRequest, Decision, EvalResult, Reason
from .planner import PlannedCall, plan
from .policy import parse_policy
from .policy_set import PolicySet
from .records import Record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

    from .iac import SourcedCall

SCHEMA_VERSION = "1.0"
FIX_POLICY_NAME = "proposed-fix"


class Gap(Record):
    """A part of the policy stack that could not be read (live mode). Decisions it could
    change become `uncertain`, never allowed."""

    layer: str  # identity | boundary | session | scp | rcp | resource | key
    message: str  # e.g. "cannot read the permissions boundary of role `x`: iam:GetRole denied"
    resource: str | None = None  # the cluster or key ARN it concerns; None: every request

    def concerns(self, request: AuthzRequest) -> bool:
        if self.layer == "key" and not request.action.lower().startswith("kms:"):
            return False
        if self.layer in ("key", "resource") and self.resource is not None:
            return any(
                r == self.resource or r.startswith(f"{self.resource}/") for r in request.resources
            )
        return self.layer not in ("key", "resource") or self.resource is None

    def could_change(self, decision: Decision) -> bool:
        if decision is Decision.ALLOWED:
            return True  # every layer can deny
        return decision is Decision.IMPLICIT_DENY and self.layer in ("identity", "resource", "key")


def apply_gaps(request: AuthzRequest, result: EvalResult, gaps: tuple[Gap, ...]) -> EvalResult:
    """Turn a decision that an unread policy could change into `uncertain`."""
    open_gaps = [g for g in gaps if g.concerns(request) and g.could_change(result.decision)]
    if not open_gaps:
        return result
    reasons = (
        *(Reason(g.layer, "(not readable)", detail=g.message) for g in open_gaps),
        *result.reasons,
    )
    return result._replace(decision=Decision.UNCERTAIN, reasons=reasons)


class CheckResult(Record):
    """One required permission and its decision."""

    request: AuthzRequest
    result: EvalResult
    fix: str | None = None
    origin: SourcedCall | None = None  # the template resource or plan address it came from

    @property
    def decision(self) -> Decision:
        return self.result.decision

    @property
    def id(self) -> str:
        """A stable id from the content (Region, action, resource, trigger)."""
        import hashlib

        r = self.request
        label = self.origin.label if self.origin else ""
        text = "|".join((r.region, r.action, r.resource, r.required_by, label))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def counted(self) -> bool:
        """Conditional requirements are shown but do not decide the verdict."""
        return self.request.conditional is None


class Fix(Record):
    """The smallest policy to add, whether re-checking with it allowed everything, the
    permissions no Allow can fix, and statements for conditional requirements, if they apply."""

    policy: dict[str, Any] | None
    verified: bool
    blocked: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    conditional_policy: dict[str, Any] | None = None


class Report(Record):
    operation: str
    region: str
    account: str
    principal: str | None
    verdict: str  # allowed | denied | uncertain
    checks: tuple[CheckResult, ...]
    warnings: tuple[str, ...]
    fix: Fix
    params_source: str = "<params>"
    params_text: str | None = None

    @property
    def exit_code(self) -> int:
        return {"allowed": 0, "denied": 1, "uncertain": 3}[self.verdict]

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.request.region for c in self.checks))

    def summary(self) -> dict[str, int]:
        counts = {"allowed": 0, "denied": 0, "uncertain": 0, "conditional": 0}
        for c in self.checks:
            if not c.counted:
                counts["conditional"] += 1
            elif c.decision is Decision.ALLOWED:
                counts["allowed"] += 1
            elif c.decision.denied:
                counts["denied"] += 1
            else:
                counts["uncertain"] += 1
        return counts


def verdict_of(checks: tuple[CheckResult, ...]) -> str:
    counted = [c.decision for c in checks if c.counted]
    if any(d.denied for d in counted):
        return "denied"
    if any(d is Decision.UNCERTAIN for d in counted):
        return "uncertain"
    return "allowed"


def _blocked_message(result: EvalResult) -> str:
    deny = next((r for r in result.reasons if r.effect == "Deny"), None)
    where = deny.describe() if deny else "a Deny statement"
    return f"no Allow can fix this: explicit deny in {where}"


def propose_fix(
    checks: list[tuple[AuthzRequest, EvalResult]], policies: PolicySet
) -> tuple[Fix, dict[int, str]]:
    """Statements that allow every implicitly denied request, re-verified by the evaluator."""
    missing = [
        req
        for req, res in checks
        if res.decision is Decision.IMPLICIT_DENY and req.conditional is None
    ]
    optional = [
        req for req, res in checks if res.decision is Decision.IMPLICIT_DENY and req.conditional
    ]
    conditional_policy = policy_document(statements_for(optional)) if optional else None
    blocked = tuple(
        f"{req.action} in {req.region}: {_blocked_message(res)}"
        for req, res in checks
        if res.decision is Decision.EXPLICIT_DENY
    )
    per_check: dict[int, str] = {}
    for i, (_, res) in enumerate(checks):
        if res.decision is Decision.EXPLICIT_DENY:
            per_check[i] = _blocked_message(res)
        elif res.decision is Decision.UNCERTAIN and res.unknown_keys:
            keys = ", ".join(f"`{k}`" for k in res.unknown_keys)
            per_check[i] = f"supply {keys} with --context KEY=VALUE to decide"
    if not missing:
        return Fix(None, True, blocked, conditional_policy=conditional_policy), per_check
    statements = statements_for(missing)
    document = policy_document(statements)
    patched = policies.with_identity(parse_policy(document, name=FIX_POLICY_NAME))
    notes: list[str] = []
    verified = True
    for i, (req, res) in enumerate(checks):
        if res.decision is not Decision.IMPLICIT_DENY:
            continue
        if req.conditional:
            per_check[i] = "if it applies, add the matching statement of the conditional fix"
            continue
        after = evaluate(req, patched)
        sid = next((r.sid for r in after.reasons if r.policy == FIX_POLICY_NAME), None)
        if after.decision is Decision.ALLOWED:
            per_check[i] = (
                f"add statement `{sid}` of the proposed fix"
                if sid
                else "allowed by the proposed fix"
            )
        else:
            verified = False
            why = "; ".join(r.describe() for r in after.reasons) or after.decision.value
            note = (
                f"{req.action} in {req.region} is still {after.decision.value} with the fix: {why}"
            )
            notes.append(note)
            per_check[i] = note
    return Fix(document, verified, blocked, tuple(notes), conditional_policy), per_check


def check(
    operation: str,
    params: Mapping[str, Any] | None,
    *,
    region: str,
    account: str,
    policies: PolicySet,
    current: Mapping[str, Any] | None = None,
    principal: str | None = None,
    context: Mapping[str, object] | None = None,
    params_source: str = "<params>",
    params_text: str | None = None,
    gaps: tuple[Gap, ...] = (),
    service_linked_role_exists: bool | None = None,
) -> Report:
    """Will this planned DSQL call succeed with these policies, Region by Region?

    `gaps` name parts of the policy stack that could not be read: the decisions they
    could change are reported as `uncertain`.
    """
    planned: PlannedCall = plan(
        operation,
        params,
        region=region,
        account=account,
        current=current,
        principal=principal,
        source=params_source,
        service_linked_role_exists=service_linked_role_exists,
    )
    return check_planned(
        planned,
        policies,
        context=context,
        principal=principal,
        params_source=params_source,
        params_text=params_text,
        gaps=gaps,
    )


def check_planned(
    planned: PlannedCall,
    policies: PolicySet,
    *,
    context: Mapping[str, object] | None = None,
    principal: str | None = None,
    params_source: str = "<params>",
    params_text: str | None = None,
    gaps: tuple[Gap, ...] = (),
) -> Report:
    requests = [r.with_context(context) if context else r for r in planned.requests]
    pairs = [(r, apply_gaps(r, evaluate(r, policies), gaps)) for r in requests]
    fix, per_check = propose_fix(pairs, policies)
    checks = tuple(CheckResult(r, res, per_check.get(i)) for i, (r, res) in enumerate(pairs))
    return Report(
        planned.operation,
        planned.region,
        planned.account,
        principal,
        verdict_of(checks),
        checks,
        (*planned.warnings, *(g.message for g in gaps)),
        fix,
        params_source,
        params_text,
    )


def check_calls(
    calls: list[SourcedCall],
    policies: PolicySet,
    *,
    account: str,
    context: Mapping[str, object] | None = None,
    principal: str | None = None,
    warnings: tuple[str, ...] = (),
    gaps: tuple[Gap, ...] = (),
) -> Report:
    """One report for several calls (a template, a plan), each check knowing its origin."""
    if not calls:
        raise DsqlPermsError("nothing to check: no DSQL resource found")
    pairs: list[tuple[AuthzRequest, EvalResult]] = []
    origins: list[SourcedCall] = []
    notes: list[str] = list(warnings)
    for call in calls:
        planned = plan(
            call.operation,
            call.params,
            region=call.region,
            account=account,
            current=call.current,
            principal=principal,
            source=f"{call.file}: {call.label}",
        )
        notes += [f"{call.label}: {w}" for w in planned.warnings]
        for request in planned.requests:
            request = request.with_context(context) if context else request
            pairs.append((request, apply_gaps(request, evaluate(request, policies), gaps)))
            origins.append(call)
    fix, per_check = propose_fix(pairs, policies)
    checks = tuple(
        CheckResult(r, res, per_check.get(i), origins[i]) for i, (r, res) in enumerate(pairs)
    )
    operations = "+".join(dict.fromkeys(c.operation for c in calls))
    return Report(
        operations,
        calls[0].region,
        account,
        principal,
        verdict_of(checks),
        checks,
        (*notes, *(g.message for g in gaps)),
        fix,
        calls[0].file,
    )
