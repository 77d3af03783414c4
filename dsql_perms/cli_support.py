"""Shared pieces of the command line: reading inputs, common options, writing output."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .errors import DsqlPermsError, InputError
from .inputs import (
    is_authorization_details,
    load_json,
    load_object,
    load_policies,
    parse_json,
    principal_policies,
    read_text,
)
from .policy import Policy
from .policy_set import PolicySet

EXIT_INPUT = 2


def read_params(path: str) -> tuple[dict[str, Any], str, str]:
    text = read_text(path)
    source = "<stdin>" if path == "-" else path

    data = parse_json(text, source)
    if not isinstance(data, dict):
        raise InputError(
            "params must be a JSON object of boto3 keyword arguments", source=source, where="$"
        )
    return data, source, text


def read_current(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    data = load_object(path, "the current state")
    return (
        data.get("cluster", data)
        if "cluster" in data and isinstance(data["cluster"], dict)
        else data
    )


def identity_policies(
    paths: tuple[str, ...], principal: str | None
) -> tuple[list[Policy], Policy | None]:
    identity: list[Policy] = []
    boundary: Policy | None = None
    for path in paths:
        if path != "-" and not Path(path).is_dir():
            data = load_json(path)
            if is_authorization_details(data):
                if not principal:
                    raise InputError("account authorization details need --principal", source=path)
                try:
                    found, found_boundary = principal_policies(data, principal, path)
                except DsqlPermsError:
                    raise  # our own errors already name the place
                except (KeyError, TypeError, AttributeError, ValueError) as exc:
                    raise InputError(
                        "does not have the shape of `aws iam get-account-authorization-details`",
                        source=path,
                    ) from exc
                identity += found
                boundary = boundary or found_boundary
                continue
        identity += load_policies(path)
    return identity, boundary


@dataclass(frozen=True)
class StackFiles:
    """The files of the policy stack beyond the identity policies (--scp, --boundary...)."""

    scp: tuple[str, ...] = ()
    rcp: tuple[str, ...] = ()
    boundary: str | None = None
    session_policy: str | None = None
    resource_policy: tuple[str, ...] = ()
    key_policy: str | None = None

    def build(self, policy: tuple[str, ...], principal: str | None) -> PolicySet:
        """Read every file into the PolicySet evaluate() takes."""
        return build_policy_set(
            policy,
            self.scp,
            self.rcp,
            self.boundary,
            self.session_policy,
            self.resource_policy,
            self.key_policy,
            principal,
        )


def build_policy_set(
    policy: tuple[str, ...],
    scp: tuple[str, ...],
    rcp: tuple[str, ...],
    boundary: str | None,
    session_policy: str | None,
    resource_policy: tuple[str, ...],
    key_policy: str | None,
    principal: str | None,
) -> PolicySet:
    identity, found_boundary = identity_policies(policy, principal)

    def one(path: str | None, kind: str) -> Policy | None:
        if path is None:
            return None
        policies = load_policies(path, "resource" if kind == "resource" else "identity")
        if len(policies) != 1:
            raise InputError("expects exactly one policy document", source=path)
        return policies[0]

    return PolicySet(
        identity=identity,
        boundary=one(boundary, "identity") or found_boundary,
        session=one(session_policy, "identity"),
        scps=[load_policies(p) for p in scp],
        rcps=[load_policies(p, "resource") for p in rcp],
        resource=[p for path in resource_policy for p in load_policies(path, "resource")],
        key_policy=one(key_policy, "resource"),
    )


def write_output(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", source=output) from exc
    else:
        click.echo(text, nl=False)


operation_argument = click.argument("operation")
params_option = click.option(
    "--params",
    "params_path",
    default=None,
    help="JSON file of boto3 keyword arguments, or - for stdin.",
)
region_option = click.option("--region", required=True, help="The Region the call goes to.")
account_option = click.option("--account", required=True, help="The 12-digit account id.")
current_option = click.option(
    "--current", "current_path", help="The cluster's current state (get_cluster JSON)."
)


policy_options = [
    click.option(
        "--scp",
        multiple=True,
        help="An SCP level (file or directory), root first; repeat per level.",
    ),
    click.option(
        "--rcp",
        multiple=True,
        help="An RCP level (file or directory), root first; repeat per level.",
    ),
    click.option("--boundary", help="The permissions boundary."),
    click.option("--session-policy", help="The session policy."),
    click.option(
        "--resource-policy", multiple=True, help="A resource-based policy (the cluster's)."
    ),
    click.option("--key-policy", help="The KMS key policy."),
    click.option("--principal", help="The caller's ARN."),
    click.option(
        "--context",
        "context_pairs",
        multiple=True,
        help="KEY=VALUE to settle an unknown context key.",
    ),
]


def with_policy_options(fn: Any) -> Any:
    """Add the policy-stack options; the command receives the files as one `stack` value,
    with `principal` and `context_pairs` as they are."""

    @functools.wraps(fn)
    def command(**kwargs: Any) -> Any:
        files = StackFiles(**{name: kwargs.pop(name) for name in _STACK_FIELDS})
        return fn(stack=files, **kwargs)

    for option in reversed(policy_options):
        command = option(command)
    return command


_STACK_FIELDS = ("scp", "rcp", "boundary", "session_policy", "resource_policy", "key_policy")


iac_options = [
    click.option("--cloudformation", "cfn_path", help="A CloudFormation template (JSON or YAML)."),
    click.option("--terraform-plan", "tf_path", help="The JSON of `terraform show -json PLAN`."),
    click.option(
        "--parameter", "cfn_parameters", multiple=True, help="KEY=VALUE for a template parameter."
    ),
]


def with_iac_options(fn: Any) -> Any:
    for option in reversed(iac_options):
        fn = option(fn)
    return fn


def load_iac(
    cfn_path: str | None,
    tf_path: str | None,
    cfn_parameters: tuple[str, ...],
    region: str | None,
    account: str | None,
) -> Any:
    """The calls of a template or a plan (None when neither is given)."""
    if cfn_path and tf_path:
        raise click.UsageError("give --cloudformation or --terraform-plan, not both")
    if not (cfn_path or tf_path):
        if cfn_parameters:
            raise click.UsageError("--parameter goes with --cloudformation")
        return None
    if not account:
        raise click.UsageError("Missing option '--account'.")
    if cfn_path:
        if not region:
            raise click.UsageError("--cloudformation needs --region (the stack's Region)")
        from .iac_cfn import cloudformation_calls

        overrides = {}
        for pair in cfn_parameters:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise InputError(f"`{pair}` is not KEY=VALUE", source="--parameter")
            overrides[key] = value
        return cloudformation_calls(cfn_path, region=region, account=account, overrides=overrides)
    from .iac_tf import terraform_calls

    assert tf_path is not None
    return terraform_calls(tf_path, account=account)


def emit_report(report: Any, fmt: str, output: str | None) -> int:
    from .render import render_json, render_markdown, render_text
    from .render_ci import render_junit, render_sarif

    renderers = {
        "json": render_json,
        "sarif": render_sarif,
        "junit": render_junit,
        "markdown": render_markdown,
    }
    if fmt == "text":
        color = output is None and sys.stdout.isatty()
        write_output(render_text(report, color=color), output)
    else:
        write_output(renderers[fmt](report), output)
    exit_code: int = report.exit_code
    return exit_code


def load_plan_file(path: str, account: str | None) -> tuple[list[dict[str, Any]], str]:
    """A plan file: {"account": ..., "calls": [{operation, region, params, current}, ...]}."""
    data = load_object(path, "a plan file")
    unknown = [k for k in data if k not in ("account", "calls", "description")]
    if unknown:
        raise InputError(f"unknown key `{unknown[0]}`", source=path, where="$")
    calls = data.get("calls")
    if not isinstance(calls, list) or not calls:
        raise InputError("`calls` must be a non-empty list", source=path, where="$.calls")
    plan_account = account or data.get("account")
    if not isinstance(plan_account, str):
        raise InputError("no account: give --account or `account` in the plan", source=path)
    return calls, plan_account
