"""The `dsql-perms` command: parse arguments, call the library, render, set the exit code.

Exit codes: 0 allowed, 1 denied, 2 usage or input error, 3 uncertain (nothing denied).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .errors import DsqlPermsError, InputError
from .inputs import (
    is_authorization_details,
    load_json,
    load_object,
    load_policies,
    parse_context,
    principal_policies,
    read_text,
)
from .policy import Policy
from .policy_set import PolicySet

EXIT_INPUT = 2


def _params(path: str) -> tuple[dict[str, Any], str, str]:
    text = read_text(path)
    source = "<stdin>" if path == "-" else path
    from .inputs import parse_json

    data = parse_json(text, source)
    if not isinstance(data, dict):
        raise InputError(
            "params must be a JSON object of boto3 keyword arguments", source=source, where="$"
        )
    return data, source, text


def _current(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    data = load_object(path, "the current state")
    return (
        data.get("cluster", data)
        if "cluster" in data and isinstance(data["cluster"], dict)
        else data
    )


def _identity(paths: tuple[str, ...], principal: str | None) -> tuple[list[Policy], Policy | None]:
    identity: list[Policy] = []
    boundary: Policy | None = None
    for path in paths:
        if path != "-" and not Path(path).is_dir():
            data = load_json(path)
            if is_authorization_details(data):
                if not principal:
                    raise InputError("account authorization details need --principal", source=path)
                found, found_boundary = principal_policies(data, principal, path)
                identity += found
                boundary = boundary or found_boundary
                continue
        identity += load_policies(path)
    return identity, boundary


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
    identity, found_boundary = _identity(policy, principal)

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


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", source=output) from exc
    else:
        click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dsql-perms")
def cli() -> None:
    """IAM preflight checks and least-privilege policies for Amazon Aurora DSQL."""


_op = click.argument("operation")
_params_opt = click.option(
    "--params",
    "params_path",
    default=None,
    help="JSON file of boto3 keyword arguments, or - for stdin.",
)
_region = click.option("--region", required=True, help="The Region the call goes to.")
_account = click.option("--account", required=True, help="The 12-digit account id.")
_current_opt = click.option(
    "--current", "current_path", help="The cluster's current state (get_cluster JSON)."
)


@cli.command("plan")
@_op
@_params_opt
@_region
@_account
@_current_opt
@click.option("--principal", help="The caller's ARN (fills aws:PrincipalArn and friends).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def plan_command(
    operation: str,
    params_path: str | None,
    region: str,
    account: str,
    current_path: str | None,
    principal: str | None,
    fmt: str,
) -> int:
    """List the authorization requests a planned call causes, Region by Region."""
    from .planner import plan

    params, source, _ = _params(params_path) if params_path else ({}, "<params>", "")
    planned = plan(
        operation,
        params,
        region=region,
        account=account,
        current=_current(current_path),
        principal=principal,
        source=source,
    )
    for warning in planned.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        data = {
            "operation": planned.operation,
            "region": planned.region,
            "account": planned.account,
            "warnings": list(planned.warnings),
            "requests": [_request_json(r) for r in planned.requests],
        }
        click.echo(json.dumps(data, indent=2))
        return 0
    click.echo(
        f"{planned.operation} in {region} (account {account}): "
        f"{len(planned)} authorization requests"
    )
    for region_name in planned.regions:
        click.echo(f"\n{region_name}")
        for r in (r for r in planned.requests if r.region == region_name):
            click.echo(
                f"  {r.action}  {r.resource}"
                + (f"  (or {', '.join(r.resource_variants)})" if r.resource_variants else "")
            )
            click.echo(f"      required by {r.required_by} [{r.evidence.value}]")
            interesting = {
                k: v
                for k, v in r.context
                if not k.startswith(
                    ("aws:Secure", "aws:ViaAWS", "aws:PrincipalIs", "aws:RequestedRegion")
                )
            }
            if interesting:
                click.echo(
                    "      context: "
                    + ", ".join(
                        f"{k}={v if isinstance(v, str) else list(v)}"
                        for k, v in interesting.items()
                    )
                )
            if r.conditional:
                click.echo(f"      conditional: {r.conditional}")
    return 0


def _request_json(r: Any) -> dict[str, Any]:
    return {
        "action": r.action,
        "resource": r.resource,
        "resource_variants": list(r.resource_variants),
        "resource_is_placeholder": r.resource_is_placeholder,
        "region": r.region,
        "context": {k: (v if isinstance(v, str) else list(v)) for k, v in r.context},
        "unknown_keys": sorted(r.unknown_keys),
        "required_by": r.required_by,
        "evidence": r.evidence.value,
        "evidence_reason": r.evidence_reason or None,
        "source_url": r.source_url,
        "conditional": r.conditional,
        "rule_id": r.rule_id,
    }


@cli.command("rules")
@click.argument("operation", required=False)
def rules_command(operation: str | None) -> int:
    """Show the rules table (one operation, or all)."""
    from .rules import load_rules

    table = load_rules()
    ops = [table.operation(operation)] if operation else list(table.operations.values())
    for op in ops:
        click.echo(f"{op.name} ({op.boto3})  {op.source_url}")
        for rule in op.requires:
            when = "always" if rule.when == "always" else f"when {rule.when}"
            each = f", for each of {rule.each}" if rule.each else ""
            click.echo(
                f"  {rule.action:<32} {when}{each}; "
                f"Regions: {', '.join(rule.regions)}; {rule.evidence}"
            )
            for resource in rule.resources:
                click.echo(f"      resource: {resource}")
            if rule.context:
                click.echo("      context: " + ", ".join(f"{k}={v}" for k, v in rule.context))
            if rule.context_sets:
                click.echo("      context sets: " + ", ".join(rule.context_sets))
            if rule.conditional:
                click.echo(f"      conditional: {rule.conditional}")
            if rule.reason:
                click.echo(f"      why: {rule.reason}")
        click.echo("")
    return 0


_policy_options = [
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


def _with_policy_options(fn: Any) -> Any:
    for option in reversed(_policy_options):
        fn = option(fn)
    return fn


_iac_options = [
    click.option("--cloudformation", "cfn_path", help="A CloudFormation template (JSON or YAML)."),
    click.option("--terraform-plan", "tf_path", help="The JSON of `terraform show -json PLAN`."),
    click.option(
        "--parameter", "cfn_parameters", multiple=True, help="KEY=VALUE for a template parameter."
    ),
]


def _with_iac_options(fn: Any) -> Any:
    for option in reversed(_iac_options):
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


@cli.command("check")
@click.argument("operation", required=False)
@click.option(
    "--params",
    "params_path",
    help="JSON file of boto3 keyword arguments, or - for stdin.",
)
@_with_iac_options
@click.option("--region", help="The Region the call goes to.")
@click.option("--account", help="The 12-digit account id (read from AWS with --live).")
@click.option(
    "--policy",
    multiple=True,
    help="Identity policy file, directory, or authorization details.",
)
@_with_policy_options
@_current_opt
@click.option("--live", is_flag=True, help="Read policies and state from AWS (boto3 credentials).")
@click.option("--profile", help="The AWS profile for --live.")
@click.option(
    "--no-scps", is_flag=True, help="With --live: do not read SCPs (assume none restricts)."
)
@click.option("--collected", "collected_path", help="A file written by `dsql-perms collect`.")
@click.option(
    "--cross-check-simulator",
    is_flag=True,
    help="With --live: also ask IAM's policy simulator and report disagreements.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "junit", "markdown"]),
    default="text",
)
@click.option("--output", help="Write the report to this file.")
def check_command(
    operation: str | None,
    params_path: str | None,
    cfn_path: str | None,
    tf_path: str | None,
    cfn_parameters: tuple[str, ...],
    region: str | None,
    account: str | None,
    policy: tuple[str, ...],
    scp: tuple[str, ...],
    rcp: tuple[str, ...],
    boundary: str | None,
    session_policy: str | None,
    resource_policy: tuple[str, ...],
    key_policy: str | None,
    principal: str | None,
    context_pairs: tuple[str, ...],
    current_path: str | None,
    live: bool,
    profile: str | None,
    no_scps: bool,
    collected_path: str | None,
    cross_check_simulator: bool,
    fmt: str,
    output: str | None,
) -> int:
    """Will a planned call succeed with these policies? Per Region, with the smallest fix."""
    from .report import Report, check, check_calls

    context = parse_context(context_pairs)
    sources = sum(bool(x) for x in (policy, live, collected_path))
    if sources != 1:
        raise click.UsageError("give exactly one of --policy, --live or --collected")
    report: Report
    iac = load_iac(cfn_path, tf_path, cfn_parameters, region, account)
    if iac is not None:
        if operation or params_path:
            raise click.UsageError("give OPERATION --params, or a template or plan, not both")
        if not policy:
            raise click.UsageError("templates and plans are checked against --policy files")
        policies = build_policy_set(
            policy, scp, rcp, boundary, session_policy, resource_policy, key_policy, principal
        )
        report = check_calls(
            iac.calls,
            policies,
            account=iac.account,
            context=context,
            principal=principal,
            warnings=tuple(iac.warnings),
        )
        return _emit(report, fmt, output)
    if not operation or not params_path or not region:
        raise click.UsageError("give OPERATION, --params and --region (or a template or plan)")
    params, source, text = _params(params_path)
    if live or collected_path:
        from .cli_live import check_collected

        report = check_collected(
            operation,
            params,
            region=region,
            account=account,
            principal=principal,
            context=context,
            source=source,
            text=text,
            live=live,
            profile=profile,
            include_scps=not no_scps,
            collected_path=collected_path,
            current=_current(current_path),
            cross_check=cross_check_simulator,
        )
    else:
        if not account:
            raise click.UsageError("Missing option '--account'.")
        policies = build_policy_set(
            policy, scp, rcp, boundary, session_policy, resource_policy, key_policy, principal
        )
        report = check(
            operation,
            params,
            region=region,
            account=account,
            policies=policies,
            current=_current(current_path),
            principal=principal,
            context=context,
            params_source=source,
            params_text=text,
        )
    return _emit(report, fmt, output)


def _emit(report: Any, fmt: str, output: str | None) -> int:
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
        _write(render_text(report, color=color), output)
    else:
        _write(renderers[fmt](report), output)
    exit_code: int = report.exit_code
    return exit_code


@cli.command("collect")
@click.option("--principal", help="Whose policies to read (default: the caller).")
@click.option("--region", required=True, help="The Region of the cluster and keys.")
@click.option("--cluster", "cluster_identifier", help="Also read this cluster's state and policy.")
@click.option("--key", "keys", multiple=True, help="Also read this KMS key's policy (repeat).")
@click.option("--profile", help="The AWS profile to read with.")
@click.option("--no-scps", is_flag=True, help="Do not read SCPs.")
@click.option("--output", required=True, help="Where to save what was read (JSON).")
def collect_command(
    principal: str | None,
    region: str,
    cluster_identifier: str | None,
    keys: tuple[str, ...],
    profile: str | None,
    no_scps: bool,
    output: str,
) -> int:
    """Read a principal's policy stack from AWS and save it for offline checks."""
    from .cli_live import collect_to_file

    gaps = collect_to_file(
        principal=principal,
        region=region,
        cluster_identifier=cluster_identifier,
        keys=keys,
        profile=profile,
        include_scps=not no_scps,
        output=output,
    )
    for gap in gaps:
        click.echo(f"warning: {gap}", err=True)
    return 0


@cli.command("simulate")
@click.option("--policy", multiple=True, required=True, help="Identity policy file or directory.")
@click.option("--action", "actions", multiple=True, required=True, help="Action to test (repeat).")
@click.option(
    "--resource", "resources", multiple=True, default=("*",), help="Resource ARN (repeat)."
)
@click.option("--region", default="us-east-1", help="Sets aws:RequestedRegion.")
@_with_policy_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def simulate_command(
    policy: tuple[str, ...],
    actions: tuple[str, ...],
    resources: tuple[str, ...],
    region: str,
    scp: tuple[str, ...],
    rcp: tuple[str, ...],
    boundary: str | None,
    session_policy: str | None,
    resource_policy: tuple[str, ...],
    key_policy: str | None,
    principal: str | None,
    context_pairs: tuple[str, ...],
    fmt: str,
) -> int:
    """Evaluate actions on resources against a policy stack, like simulate-custom-policy."""
    from .evaluator import evaluate
    from .model import AuthzRequest, Decision

    policies = build_policy_set(
        policy, scp, rcp, boundary, session_policy, resource_policy, key_policy, principal
    )
    context: dict[str, object] = {"aws:RequestedRegion": region}
    context.update(parse_context(context_pairs))
    rows = []
    for action in actions:
        for resource in resources:
            result = evaluate(
                AuthzRequest(action, resource, region, context, principal=principal), policies
            )
            rows.append((action, resource, result))
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "action": a,
                        "resource": r,
                        "decision": res.decision.value,
                        "reasons": [x.describe() for x in res.reasons],
                        "near_misses": [n.describe() for n in res.near_misses],
                        "unknown_keys": list(res.unknown_keys),
                        "errors": list(res.errors),
                        "notes": list(res.notes),
                    }
                    for a, r, res in rows
                ],
                indent=2,
            )
        )
    else:
        for a, r, res in rows:
            click.echo(f"{res.decision.value:<14} {a}  {r}")
            for reason in res.reasons:
                click.echo(f"    {reason.describe()}")
            for note in res.notes:
                click.echo(f"    note: {note}")
    decisions = {res.decision for _, _, res in rows}
    if any(d.denied for d in decisions):
        return 1
    return 3 if Decision.UNCERTAIN in decisions else 0


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


@cli.command("generate")
@click.argument("operation", required=False)
@_params_opt
@_with_iac_options
@click.option("--per-region", is_flag=True, help="One policy per deploy Region.")
@click.option("--region", help="The Region the call goes to (with OPERATION).")
@click.option("--account", help="The 12-digit account id (or `account` in the plan file).")
@_current_opt
@click.option("--plan", "plan_path", help="A plan file listing several calls.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "terraform", "cloudformation"]), default="json"
)
@click.option("--output", help="Write the policy to this file.")
def generate_command(
    operation: str | None,
    params_path: str | None,
    cfn_path: str | None,
    tf_path: str | None,
    cfn_parameters: tuple[str, ...],
    per_region: bool,
    region: str | None,
    account: str | None,
    current_path: str | None,
    plan_path: str | None,
    fmt: str,
    output: str | None,
) -> int:
    """The least-privilege policy for one planned call, or for every call of a plan file."""
    from .least_privilege import generate_policy
    from .render_iac import (
        render_cloudformation,
        render_json_policies,
        render_terraform,
        split_if_needed,
    )

    iac = load_iac(cfn_path, tf_path, cfn_parameters, region, account)
    calls: list[Any]
    if iac is not None:
        if operation or params_path or plan_path:
            raise click.UsageError("give a template or plan alone")
        if not iac.calls:
            raise InputError("no DSQL resource found", source=cfn_path or tf_path)
        for warning in iac.warnings:
            click.echo(f"warning: {warning}", err=True)
        calls, plan_account, source = (
            [c.as_call() for c in iac.calls],
            iac.account,
            cfn_path or tf_path,
        )
    elif plan_path:
        if operation or params_path:
            raise click.UsageError("give either OPERATION with --params, or --plan")
        calls, plan_account = load_plan_file(plan_path, account)
        source = plan_path
    else:
        if not operation or not region or not account:
            raise click.UsageError("give OPERATION, --region and --account (or --plan FILE)")
        params, source, _ = _params(params_path) if params_path else ({}, "<params>", "")
        calls = [
            {
                "operation": operation,
                "region": region,
                "params": params,
                "current": _current(current_path),
            }
        ]
        plan_account = account
    groups: dict[str, list[Any]] = {"": calls}
    if per_region:
        groups = {}
        for call in calls:
            groups.setdefault(str(call.get("region")), []).append(call)
    rendered = []
    for group_region, group in sorted(groups.items()):
        document = generate_policy(group, account=plan_account, source=str(source))
        documents, warning = split_if_needed(document)
        if warning:
            click.echo(f"warning: {group_region or 'policy'}: {warning}", err=True)
        suffix = group_region.replace("-", "_")
        if fmt == "terraform":
            rendered.append(render_terraform(documents, f"dsql_{suffix}" if suffix else "dsql"))
        elif fmt == "cloudformation":
            camel = "".join(p.capitalize() for p in group_region.split("-"))
            rendered.append(render_cloudformation(documents, f"DsqlLeastPrivilege{camel}"))
        else:
            rendered.append(render_json_policies(documents))
    if not per_region:
        text = rendered[0]
    elif fmt == "json":
        import json as json_module

        merged = {r: json_module.loads(t) for r, t in zip(sorted(groups), rendered, strict=True)}
        text = json_module.dumps(merged, indent=2) + "\n"
    elif fmt == "cloudformation":
        import json as json_module

        templates = [json_module.loads(t) for t in rendered]
        resources = {k: v for t in templates for k, v in t["Resources"].items()}
        text = json_module.dumps({**templates[0], "Resources": resources}, indent=2) + "\n"
    else:
        text = "\n".join(rendered)
    _write(text, output)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: errors become one line on stderr and exit code 2, never a traceback."""
    try:
        result = cli.main(args=argv, prog_name="dsql-perms", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT
    except click.Abort:
        click.echo("aborted", err=True)
        return EXIT_INPUT
    except DsqlPermsError as exc:
        click.echo(f"dsql-perms: error: {exc}", err=True)
        return EXIT_INPUT
    except RecursionError:
        click.echo("dsql-perms: error: input nested too deeply", err=True)
        return EXIT_INPUT
    except Exception as exc:  # the command line never shows a traceback
        if type(exc).__module__.startswith(("botocore", "boto3")):
            click.echo(f"dsql-perms: error: AWS: {exc}", err=True)
        else:
            click.echo(
                f"dsql-perms: internal error: {type(exc).__name__}: {exc} (please report)", err=True
            )
        return EXIT_INPUT
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
