"""`dsql-perms check` after argument parsing, without click (entry.py calls it directly)."""

from __future__ import annotations

from .cli_io import StackFiles, emit_report, load_iac, read_current, read_params
from .errors import UsageError
from .inputs import parse_context


def run_check(
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
    """`dsql-perms check` once its arguments are parsed; returns the exit code."""
    from .report import Report, check, check_calls

    stack = StackFiles(scp, rcp, boundary, session_policy, resource_policy, key_policy)
    context = parse_context(context_pairs)
    sources = sum(bool(x) for x in (policy, live, collected_path))
    if sources != 1:
        raise UsageError("give exactly one of --policy, --live or --collected")
    report: Report
    iac = load_iac(cfn_path, tf_path, cfn_parameters, region, account)
    if iac is not None:
        if operation or params_path:
            raise UsageError("give OPERATION --params, or a template or plan, not both")
        if not policy:
            raise UsageError("templates and plans are checked against --policy files")
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
        raise UsageError("give OPERATION, --params and --region (or a template or plan)")
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
            raise UsageError("Missing option '--account'.")
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
