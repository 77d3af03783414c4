"""Render a Report for CI systems: SARIF 2.1.0 and JUnit XML."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from ._version import __version__
from .jsonpos import locate
from .model import Decision
from .render import trigger_path
from .report import CheckResult, Report

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

INFO_URI = "https://github.com/dsql-perms/dsql-perms"
RULES = {
    Decision.IMPLICIT_DENY: (
        "DSQLP001",
        "MissingPermission",
        "error",
        "No policy allows a permission the planned call needs.",
    ),
    Decision.EXPLICIT_DENY: (
        "DSQLP002",
        "ExplicitDeny",
        "error",
        "An explicit Deny blocks a permission the planned call needs; no Allow can fix it.",
    ),
    Decision.UNCERTAIN: (
        "DSQLP003",
        "UncertainPermission",
        "warning",
        "Whether the permission is allowed depends on context values that are not known.",
    ),
}


def _message(c: CheckResult) -> str:
    r = c.request
    why = "; ".join(reason.describe() for reason in c.result.reasons)
    text = f"{r.action} on {r.resource} in {r.region} is {c.decision.value}"
    if why:
        text += f": {why}"
    if c.fix:
        text += f". Fix: {c.fix}"
    return text


def render_sarif(report: Report) -> str:
    rules = [
        {
            "id": rule_id,
            "name": name,
            "shortDescription": {"text": text},
            "defaultConfiguration": {"level": level},
            "helpUri": INFO_URI,
        }
        for rule_id, name, level, text in RULES.values()
    ]
    index = {d: i for i, d in enumerate(RULES)}
    results: list[dict[str, Any]] = []
    for c in report.checks:
        if c.decision is Decision.ALLOWED or not c.counted:
            continue
        rule_id, _, level, _ = RULES[c.decision]
        uri = report.params_source
        if c.origin is not None:
            uri, line, column = c.origin.file, c.origin.line or 1, 1
        else:
            line, column = locate(report.params_text, trigger_path(c))
        results.append(
            {
                "ruleId": rule_id,
                "ruleIndex": index[c.decision],
                "level": level,
                "message": {"text": _message(c)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": {"startLine": line, "startColumn": column},
                        },
                        "logicalLocations": [
                            {"name": c.origin.label, "kind": "resource"}
                            if c.origin
                            else {"name": c.request.required_by, "kind": "parameter"}
                        ],
                    }
                ],
                "partialFingerprints": {"dsqlPermsCheck/v1": c.id},
                "properties": {
                    "region": c.request.region,
                    "action": c.request.action,
                    "resource": c.request.resource,
                    "evidence": c.request.evidence.value,
                },
            }
        )
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dsql-perms",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {"verdict": report.verdict, "operation": report.operation},
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def render_junit(report: Report) -> str:
    suites = ET.Element("testsuites", name=f"dsql-perms {report.operation}")
    for region in report.regions:
        checks = [c for c in report.checks if c.request.region == region]
        suite = ET.SubElement(
            suites, "testsuite", name=f"{report.operation} in {region}", tests=str(len(checks))
        )
        counts = {"failures": 0, "errors": 0, "skipped": 0}
        for c in checks:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"dsql-perms.{region}",
                name=f"{c.request.action} on {c.request.resource}"
                + (f" [{c.origin.label}]" if c.origin else ""),
            )
            if not c.counted:
                ET.SubElement(case, "skipped", message=f"conditional: {c.request.conditional}")
                counts["skipped"] += 1
            elif c.decision.denied:
                failure = ET.SubElement(case, "failure", type=c.decision.value, message=_message(c))
                failure.text = "\n".join(n.describe() for n in c.result.near_misses)
                counts["failures"] += 1
            elif c.decision is Decision.UNCERTAIN:
                ET.SubElement(case, "error", type="uncertain", message=_message(c))
                counts["errors"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
