"""The command line: the README's commands, every output format against its schema,
exit codes, and one clear line (exit 2, no traceback) for every kind of bad input."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from readme_example import ACC, CHECK, EX, ROOT

from dsql_perms.entry import main

REPORT_SCHEMA = json.loads(
    (resources.files("dsql_perms") / "schemas" / "report.schema.json").read_text()
)
SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "sarif-2.1.0-subset.schema.json").read_text()
)
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def cli(capsys, *args, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_readme_example_reports_the_missing_witness_region_permission(capsys):
    code, out, _ = cli(capsys, *CHECK)
    assert code == 1
    assert "us-west-2 (witness Region)" in out
    witness_part = out.split("us-west-2 (witness Region)")[1]
    assert (
        "denied" in witness_part.splitlines()[1]
        and "dsql:PutWitnessRegion" in witness_part.splitlines()[1]
    )
    assert '"dsql:WitnessRegion": "us-west-2"' in out
    assert "\x1b[" not in out, "no colour when not on a terminal"


def test_plan_json_lists_both_witness_checks_and_both_peer_resources(capsys):
    code, out, _ = cli(
        capsys,
        "plan",
        "create_cluster",
        "--params",
        str(EX / "multi-region-create.json"),
        "--region",
        "us-east-1",
        "--account",
        ACC,
        "--format",
        "json",
    )
    assert code == 0
    requests = json.loads(out)["requests"]
    witness = [r for r in requests if r["action"] == "dsql:PutWitnessRegion"]
    assert {r["region"] for r in witness} == {"us-east-1", "us-west-2"}
    assert all(r["context"]["dsql:WitnessRegion"] == "us-west-2" for r in witness)
    peers = {r["resource"] for r in requests if r["action"] == "dsql:AddPeerCluster"}
    assert peers == {
        f"arn:aws:dsql:us-east-1:{ACC}:cluster/*",
        f"arn:aws:dsql:us-east-2:{ACC}:cluster/pe2aaaaaaaaaaaaaaaaaaaaaaa",
    }


def test_plan_text_and_rules(capsys):
    code, out, _ = cli(
        capsys,
        "plan",
        "UpdateCluster",
        "--params",
        str(EX / "peering-update.json"),
        "--current",
        str(EX / "peering-update.current.json"),
        "--region",
        "us-east-1",
        "--account",
        ACC,
    )
    assert code == 0 and "dsql:RemovePeerCluster" in out and "arn:aws:dsql:*:" in out
    code, out, _ = cli(capsys, "rules", "CreateCluster")
    assert code == 0 and "dsql:PutWitnessRegion" in out and "cluster, witness" in out
    code, out, _ = cli(capsys, "rules")
    assert code == 0 and "ListStreams" in out


def test_json_report_follows_the_shipped_schema(capsys):
    code, out, _ = cli(capsys, *CHECK, "--format", "json")
    assert code == 1
    report = json.loads(out)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    assert report["verdict"] == "denied"
    witness = [c for c in report["checks"] if c["region"] == "us-west-2"]
    assert witness[0]["decision"] == "implicit_deny" and witness[0]["fix"]


def test_report_schema_is_valid_and_closed():
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    assert REPORT_SCHEMA["additionalProperties"] is False


@pytest.mark.parametrize("policy", ["allow", "deny", "uncertain"])
def test_every_verdict_validates_in_json_and_sarif(capsys, tmp_path, policy):
    docs = {
        "allow": ALLOW_ALL,
        "deny": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "dsql:Get*", "Resource": "*"}],
        },
        "uncertain": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                }
            ],
        },
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(docs[policy]))
    args = [*CHECK[:-1], str(path)]
    code, out, _ = cli(capsys, *args, "--format", "json")
    assert code == {"allow": 0, "deny": 1, "uncertain": 3}[policy]
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(json.loads(out))
    code, out, _ = cli(capsys, *args, "--format", "sarif")
    sarif = json.loads(out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert bool(results) == (policy != "allow")


def test_sarif_points_into_the_params_file_with_stable_rule_ids(capsys):
    code, out, _ = cli(capsys, *CHECK, "--format", "sarif")
    assert code == 1
    sarif = json.loads(out)
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "DSQLP001"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("multi-region-create.json")
    lines = (EX / "multi-region-create.json").read_text().splitlines()
    assert '"witnessRegion"' in lines[location["region"]["startLine"] - 1]


def test_sarif_schema_subset_rejects_what_the_official_schema_rejects():
    bad = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "A"}]}],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(bad)


def test_junit_has_one_case_per_region_and_action(capsys):
    code, out, _ = cli(capsys, *CHECK, "--format", "junit")
    assert code == 1
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name").split(" in ")[1] for s in suites] == ["us-east-1", "us-west-2"]
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
        for case in cases:
            assert case.get("name") and case.get("classname")
    witness = suites[1].find("testcase")
    assert "dsql:PutWitnessRegion" in witness.get("name") and witness.find("failure") is not None


def test_markdown_is_a_pull_request_comment(capsys, tmp_path):
    out_file = tmp_path / "comment.md"
    code, out, _ = cli(capsys, *CHECK, "--format", "markdown", "--output", str(out_file))
    assert code == 1 and out == ""
    text = out_file.read_text()
    assert text.startswith("### ❌ dsql-perms")
    assert "#### us-west-2 (witness Region)" in text
    assert "| ✗ denied | `dsql:PutWitnessRegion` |" in text
    assert "```json" in text


def test_context_settles_an_uncertain_check(capsys, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                    }
                ],
            }
        )
    )
    args = [*CHECK[:-1], str(path)]
    assert cli(capsys, *args)[0] == 3
    assert cli(capsys, *args, "--context", "aws:SourceIp=10.1.2.3")[0] == 0
    assert cli(capsys, *args, "--context", "aws:SourceIp=192.0.2.1")[0] == 1


def test_scp_levels_and_region_lock(capsys, tmp_path):
    root = tmp_path / "root.json"
    root.write_text(json.dumps(ALLOW_ALL))
    lock = tmp_path / "lock.json"
    lock.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "RegionLock",
                        "Effect": "Deny",
                        "NotAction": "iam:*",
                        "Resource": "*",
                        "Condition": {
                            "StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-east-2"]}
                        },
                    }
                ],
            }
        )
    )
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps(ALLOW_ALL))
    code, out, _ = cli(capsys, *CHECK[:-1], str(allow), "--scp", str(root), "--scp", str(lock))
    assert code == 1
    assert "no Allow can fix this" in out and "RegionLock" in out


def test_policy_directory_and_authorization_details(capsys, tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(ALLOW_ALL))
    assert cli(capsys, *CHECK[:-1], str(tmp_path))[0] == 0
    details = {
        "RoleDetailList": [
            {
                "RoleName": "deploy",
                "Arn": f"arn:aws:iam::{ACC}:role/deploy",
                "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": ALLOW_ALL}],
                "AttachedManagedPolicies": [
                    {"PolicyName": "b", "PolicyArn": f"arn:aws:iam::{ACC}:policy/b"}
                ],
                "PermissionsBoundary": {
                    "PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": f"arn:aws:iam::{ACC}:policy/b",
                },
            }
        ],
        "Policies": [
            {
                "PolicyName": "b",
                "Arn": f"arn:aws:iam::{ACC}:policy/b",
                "DefaultVersionId": "v1",
                "PolicyVersionList": [
                    {
                        "VersionId": "v1",
                        "IsDefaultVersion": True,
                        "Document": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22dsql%3AGet%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D",
                    }
                ],
            }
        ],
    }
    path = tmp_path / "details.json"
    path.write_text(json.dumps(details))
    args = [
        *CHECK[:-1],
        str(path),
        "--principal",
        f"arn:aws:sts::{ACC}:assumed-role/deploy/ci",
        "--format",
        "json",
    ]
    code, out, _ = cli(capsys, *args)
    assert code == 1, "the boundary (dsql:Get*) blocks the create"
    report = json.loads(out)
    (create,) = [c for c in report["checks"] if c["action"] == "dsql:CreateCluster"]
    assert "boundary" in create["reasons"][0]


def test_params_from_stdin(capsys, monkeypatch):
    stdin = json.dumps({"multiRegionProperties": {"witnessRegion": "us-west-2"}})
    code, out, _ = cli(
        capsys,
        "plan",
        "create_cluster",
        "--params",
        "-",
        "--region",
        "us-east-1",
        "--account",
        ACC,
        "--format",
        "json",
        stdin=stdin,
        monkeypatch=monkeypatch,
    )
    assert code == 0 and "PutWitnessRegion" in out


def test_simulate(capsys):
    code, out, _ = cli(
        capsys,
        "simulate",
        "--policy",
        str(EX / "deploy-role-policy.json"),
        "--action",
        "dsql:PutWitnessRegion",
        "--resource",
        f"arn:aws:dsql:us-east-1:{ACC}:cluster/*",
        "--region",
        "us-west-2",
    )
    assert code == 1 and out.startswith("implicit_deny")
    code, out, _ = cli(
        capsys,
        "simulate",
        "--policy",
        str(EX / "deploy-role-policy.json"),
        "--action",
        "dsql:CreateCluster",
        "--resource",
        f"arn:aws:dsql:us-east-1:{ACC}:cluster/*",
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)[0]["decision"] == "allowed"


BAD_POLICIES = [
    ("not JSON", '{\n  "Version": ', "line 2"),
    ("not an object", "[]", "must be a JSON object"),
    (
        "unknown top-level key",
        '{"Version": "2012-10-17", "Statment": []}',
        "did you mean `Statement`",
    ),
    (
        "wrong type",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 3, "Resource": "*"}]}',
        "$.Statement[0].Action",
    ),
    ("empty Statement", '{"Version": "2012-10-17", "Statement": []}', "$.Statement"),
    (
        "unknown Effect",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}',
        "did you mean `Allow`",
    ),
    (
        "duplicate key",
        '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}',
        "duplicate key",
    ),
    (
        "bad Version",
        '{"Version": "2020-01-01", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
        "$.Version",
    ),
    (
        "Principal in an identity policy",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}',
        "Principal",
    ),
    ("deeply nested", "[" * 100000 + "]" * 100000, "policy"),
]


@pytest.mark.parametrize(
    ("name", "text", "expected"), BAD_POLICIES, ids=[b[0] for b in BAD_POLICIES]
)
def test_a_broken_policy_is_one_line_and_exit_2(capsys, tmp_path, name, text, expected):
    path = tmp_path / "policy.json"
    path.write_text(text)
    code, out, err = cli(capsys, *CHECK[:-1], str(path))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err
    if expected != "policy":
        assert expected in err


def test_a_huge_file_is_refused(capsys, tmp_path):
    path = tmp_path / "huge.json"
    path.write_text(
        '{"Version": "2012-10-17", "Statement": ['
        + '{"Effect":"Allow","Action":"*","Resource":"*"},' * 30000
        + "]}"
    )
    code, _, err = cli(capsys, *CHECK[:-1], str(path))
    assert code == 2 and "larger than 1 MiB" in err


BAD_CALLS = [
    (
        "unknown operation",
        ["plan", "create_clustr", "--region", "us-east-1", "--account", ACC],
        "did you mean `create_cluster`",
    ),
    (
        "missing file",
        [
            "plan",
            "create_cluster",
            "--params",
            "/nonexistent.json",
            "--region",
            "us-east-1",
            "--account",
            ACC,
        ],
        "/nonexistent.json",
    ),
    (
        "a directory as params",
        ["plan", "create_cluster", "--params", "/", "--region", "us-east-1", "--account", ACC],
        "is a directory",
    ),
    (
        "bad account",
        ["plan", "list_clusters", "--region", "us-east-1", "--account", "12"],
        "12-digit",
    ),
    ("bad context", [*CHECK, "--context", "nokey"], "KEY=VALUE"),
    ("authorization details without principal", None, "--principal"),
    ("no policy source", ["check", "create_cluster"], "give exactly one of --policy"),
]


@pytest.mark.parametrize(("name", "args", "expected"), BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
def test_bad_calls_are_one_line_and_exit_2(capsys, tmp_path, name, args, expected):
    if args is None:
        path = tmp_path / "details.json"
        path.write_text(json.dumps({"RoleDetailList": []}))
        args = [*CHECK[:-1], str(path)]
    code, _, err = cli(capsys, *args)
    assert code == 2
    assert expected in err and "Traceback" not in err


def test_bad_params_name_the_file_and_the_place(capsys, tmp_path):
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"multiRegionProperties": {"witnessRegion": "us-east-1"}}))
    code, _, err = cli(
        capsys,
        "plan",
        "create_cluster",
        "--params",
        str(path),
        "--region",
        "us-east-1",
        "--account",
        ACC,
    )
    assert code == 2
    assert f"{path}: multiRegionProperties.witnessRegion: the witness Region cannot be" in err
    path.write_text("[1, 2]")
    code, _, err = cli(
        capsys,
        "plan",
        "create_cluster",
        "--params",
        str(path),
        "--region",
        "us-east-1",
        "--account",
        ACC,
    )
    assert code == 2 and "must be a JSON object" in err


def test_the_installed_command_runs_the_readme_example_from_another_directory(tmp_path):
    script = Path(sys.executable).parent / "dsql-perms"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dsql_perms"]
    done = subprocess.run(
        [*command, *CHECK], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "us-west-2 (witness Region)" in done.stdout


def test_generate_json_terraform_and_cloudformation(capsys):
    base = [
        "generate",
        "create_cluster",
        "--params",
        str(EX / "multi-region-create.json"),
        "--region",
        "us-east-1",
        "--account",
        ACC,
    ]
    code, out, _ = cli(capsys, *base)
    assert code == 0
    policy = json.loads(out)
    witness = next(s for s in policy["Statement"] if s["Action"] == "dsql:PutWitnessRegion")
    assert witness["Condition"] == {"StringEquals": {"dsql:WitnessRegion": "us-west-2"}}
    code, out, _ = cli(capsys, *base, "--format", "terraform")
    assert code == 0 and out.startswith('data "aws_iam_policy_document" "dsql" {')
    assert 'variable = "dsql:WitnessRegion"' in out and out.count("statement {") == len(
        policy["Statement"]
    )
    code, out, _ = cli(capsys, *base, "--format", "cloudformation")
    template = json.loads(out)
    (resource,) = template["Resources"].values()
    assert resource["Type"] == "AWS::IAM::ManagedPolicy"
    assert resource["Properties"]["PolicyDocument"] == policy


def test_generate_from_a_plan_file(capsys):
    code, out, _ = cli(
        capsys, "generate", "--plan", str(ROOT / "policies" / "multi-region-with-witness.plan.json")
    )
    assert code == 0
    assert json.loads(out) == json.loads(
        (ROOT / "policies" / "multi-region-with-witness.policy.json").read_text()
    )


def test_generate_splits_a_policy_over_the_managed_policy_limit(capsys, tmp_path):
    calls = [
        {"operation": "get_cluster", "region": "us-east-1", "params": {"identifier": f"{i:026d}"}}
        for i in range(120)
    ]
    calls += [
        {"operation": "delete_cluster", "region": r, "params": {"identifier": f"{i:026d}"}}
        for i in range(120)
        for r in ("us-east-2", "us-west-2")
    ]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"account": ACC, "calls": calls}))
    code, out, err = cli(capsys, "generate", "--plan", str(path))
    assert code == 0
    assert "over the 6144" in err
    documents = json.loads(out)
    assert isinstance(documents, list) and len(documents) >= 2
    from dsql_perms.generator import policy_size

    assert all(policy_size(d) <= 6144 for d in documents)
    statements = [s for d in documents for s in d["Statement"]]
    assert len({s["Sid"] for s in statements}) == len(statements)


def test_generate_rejects_a_bad_plan_file(capsys, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps(
            {
                "account": ACC,
                "calls": [{"operation": "create_cluster", "region": "us-east-1", "parms": {}}],
            }
        )
    )
    code, _, err = cli(capsys, "generate", "--plan", str(path))
    assert code == 2 and "calls[0]" in err and "parms" in err
    path.write_text(json.dumps({"calls": []}))
    code, _, err = cli(capsys, "generate", "--plan", str(path))
    assert code == 2 and "$.calls" in err
