"""`dsql-perms check` and `dsql-perms collect`."""

from __future__ import annotations

import click

from .check_run import run_check
from .cli_support import current_option, with_iac_options, with_stack_options

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any


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
@with_stack_options
@current_option
@click.option("--live", is_flag=True, help="Read policies and state from AWS (boto3 credentials).")
@click.option("--profile", help="The AWS profile for --live.")
@click.option(
    "--no-scps",
    is_flag=True,
    help="With --live: do not read SCPs or RCPs (assume none restricts).",
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
def check_command(**arguments: Any) -> int:
    """Will a planned call succeed with these policies? Per Region, with the smallest fix."""
    return run_check(**arguments)


@click.command("collect")
@click.option("--principal", help="Whose policies to read (default: the caller).")
@click.option("--region", required=True, help="The Region of the cluster and keys.")
@click.option("--cluster", "cluster_identifier", help="Also read this cluster's state and policy.")
@click.option("--key", "keys", multiple=True, help="Also read this KMS key's policy (repeat).")
@click.option("--profile", help="The AWS profile to read with.")
@click.option("--no-scps", is_flag=True, help="Do not read SCPs or RCPs.")
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
