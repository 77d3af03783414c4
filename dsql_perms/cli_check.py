"""`dsql-perms check` and `dsql-perms collect`."""

from __future__ import annotations

import click

from .cli_support import (
    StackFiles,
    current_option,
    emit_report,
    load_iac,
    read_current,
    read_params,
    with_iac_options,
    with_policy_options,
)
from .inputs import parse_context


@click.command("check")
@click.argument("operation", required=False)
@click.option(
    "--params",
    "params_path",
    help="JSON file of boto3 keyword arguments, or - for stdin.",
)
@with_iac_options
@click.option("--region", help="The Region the call goes to.")
@click.option("--account", help="The 12-digit account id (read from AWS with --live).")
@click.option(
    "--policy",
    multiple=True,
    help="Identity policy file, directory, or authorization details.",
)
@with_policy_options
@current_option
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
    stack: StackFiles,
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
        policies = stack.build(policy, principal)
        report = check_calls(
            iac.calls,
            policies,
            account=iac.account,
            context=context,
            principal=principal,
            warnings=tuple(iac.warnings),
        )
        return emit_report(report, fmt, output)
    if not operation or not params_path or not region:
        raise click.UsageError("give OPERATION, --params and --region (or a template or plan)")
    params, source, text = read_params(params_path)
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
            current=read_current(current_path),
            cross_check=cross_check_simulator,
        )
    else:
        if not account:
            raise click.UsageError("Missing option '--account'.")
        policies = stack.build(policy, principal)
        report = check(
            operation,
            params,
            region=region,
            account=account,
            policies=policies,
            current=read_current(current_path),
            principal=principal,
            context=context,
            params_source=source,
            params_text=text,
        )
    return emit_report(report, fmt, output)


@click.command("collect")
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
