"""The planner pins every documented rule (table-driven, one source URL per case)."""

import pytest

from dsql_perms import plan
from dsql_perms.errors import InputError, InvalidParameterError, UnknownOperationError

ACC = "111122223333"
A = "https://docs.aws.amazon.com/aurora-dsql/latest/APIReference/"
U2 = "https://docs.aws.amazon.com/aurora-dsql/latest/userguide/data-encryption.html"
S1 = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_dsql.html"
ID1 = "pe1aaaaaaaaaaaaaaaaaaaaaaa"
ID2 = "pe2aaaaaaaaaaaaaaaaaaaaaaa"
ID3 = "pe3aaaaaaaaaaaaaaaaaaaaaaa"
SELF = f"arn:aws:dsql:us-east-1:{ACC}:cluster/{ID1}"
PEER = f"arn:aws:dsql:us-east-2:{ACC}:cluster/{ID2}"
PEER3 = f"arn:aws:dsql:us-west-2:{ACC}:cluster/{ID3}"
CW = f"arn:aws:dsql:us-east-1:{ACC}:cluster/*"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = f"arn:aws:kms:us-east-1:{ACC}:key/{KEY_ID}"
OLD_KEY = f"arn:aws:kms:us-east-1:{ACC}:key/0000abcd-12ab-34cd-56ef-1234567890ab"
MULTI = {
    "tags": {"team": "payments"},
    "multiRegionProperties": {"witnessRegion": "us-west-2", "clusters": [PEER]},
}


def rows(op, params, current=None, region="us-east-1", principal=None):
    planned = plan(op, params, region=region, account=ACC, current=current, principal=principal)
    return [(r.action, r.resource, r.region) for r in planned], planned


# (name, source, operation, params, current, must contain, must not contain)
CASES = [
    (
        "create always needs CreateCluster on cluster/*",
        A + "API_CreateCluster.html",
        "create_cluster",
        {},
        None,
        [("dsql:CreateCluster", CW, "us-east-1")],
        [("dsql:TagResource", CW, "us-east-1")],
    ),
    (
        "create with tags needs TagResource",
        A + "API_CreateCluster.html",
        "create_cluster",
        {"tags": {"a": "b"}},
        None,
        [("dsql:TagResource", CW, "us-east-1")],
        [],
    ),
    (
        "create with empty tags does not need TagResource",
        A + "API_CreateCluster.html",
        "create_cluster",
        {"tags": {}},
        None,
        [],
        [("dsql:TagResource", CW, "us-east-1")],
    ),
    (
        "create with multiRegionProperties needs PutMultiRegionProperties",
        A + "API_CreateCluster.html",
        "create_cluster",
        MULTI,
        None,
        [("dsql:PutMultiRegionProperties", CW, "us-east-1")],
        [],
    ),
    (
        "create with peers needs AddPeerCluster on the local cluster/* and the exact peer ARN",
        A + "API_CreateCluster.html",
        "CreateCluster",
        MULTI,
        None,
        [("dsql:AddPeerCluster", CW, "us-east-1"), ("dsql:AddPeerCluster", PEER, "us-east-1")],
        [],
    ),
    (
        "create with a witness needs PutWitnessRegion in the cluster Region and the witness Region",
        A + "API_CreateCluster.html",
        "create_cluster",
        MULTI,
        None,
        [("dsql:PutWitnessRegion", CW, "us-east-1"), ("dsql:PutWitnessRegion", CW, "us-west-2")],
        [],
    ),
    (
        "create without multiRegionProperties needs no multi-Region action",
        A + "API_CreateCluster.html",
        "create_cluster",
        {"deletionProtectionEnabled": True},
        None,
        [],
        [
            ("dsql:PutMultiRegionProperties", CW, "us-east-1"),
            ("dsql:PutWitnessRegion", CW, "us-east-1"),
        ],
    ),
    (
        "create with a policy needs PutClusterPolicy and DeleteClusterPolicy",
        S1,
        "create_cluster",
        {"policy": "{}"},
        None,
        [("dsql:PutClusterPolicy", CW, "us-east-1"), ("dsql:DeleteClusterPolicy", CW, "us-east-1")],
        [],
    ),
    (
        "create with a key id needs the KMS set on the key ARN",
        U2,
        "create_cluster",
        {"kmsEncryptionKey": KEY_ID},
        None,
        [
            (a, KEY, "us-east-1")
            for a in (
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:DescribeKey",
            )
        ],
        [],
    ),
    (
        "create with the AWS-owned key needs no KMS permission",
        U2,
        "create_cluster",
        {"kmsEncryptionKey": "AWS_OWNED_KMS_KEY"},
        None,
        [],
        [("kms:Decrypt", KEY, "us-east-1")],
    ),
    (
        "update always needs UpdateCluster on the cluster ARN",
        A + "API_UpdateCluster.html",
        "update_cluster",
        {"identifier": ID1},
        None,
        [("dsql:UpdateCluster", SELF, "us-east-1")],
        [("dsql:GetCluster", SELF, "us-east-1")],
    ),
    (
        "update with multiRegionProperties needs GetCluster and PutMultiRegionProperties",
        A + "API_UpdateCluster.html",
        "update_cluster",
        {"identifier": ID1, "multiRegionProperties": {"witnessRegion": "us-west-2"}},
        None,
        [
            ("dsql:GetCluster", SELF, "us-east-1"),
            ("dsql:PutMultiRegionProperties", SELF, "us-east-1"),
            ("dsql:PutWitnessRegion", SELF, "us-east-1"),
            ("dsql:PutWitnessRegion", SELF, "us-west-2"),
        ],
        [],
    ),
    (
        "update adds AddPeerCluster only for added peers (current state lists itself)",
        A + "API_UpdateCluster.html",
        "update_cluster",
        {"identifier": ID1, "multiRegionProperties": {"clusters": [SELF, PEER]}},
        {"arn": SELF, "multiRegionProperties": {"clusters": [SELF, PEER]}},
        [],
        [("dsql:AddPeerCluster", PEER, "us-east-1"), ("dsql:AddPeerCluster", SELF, "us-east-1")],
    ),
    (
        "update removing a peer needs RemovePeerCluster on arn:aws:dsql:*:ACCOUNT:cluster/*",
        A + "API_UpdateCluster.html",
        "update_cluster",
        {"identifier": ID1, "multiRegionProperties": {"clusters": [PEER]}},
        {
            "arn": SELF,
            "multiRegionProperties": {
                "clusters": [SELF, PEER, f"arn:aws:dsql:us-east-2:{ACC}:cluster/{ID3}"]
            },
        },
        [("dsql:RemovePeerCluster", f"arn:aws:dsql:*:{ACC}:cluster/*", "us-east-1")],
        [("dsql:AddPeerCluster", PEER, "us-east-1")],
    ),
    (
        "update rotating a key needs Decrypt and ReEncryptFrom on the old key",
        U2,
        "update_cluster",
        {"identifier": ID1, "kmsEncryptionKey": KEY},
        {
            "arn": SELF,
            "encryptionDetails": {
                "encryptionType": "CUSTOMER_MANAGED_KMS_KEY",
                "kmsKeyArn": OLD_KEY,
            },
        },
        [
            ("kms:Decrypt", OLD_KEY, "us-east-1"),
            ("kms:ReEncryptFrom", OLD_KEY, "us-east-1"),
            ("kms:Encrypt", KEY, "us-east-1"),
        ],
        [("kms:Encrypt", OLD_KEY, "us-east-1")],
    ),
    (
        "update to the AWS-owned key still needs the old key",
        U2,
        "update_cluster",
        {"identifier": ID1, "kmsEncryptionKey": "AWS_OWNED_KMS_KEY"},
        {
            "arn": SELF,
            "encryptionDetails": {
                "encryptionType": "CUSTOMER_MANAGED_KMS_KEY",
                "kmsKeyArn": OLD_KEY,
            },
        },
        [("kms:Decrypt", OLD_KEY, "us-east-1")],
        [("kms:Encrypt", KEY, "us-east-1")],
    ),
    (
        "list clusters is authorised on *",
        S1,
        "list_clusters",
        {},
        None,
        [("dsql:ListClusters", "*", "us-east-1")],
        [],
    ),
    (
        "put cluster policy needs DeleteClusterPolicy too",
        S1,
        "put_cluster_policy",
        {"identifier": ID1, "policy": "{}"},
        None,
        [
            ("dsql:PutClusterPolicy", SELF, "us-east-1"),
            ("dsql:DeleteClusterPolicy", SELF, "us-east-1"),
        ],
        [],
    ),
    (
        "tag resource acts on the given ARN",
        S1,
        "tag_resource",
        {"resourceArn": SELF, "tags": {"a": "b"}},
        None,
        [("dsql:TagResource", SELF, "us-east-1")],
        [],
    ),
    (
        "stream operations act on the stream ARN",
        S1,
        "get_stream",
        {"clusterIdentifier": ID1, "streamIdentifier": ID2},
        None,
        [("dsql:GetStream", f"{SELF}/stream/{ID2}", "us-east-1")],
        [],
    ),
    (
        "create stream passes the role to DSQL",
        A + "API_CreateStream.html",
        "create_stream",
        {
            "clusterIdentifier": ID1,
            "ordering": "UNORDERED",
            "format": "JSON",
            "targetDefinition": {
                "kinesis": {
                    "streamArn": f"arn:aws:kinesis:us-east-1:{ACC}:stream/s",
                    "roleArn": f"arn:aws:iam::{ACC}:role/cdc",
                }
            },
        },
        None,
        [
            ("dsql:CreateStream", SELF, "us-east-1"),
            ("iam:PassRole", f"arn:aws:iam::{ACC}:role/cdc", "us-east-1"),
        ],
        [],
    ),
    (
        "connecting as admin needs DbConnectAdmin on the cluster",
        "https://docs.aws.amazon.com/aurora-dsql/latest/userguide/authentication-authorization.html",
        "generate_db_connect_admin_auth_token",
        {"Hostname": f"{ID1}.dsql.us-east-1.on.aws"},
        None,
        [("dsql:DbConnectAdmin", SELF, "us-east-1")],
        [],
    ),
    (
        "connecting as a custom role needs DbConnect",
        "https://docs.aws.amazon.com/aurora-dsql/latest/userguide/authentication-authorization.html",
        "generate_db_connect_auth_token",
        {"Hostname": f"{ID1}.dsql.us-east-1.on.aws", "ExpiresIn": 3600},
        None,
        [("dsql:DbConnect", SELF, "us-east-1")],
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "source", "op", "params", "current", "present", "absent"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_documented_rule(name, source, op, params, current, present, absent):
    assert source.startswith("https://")
    got, _ = rows(op, params, current)
    for row in present:
        assert row in got, f"{name}: missing {row}"
    for row in absent:
        assert row not in got, f"{name}: unexpected {row}"


def by_action(planned, action, region=None):
    return [r for r in planned if r.action == action and (region is None or r.region == region)]


def test_witness_region_condition_key_is_in_both_contexts():
    """API_CreateCluster: PutWitnessRegion carries dsql:WitnessRegion, checked in both Regions."""
    _, planned = rows("create_cluster", MULTI)
    for region in ("us-east-1", "us-west-2"):
        (req,) = by_action(planned, "dsql:PutWitnessRegion", region)
        assert req.context_dict["dsql:WitnessRegion"] == "us-west-2"
        assert req.context_dict["aws:RequestedRegion"] == region


def test_witness_check_lists_both_documented_resource_forms():
    _, planned = rows("create_cluster", MULTI)
    (req,) = by_action(planned, "dsql:PutWitnessRegion", "us-west-2")
    assert req.resources == (CW, f"arn:aws:dsql:us-west-2:{ACC}:cluster/*")


def test_tags_fill_request_tag_and_tag_keys():
    _, planned = rows("create_cluster", {"tags": {"team": "payments", "Name": "x"}})
    (req,) = by_action(planned, "dsql:TagResource")
    assert req.context_dict["aws:RequestTag/team"] == "payments"
    assert set(req.context_dict["aws:TagKeys"]) == {"team", "Name"}


def test_removal_without_current_state_is_conditional():
    _, planned = rows(
        "update_cluster", {"identifier": ID1, "multiRegionProperties": {"clusters": [PEER]}}
    )
    (req,) = by_action(planned, "dsql:RemovePeerCluster")
    assert req.conditional and "--current" in req.conditional


def test_service_linked_role_is_conditional_with_its_service_name():
    _, planned = rows("create_cluster", {})
    (req,) = by_action(planned, "iam:CreateServiceLinkedRole")
    assert req.conditional
    assert req.context_dict["iam:AWSServiceName"] == "dsql.amazonaws.com"


def test_kms_context_names_dsql_and_the_encryption_context():
    _, planned = rows("create_cluster", {"kmsEncryptionKey": KEY_ID})
    (enc,) = by_action(planned, "kms:Encrypt")
    assert enc.context_dict["kms:ViaService"] == "dsql.us-east-1.amazonaws.com"
    assert enc.context_dict["kms:CallerAccount"] == ACC
    assert enc.context_dict["kms:EncryptionContextKeys"] == ("aws:dsql:ClusterId",)
    (describe,) = by_action(planned, "kms:DescribeKey")
    assert "kms:EncryptionContextKeys" not in describe.context_dict


def test_a_key_alias_is_reported_as_unresolvable():
    _, planned = rows("create_cluster", {"kmsEncryptionKey": "alias/orders"})
    (enc,) = by_action(planned, "kms:Encrypt")
    assert enc.resource_is_placeholder
    assert enc.context_dict["kms:RequestAlias"] == "alias/orders"
    assert any("alias" in w for w in planned.warnings)


def test_resource_tags_come_from_current_state_or_are_unknown():
    _, planned = rows("get_cluster", {"identifier": ID1})
    assert "aws:ResourceTag/*" in planned[0].unknown_keys
    _, planned = rows(
        "get_cluster", {"identifier": ID1}, current={"arn": SELF, "tags": {"env": "prod"}}
    )
    assert planned[0].context_dict["aws:ResourceTag/env"] == "prod"
    assert "aws:ResourceTag/*" not in planned[0].unknown_keys


def test_principal_fills_principal_keys():
    session = f"arn:aws:sts::{ACC}:assumed-role/deploy/ci"
    _, planned = rows("list_clusters", {}, principal=session)
    ctx = planned[0].context_dict
    assert ctx["aws:PrincipalArn"] == f"arn:aws:iam::{ACC}:role/deploy"
    assert ctx["aws:PrincipalAccount"] == ACC


def test_unknown_context_is_listed_not_absent():
    _, planned = rows("list_clusters", {})
    assert {"aws:SourceIp", "aws:PrincipalOrgID", "aws:PrincipalArn"} <= planned[0].unknown_keys


BAD = [
    (
        "an unknown operation gets a did-you-mean",
        "create_clustr",
        {},
        UnknownOperationError,
        "did you mean `create_cluster`",
    ),
    (
        "an unknown parameter gets a did-you-mean",
        "create_cluster",
        {"tagz": {}},
        InvalidParameterError,
        "did you mean `tags`",
    ),
    (
        "a wrong type is named",
        "create_cluster",
        {"deletionProtectionEnabled": "yes"},
        InvalidParameterError,
        "deletionProtectionEnabled",
    ),
    (
        "a malformed peer ARN",
        "create_cluster",
        {"multiRegionProperties": {"clusters": ["arn:aws:dsql:us-east-2:1:cluster/x"]}},
        InvalidParameterError,
        "clusters[0]",
    ),
    (
        "the witness Region equals the cluster Region",
        "create_cluster",
        {"multiRegionProperties": {"witnessRegion": "us-east-1"}},
        InvalidParameterError,
        "witness Region cannot be",
    ),
    (
        "a peer outside the Region set",
        "create_cluster",
        {
            "multiRegionProperties": {
                "witnessRegion": "us-west-2",
                "clusters": [f"arn:aws:dsql:eu-west-1:{ACC}:cluster/{ID2}"],
            }
        },
        InvalidParameterError,
        "one Region set",
    ),
    (
        "a peer in another partition",
        "create_cluster",
        {"multiRegionProperties": {"clusters": [f"arn:aws-cn:dsql:us-east-2:{ACC}:cluster/{ID2}"]}},
        InvalidParameterError,
        "partition",
    ),
    (
        "a cluster id that breaks the model pattern",
        "get_cluster",
        {"identifier": "NOT-AN-ID"},
        InvalidParameterError,
        "pattern",
    ),
    ("a missing required parameter", "get_cluster", {}, InvalidParameterError, "identifier"),
    (
        "a token hostname that is not a cluster endpoint",
        "generate_db_connect_auth_token",
        {"Hostname": "db.example.com"},
        InvalidParameterError,
        "Hostname",
    ),
    (
        "a tag key that breaks the model pattern",
        "create_cluster",
        {"tags": {"bad#key": "v"}},
        InvalidParameterError,
        "pattern",
    ),
]


@pytest.mark.parametrize(("name", "op", "params", "error", "text"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_clear_line(name, op, params, error, text):
    with pytest.raises(error) as info:
        plan(op, params, region="us-east-1", account=ACC, source="p.json")
    message = str(info.value)
    assert text in message
    assert "\n" not in message
    assert isinstance(info.value, InputError)


def test_bad_region_and_account():
    with pytest.raises(InputError, match="Region"):
        plan("list_clusters", {}, region="mars-1", account=ACC)
    with pytest.raises(InputError, match="12-digit"):
        plan("list_clusters", {}, region="us-east-1", account="12")


def test_unknown_region_set_warns():
    _, planned = rows("create_cluster", {"multiRegionProperties": {"witnessRegion": "sa-east-1"}})
    assert any("Region set" in w for w in planned.warnings)
