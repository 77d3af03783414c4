"""Optional cross-check: ask IAM's SimulatePrincipalPolicy about each required permission
and list every disagreement with our decision. The simulator sees only the principal's
identity policies and boundary (and SCPs without global conditions), so a disagreement is
a prompt to look, not proof that either side is wrong."""

from __future__ import annotations

from .arn import Principal
from .live import _call
from .report import Report

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

_THEIRS = {"allowed": "allowed", "explicitDeny": "explicit_deny", "implicitDeny": "implicit_deny"}


def _context_entries(
    context: tuple[tuple[str, str | tuple[str, ...]], ...],
) -> list[dict[str, Any]]:
    entries = []
    for key, value in context:
        values = [value] if isinstance(value, str) else list(value)
        kind = "string" if isinstance(value, str) else "stringList"
        entries.append({"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": kind})
    return entries


def cross_check(iam: Any, report: Report) -> list[str]:
    """Disagreements between the report and SimulatePrincipalPolicy, one line each."""
    if not report.principal:
        return ["cannot cross-check: the report has no principal"]
    source = Principal.parse(report.principal).principal_arn
    out = []
    for c in report.checks:
        ours = c.decision.value
        if ours == "uncertain":
            continue
        response = _call(
            iam,
            "iam:SimulatePrincipalPolicy",
            "simulate_principal_policy",
            PolicySourceArn=source,
            ActionNames=[c.request.action],
            ResourceArns=[c.request.resource],
            ContextEntries=_context_entries(c.request.context),
        )
        result = response["EvaluationResults"][0]
        theirs = _THEIRS.get(result["EvalDecision"], result["EvalDecision"])
        if theirs != ours:
            out.append(
                f"{c.request.action} on {c.request.resource} in {c.request.region}: "
                f"dsql-perms says {ours}, the IAM policy simulator says {theirs}"
            )
    return out
