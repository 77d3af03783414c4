"""The rules table: schema, canonical form, coverage of the botocore model, real actions."""

import json
import re
from pathlib import Path

import botocore.session
import jsonschema
import pytest

from dsql_perms.errors import RulesError
from dsql_perms.rules import load_rules, parse_rules, rules_path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "rules" / "schema" / "rules.schema.json").read_text())
RAW_TEXT = Path(rules_path()).read_text()
RAW = json.loads(RAW_TEXT)

# IAM actions of the dsql service, from the Service Authorization Reference
# (reference/dsql-iam-facts.md §4.1), and the KMS and IAM actions DSQL calls need.
DSQL_ACTIONS = {
    "AddPeerCluster",
    "CreateCluster",
    "CreateStream",
    "DbConnect",
    "DbConnectAdmin",
    "DeleteCluster",
    "DeleteClusterPolicy",
    "DeleteStream",
    "GetBackupJob",
    "GetCluster",
    "GetClusterPolicy",
    "GetRestoreJob",
    "GetStream",
    "GetVpcEndpointServiceName",
    "InjectError",
    "ListClusters",
    "ListStreams",
    "ListTagsForResource",
    "PutClusterPolicy",
    "PutMultiRegionProperties",
    "PutWitnessRegion",
    "RemovePeerCluster",
    "StartBackupJob",
    "StartRestoreJob",
    "StopBackupJob",
    "StopRestoreJob",
    "TagResource",
    "UntagResource",
    "UpdateCluster",
    "UpdateStream",
}
KMS_ACTIONS = {
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "DescribeKey",
}
IAM_ACTIONS = {"CreateServiceLinkedRole", "PassRole"}
KNOWN = {"dsql": DSQL_ACTIONS, "kms": KMS_ACTIONS, "iam": IAM_ACTIONS}


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    for pattern in re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', json.dumps(SCHEMA)):
        re.compile(json.loads(f'"{pattern}"'))


def test_rules_table_follows_its_schema():
    errors = sorted(
        jsonschema.Draft202012Validator(SCHEMA).iter_errors(RAW),
        key=lambda e: list(e.absolute_path),
    )
    listed = "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
    assert not errors, f"rules/dsql.json breaks its schema:\n{listed}"


def test_a_broken_table_lists_every_schema_error():
    broken = json.loads(RAW_TEXT)
    broken["operations"]["GetCluster"]["requires"][0]["when"] = "presnt"
    broken["operations"]["GetCluster"]["requires"][0]["evidence"] = "rumour"
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(broken))
    assert len(errors) >= 2


def test_the_schema_is_closed():
    broken = json.loads(RAW_TEXT)
    broken["operations"]["GetCluster"]["requires"][0]["colour"] = "blue"
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(broken))


def test_rules_file_is_in_canonical_form():
    assert json.dumps(RAW, indent=2, sort_keys=True) + "\n" == RAW_TEXT, (
        "run scripts/canonicalize_data.py"
    )


def test_every_botocore_operation_has_a_rule():
    model = botocore.session.get_session().get_service_model("dsql")
    missing = set(model.operation_names) - set(RAW["operations"])
    assert not missing, f"operations without a rule: {sorted(missing)}"


def test_boto3_names_match_botocore():
    model = botocore.session.get_session().get_service_model("dsql")
    from botocore import xform_name

    for name in model.operation_names:
        assert RAW["operations"][name]["boto3"] == xform_name(name)


def test_token_pseudo_operations_are_covered():
    table = load_rules()
    assert table.operation("generate_db_connect_auth_token").requires[0].action == "dsql:DbConnect"
    assert (
        table.operation("generate_db_connect_admin_auth_token").requires[0].action
        == "dsql:DbConnectAdmin"
    )


def test_every_action_is_a_real_iam_action_of_its_service():
    for op in load_rules().operations.values():
        for rule in op.requires:
            service, name = rule.action.split(":")
            assert name in KNOWN[service], f"{rule.id}: {rule.action} is not a known IAM action"


def test_every_rule_cites_a_source_and_says_why_when_inferred():
    for op in load_rules().operations.values():
        assert op.source_url.startswith("https://")
        for rule in op.requires:
            assert rule.source_url.startswith("https://"), rule.id
            if rule.evidence == "inferred":
                assert len(rule.reason) > 20, rule.id
            if rule.evidence == "documented":
                assert rule.quote, rule.id


def test_rule_ids_are_unique():
    ids = [r.id for op in load_rules().operations.values() for r in op.requires]
    assert len(ids) == len(set(ids))


def test_a_malformed_table_raises_rules_error():
    with pytest.raises(RulesError):
        parse_rules({"operations": {"X": {}}})


def test_the_installed_package_ships_the_rules_table():
    import dsql_perms

    package_dir = Path(dsql_perms.__file__).resolve().parent
    if "site-packages" in str(package_dir):
        assert Path(rules_path()) == package_dir / "_rules" / "dsql.json"
    assert Path(rules_path()).is_file()
