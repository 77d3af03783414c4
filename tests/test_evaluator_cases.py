"""The evaluator case corpus (tests/cases/evaluator.json): each case is named after what it
shows and cites the documentation it follows. The same corpus feeds the reference evaluator
where that oracle's scope allows."""

import json
from pathlib import Path

import pytest
import reference_evaluator as ref

from dsql_perms import AuthzRequest, PolicySet, evaluate

CASES = json.loads((Path(__file__).parent / "cases" / "evaluator.json").read_text())["cases"]


def policy_set(p):
    return PolicySet(
        identity=p.get("identity", []),
        boundary=p.get("boundary"),
        session=p.get("session"),
        scps=p.get("scps", []),
        rcps=p.get("rcps", []),
        resource=p.get("resource", []),
        key_policy=p.get("key_policy"),
    )


def request(r):
    return AuthzRequest(
        r["action"], r["resource"], r["region"], r.get("context", {}), r.get("unknown_keys", ()),
        r.get("principal"), resource_variants=r.get("resource_variants", ()),
        resource_is_placeholder=r.get("resource_is_placeholder", False),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_case(case):
    assert case["doc"], "every case cites its source"
    result = evaluate(request(case["request"]), policy_set(case["policies"]))
    want = case["want"]
    assert result.decision.value == want["decision"], result
    if "unknown_keys" in want:
        assert set(want["unknown_keys"]) <= set(result.unknown_keys)
    assert bool(result.errors) == want.get("has_errors", False)
    if "reason_layer" in want:
        assert result.reasons and result.reasons[0].layer.startswith(want["reason_layer"])


def reference_can_run(case):
    text = json.dumps(case)
    p, r = case["policies"], case["request"]
    unsupported = ("${", "Numeric", "Date", "Bool", "Binary", "Ip", "Arn", "Null", "Principal\": {")
    return not (
        any(u in text for u in unsupported)
        or r.get("unknown_keys") or r.get("resource_variants") or r.get("principal")
        or p.get("rcps") or p.get("key_policy") or case["want"].get("has_errors")
        or "*" in r["resource"] or "2008-10-17" in text
    )


REFERENCE_CASES = [c for c in CASES if reference_can_run(c)]


def test_reference_covers_a_good_part_of_the_corpus():
    assert len(REFERENCE_CASES) >= 50


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=[c["note"] for c in REFERENCE_CASES])
def test_reference_evaluator_agrees_with_corpus(case):
    p, r = case["policies"], case["request"]
    got = ref.decide(
        r["action"], r["resource"], r.get("context", {}), identity=p.get("identity", []),
        boundary=p.get("boundary"), session=p.get("session"), scps=p.get("scps", []),
        resource_policies=p.get("resource", []),
    )
    assert got == case["want"]["decision"]
