"""Least-privilege statements for a set of authorization requests.

Each request becomes (action, resources, condition block); requests with the same
condition block and resources share a statement, and statements with the same actions
and conditions merge their resources. Conditions pin what the plan fixes: the witness
Region, the planned tags, KMS use through DSQL, the service a role is passed to.
Output is deterministic: sorted actions, resources and statements; Sids from content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from .model import AuthzRequest

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

MANAGED_POLICY_LIMIT = 6144  # characters, white space not counted

Conditions = tuple[tuple[str, str, tuple[str, ...]], ...]


def _conditions_for(req: AuthzRequest) -> Conditions:
    ctx = req.context_dict
    out: list[tuple[str, str, tuple[str, ...]]] = []
    action = req.action.lower()

    def single(key: str) -> str | None:
        value = ctx.get(key)
        return value if isinstance(value, str) else None

    witness = single("dsql:WitnessRegion")
    if witness and action in ("dsql:putwitnessregion", "dsql:createcluster"):
        out.append(("StringEquals", "dsql:WitnessRegion", (witness,)))
    tags = {k.split("/", 1)[1]: v for k, v in ctx.items() if k.startswith("aws:RequestTag/")}
    if tags:
        out += [("StringEquals", f"aws:RequestTag/{k}", (str(v),)) for k, v in sorted(tags.items())]
        out.append(("ForAllValues:StringEquals", "aws:TagKeys", tuple(sorted(tags))))
    via = single("kms:ViaService")
    if via and action.startswith("kms:"):
        out.append(("StringEquals", "kms:ViaService", (via,)))
        if "kms:EncryptionContextKeys" in ctx:
            out.append(
                ("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ("aws:dsql:ClusterId",))
            )
    for key in ("iam:AWSServiceName", "iam:PassedToService"):
        value = single(key)
        if value:
            out.append(("StringEquals", key, (value,)))
    return tuple(sorted(out))


def _condition_block(conditions: Conditions) -> dict[str, dict[str, Any]]:
    block: dict[str, dict[str, Any]] = {}
    for operator, key, values in conditions:
        block.setdefault(operator, {})[key] = values[0] if len(values) == 1 else list(values)
    return block


def _sid(actions: Iterable[str], conditions: Conditions, used: set[str]) -> str:
    names = [a.split(":", 1)[1] for a in actions]
    service = next(iter(actions)).split(":", 1)[0].capitalize()
    base = service + ("".join(names) if len(names) <= 2 else f"{names[0]}And{len(names) - 1}More")
    if any(k == "dsql:WitnessRegion" for _, k, _ in conditions):
        base += "PinnedWitness"
    if any(k.startswith("aws:RequestTag/") for _, k, _ in conditions):
        base += "PlannedTags"
    base = re.sub(r"[^A-Za-z0-9]", "", base)[:100]
    sid, n = base, 2
    while sid in used:
        sid, n = f"{base}{n}", n + 1
    used.add(sid)
    return sid


def statements_for(requests: Iterable[AuthzRequest]) -> list[dict[str, Any]]:
    """The fewest readable Allow statements that cover every request (all resource forms)."""
    by_resources: dict[tuple[Conditions, tuple[str, ...]], set[str]] = {}
    for req in requests:
        key = (_conditions_for(req), tuple(sorted(set(req.resources))))
        by_resources.setdefault(key, set()).add(req.action)
    # First merge actions over identical resources, then resources over identical actions.
    by_actions: dict[tuple[Conditions, tuple[str, ...]], set[str]] = {}
    for (conditions, resources), actions in by_resources.items():
        by_actions.setdefault((conditions, tuple(sorted(actions))), set()).update(resources)
    used: set[str] = set()
    statements = []
    for (conditions, action_list), resource_set in sorted(
        by_actions.items(), key=lambda kv: (kv[0][1], kv[0][0])
    ):
        resource_list = sorted(resource_set)
        statement: dict[str, Any] = {
            "Sid": _sid(action_list, conditions, used),
            "Effect": "Allow",
            "Action": list(action_list) if len(action_list) > 1 else action_list[0],
            "Resource": resource_list if len(resource_list) > 1 else resource_list[0],
        }
        if conditions:
            statement["Condition"] = _condition_block(conditions)
        statements.append(statement)
    return statements


def assign_sids(statements: list[dict[str, Any]]) -> None:
    """(Re)name every statement from what it now holds, deterministically."""
    used: set[str] = set()
    for statement in statements:
        actions = statement["Action"]
        action_list = [actions] if isinstance(actions, str) else actions
        conditions = tuple(
            (op, key, ()) for op, block in statement.get("Condition", {}).items() for key in block
        )
        statement["Sid"] = _sid(action_list, conditions, used)


def policy_document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def policy_size(document: Mapping[str, Any]) -> int:
    """Characters as IAM counts them for the managed-policy limit (no white space)."""
    return len(re.sub(r"\s", "", json.dumps(document, separators=(",", ":"))))


def _fitting(statement: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The statement, or pieces of it over halves of its Resource list, each under `limit`."""
    resources = statement["Resource"]
    if policy_size(policy_document([statement])) <= limit or isinstance(resources, str):
        return [statement]
    half = len(resources) // 2
    pieces = []
    for n, part in enumerate((resources[:half], resources[half:]), 1):
        piece = {**statement, "Sid": f"{statement['Sid']}{n}", "Resource": part}
        if len(part) == 1:
            piece["Resource"] = part[0]
        pieces += _fitting(piece, limit)
    return pieces


def split_policy(
    statements: list[dict[str, Any]], limit: int = MANAGED_POLICY_LIMIT
) -> list[dict[str, Any]]:
    """Pack statements into as few documents under `limit` as a first-fit pass allows;
    a statement too large on its own is first cut along its resources."""
    documents: list[list[dict[str, Any]]] = []
    for statement in (piece for s in statements for piece in _fitting(s, limit)):
        for doc in documents:
            if policy_size(policy_document([*doc, statement])) <= limit:
                doc.append(statement)
                break
        else:
            documents.append([statement])
    return [policy_document(d) for d in documents]
