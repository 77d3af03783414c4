"""check(): the preflight report on real inputs (the AWS managed policies) and the
scenarios platform engineers hit: Region-scoped policies, Region-lock SCPs, boundaries,
resource and key policies, unknown context."""

import pytest

from dsql_perms import Decision, PolicySet, check
from dsql_perms.policy import parse_policy

ACC = "111122223333"
ID1 = "pe1aaaaaaaaaaaaaaaaaaaaaaa"
SELF = f"arn:aws:dsql:us-east-1:{ACC}:cluster/{ID1}"
PEER = f"arn:aws:dsql:us-east-2:{ACC}:cluster/pe2aaaaaaaaaaaaaaaaaaaaaaa"
KEY = f"arn:aws:kms:us-east-1:{ACC}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FULL_CREATE = {
    "tags": {"team": "payments"},
    "kmsEncryptionKey": KEY,
    "multiRegionProperties": {"witnessRegion": "us-west-2", "clusters": [PEER]},
}
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def run(params, policies, op="create_cluster", **kw):
    return check(op, params, region="us-east-1", account=ACC, policies=policies, **kw)


def decisions(report, action, region=None):
    return [
        c.decision
        for c in report.checks
        if c.request.action == action and (region is None or c.request.region == region)
    ]


def stmt(action, resource="*", cond=None, effect="Allow", **extra):
    s = {"Effect": effect, "Action": action, "Resource": resource, **extra}
    if cond:
        s["Condition"] = cond
    return s


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_full_access_allows_a_multi_region_create_with_witness_peer_tags_and_key(managed):
    report = run(FULL_CREATE, PolicySet(identity=[managed("AmazonAuroraDSQLFullAccess")]))
    assert report.verdict == "allowed", [
        (c.request.action, c.request.region, c.decision) for c in report.checks
    ]
    assert report.exit_code == 0
    assert report.fix.policy is None
    assert {"us-east-1", "us-west-2"} <= set(report.regions)


def test_console_full_access_allows_it_too(managed):
    assert (
        run(FULL_CREATE, PolicySet(identity=[managed("AmazonAuroraDSQLConsoleFullAccess")])).verdict
        == "allowed"
    )


def test_read_only_access_denies_create_and_the_fix_is_verified(managed):
    report = run(FULL_CREATE, PolicySet(identity=[managed("AmazonAuroraDSQLReadOnlyAccess")]))
    assert report.verdict == "denied"
    assert report.exit_code == 1
    assert decisions(report, "dsql:CreateCluster") == [Decision.IMPLICIT_DENY]
    assert report.fix.verified
    again = run(
        FULL_CREATE,
        PolicySet(identity=[managed("AmazonAuroraDSQLReadOnlyAccess"), report.fix.policy]),
    )
    assert again.verdict == "allowed"


def test_read_only_access_allows_get_cluster(managed):
    report = run(
        {"identifier": ID1},
        PolicySet(identity=[managed("AmazonAuroraDSQLReadOnlyAccess")]),
        op="get_cluster",
    )
    assert report.verdict == "allowed"


REGION_SCOPED = doc(
    stmt(
        [
            "dsql:CreateCluster",
            "dsql:TagResource",
            "dsql:PutMultiRegionProperties",
            "dsql:AddPeerCluster",
            "dsql:PutWitnessRegion",
        ],
        f"arn:aws:dsql:us-east-1:{ACC}:cluster/*",
        {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
    ),
    stmt("dsql:AddPeerCluster", PEER),
)
MULTI = {"multiRegionProperties": {"witnessRegion": "us-west-2", "clusters": [PEER]}}


def test_a_region_scoped_policy_misses_the_witness_region():
    report = run(MULTI, PolicySet(identity=[REGION_SCOPED]))
    assert report.verdict == "denied"
    assert decisions(report, "dsql:PutWitnessRegion", "us-east-1") == [Decision.ALLOWED]
    assert decisions(report, "dsql:PutWitnessRegion", "us-west-2") == [Decision.IMPLICIT_DENY]
    (witness,) = [c for c in report.checks if c.request.region == "us-west-2"]
    assert witness.result.near_misses, "the near miss explains the Region condition"
    (statement,) = report.fix.policy["Statement"]
    assert statement["Action"] == "dsql:PutWitnessRegion"
    assert statement["Condition"] == {"StringEquals": {"dsql:WitnessRegion": "us-west-2"}}
    assert report.fix.verified


def region_lock():
    s = {
        "Sid": "RegionLock",
        "Effect": "Deny",
        "NotAction": ["iam:*", "sts:*"],
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-east-2"]}},
    }
    return doc(s)


def test_a_region_lock_scp_blocks_the_witness_region_check_and_no_allow_can_fix_it(managed):
    full_aws = doc(stmt("*"))
    report = run(
        MULTI,
        PolicySet(
            identity=[managed("AmazonAuroraDSQLFullAccess")],
            scps=[[full_aws], [full_aws, region_lock()]],
        ),
    )
    assert report.verdict == "denied"
    assert decisions(report, "dsql:PutWitnessRegion", "us-west-2") == [Decision.EXPLICIT_DENY]
    assert decisions(report, "dsql:PutWitnessRegion", "us-east-1") == [Decision.ALLOWED]
    assert report.fix.policy is None
    assert any("no Allow can fix" in b and "RegionLock" in b for b in report.fix.blocked)


def test_witness_region_condition_key_must_match_the_planned_witness():
    policy = doc(
        stmt("dsql:*", cond={"StringEquals": {"dsql:WitnessRegion": "eu-west-1"}}),
        stmt("dsql:CreateCluster"),
    )
    report = run(
        {"multiRegionProperties": {"witnessRegion": "us-west-2"}}, PolicySet(identity=[policy])
    )
    assert decisions(report, "dsql:PutWitnessRegion") == [
        Decision.IMPLICIT_DENY,
        Decision.IMPLICIT_DENY,
    ]
    right = doc(
        stmt("dsql:*", cond={"StringEquals": {"dsql:WitnessRegion": "us-west-2"}}),
        stmt("dsql:CreateCluster"),
    )
    report = run(
        {"multiRegionProperties": {"witnessRegion": "us-west-2"}}, PolicySet(identity=[right])
    )
    assert decisions(report, "dsql:PutWitnessRegion") == [Decision.ALLOWED, Decision.ALLOWED]


def test_tag_conditions_are_evaluated_against_the_planned_tags():
    policy = doc(
        stmt(
            ["dsql:CreateCluster", "dsql:TagResource"],
            cond={"StringEquals": {"aws:RequestTag/team": "payments"}},
        )
    )
    assert run({"tags": {"team": "payments"}}, PolicySet(identity=[policy])).verdict == "allowed"
    assert run({"tags": {"team": "growth"}}, PolicySet(identity=[policy])).verdict == "denied"


def test_a_permissions_boundary_limits_the_role():
    boundary = doc(stmt(["dsql:Get*", "dsql:List*"]))
    report = run({}, PolicySet(identity=[ALLOW_ALL], boundary=boundary))
    assert report.verdict == "denied"
    (create,) = [c for c in report.checks if c.request.action == "dsql:CreateCluster"]
    assert create.result.reasons[0].layer == "boundary"
    assert not report.fix.verified, "an identity Allow cannot lift a boundary"
    assert report.fix.notes


def test_a_cluster_resource_policy_can_deny_the_caller():
    rbp = doc(
        stmt(
            "dsql:*",
            f"arn:aws:dsql:us-east-1:{ACC}:cluster/{ID1}",
            effect="Deny",
            Principal="*",
            cond={"StringNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACC}:role/admin"}},
        )
    )
    policies = PolicySet(identity=[ALLOW_ALL], resource=[rbp])
    deploy = f"arn:aws:sts::{ACC}:assumed-role/deploy/ci"
    denied = run({"identifier": ID1}, policies, op="get_cluster", principal=deploy)
    assert denied.verdict == "denied"
    admin = f"arn:aws:sts::{ACC}:assumed-role/admin/ci"
    assert (
        run({"identifier": ID1}, policies, op="get_cluster", principal=admin).verdict == "allowed"
    )
    unknown_caller = run({"identifier": ID1}, policies, op="get_cluster")
    assert unknown_caller.verdict == "uncertain"


def test_a_kms_key_policy_that_does_not_delegate_blocks_the_create(managed):
    key_policy = doc(stmt("kms:*", Principal={"AWS": f"arn:aws:iam::{ACC}:role/key-admin"}))
    report = run(
        {"kmsEncryptionKey": KEY},
        PolicySet(identity=[managed("AmazonAuroraDSQLFullAccess")], key_policy=key_policy),
        principal=f"arn:aws:sts::{ACC}:assumed-role/deploy/ci",
    )
    assert report.verdict == "denied"
    assert set(decisions(report, "kms:Encrypt")) == {Decision.IMPLICIT_DENY}


def test_a_kms_key_policy_that_delegates_lets_iam_decide(managed):
    key_policy = doc(stmt("kms:*", Principal={"AWS": f"arn:aws:iam::{ACC}:root"}))
    report = run(
        {"kmsEncryptionKey": KEY},
        PolicySet(identity=[managed("AmazonAuroraDSQLFullAccess")], key_policy=key_policy),
        principal=f"arn:aws:sts::{ACC}:assumed-role/deploy/ci",
    )
    assert report.verdict == "allowed"


def test_without_a_key_policy_the_default_one_is_assumed_and_said(managed):
    report = run(
        {"kmsEncryptionKey": KEY}, PolicySet(identity=[managed("AmazonAuroraDSQLFullAccess")])
    )
    (enc,) = [c for c in report.checks if c.request.action == "kms:Encrypt"]
    assert any("default key policy" in n for n in enc.result.notes)


def test_source_ip_is_unknown_until_given_as_context():
    policy = doc(stmt("dsql:*", cond={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    report = run({}, PolicySet(identity=[policy]))
    assert report.verdict == "uncertain"
    assert report.exit_code == 3
    (create,) = [c for c in report.checks if c.request.action == "dsql:CreateCluster"]
    assert "aws:SourceIp" in create.result.unknown_keys
    assert "--context" in create.fix
    assert (
        run({}, PolicySet(identity=[policy]), context={"aws:SourceIp": "203.0.113.9"}).verdict
        == "allowed"
    )
    assert (
        run({}, PolicySet(identity=[policy]), context={"aws:SourceIp": "198.51.100.9"}).verdict
        == "denied"
    )


def test_resource_tags_without_current_state_are_uncertain():
    policy = doc(stmt("dsql:*", cond={"StringEquals": {"aws:ResourceTag/env": "prod"}}))
    report = run({"identifier": ID1}, PolicySet(identity=[policy]), op="delete_cluster")
    assert report.verdict == "uncertain"
    assert (
        run(
            {"identifier": ID1},
            PolicySet(identity=[policy]),
            op="delete_cluster",
            current={"arn": SELF, "tags": {"env": "prod"}},
        ).verdict
        == "allowed"
    )
    assert (
        run(
            {"identifier": ID1},
            PolicySet(identity=[policy]),
            op="delete_cluster",
            context={"aws:ResourceTag/env": "dev"},
        ).verdict
        == "denied"
    )


def test_conditional_requirements_do_not_decide_the_verdict():
    policy = doc(
        stmt(
            [
                "dsql:UpdateCluster",
                "dsql:GetCluster",
                "dsql:PutMultiRegionProperties",
                "dsql:AddPeerCluster",
            ]
        )
    )
    report = run(
        {"identifier": ID1, "multiRegionProperties": {"clusters": [PEER]}},
        PolicySet(identity=[policy]),
        op="update_cluster",
    )
    (remove,) = [c for c in report.checks if c.request.action == "dsql:RemovePeerCluster"]
    assert remove.decision is Decision.IMPLICIT_DENY and not remove.counted
    assert report.verdict == "allowed"
    assert report.summary()["conditional"] == 1


def test_removing_a_peer_needs_the_wildcard_region_arn():
    current = {"arn": SELF, "multiRegionProperties": {"clusters": [SELF, PEER]}}
    scoped = doc(stmt("dsql:*", f"arn:aws:dsql:us-east-1:{ACC}:cluster/*"))
    report = run(
        {"identifier": ID1, "multiRegionProperties": {"clusters": []}},
        PolicySet(identity=[scoped]),
        op="update_cluster",
        current=current,
    )
    assert decisions(report, "dsql:RemovePeerCluster") == [Decision.IMPLICIT_DENY]
    (s,) = [s for s in report.fix.policy["Statement"] if s["Action"] == "dsql:RemovePeerCluster"]
    assert s["Resource"] == f"arn:aws:dsql:*:{ACC}:cluster/*"


@pytest.mark.parametrize("decision_field", ["reasons", "required_by", "evidence"])
def test_every_check_says_why(decision_field, managed):
    report = run(FULL_CREATE, PolicySet(identity=[managed("AmazonAuroraDSQLReadOnlyAccess")]))
    for c in report.checks:
        if decision_field == "reasons":
            assert c.result.reasons
        elif decision_field == "required_by":
            assert c.request.required_by.startswith("CreateCluster")
        else:
            assert c.request.evidence.value in ("documented", "reference", "inferred")


def test_parsed_policies_are_accepted_as_they_are(managed):
    parsed = parse_policy(managed("AmazonAuroraDSQLFullAccess"), name="FullAccess")
    report = run({}, PolicySet(identity=[parsed]))
    assert report.checks[0].result.reasons[0].policy == "FullAccess"
