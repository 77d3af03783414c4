"""The live edge against a real local AWS endpoint: moto's HTTP server on loopback, started
by the tests. boto3 talks to it over HTTP like to AWS; nothing reaches the internet."""

import json
import logging
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from dsql_perms import PreflightDenied, check, install_preflight, preflight
from dsql_perms.entry import main
from dsql_perms.live import collect
from dsql_perms.simulator import cross_check

ACC = "123456789012"  # moto's account
REGION = "us-east-1"
ALLOW_DSQL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["dsql:*", "iam:CreateServiceLinkedRole", "kms:*"],
            "Resource": "*",
        }
    ],
}
REGION_SCOPED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OnlyUsEast1",
            "Effect": "Allow",
            "Action": "dsql:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
        },
        {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"},
    ],
}
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACC}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@pytest.fixture(scope="module")
def server():
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    yield f"http://{host}:{port}"
    srv.stop()


@pytest.fixture
def aws(server, monkeypatch):
    """A clean local AWS: the endpoint for every boto3 client, test credentials, no profile."""
    urllib.request.urlopen(
        urllib.request.Request(f"{server}/moto-api/reset", method="POST")
    ).close()
    for key, value in {
        "AWS_ENDPOINT_URL": server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return boto3.Session(region_name=REGION)


def make_role(admin, name, inline=None, managed=None, boundary=None):
    iam = admin.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(inline))
    if managed:
        arn = iam.create_policy(PolicyName=f"{name}-managed", PolicyDocument=json.dumps(managed))[
            "Policy"
        ]["Arn"]
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    if boundary:
        arn = iam.create_policy(PolicyName=f"{name}-boundary", PolicyDocument=json.dumps(boundary))[
            "Policy"
        ]["Arn"]
        iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=arn)
    creds = admin.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACC}:role/{name}", RoleSessionName="ci"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def offline_check(got, params=None):
    """The report of an offline create_cluster check on what collect() read."""
    return check(
        "create_cluster",
        params or {},
        region=REGION,
        account=got.account,
        policies=got.policy_set(),
        principal=got.principal,
        gaps=tuple(got.gaps),
    )


def clusters(admin):
    return admin.client("dsql").list_clusters()["clusters"]


def test_collect_reads_inline_attached_and_boundary_of_the_assumed_role(aws):
    role = make_role(aws, "deploy", inline=ALLOW_DSQL, managed=REGION_SCOPED, boundary=ALLOW_DSQL)
    got = collect(role, region=REGION)
    assert got.principal == f"arn:aws:sts::{ACC}:assumed-role/deploy/ci"
    assert [name for name, _ in got.identity] == [
        "role/deploy:inline:inline",
        f"arn:aws:iam::{ACC}:policy/deploy-managed",
    ]
    assert got.boundary[0] == f"arn:aws:iam::{ACC}:policy/deploy-boundary"
    assert got.service_linked_role_exists is False
    assert got.scps == [] and got.gaps == []


def test_collect_reads_a_users_group_policies(aws):
    iam = aws.client("iam")
    iam.create_user(UserName="alice")
    iam.create_group(GroupName="dbas")
    iam.add_user_to_group(GroupName="dbas", UserName="alice")
    iam.put_group_policy(GroupName="dbas", PolicyName="g", PolicyDocument=json.dumps(ALLOW_DSQL))
    got = collect(aws, region=REGION, principal=f"arn:aws:iam::{ACC}:user/alice")
    assert [name for name, _ in got.identity] == ["group/dbas:inline:g"]


def test_the_hook_stops_a_create_whose_role_lacks_the_witness_region(aws):
    role = make_role(aws, "deploy", inline=REGION_SCOPED)
    install_preflight(role)
    client = role.client("dsql")
    with pytest.raises(PreflightDenied) as info:
        client.create_cluster(multiRegionProperties={"witnessRegion": "us-west-2"})
    report = info.value.report
    witness = [c for c in report.checks if c.request.region == "us-west-2"]
    assert witness and all(c.decision.denied for c in witness)
    assert "dsql:PutWitnessRegion in us-west-2" in str(info.value)
    assert clusters(aws) == [], "the server received no CreateCluster call"


def test_the_hook_lets_an_allowed_create_through(aws):
    role = make_role(aws, "deploy", inline=ALLOW_DSQL)
    hook = install_preflight(role)
    created = role.client("dsql").create_cluster(
        multiRegionProperties={"witnessRegion": "us-west-2"}, tags={"team": "db"}
    )
    assert hook.reports[-1].verdict == "allowed"
    assert [c["arn"] for c in clusters(aws)] == [created["arn"]]


def test_the_hook_on_a_client_and_warn_mode(aws, caplog):
    role = make_role(aws, "deploy", inline=REGION_SCOPED)
    client = role.client("dsql")
    install_preflight(client, on_deny="warn")
    with caplog.at_level(logging.WARNING, logger="dsql_perms"):
        client.create_cluster(multiRegionProperties={"witnessRegion": "us-west-2"})
    assert "PutWitnessRegion" in caplog.text
    assert len(clusters(aws)) == 1


REGION_LOCK = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "RegionLock",
            "Effect": "Deny",
            "NotAction": "iam:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}},
        }
    ],
}
NO_DSQL_FROM_OUTSIDE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DataPerimeter",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "dsql:*",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-example"}},
        }
    ],
}


def assume(session, role_arn):
    creds = session.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="ci")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def attach(org, document, name, kind, target):
    policy = org.create_policy(Content=json.dumps(document), Description=name, Name=name, Type=kind)
    org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=target)


def enable(org, *kinds):
    root = org.list_roots()["Roots"][0]["Id"]
    for kind in kinds:
        org.enable_policy_type(RootId=root, PolicyType=kind)


def member_deploy_role(aws):
    """An organization managed from ACC with a member account holding a `deploy` role; returns
    the management account's Organizations client, the member account and the role."""
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="workload", Email="w@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    admin = assume(aws, f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole")
    iam = admin.client("iam")
    trust = TRUST.replace(ACC, member)
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(
        RoleName="deploy", PolicyName="inline", PolicyDocument=json.dumps(ALLOW_DSQL)
    )
    return org, member, assume(admin, f"arn:aws:iam::{member}:role/deploy")


def test_preflight_applies_the_scps_of_a_member_account_read_by_a_delegated_admin(aws):
    org, member, role = member_deploy_role(aws)
    enable(org, "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
    attach(org, REGION_LOCK, "RegionLock", "SERVICE_CONTROL_POLICY", member)
    attach(org, NO_DSQL_FROM_OUTSIDE, "DataPerimeter", "RESOURCE_CONTROL_POLICY", member)

    def clients(service):  # the Organizations reads as a delegated administrator makes them
        return org if service == "organizations" else role.client(service, region_name=REGION)

    got = collect(role, region=REGION, client=clients)
    assert got.account == member and got.gaps == [] and got.notes == []
    root_first = [[name for name, _ in level] for level in got.scps]
    assert root_first[0] == ["FullAWSAccess"] and "RegionLock" in root_first[-1]
    assert [[name for name, _ in level] for level in got.rcps][-1][-1] == "DataPerimeter"
    policies = got.policy_set()
    assert len(policies.scps) == len(policies.rcps) == len(got.scps) >= 2
    report = offline_check(got, {"multiRegionProperties": {"witnessRegion": "us-west-2"}})
    (witness,) = [c for c in report.checks if c.request.region == "us-west-2"]
    assert witness.decision.value == "explicit_deny"
    assert any("RegionLock" in b for b in report.fix.blocked)


def test_scps_do_not_apply_to_the_management_account_and_the_report_says_so(aws):
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    enable(org, "SERVICE_CONTROL_POLICY")
    attach(org, REGION_LOCK, "RegionLock", "SERVICE_CONTROL_POLICY", ACC)
    role = make_role(aws, "deploy", inline=ALLOW_DSQL)
    report = preflight(role, "create_cluster", multiRegionProperties={"witnessRegion": "us-west-2"})
    assert report.verdict == "allowed"
    assert any("management account" in w for w in report.warnings)


def test_policy_types_the_root_has_not_enabled_are_not_read(aws):
    """FullAWSAccess stays attached in an organization whose root never enabled SCPs; an
    empty or unread level must not turn into a deny (or an allow) of its own."""
    org, member, role = member_deploy_role(aws)
    attach(org, REGION_LOCK, "RegionLock", "SERVICE_CONTROL_POLICY", member)

    def clients(service):
        return org if service == "organizations" else role.client(service, region_name=REGION)

    got = collect(role, region=REGION, client=clients)
    assert got.scps == [] and got.rcps == [] and got.gaps == []


def test_a_member_account_that_may_not_read_its_organization_gets_uncertain(aws):
    org, member, role = member_deploy_role(aws)
    enable(org, "SERVICE_CONTROL_POLICY")

    def clients(service):
        client = role.client(service, region_name=REGION)
        return DenyingClient(client, {"list_parents"} if service == "organizations" else set())

    got = collect(role, region=REGION, client=clients)
    assert got.account == member and [g.layer for g in got.gaps] == ["scp", "rcp"]
    assert all("organizations:ListParents denied" in g.message for g in got.gaps)
    assert offline_check(got).verdict == "uncertain"


def test_preflight_reads_cluster_state_and_its_resource_policy(aws):
    admin_dsql = aws.client("dsql")
    cluster = admin_dsql.create_cluster(tags={"env": "prod"})
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoDeletes",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "dsql:DeleteCluster",
                "Resource": "*",
            }
        ],
    }
    admin_dsql.put_cluster_policy(identifier=cluster["identifier"], policy=json.dumps(deny))
    role = make_role(
        aws,
        "deploy",
        inline={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "dsql:*",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}},
                }
            ],
        },
    )
    assert preflight(role, "get_cluster", identifier=cluster["identifier"]).verdict == "allowed", (
        "tags from the live state"
    )
    report = preflight(role, "delete_cluster", identifier=cluster["identifier"])
    assert report.verdict == "denied"
    assert report.checks[0].result.reasons[0].layer == "resource"


def test_preflight_resolves_a_key_alias_and_reads_its_key_policy(aws):
    kms = aws.client("kms")
    only_admin = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACC}:role/key-admin"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    key = kms.create_key(Policy=json.dumps(only_admin))["KeyMetadata"]
    kms.create_alias(AliasName="alias/orders", TargetKeyId=key["KeyId"])
    role = make_role(aws, "deploy", inline=ALLOW_DSQL)
    report = preflight(role, "create_cluster", kmsEncryptionKey="alias/orders")
    kms_checks = [c for c in report.checks if c.request.action.startswith("kms:")]
    assert {c.request.resource for c in kms_checks} == {key["Arn"]}
    assert all(c.decision.value == "implicit_deny" for c in kms_checks)
    assert report.verdict == "denied"


class DenyingClient:
    """A real client whose listed operations answer AccessDenied, as AWS does."""

    def __init__(self, client, denied):
        self._client, self._denied = client, denied

    def __getattr__(self, name):
        if name in self._denied:

            def refuse(**_):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, name)

            return refuse
        return getattr(self._client, name)


def test_a_denied_read_makes_the_decisions_it_could_change_uncertain(aws):
    role = make_role(aws, "deploy", inline=ALLOW_DSQL, boundary=ALLOW_DSQL)

    denied = {"iam": {"get_role"}, "organizations": {"describe_organization"}}

    def clients(service):
        return DenyingClient(role.client(service, region_name=REGION), denied.get(service, set()))

    got = collect(role, region=REGION, client=clients)
    assert [g.message for g in got.gaps] == [
        "cannot read the permissions boundary of role `deploy`: iam:GetRole denied",
        "cannot read the service control policies of the account: organizations:DescribeOrganization denied",
        "cannot read the resource control policies of the account: organizations:DescribeOrganization denied",
    ]
    assert got.service_linked_role_exists is None, (
        "an unreadable role stays a conditional requirement"
    )
    report = offline_check(got)
    assert report.verdict == "uncertain"
    (create,) = [c for c in report.checks if c.request.action == "dsql:CreateCluster"]
    assert "iam:GetRole denied" in create.result.reasons[0].describe()


def test_cli_collect_then_check_offline(aws, tmp_path, capsys, monkeypatch):
    role = make_role(aws, "deploy", inline=REGION_SCOPED)
    creds = role.get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
    saved = tmp_path / "collected.json"
    assert main(["collect", "--region", REGION, "--output", str(saved)]) == 0
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"multiRegionProperties": {"witnessRegion": "us-west-2"}}))
    capsys.readouterr()
    offline = main(
        [
            "check",
            "create_cluster",
            "--params",
            str(params),
            "--region",
            REGION,
            "--collected",
            str(saved),
            "--format",
            "json",
        ]
    )
    offline_report = json.loads(capsys.readouterr().out)
    live = main(
        [
            "check",
            "create_cluster",
            "--params",
            str(params),
            "--region",
            REGION,
            "--live",
            "--format",
            "json",
        ]
    )
    live_report = json.loads(capsys.readouterr().out)
    assert offline == live == 1
    assert offline_report["checks"] == live_report["checks"]
    assert offline_report["principal"] == f"arn:aws:sts::{ACC}:assumed-role/deploy/ci"


def test_simulator_cross_check_reports_disagreements(aws):
    """moto has no SimulatePrincipalPolicy: botocore's Stubber plays IAM here."""
    role = make_role(aws, "deploy", inline=REGION_SCOPED)
    report = preflight(role, "create_cluster", multiRegionProperties={"witnessRegion": "us-west-2"})
    iam = boto3.client("iam", region_name=REGION)
    counted = [c for c in report.checks if c.decision.value != "uncertain"]
    with Stubber(iam) as stub:
        for c in counted:
            stub.add_response(
                "simulate_principal_policy",
                {
                    "EvaluationResults": [
                        {"EvalActionName": c.request.action, "EvalDecision": "allowed"}
                    ]
                },
            )
        disagreements = cross_check(iam, report)
    denied = [c for c in counted if c.decision.value != "allowed"]
    assert len(disagreements) == len(denied) >= 1
    assert "the IAM policy simulator says allowed" in disagreements[0]
