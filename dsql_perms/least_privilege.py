"""generate_policy(): the least-privilege policy for a set of planned calls, proven.

The statements come from the planner's requests (generator.statements_for); then a greedy
pass drops every statement, action and resource whose removal keeps every planned request
allowed, asking the evaluator each time. The result allows every planned call (including
its conditional requirements) and contains nothing the plan does not need.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from .errors import DsqlPermsError, InputError
from .evaluator import evaluate
from .generator import assign_sids, policy_document, statements_for
from .model import AuthzRequest, Decision
from .planner import PlannedCall, plan
from .policy import parse_policy
from .policy_set import PolicySet
from .wildcard import match, overlaps

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

CALL_KEYS = ("operation", "region", "params", "current", "principal", "description")


def planned_calls(
    calls: Iterable[PlannedCall | Mapping[str, Any]], *, account: str, source: str = "<plan>"
) -> list[PlannedCall]:
    """Plan each call: a PlannedCall as it is, or {operation, region, params, current}."""
    out: list[PlannedCall] = []
    for i, call in enumerate(calls):
        if isinstance(call, PlannedCall):
            out.append(call)
            continue
        where = f"calls[{i}]"
        if not isinstance(call, Mapping):
            raise InputError("a call must be an object", source=source, where=where)
        unknown = [k for k in call if k not in CALL_KEYS]
        if unknown:
            raise InputError(f"unknown key `{unknown[0]}`", source=source, where=where)
        for key in ("operation", "region"):
            if not isinstance(call.get(key), str):
                raise InputError(f"`{key}` must be a string", source=source, where=where)
        out.append(
            plan(
                call["operation"],
                call.get("params") or {},
                region=call["region"],
                account=account,
                current=call.get("current"),
                principal=call.get("principal"),
                source=f"{source}: {where}.params",
            )
        )
    return out


def _all_allowed(document: dict[str, Any], requests: list[AuthzRequest]) -> bool:
    if not requests:
        return True
    if not document["Statement"]:
        return False
    policies = PolicySet(identity=[parse_policy(document, name="generated")])
    return all(evaluate(r, policies).decision is Decision.ALLOWED for r in requests)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _affected(
    requests: list[AuthzRequest], actions: list[str], resource: str | None = None
) -> list[AuthzRequest]:
    """The requests a statement element can matter to (its actions; its resource)."""
    out = []
    for r in requests:
        if not any(match(a, r.action, ignore_case=True) for a in actions):
            continue
        if resource is None or any(overlaps(resource, form) for form in r.resources):
            out.append(r)
    return out


def _minimize(document: dict[str, Any], requests: list[AuthzRequest]) -> dict[str, Any]:
    """Drop statements, then actions, then resources, while every request stays allowed.

    Each trial re-evaluates only the requests the dropped element can matter to.
    """
    doc = copy.deepcopy(document)
    i = 0
    while i < len(doc["Statement"]):
        statement = doc["Statement"][i]
        trial = {**doc, "Statement": doc["Statement"][:i] + doc["Statement"][i + 1 :]}
        if _all_allowed(trial, _affected(requests, _as_list(statement["Action"]))):
            doc = trial
        else:
            i += 1
    for statement in doc["Statement"]:
        for element in ("Action", "Resource"):
            values = _as_list(statement[element])
            j = 0
            while len(values) > 1 and j < len(values):
                kept = values[:j] + values[j + 1 :]
                if element == "Action":
                    concerned = _affected(requests, [values[j]])
                else:
                    concerned = _affected(requests, _as_list(statement["Action"]), values[j])
                saved = statement[element]
                statement[element] = kept if len(kept) > 1 else kept[0]
                if _all_allowed(doc, concerned):
                    values = kept
                else:
                    statement[element] = saved
                    j += 1
    return doc


def generate_policy(
    calls: Iterable[PlannedCall | Mapping[str, Any]],
    *,
    account: str,
    minimize: bool = True,
    source: str = "<plan>",
) -> dict[str, Any]:
    """The least-privilege identity policy that lets every planned call succeed.

    `calls` are PlannedCall values or mappings {operation, region, params, current}.
    Conditional requirements (the service-linked role, peer removal without current state)
    are included, so the calls succeed whichever way they turn out.
    """
    planned = planned_calls(calls, account=account, source=source)
    requests = [r for call in planned for r in call.requests]
    document = policy_document(statements_for(requests))
    if minimize:
        document = _minimize(document, requests)
        assign_sids(document["Statement"])
    if not _all_allowed(document, requests):  # a bug, never a silent partial policy
        raise DsqlPermsError(
            "internal error: the generated policy does not allow every planned request"
        )
    return document
