"""evaluate(request, policies) -> EvalResult: AWS's documented evaluation logic, offline.

Each statement's applicability is three-valued (True, False, unknown). Because access is
monotone (more Allows never deny, more Denies never allow), the request is decided twice:
once with every unknown resolved in the caller's favour and once against. Equal answers
are certain; an Allow in one and a deny in the other is `uncertain`, naming the keys.
"""

from __future__ import annotations

from functools import lru_cache

from .arn import Principal, account_of
from .conditions import RequestContext, Tri
from .matching import Hit, action_matches, statement_hit
from .model import AuthzRequest, Decision, EvalResult, NearMiss, Reason
from .policy import Policy, Statement
from .policy_set import PolicySet
from .records import Record
from .stack_index import (
    DECISION_CACHE_SIZE,
    NEAR_MISS_LIMIT,
    LayerPlan,
    candidates,
    layer_names,
    rcps_apply,
    relevant_keys,
)

_CROSS_ACCOUNT_KEY_NOTE = (
    "no key policy given for a key in another account: the default key policy would not "
    "allow this account, so the decision depends on the real key policy (give --key-policy)"
)
_DEFAULT_KEY_POLICY_NOTE = (
    "no key policy given: assumed the default key policy, which lets IAM policies in the "
    "key's account grant access"
)


def _pick(value: Tri, optimistic: bool) -> bool:
    return optimistic if value is None else value


class _Outcome(Record):
    """What the statements of each layer said about one request, before the decision."""

    allowed: dict[tuple[str, str | None], Tri]  # (layer, grant or None) -> an Allow applies
    denies: Tri
    scp_layers: tuple[str, ...]
    rcp_layers: tuple[str, ...]  # empty when RCPs do not apply to this request
    has_boundary: bool
    has_session: bool
    kms: bool
    key_policy_given: bool
    cross_account: bool


def _truth_table(o: _Outcome, optimistic: bool) -> tuple[Decision, str]:
    """IAM's evaluation logic, one arm per documented step; unknowns resolved one way."""

    def yes(layer: str, grant: str | None = None) -> bool:
        return _pick(o.allowed.get((layer, grant), False), optimistic)

    if _pick(o.denies, not optimistic):  # an explicit deny anywhere wins
        return Decision.EXPLICIT_DENY, "deny"
    for layer in o.rcp_layers:  # every RCP level must allow
        if not yes(layer):
            return Decision.IMPLICIT_DENY, layer
    for layer in o.scp_layers:  # every SCP level must allow
        if not yes(layer):
            return Decision.IMPLICIT_DENY, layer
    boundary_ok = not o.has_boundary or yes("boundary")
    session_ok = not o.has_session or yes("session")
    identity_ok = yes("identity") and boundary_ok and session_ok
    if o.kms:  # the key policy must allow, directly or by delegating to the account
        if o.key_policy_given:
            key_direct = yes("key", "direct")
            key_account = yes("key", "account") or yes("key", "role")
        else:  # the default key policy delegates to IAM in the key's own account only
            key_direct, key_account = False, not o.cross_account or optimistic
        if key_direct or (key_account and identity_ok):
            return Decision.ALLOWED, "key"
        return Decision.IMPLICIT_DENY, "identity" if key_account else "key"
    if o.cross_account:  # both accounts must allow
        resource_ok = any(yes("resource", g) for g in ("direct", "role", "account"))
        if identity_ok and resource_ok:
            return Decision.ALLOWED, "cross-account"
        return Decision.IMPLICIT_DENY, "resource" if identity_ok else "identity"
    if yes("resource", "direct"):  # same account, naming the user or session: final Allow
        return Decision.ALLOWED, "resource"
    role_grant = yes("resource", "role") and boundary_ok and session_ok
    if identity_ok or role_grant:
        return Decision.ALLOWED, "identity"
    if not boundary_ok and yes("identity"):
        return Decision.IMPLICIT_DENY, "boundary"
    if not session_ok and yes("identity"):
        return Decision.IMPLICIT_DENY, "session"
    return Decision.IMPLICIT_DENY, "identity"


def _decide_one(
    req: AuthzRequest,
    resource: str,
    policies: PolicySet,
    ctx: RequestContext,
    caller: Principal | None,
) -> EvalResult:
    action = req.action.lower()
    is_kms = action.startswith("kms:")
    hits: dict[str, list[Hit]] = {}
    allowed: dict[tuple[str, str | None], Tri] = {}
    denies: Tri = False
    saw_error = saw_unknown = False
    concrete = "*" not in resource and "?" not in resource
    misses: list[tuple[str, Policy, Statement]] = []
    plans = candidates(policies, action)
    key_policy = policies.key_policy_for(resource) if is_kms else None
    if key_policy is not None:  # per key, so outside the per-action cache
        key_statements = tuple(
            (key_policy, s) for s in key_policy.statements if action_matches(s, action)
        )
        plans = [*plans, LayerPlan("key", (), False, False, key_statements)]
    for plan in plans:
        layer = plan.layer
        layer_hits = hits[layer] = list(plan.static_hits)
        if plan.static_deny:
            denies = True
        if plan.static_allow:
            allowed[(layer, None)] = allowed[(layer, "identity")] = True
        for p, s in plan.dynamic:
            if concrete and not s.not_resource and not resource.startswith(s.resource_prefixes):
                if s.is_allow:  # cannot match: explained only if it becomes a near miss
                    misses.append((layer, p, s))
                continue
            hit = statement_hit(layer, p, s, req, resource, ctx, caller)
            saw_error = saw_error or s.error is not None
            applies = hit.applies
            if applies is False:
                if s.is_allow:
                    layer_hits.append(hit)  # a near miss, if the request ends up denied
                continue
            layer_hits.append(hit)
            if applies is None:
                saw_unknown = True
            if not s.is_allow:
                denies = True if applies else (denies or None)
                continue
            for key in ((layer, None), (layer, hit.grant)):
                if allowed.get(key) is not True:
                    allowed[key] = applies

    cross_account = False
    if caller is not None:  # without a known caller, the request is taken as same-account
        resource_account = account_of(resource)
        cross_account = bool(resource_account and resource_account != caller.account)
    scp_names, rcp_names = layer_names(policies) if policies.scps or policies.rcps else ((), ())
    outcome = _Outcome(
        allowed,
        denies,
        scp_names,
        rcp_names if rcp_names and rcps_apply(action, resource) else (),
        policies.boundary is not None,
        policies.session is not None,
        is_kms,
        key_policy is not None,
        cross_account,
    )
    if is_kms and key_policy is None and cross_account:
        saw_unknown = True  # another account's key: its policy decides, and we were not given it
    best, best_layer = _truth_table(outcome, True)
    worst = _truth_table(outcome, False)[0] if saw_unknown else best
    certain_allow = best is Decision.ALLOWED and worst is Decision.ALLOWED
    if certain_allow and not saw_error and not is_kms:  # the common case, kept short
        return EvalResult(best, _reasons(best, best_layer, hits, req, resource))
    all_hits = [h for hs in hits.values() for h in hs]
    errors: tuple[str, ...] = ()
    if saw_error:
        errors = tuple(
            f"{h.layer} policy `{h.policy.name}` statement {h.statement.position}: "
            f"{h.statement.error}"
            for h in all_hits
            if h.statement.error
        )
    unknown: tuple[str, ...] = ()
    if saw_unknown:
        unknown = tuple(dict.fromkeys(k for h in all_hits if h.applies is None for k in h.unknown))
    notes: tuple[str, ...] = ()
    if is_kms and key_policy is None:
        notes = (_CROSS_ACCOUNT_KEY_NOTE if cross_account else _DEFAULT_KEY_POLICY_NOTE,)
    near: tuple[NearMiss, ...] = ()
    if best is not Decision.ALLOWED:
        near_hits = [h for h in all_hits if h.statement.is_allow and h.applies is False]
        near_hits += [
            statement_hit(layer, p, s, req, resource, ctx, caller)
            for layer, p, s in misses[:NEAR_MISS_LIMIT]
        ]
        near = tuple(
            NearMiss(h.layer, h.policy.name, h.statement.position, h.statement.sid, h.why)
            for h in near_hits[:NEAR_MISS_LIMIT]
            if h.why
        )
    if best == worst or (best.denied and worst.denied):
        reasons = _reasons(best, best_layer, hits, req, resource)
        return EvalResult(best, reasons, unknown if best != worst else (), near, errors, notes)
    reasons = tuple(h.reason() for h in all_hits if h.applies is None)
    return EvalResult(Decision.UNCERTAIN, reasons, unknown, near, errors, notes)


def _reasons(
    decision: Decision, layer: str, hits: dict[str, list[Hit]], req: AuthzRequest, resource: str
) -> tuple[Reason, ...]:
    if decision is Decision.EXPLICIT_DENY:
        return tuple(
            h.reason("explicit deny")
            for hs in hits.values()
            for h in hs
            if not h.statement.is_allow and h.applies is not False
        )
    if decision is Decision.ALLOWED:
        return tuple(
            h.allows_reason or h.reason("allows")
            for hs in hits.values()
            for h in hs
            if h.statement.is_allow and h.applies is True
        )
    return (_implicit_deny_reason(layer, req.action, resource),)


def _implicit_deny_reason(layer: str, action: str, resource: str) -> Reason:
    what = {
        "identity": "no identity-based policy allows",
        "boundary": "the permissions boundary does not allow",
        "session": "the session policy does not allow",
        "key": "the KMS key policy does not allow",
        "resource": "the resource-based policy does not allow (cross-account)",
    }.get(layer, "no policy at this level allows")
    kind = layer.split("-level-")[0] if "-level-" in layer else layer
    return Reason(kind, layer, detail=f"{what} `{action}` on `{resource}`")


def _combine_variants(results: list[tuple[str, EvalResult]]) -> EvalResult:
    decisions = {r.decision for _, r in results}
    if len(results) == 1 or len(decisions) == 1:
        return results[0][1]
    if all(d.denied for d in decisions):
        return next(r for _, r in results if r.decision is Decision.EXPLICIT_DENY)
    reasons = tuple(
        Reason("variants", res, detail=f"{r.decision.value} for this documented resource form")
        for res, r in results
    )
    unknown = tuple(dict.fromkeys(k for _, r in results for k in r.unknown_keys))
    near = tuple(n for _, r in results for n in r.near_misses)
    errors = tuple(dict.fromkeys(e for _, r in results for e in r.errors))
    notes = tuple(dict.fromkeys(n for _, r in results for n in r.notes))
    return EvalResult(Decision.UNCERTAIN, reasons, unknown, near, errors, notes)


@lru_cache(maxsize=1024)
def _principal(arn: str) -> Principal:
    return Principal.parse(arn)


def evaluate(request: AuthzRequest, policies: PolicySet) -> EvalResult:
    """Decide one authorization request against a whole policy stack (pure, no I/O)."""
    caller = _principal(request.principal) if request.principal else None
    ctx = request.evaluation_cache
    if ctx is None:
        context = list(request.context)
        known = {k.lower() for k, _ in context}
        if caller and "aws:principalarn" not in known:
            context += [
                ("aws:PrincipalArn", caller.principal_arn),
                ("aws:PrincipalAccount", caller.account),
            ]
        ctx = RequestContext(context, request.unknown_keys)
        object.__setattr__(request, "evaluation_cache", ctx)
    if not request.resource_variants:
        return _decide_reusing(request, request.resource, policies, ctx, caller)
    results = [
        (resource, _decide_reusing(request, resource, policies, ctx, caller))
        for resource in request.resources
    ]
    return _combine_variants(results)


def _decide_reusing(
    req: AuthzRequest,
    resource: str,
    policies: PolicySet,
    ctx: RequestContext,
    caller: Principal | None,
) -> EvalResult:
    """_decide_one, reusing an earlier decision of the same stack when the request agrees
    with it on everything the deciding statements read. An implicit deny's reason names the
    resource, so it is rewritten for each; KMS decisions are reused only when one key policy
    (or none) applies to every key."""
    uses = policies._cache["|uses"] = policies._cache.get("|uses", 0) + 1
    if uses == 1:  # a stack used once (parse-and-evaluate) has nothing to reuse
        return _decide_one(req, resource, policies, ctx, caller)
    action = req.action.lower()
    per_key = action.startswith("kms:") and bool(policies.key_policies)
    keys = None if per_key else relevant_keys(policies, action)
    if keys is None:
        return _decide_one(req, resource, policies, ctx, caller)
    memo: dict[tuple[object, ...], EvalResult] = policies._cache.setdefault("|decisions", {})
    key = (
        action,
        req.principal,
        account_of(resource),
        resource == "*",
        tuple(ctx.lookup(k) for k in keys),
    )
    found = memo.get(key)
    if found is not None:
        if found.decision is Decision.IMPLICIT_DENY:
            reason = _implicit_deny_reason(found.reasons[0].policy, req.action, resource)
            return found._replace(reasons=(reason,))
        return found
    result = _decide_one(req, resource, policies, ctx, caller)
    if len(memo) >= DECISION_CACHE_SIZE:
        memo.clear()
    memo[key] = result
    return result
