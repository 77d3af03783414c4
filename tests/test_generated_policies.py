"""The gallery in policies/ is up to date, and each policy allows its whole plan."""

import json
from pathlib import Path

import pytest

from dsql_perms import PolicySet, check, generate_policy

GALLERY = Path(__file__).resolve().parent.parent / "policies"
PLANS = sorted(GALLERY.glob("*.plan.json"))
README = (GALLERY / "README.md").read_text()


def test_the_gallery_has_every_documented_scenario():
    names = {p.name.replace(".plan.json", "") for p in PLANS}
    assert {
        "single-region-create",
        "create-with-tags",
        "multi-region-with-witness",
        "peering-update",
        "cmk-create-and-rotation",
        "read-only",
        "db-connect-tokens",
    } <= names


@pytest.mark.parametrize("plan_path", PLANS, ids=[p.name for p in PLANS])
def test_gallery_policy_is_regenerated_byte_for_byte(plan_path):
    plan = json.loads(plan_path.read_text())
    policy_path = plan_path.with_name(plan_path.name.replace(".plan.json", ".policy.json"))
    regenerated = (
        json.dumps(generate_policy(plan["calls"], account=plan["account"]), indent=2) + "\n"
    )
    assert policy_path.read_text() == regenerated, "run: python scripts/regenerate_gallery.py"
    assert plan_path.name in README, "each scenario has a line in policies/README.md"


@pytest.mark.parametrize("plan_path", PLANS, ids=[p.name for p in PLANS])
def test_gallery_policy_allows_every_call_of_its_plan(plan_path):
    plan = json.loads(plan_path.read_text())
    policy = json.loads(
        plan_path.with_name(plan_path.name.replace(".plan.json", ".policy.json")).read_text()
    )
    for call in plan["calls"]:
        report = check(
            call["operation"],
            call["params"],
            region=call["region"],
            account=plan["account"],
            policies=PolicySet(identity=[policy]),
            current=call.get("current"),
        )
        assert report.verdict == "allowed", (
            call["operation"],
            [(c.request.action, c.decision) for c in report.checks],
        )
        assert all(c.decision.value == "allowed" for c in report.checks), (
            "conditional requirements are covered too"
        )


def test_generation_is_deterministic():
    plan = json.loads((GALLERY / "multi-region-with-witness.plan.json").read_text())
    first = json.dumps(generate_policy(plan["calls"], account=plan["account"]))
    second = json.dumps(generate_policy(list(reversed(plan["calls"])), account=plan["account"]))
    assert first == second
