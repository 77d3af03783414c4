"""Render a Report as JSON (the documented schema), text for a terminal, or Markdown."""

from __future__ import annotations

import json

from ._version import __version__
from .model import Decision
from .report import SCHEMA_VERSION, CheckResult, Report

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

_MARK = {
    Decision.ALLOWED: "✓ allowed",
    Decision.IMPLICIT_DENY: "✗ denied",
    Decision.EXPLICIT_DENY: "✗ denied (explicit)",
    Decision.UNCERTAIN: "? uncertain",
}
_COLOUR = {
    Decision.ALLOWED: "32",
    Decision.IMPLICIT_DENY: "31",
    Decision.EXPLICIT_DENY: "31",
    Decision.UNCERTAIN: "33",
}


def trigger_path(check: CheckResult) -> str:
    """The parameter path that required a check (`` for the operation itself)."""
    return check.request.required_by.partition("#")[2]


def region_role(report: Report, region: str) -> str:
    if region == report.region:
        return "cluster Region"
    witness_checks = (
        c
        for c in report.checks
        if c.request.region == region and c.request.context_dict.get("dsql:WitnessRegion") == region
    )
    return "witness Region" if any(witness_checks) else "other Region"


def check_to_json(check: CheckResult) -> dict[str, Any]:
    r, res = check.request, check.result
    return {
        "id": check.id,
        "region": r.region,
        "action": r.action,
        "resource": r.resource,
        "resource_variants": list(r.resource_variants),
        "decision": res.decision.value,
        "conditional": r.conditional,
        "reasons": [reason.describe() for reason in res.reasons],
        "near_misses": [n.describe() for n in res.near_misses],
        "unknown_keys": list(res.unknown_keys),
        "errors": list(res.errors),
        "notes": list(res.notes),
        "required_by": r.required_by,
        "evidence": r.evidence.value,
        "evidence_reason": r.evidence_reason or None,
        "source_url": r.source_url,
        "context": {k: (v if isinstance(v, str) else list(v)) for k, v in r.context},
        "fix": check.fix,
        "source": (
            {"label": check.origin.label, "file": check.origin.file, "line": check.origin.line}
            if check.origin
            else None
        ),
    }


def report_to_json(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dsql-perms", "version": __version__},
        "operation": report.operation,
        "region": report.region,
        "account": report.account,
        "principal": report.principal,
        "verdict": report.verdict,
        "summary": report.summary(),
        "warnings": list(report.warnings),
        "checks": [check_to_json(c) for c in report.checks],
        "fix": {
            "policy": report.fix.policy,
            "verified": report.fix.verified,
            "blocked": list(report.fix.blocked),
            "notes": list(report.fix.notes),
            "conditional_policy": report.fix.conditional_policy,
        },
    }


def render_json(report: Report) -> str:
    return json.dumps(report_to_json(report), indent=2) + "\n"


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def render_text(report: Report, *, color: bool = False) -> str:
    verdict_code = {"allowed": "32", "denied": "31", "uncertain": "33"}[report.verdict]
    lines = [
        f"dsql-perms check {report.operation} in {report.region} (account {report.account}): "
        + _paint(report.verdict.upper(), "1;" + verdict_code, color)
    ]
    lines += [f"warning: {w}" for w in report.warnings]
    for region in report.regions:
        lines += ["", f"{region} ({region_role(report, region)})"]
        for c in (c for c in report.checks if c.request.region == region):
            mark = _paint(f"{_MARK[c.decision]:<20}", _COLOUR[c.decision], color)
            origin = f"  [{c.origin.label}]" if c.origin else ""
            lines.append(f"  {mark} {c.request.action:<30} {c.request.resource}{origin}")
            for variant in c.request.resource_variants:
                lines.append(f"  {'':<20} {'':<30} or {variant}")
            if c.request.conditional:
                lines.append(f"      conditional: {c.request.conditional}")
            if c.decision is not Decision.ALLOWED:
                lines += [f"      why: {r.describe()}" for r in c.result.reasons]
                lines += [f"      near miss: {n.describe()}" for n in c.result.near_misses[:3]]
                if c.result.unknown_keys:
                    lines.append("      unknown: " + ", ".join(c.result.unknown_keys))
                lines += [f"      policy error: {e}" for e in c.result.errors]
                evidence = c.request.evidence.value
                lines.append(
                    f"      required by: {c.request.required_by} "
                    f"({evidence}, {c.request.source_url})"
                )
                if c.fix:
                    lines.append(f"      fix: {c.fix}")
    lines += ["", _fix_text(report)]
    return "\n".join(lines) + "\n"


def _fix_text(report: Report) -> str:
    parts: list[str] = []
    if report.fix.policy:
        state = (
            "re-verified: every missing permission is then allowed"
            if report.fix.verified
            else ("NOT sufficient on its own, see the notes")
        )
        parts.append(f"Smallest fix: add this policy to the caller ({state}):")
        parts.append(json.dumps(report.fix.policy, indent=2))
    parts += [f"blocked: {b}" for b in report.fix.blocked]
    parts += [f"note: {n}" for n in report.fix.notes]
    if report.fix.conditional_policy:
        parts.append("If the conditional requirements apply, also add:")
        parts.append(json.dumps(report.fix.conditional_policy, indent=2))
    if not parts:
        s = report.summary()
        parts.append(
            f"Nothing to fix: {s['allowed']} allowed, {s['uncertain']} uncertain, "
            f"{s['conditional']} conditional."
        )
    return "\n".join(parts)


def render_markdown(report: Report) -> str:
    icon = {"allowed": "✅", "denied": "❌", "uncertain": "⚠️"}[report.verdict]
    s = report.summary()
    lines = [
        f"### {icon} dsql-perms: `{report.operation}` in `{report.region}` is **{report.verdict}**",
        "",
        f"{s['allowed']} allowed · {s['denied']} denied · {s['uncertain']} uncertain · "
        f"{s['conditional']} conditional (account `{report.account}`)",
    ]
    lines += [f"> warning: {w}" for w in report.warnings]
    for region in report.regions:
        lines += [
            "",
            f"#### {region} ({region_role(report, region)})",
            "",
            "| Decision | Action | Resource | Required by | Details |",
            "|---|---|---|---|---|",
        ]
        for c in (c for c in report.checks if c.request.region == region):
            details = "; ".join(
                [*(r.describe() for r in c.result.reasons), *([c.fix] if c.fix else [])]
            )
            if c.request.conditional:
                details = f"conditional: {c.request.conditional}; {details}"
            cells = [
                _MARK[c.decision],
                f"`{c.request.action}`",
                f"`{c.request.resource}`",
                f"`{c.request.required_by}`",
                details if c.decision is not Decision.ALLOWED else "",
            ]
            lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    if report.fix.policy:
        verified = "re-verified" if report.fix.verified else "not sufficient on its own"
        lines += [
            "",
            f"<details><summary>Smallest fix ({verified})</summary>",
            "",
            "```json",
            json.dumps(report.fix.policy, indent=2),
            "```",
            "",
            "</details>",
        ]
    lines += [f"- blocked: {b}" for b in report.fix.blocked]
    lines += [f"- note: {n}" for n in report.fix.notes]
    return "\n".join(lines) + "\n"
