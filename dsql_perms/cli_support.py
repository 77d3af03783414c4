"""click options shared by the commands (the inputs behind them are read in cli_io)."""

from __future__ import annotations

import functools

import click

from .cli_io import StackFiles

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

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


def with_stack_options(fn: Any) -> Any:
    """Add the policy-stack options, each passed to the command under its own name."""
    for option in reversed(policy_options):
        fn = option(fn)
    return fn


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
