"""What a policy stack says about one action, computed once per stack and action: the
statements of each layer that can apply, those that always do, and the context keys the
rest read (which lets evaluate() reuse decisions)."""

from __future__ import annotations

from .matching import Hit, action_matches
from .model import Reason
from .policy import Policy, Statement
from .policy_set import PolicySet
from .records import Record


class LayerPlan(Record):
    """A layer's statements for one action: those that apply to every request of it
    (no condition, no principal, `Resource: "*"`) are decided once, the rest per request."""

    layer: str
    static_hits: tuple[Hit, ...]
    static_allow: bool
    static_deny: bool
    dynamic: tuple[tuple[Policy, Statement], ...]


def allows_reason(layer: str, p: Policy, s: Statement) -> Reason:
    return Reason(layer, p.name, s.position, s.sid, s.effect, "allows")


def always_applies(s: Statement) -> bool:
    return (
        s.error is None
        and not s.conditions
        and s.principals is None
        and not s.not_resource
        and "*" in s.resources
    )


NEAR_MISS_LIMIT = 20  # statements whose action matched; enough to explain a denial


def candidates(policies: PolicySet, action: str) -> list[LayerPlan]:
    """Per layer, the statements whose Action/NotAction matches (cached per stack and action)."""
    found: list[LayerPlan] | None = policies._cache.get(action)
    if found is None:
        found = []
        for layer, group in layers(policies):
            static: list[Hit] = []
            dynamic: list[tuple[Policy, Statement]] = []
            for p in group:
                for s in p.statements:
                    if not action_matches(s, action):
                        continue
                    if always_applies(s):
                        reason = allows_reason(layer, p, s)
                        static.append(Hit(layer, p, s, True, "identity", "", (), reason))
                    else:
                        dynamic.append((p, s))
            found.append(
                LayerPlan(
                    layer,
                    tuple(static),
                    any(h.statement.is_allow for h in static),
                    any(not h.statement.is_allow for h in static),
                    tuple(dynamic),
                )
            )
        policies._cache[action] = found
    return found


DECISION_CACHE_SIZE = 65536


def relevant_keys(policies: PolicySet, action: str) -> tuple[str, ...] | None:
    """The condition keys an action's per-request statements read, or None when a decision
    may also depend on the resource, policy variables or a statement error.

    Two requests that agree on these keys (and on the caller, the resource's account and
    whether the resource is `*`) get the same decision with the same reasons, so that
    decision can be reused (see `evaluate`). Cached per stack and action.
    """
    marker = f"|keys|{action}"
    if marker in policies._cache:
        cached: tuple[str, ...] | None = policies._cache[marker]
        return cached
    statements = [s for plan in candidates(policies, action) for _, s in plan.dynamic]
    if action.startswith("kms:") and policies.key_policy is not None:  # one policy, every key
        statements += [s for s in policies.key_policy.statements if action_matches(s, action)]
    result: tuple[str, ...] | None = None
    if all(reads_only_context(s) for s in statements):
        result = tuple(sorted({c.key_lower for s in statements for c in s.conditions}))
    policies._cache[marker] = result
    return result


def reads_only_context(s: Statement) -> bool:
    """Applies to every resource, and its conditions read plain context keys."""
    return (
        s.error is None
        and not s.not_resource
        and "*" in s.resources
        and not any("${" in v for c in s.conditions for v in c.values)
    )


def layer_names(policies: PolicySet) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not policies.scps and not policies.rcps:
        return (), ()
    names: tuple[tuple[str, ...], tuple[str, ...]] | None = policies._cache.get("|names")
    if names is None:
        names = (
            tuple(f"scp-level-{i + 1}" for i in range(len(policies.scps))),
            tuple(f"rcp-level-{i + 1}" for i in range(len(policies.rcps))),
        )
        policies._cache["|names"] = names
    return names


def layers(policies: PolicySet) -> list[tuple[str, tuple[Policy, ...]]]:
    layers: list[tuple[str, tuple[Policy, ...]]] = [("identity", policies.identity)]
    if policies.boundary is not None:
        layers.append(("boundary", (policies.boundary,)))
    if policies.session is not None:
        layers.append(("session", (policies.session,)))
    layers += [(f"scp-level-{i + 1}", level) for i, level in enumerate(policies.scps)]
    layers += [(f"rcp-level-{i + 1}", level) for i, level in enumerate(policies.rcps)]
    if policies.resource:
        layers.append(("resource", policies.resource))
    return layers


def rcps_apply(action: str, resource: str) -> bool:
    """RCPs apply to requests on resources (not to `*`), and not to IAM, which has none."""
    return resource != "*" and not action.startswith("iam:")
