"""The `dsql-perms` command: parse arguments, call the library, render, set the exit code.

Exit codes: 0 allowed, 1 denied, 2 usage or input error, 3 uncertain (nothing denied).
"""

from __future__ import annotations

import json
import sys

import click

from .cli_check import check_command, collect_command
from .cli_generate import generate_command
from .cli_io import StackFiles, read_current, read_params
from .cli_support import (
    account_option,
    current_option,
    operation_argument,
    params_option,
    region_option,
    with_policy_options,
)
from .entry import EXIT_INPUT, guarded
from .inputs import parse_context

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dsql-perms")
def cli() -> None:
    """IAM preflight checks and least-privilege policies for Amazon Aurora DSQL."""


@cli.command("plan")
@operation_argument
@params_option
@region_option
@account_option
@current_option
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

    params, source, _ = read_params(params_path) if params_path else ({}, "<params>", "")
    planned = plan(
        operation,
        params,
        region=region,
        account=account,
        current=read_current(current_path),
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


@cli.command("simulate")
@click.option("--policy", multiple=True, required=True, help="Identity policy file or directory.")
@click.option("--action", "actions", multiple=True, required=True, help="Action to test (repeat).")
@click.option(
    "--resource", "resources", multiple=True, default=("*",), help="Resource ARN (repeat)."
)
@click.option("--region", default="us-east-1", help="Sets aws:RequestedRegion.")
@with_policy_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def simulate_command(
    policy: tuple[str, ...],
    actions: tuple[str, ...],
    resources: tuple[str, ...],
    region: str,
    stack: StackFiles,
    principal: str | None,
    context_pairs: tuple[str, ...],
    fmt: str,
) -> int:
    """Evaluate actions on resources against a policy stack, like simulate-custom-policy."""
    from .evaluator import evaluate
    from .model import AuthzRequest, Decision

    policies = stack.build(policy, principal)
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


cli.add_command(check_command)
cli.add_command(collect_command)
cli.add_command(generate_command)


def main(argv: list[str] | None = None) -> int:
    """The whole command line through click (entry.main takes a shorter path for `check`)."""

    def run_click() -> int:
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
        return result if isinstance(result, int) else 0

    return guarded(run_click)


def run() -> None:
    sys.exit(main())
