"""Infrastructure-as-code inputs: CloudFormation templates (YAML short forms, JSON, CDK
output) and Terraform plans become Region-aware calls for check and generate."""

import json

import pytest
from conftest import ROOT

from dsql_perms.arn import UNKNOWN_CLUSTER_ID, UNKNOWN_KEY_ID
from dsql_perms.entry import main
from dsql_perms.errors import InputError
from dsql_perms.iac_cfn import cloudformation_calls
from dsql_perms.iac_tf import terraform_calls

IAC = ROOT / "examples" / "iac"
ACC = "111122223333"
READ_ONLY = str(
    ROOT / "tests" / "data" / "managed-policies" / "AmazonAuroraDSQLReadOnlyAccess.json"
)
FULL = str(ROOT / "tests" / "data" / "managed-policies" / "AmazonAuroraDSQLFullAccess.json")


def cfn(name, **overrides):
    return cloudformation_calls(
        str(IAC / name), region="us-east-1", account=ACC, overrides=overrides
    )


def test_single_region_template_with_short_form_sub():
    got = cfn("single-region.cfn.yaml")
    (call,) = got.calls
    assert (call.operation, call.region, call.label, call.line) == (
        "CreateCluster",
        "us-east-1",
        "OrdersCluster",
        4,
    )
    assert call.params == {
        "deletionProtectionEnabled": True,
        "tags": {"team": "payments", "Name": "stack-orders"},
    }
    assert got.ignored == 1 and "1 resource of other types ignored" in got.warnings[0]


def test_a_key_from_the_same_stack_is_an_unknown_key():
    (call,) = cfn("cmk.cfn.yaml").calls
    assert call.params["kmsEncryptionKey"] == f"arn:aws:kms:us-east-1:{ACC}:key/{UNKNOWN_KEY_ID}"


def test_parameters_defaults_overrides_and_conditions():
    (call,) = cfn("multi-region.cfn.yaml").calls
    assert call.params == {
        "deletionProtectionEnabled": False,
        "multiRegionProperties": {"witnessRegion": "us-west-2"},
        "tags": {"env": "dev"},
    }
    peer = f"arn:aws:dsql:us-east-2:{ACC}:cluster/{'p' * 26}"
    calls = cfn("multi-region.cfn.yaml", Environment="prod", PeerClusterArn=peer).calls
    assert [c.label for c in calls] == ["Cluster", "DevOnlyCluster"]
    assert calls[0].params["multiRegionProperties"] == {
        "witnessRegion": "us-west-2",
        "clusters": [peer],
    }
    assert calls[0].params["deletionProtectionEnabled"] is True


def test_cdk_synthesized_json_templates():
    got = cfn("cdk-synth.cfn.json")
    (call,) = got.calls
    assert call.label == "LedgerCluster5F0A1B2C" and call.line == 3
    assert got.ignored == 1


def test_a_getatt_of_another_cluster_is_its_arn_with_an_unknown_id(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text("""
Parameters:
  PeerRegion: {Type: String, Default: us-east-2}
Resources:
  Local:
    Type: AWS::DSQL::Cluster
    Properties:
      MultiRegionProperties:
        WitnessRegion: us-west-2
        Clusters:
          - !Sub "arn:${AWS::Partition}:dsql:${PeerRegion}:${AWS::AccountId}:cluster/${Other}"
  Other:
    Type: AWS::DSQL::Cluster
""")
    calls = cloudformation_calls(str(template), region="us-east-1", account=ACC).calls
    assert calls[0].params["multiRegionProperties"]["clusters"] == [
        f"arn:aws:dsql:us-east-2:{ACC}:cluster/{UNKNOWN_CLUSTER_ID}"
    ]


BAD_TEMPLATES = [
    ("invalid YAML", "Resources:\n  A: [\n", "invalid YAML"),
    (
        "an unknown short-form intrinsic",
        "Resources:\n  A:\n    Type: AWS::DSQL::Cluster\n    Properties:\n      KmsEncryptionKey: !Reff K\n",
        "unknown intrinsic `!Reff`",
    ),
    (
        "an unknown long-form intrinsic",
        '{"Resources": {"A": {"Type": "AWS::DSQL::Cluster", "Properties": {"KmsEncryptionKey": {"Fn::Jion": ["", []]}}}}}',
        "unknown intrinsic `Fn::Jion`",
    ),
    ("not a template", "{}", "no `Resources`"),
    (
        "an unknown property",
        "Resources:\n  A:\n    Type: AWS::DSQL::Cluster\n    Properties:\n      DeletionProtection: true\n",
        "did you mean `DeletionProtectionEnabled`",
    ),
    (
        "a parameter without a default",
        "Parameters:\n  P: {Type: String}\nResources: {}\n",
        "has no default",
    ),
    (
        "a witness known only at deployment",
        "Resources:\n  A:\n    Type: AWS::DSQL::Cluster\n    Properties:\n      MultiRegionProperties:\n        WitnessRegion: !ImportValue W\n",
        "known only at deployment",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "expected"), BAD_TEMPLATES, ids=[b[0] for b in BAD_TEMPLATES]
)
def test_bad_templates_are_one_line_errors(tmp_path, capsys, name, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code = main(
        [
            "check",
            "--cloudformation",
            str(path),
            "--region",
            "us-east-1",
            "--account",
            ACC,
            "--policy",
            FULL,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err and str(path) in err and err.count("\n") == 1


def test_an_override_for_an_unknown_parameter_is_refused():
    with pytest.raises(InputError, match="did you mean `WitnessRegion`"):
        cfn("multi-region.cfn.yaml", WitnesRegion="eu-west-1")


def test_check_a_template_points_sarif_at_the_resource_line(capsys):
    code = main(
        [
            "check",
            "--cloudformation",
            str(IAC / "multi-region.cfn.yaml"),
            "--region",
            "us-east-1",
            "--account",
            ACC,
            "--policy",
            READ_ONLY,
            "--format",
            "sarif",
        ]
    )
    assert code == 1
    sarif = json.loads(capsys.readouterr().out)
    locations = {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in sarif["runs"][0]["results"]
    }
    assert locations == {20}  # the line of `  Cluster:` in the template
    assert (
        sarif["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0]["name"] == "Cluster"
    )


def test_terraform_two_region_peering_across_provider_aliases():
    got = terraform_calls(str(IAC / "two-region-peering.tfplan.json"), account=ACC)
    summary = [(c.label, c.operation, c.region) for c in got.calls]
    assert summary == [
        ("aws_dsql_cluster.east1", "CreateCluster", "us-east-1"),
        ("aws_dsql_cluster.east2", "CreateCluster", "us-east-2"),
        ("aws_dsql_cluster_peering.east1", "UpdateCluster", "us-east-1"),
        ("aws_dsql_cluster_peering.east2", "UpdateCluster", "us-east-2"),
    ]
    peering = got.calls[2].params
    assert peering["identifier"] == UNKNOWN_CLUSTER_ID
    assert peering["multiRegionProperties"] == {
        "clusters": [f"arn:aws:dsql:us-east-2:{ACC}:cluster/{UNKNOWN_CLUSTER_ID}"],
        "witnessRegion": "us-west-2",
    }
    assert got.ignored == 1


def test_terraform_replace_is_a_delete_and_a_create(tmp_path):
    plan = json.loads((IAC / "two-region-peering.tfplan.json").read_text())
    change = plan["resource_changes"][0]
    change["change"]["actions"] = ["delete", "create"]
    change["change"]["before"] = {
        "identifier": "a" * 26,
        "arn": f"arn:aws:dsql:us-east-1:{ACC}:cluster/{'a' * 26}",
        "tags": {},
    }
    path = tmp_path / "replace.json"
    path.write_text(json.dumps(plan, indent=2))
    calls = terraform_calls(str(path), account=ACC).calls
    assert [(c.operation, c.label) for c in calls[:2]] == [
        ("DeleteCluster", "aws_dsql_cluster.east1"),
        ("CreateCluster", "aws_dsql_cluster.east1"),
    ]
    assert calls[0].params == {"identifier": "a" * 26}
    lines = path.read_text().splitlines()
    assert lines[calls[0].line - 1].strip() == "{", "the line where the resource change starts"
    assert '"address": "aws_dsql_cluster.east1"' in lines[calls[0].line]


def test_terraform_peer_removal_uses_the_prior_state(capsys):
    got = terraform_calls(str(IAC / "remove-peer.tfplan.json"), account=ACC)
    update = got.calls[0]
    assert update.current["multiRegionProperties"]["clusters"] == [
        f"arn:aws:dsql:us-east-2:{ACC}:cluster/{'pe2' + 'a' * 23}"
    ]
    code = main(
        [
            "check",
            "--terraform-plan",
            str(IAC / "remove-peer.tfplan.json"),
            "--account",
            ACC,
            "--policy",
            READ_ONLY,
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    remove = [c for c in report["checks"] if c["action"] == "dsql:RemovePeerCluster"]
    assert remove and remove[0]["conditional"] is None, "known removal: a firm requirement"
    untag = [c for c in report["checks"] if c["action"] == "dsql:UntagResource"]
    assert untag[0]["context"]["aws:TagKeys"] == ["old"]
    updates = [
        c
        for c in report["checks"]
        if c["source"]["label"] == "aws_dsql_cluster.east1"
        and c["action"] == "dsql:PutMultiRegionProperties"
    ]
    assert not updates, "an unchanged witness is not sent again"


def test_terraform_placeholders_are_allowed_by_wildcards_and_uncertain_against_exact_arns(
    tmp_path, capsys
):
    exact = tmp_path / "exact.json"
    exact.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "dsql:*",
                        "Resource": f"arn:aws:dsql:*:{ACC}:cluster/abcdefghijklmnopqrstuvwxyz",
                    },
                    {
                        "Effect": "Allow",
                        "Action": [
                            "dsql:CreateCluster",
                            "dsql:TagResource",
                            "dsql:PutMultiRegionProperties",
                            "dsql:PutWitnessRegion",
                            "dsql:AddPeerCluster",
                            "dsql:RemovePeerCluster",
                            "iam:CreateServiceLinkedRole",
                        ],
                        "Resource": [f"arn:aws:dsql:*:{ACC}:cluster/*", "*"],
                    },
                ],
            }
        )
    )
    assert (
        main(
            [
                "check",
                "--terraform-plan",
                str(IAC / "two-region-peering.tfplan.json"),
                "--account",
                ACC,
                "--policy",
                FULL,
            ]
        )
        == 0
    )
    capsys.readouterr()
    narrow = tmp_path / "narrow.json"
    narrow.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "dsql:*",
                        "Resource": f"arn:aws:dsql:*:{ACC}:cluster/*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["dsql:UpdateCluster", "dsql:GetCluster"],
                        "Resource": f"arn:aws:dsql:*:{ACC}:cluster/abcdefghijklmnopqrstuvwxyz",
                    },
                    {
                        "Effect": "Deny",
                        "Action": ["dsql:UpdateCluster"],
                        "Resource": f"arn:aws:dsql:us-east-1:{ACC}:cluster/abcdefghijklmnopqrstuvwxyz",
                    },
                    {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"},
                ],
            }
        )
    )
    code = main(
        [
            "check",
            "--terraform-plan",
            str(IAC / "two-region-peering.tfplan.json"),
            "--account",
            ACC,
            "--policy",
            str(narrow),
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 3, (
        "a Deny on one concrete cluster may or may not hit the cluster Terraform will create"
    )
    (update,) = [
        c
        for c in report["checks"]
        if c["action"] == "dsql:UpdateCluster" and c["region"] == "us-east-1"
    ]
    assert update["decision"] == "uncertain"


BAD_PLANS = [
    (
        "an unsupported format version",
        {"format_version": "2.0", "resource_changes": []},
        "unsupported plan format version `2.0`",
    ),
    ("no resource changes", {"format_version": "1.2"}, "no `resource_changes`"),
    (
        "a Region that cannot be determined",
        {
            "format_version": "1.2",
            "resource_changes": [
                {
                    "address": "aws_dsql_cluster.x",
                    "mode": "managed",
                    "type": "aws_dsql_cluster",
                    "change": {
                        "actions": ["create"],
                        "before": None,
                        "after": {},
                        "after_unknown": {},
                    },
                }
            ],
            "configuration": {"provider_config": {}, "root_module": {"resources": []}},
        },
        "cannot determine the Region",
    ),
]


@pytest.mark.parametrize(("name", "plan", "expected"), BAD_PLANS, ids=[b[0] for b in BAD_PLANS])
def test_bad_plans_are_one_line_errors(tmp_path, capsys, name, plan, expected):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    code = main(["check", "--terraform-plan", str(path), "--account", ACC, "--policy", FULL])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and str(path) in err and err.count("\n") == 1


def test_generate_from_a_plan_one_policy_per_region(capsys):
    code = main(
        [
            "generate",
            "--terraform-plan",
            str(IAC / "two-region-peering.tfplan.json"),
            "--account",
            ACC,
            "--per-region",
        ]
    )
    assert code == 0
    policies = json.loads(capsys.readouterr().out)
    assert sorted(policies) == ["us-east-1", "us-east-2"]
    east1 = json.dumps(policies["us-east-1"])
    assert "arn:aws:dsql:us-east-1:" in east1 and "arn:aws:dsql:us-west-2:" in east1
    code = main(
        [
            "generate",
            "--terraform-plan",
            str(IAC / "two-region-peering.tfplan.json"),
            "--account",
            ACC,
            "--per-region",
            "--format",
            "terraform",
        ]
    )
    out = capsys.readouterr().out
    assert (
        'data "aws_iam_policy_document" "dsql_us_east_1"' in out
        and 'data "aws_iam_policy_document" "dsql_us_east_2"' in out
    )


def test_generate_from_a_template_covers_the_check(capsys, tmp_path):
    assert (
        main(
            [
                "generate",
                "--cloudformation",
                str(IAC / "multi-region.cfn.yaml"),
                "--region",
                "us-east-1",
                "--account",
                ACC,
            ]
        )
        == 0
    )
    policy = tmp_path / "p.json"
    policy.write_text(capsys.readouterr().out)
    assert (
        main(
            [
                "check",
                "--cloudformation",
                str(IAC / "multi-region.cfn.yaml"),
                "--region",
                "us-east-1",
                "--account",
                ACC,
                "--policy",
                str(policy),
            ]
        )
        == 0
    )
