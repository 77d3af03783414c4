"""The generator, proven over generated plans: the policy allows every planned call, is
minimal (drop any statement, action or resource and some planned request fails), and
allows nothing outside the plan that we try."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsql_perms import AuthzRequest, Decision, PolicySet, check, evaluate, generate_policy, plan

ACC = "111122223333"
REGION_SETS = {
    "us": ["us-east-1", "us-east-2", "us-west-2"],
    "europe": ["eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3"],
    "asia-pacific": ["ap-northeast-1", "ap-northeast-2", "ap-northeast-3"],
}
IDS = ["c" * 25 + x for x in "abcdefghij"]
TAG_KEYS = ["team", "env", "Name"]
TAG_VALUES = ["payments", "prod", "x y"]


def cluster_arn(region, cid):
    return f"arn:aws:dsql:{region}:{ACC}:cluster/{cid}"


@st.composite
def plans(draw):
    regions = draw(st.sampled_from(sorted(REGION_SETS.values())))
    region = draw(st.sampled_from(regions))
    others = [r for r in regions if r != region]
    witness = draw(st.none() | st.sampled_from(others))
    peer_regions = [r for r in others if r != witness]
    peers = [
        cluster_arn(r, draw(st.sampled_from(IDS)))
        for r in draw(st.lists(st.sampled_from(peer_regions), unique=True, max_size=3))
    ]
    tags = draw(st.dictionaries(st.sampled_from(TAG_KEYS), st.sampled_from(TAG_VALUES), max_size=2))
    key = draw(
        st.none()
        | st.sampled_from(
            [
                f"arn:aws:kms:{region}:{ACC}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "9999abcd-12ab-34cd-56ef-1234567890ab",
            ]
        )
    )
    params = {}
    if tags:
        params["tags"] = tags
    if key:
        params["kmsEncryptionKey"] = key
    if witness or peers:
        params["multiRegionProperties"] = {
            k: v for k, v in (("witnessRegion", witness), ("clusters", peers)) if v
        }
    calls = [{"operation": "create_cluster", "region": region, "params": params}]
    if draw(st.booleans()):
        cid = draw(st.sampled_from(IDS))
        self_arn = cluster_arn(region, cid)
        current_peers = [
            cluster_arn(r, draw(st.sampled_from(IDS)))
            for r in draw(st.lists(st.sampled_from(peer_regions), unique=True, max_size=2))
        ]
        new_peers = [
            cluster_arn(r, draw(st.sampled_from(IDS)))
            for r in draw(st.lists(st.sampled_from(peer_regions), unique=True, max_size=2))
        ]
        update = {"identifier": cid, "multiRegionProperties": {"clusters": [self_arn, *new_peers]}}
        if witness:
            update["multiRegionProperties"]["witnessRegion"] = witness
        current = {
            "arn": self_arn,
            "multiRegionProperties": {"clusters": [self_arn, *current_peers]},
        }
        if draw(st.booleans()):
            update["kmsEncryptionKey"] = (
                f"arn:aws:kms:{region}:{ACC}:key/5555abcd-12ab-34cd-56ef-1234567890ab"
            )
            current["encryptionDetails"] = {
                "encryptionType": "CUSTOMER_MANAGED_KMS_KEY",
                "kmsKeyArn": f"arn:aws:kms:{region}:{ACC}:key/0000abcd-12ab-34cd-56ef-1234567890ab",
            }
        calls.append(
            {"operation": "update_cluster", "region": region, "params": update, "current": current}
        )
    return calls


def planned_requests(calls):
    return [
        r
        for c in calls
        for r in plan(
            c["operation"], c["params"], region=c["region"], account=ACC, current=c.get("current")
        )
    ]


def all_allowed(policy, requests):
    policies = PolicySet(identity=[policy])
    return all(evaluate(r, policies).decision is Decision.ALLOWED for r in requests)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(plans())
def test_the_generated_policy_allows_every_planned_call(calls):
    policy = generate_policy(calls, account=ACC)
    for c in calls:
        report = check(
            c["operation"],
            c["params"],
            region=c["region"],
            account=ACC,
            policies=PolicySet(identity=[policy]),
            current=c.get("current"),
        )
        assert report.verdict == "allowed"
        assert all(ch.decision is Decision.ALLOWED for ch in report.checks)


def as_list(value):
    return [value] if isinstance(value, str) else list(value)


@SETTINGS
@given(plans())
def test_the_generated_policy_is_minimal(calls):
    policy = generate_policy(calls, account=ACC)
    requests = planned_requests(calls)
    for i in range(len(policy["Statement"])):
        dropped = copy.deepcopy(policy)
        del dropped["Statement"][i]
        assert not dropped["Statement"] or not all_allowed(dropped, requests), (
            f"statement {i} is not needed"
        )
        for element in ("Action", "Resource"):
            values = as_list(policy["Statement"][i][element])
            for j in range(len(values)) if len(values) > 1 else ():
                trial = copy.deepcopy(policy)
                trial["Statement"][i][element] = values[:j] + values[j + 1 :]
                assert not all_allowed(trial, requests), (
                    f"{element} {values[j]} of statement {i} is not needed"
                )


def outside(calls):
    """Requests the plan does not make, with the context a real request would carry."""
    create = calls[0]
    region = create["region"]
    mrp = create["params"].get("multiRegionProperties", {})
    tags = create["params"].get("tags", {})
    yield (
        AuthzRequest(
            "dsql:CreateCluster",
            f"arn:aws:dsql:sa-east-1:{ACC}:cluster/*",
            "sa-east-1",
            {"aws:RequestedRegion": "sa-east-1"},
        ),
        "another Region",
    )
    yield (
        AuthzRequest(
            "dsql:AddPeerCluster",
            cluster_arn("sa-east-1", IDS[0]),
            region,
            {"aws:RequestedRegion": region},
        ),
        "another peer ARN",
    )
    yield (
        AuthzRequest(
            "dsql:PutWitnessRegion",
            f"arn:aws:dsql:{region}:{ACC}:cluster/*",
            region,
            {"aws:RequestedRegion": region, "dsql:WitnessRegion": "ca-central-1"},
        ),
        "another witness Region",
    )
    if tags:
        other = {f"aws:RequestTag/{k}": v + "-other" for k, v in tags.items()}
        other["aws:TagKeys"] = list(tags)
        yield (
            AuthzRequest(
                "dsql:TagResource",
                f"arn:aws:dsql:{region}:{ACC}:cluster/*",
                region,
                {"aws:RequestedRegion": region, **other},
            ),
            "other tag values",
        )
        ctx = {"aws:RequestedRegion": region, **other}
        if mrp.get("witnessRegion"):
            ctx["dsql:WitnessRegion"] = mrp["witnessRegion"]
        yield (
            AuthzRequest(
                "dsql:CreateCluster", f"arn:aws:dsql:{region}:{ACC}:cluster/*", region, ctx
            ),
            "create with other tags",
        )
    yield (
        AuthzRequest(
            "dsql:DeleteCluster",
            cluster_arn(region, IDS[0]),
            region,
            {"aws:RequestedRegion": region},
        ),
        "DeleteCluster",
    )
    yield (
        AuthzRequest(
            "dsql:UpdateCluster",
            cluster_arn(region, "z" * 26),
            region,
            {"aws:RequestedRegion": region},
        ),
        "update another cluster",
    )
    for key in ("kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"):
        yield (
            AuthzRequest(
                key,
                f"arn:aws:kms:{region}:{ACC}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                region,
                {
                    "aws:RequestedRegion": region,
                    "kms:ViaService": f"s3.{region}.amazonaws.com",
                    "kms:EncryptionContextKeys": ["aws:dsql:ClusterId"],
                },
            ),
            f"{key} not via DSQL",
        )


@SETTINGS
@given(plans())
def test_the_generated_policy_allows_nothing_outside_the_plan(calls):
    policies = PolicySet(identity=[generate_policy(calls, account=ACC)])
    for request, what in outside(calls):
        assert evaluate(request, policies).decision is Decision.IMPLICIT_DENY, what
