"""The command line's inputs and output, without click: reading params, state and the policy
stack, loading templates and plans, writing the report.

Kept free of click so the start-up path of `dsql-perms check` (see entry.py) stays short.
"""

from __future__ import annotations

import os
import sys

from .errors import DsqlPermsError, InputError, UsageError
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
from .records import Record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

    from .policy import PolicyKind

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
        if path != "-" and not os.path.isdir(path):
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


class StackFiles(Record):
    """The files of the policy stack beyond the identity policies (--scp, --boundary...)."""

    scp: tuple[str, ...] = ()
    rcp: tuple[str, ...] = ()
    boundary: str | None = None
    session_policy: str | None = None
    resource_policy: tuple[str, ...] = ()
    key_policy: str | None = None

    def build(self, policy: tuple[str, ...], principal: str | None) -> PolicySet:
        """Read every file, and the identity policies, into the PolicySet evaluate() takes."""
        identity, found_boundary = identity_policies(policy, principal)
        return PolicySet(
            identity=identity,
            boundary=_one_policy(self.boundary, "identity") or found_boundary,
            session=_one_policy(self.session_policy, "identity"),
            scps=[load_policies(p) for p in self.scp],
            rcps=[load_policies(p, "resource") for p in self.rcp],
            resource=[p for path in self.resource_policy for p in load_policies(path, "resource")],
            key_policy=_one_policy(self.key_policy, "resource"),
        )


def _one_policy(path: str | None, kind: PolicyKind) -> Policy | None:
    if path is None:
        return None
    policies = load_policies(path, kind)
    if len(policies) != 1:
        raise InputError("expects exactly one policy document", source=path)
    return policies[0]


def write_output(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", source=output) from exc
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def load_iac(
    cfn_path: str | None,
    tf_path: str | None,
    cfn_parameters: tuple[str, ...],
    region: str | None,
    account: str | None,
) -> Any:
    """The calls of a template or a plan (None when neither is given)."""
    if cfn_path and tf_path:
        raise UsageError("give --cloudformation or --terraform-plan, not both")
    if not (cfn_path or tf_path):
        if cfn_parameters:
            raise UsageError("--parameter goes with --cloudformation")
        return None
    if not account:
        raise UsageError("Missing option '--account'.")
    if cfn_path:
        if not region:
            raise UsageError("--cloudformation needs --region (the stack's Region)")
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
    if fmt in ("sarif", "junit"):
        from .render_ci import render_junit, render_sarif

        write_output((render_sarif if fmt == "sarif" else render_junit)(report), output)
    else:
        from .render import render_json, render_markdown, render_text

        if fmt == "text":
            write_output(render_text(report, color=output is None and sys.stdout.isatty()), output)
        else:
            write_output((render_json if fmt == "json" else render_markdown)(report), output)
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
