"""Hostile and random input never produces a traceback or a silent Allow: every policy,
params or template file either parses or gives one line with exit code 2."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readme_example import ACC, CHECK, EX

from dsql_perms import PolicySet, parse_policy
from dsql_perms.entry import main
from dsql_perms.errors import DsqlPermsError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "Allow",
            "Deny",
            "*",
            "dsql:*",
            "2012-10-17",
            "StringEquals",
            "aws:SourceIp",
            "${aws:username}",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Version",
                    "Statement",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Condition",
                    "Principal",
                    "Sid",
                    "StringLike",
                    "IpAddress",
                    "aws:SourceIp",
                    "x",
                ]
            )
            | st.text(max_size=6),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@st.composite
def policy_like(draw):
    statement = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Condition",
                    "Sid",
                    "Principal",
                ]
            ),
            json_values,
            max_size=6,
        )
    )
    return draw(
        st.sampled_from(
            [
                {"Version": "2012-10-17", "Statement": [statement]},
                {"Version": "2012-10-17", "Statement": statement},
                draw(json_values),
            ]
        )
    )


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(policy_like())
def test_parse_policy_accepts_or_rejects_cleanly(document):
    try:
        policy = parse_policy(document, name="fuzz")
    except DsqlPermsError as exc:
        message = str(exc)
        assert "\n" not in message
        return
    from dsql_perms import AuthzRequest, evaluate

    result = evaluate(
        AuthzRequest("dsql:CreateCluster", f"arn:aws:dsql:us-east-1:{ACC}:cluster/*", "us-east-1"),
        PolicySet(identity=[policy]),
    )
    assert result.decision.value in ("allowed", "explicit_deny", "implicit_deny", "uncertain")


def _run_quietly(args):
    """Run the command line with its output captured: (exit code, stderr)."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    message = err.getvalue()
    assert "Traceback" not in message and "internal error" not in message, message
    return code, message


@SETTINGS
@given(policy_like())
def test_the_cli_never_shows_a_traceback_for_any_policy_file(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("p") / "policy.json"
    path.write_text(json.dumps(document))
    code, err = _run_quietly([*CHECK[:-1], str(path)])
    assert code in (0, 1, 2, 3)
    if code == 2:
        assert err.count("\n") == 1 and str(path) in err


@SETTINGS
@given(json_values)
def test_the_cli_never_shows_a_traceback_for_any_params_file(tmp_path_factory, params):
    path = tmp_path_factory.mktemp("p") / "params.json"
    path.write_text(json.dumps(params))
    code, _ = _run_quietly(
        ["plan", "update_cluster", "--params", str(path), "--region", "us-east-1", "--account", ACC]
    )
    assert code in (0, 2)


@SETTINGS
@given(json_values)
def test_the_cli_never_shows_a_traceback_for_any_template_or_plan(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("t")
    template = folder / "t.json"
    template.write_text(
        json.dumps({"Resources": {"A": {"Type": "AWS::DSQL::Cluster", "Properties": data}}})
    )
    plan = folder / "plan.json"
    change = {
        "address": "aws_dsql_cluster.a",
        "type": "aws_dsql_cluster",
        "change": {"actions": ["create"], "after": data},
    }
    plan.write_text(json.dumps({"format_version": "1.2", "resource_changes": [change]}))
    policy = str(EX / "deploy-role-policy.json")
    for args in (
        ["--cloudformation", str(template), "--region", "us-east-1"],
        ["--terraform-plan", str(plan)],
    ):
        code, _ = _run_quietly(["check", *args, "--account", ACC, "--policy", policy])
        assert code in (0, 1, 2, 3)


@SETTINGS
@given(json_values)
def test_the_cli_never_shows_a_traceback_for_any_current_state(tmp_path_factory, current):
    path = tmp_path_factory.mktemp("c") / "current.json"
    path.write_text(json.dumps(current))
    code, err = _run_quietly(
        [
            "plan",
            "update_cluster",
            "--params",
            str(EX / "peering-update.json"),
            "--current",
            str(path),
            "--region",
            "us-east-1",
            "--account",
            ACC,
        ]
    )
    assert code in (0, 2)
    assert "Traceback" not in err and "internal error" not in err, err


@SETTINGS
@given(json_values)
def test_the_cli_never_shows_a_traceback_for_any_collected_or_authorization_file(
    tmp_path_factory, data
):
    folder = tmp_path_factory.mktemp("d")
    collected = folder / "collected.json"
    collected.write_text(
        json.dumps(
            data if not isinstance(data, dict) else {"principal": "x", "account": ACC, **data}
        )
    )
    details = folder / "details.json"
    details.write_text(json.dumps({"RoleDetailList": [data] if isinstance(data, dict) else data}))
    base = [
        "check",
        "create_cluster",
        "--params",
        str(EX / "multi-region-create.json"),
        "--region",
        "us-east-1",
    ]
    for args in (
        [*base, "--collected", str(collected)],
        [
            *base,
            "--account",
            ACC,
            "--policy",
            str(details),
            "--principal",
            f"arn:aws:iam::{ACC}:role/deploy",
        ],
    ):
        code, err = _run_quietly(args)
        assert code in (0, 1, 2, 3)
        assert "Traceback" not in err and "internal error" not in err, err
