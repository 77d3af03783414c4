"""`dsql-perms generate`: least-privilege policies for calls, plan files, templates and plans."""

from __future__ import annotations

import click

from .cli_io import load_iac, load_plan_file, read_current, read_params, write_output
from .cli_support import current_option, params_option, with_iac_options
from .errors import InputError, UsageError

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any


@click.command("generate")
@click.argument("operation", required=False)
@params_option
@with_iac_options
@click.option("--per-region", is_flag=True, help="One policy per deploy Region.")
@click.option("--region", help="The Region the call goes to (with OPERATION).")
@click.option("--account", help="The 12-digit account id (or `account` in the plan file).")
@current_option
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
            raise UsageError("give a template or plan alone")
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
            raise UsageError("give either OPERATION with --params, or --plan")
        calls, plan_account = load_plan_file(plan_path, account)
        source = plan_path
    else:
        if not operation or not region or not account:
            raise UsageError("give OPERATION, --region and --account (or --plan FILE)")
        params, source, _ = read_params(params_path) if params_path else ({}, "<params>", "")
        calls = [
            {
                "operation": operation,
                "region": region,
                "params": params,
                "current": read_current(current_path),
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
    write_output(text, output)
    return 0
