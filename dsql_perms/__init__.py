"""dsql-perms: least-privilege IAM policies and per-Region preflight checks for Aurora DSQL.

Nothing heavy happens at import: botocore is loaded by the planner when it validates
parameters, boto3 only by the live edge, click only by the command line. The live edge and
the generator are loaded on first use.
"""

from ._version import __version__
from .errors import DsqlPermsError
from .evaluator import evaluate
from .model import AuthzRequest, Decision, EvalResult
from .planner import PlannedCall, plan
from .policy import Policy, parse_policy
from .policy_set import PolicySet
from .report import Report, check
from .rules import load_rules

_TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if _TYPE_CHECKING:
    from typing import Any

    from .least_privilege import generate_policy
    from .preflight import PreflightDenied, install_preflight, preflight

_LAZY = {
    "generate_policy": "least_privilege",
    "PreflightDenied": "preflight",
    "install_preflight": "preflight",
    "preflight": "preflight",
}


def __getattr__(name: str) -> "Any":
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dsql_perms' has no attribute {name!r}")
    import importlib

    loaded = importlib.import_module(f".{module}", __name__)
    for lazy_name, lazy_module in _LAZY.items():  # also hides the submodule `preflight`
        if lazy_module == module:
            globals()[lazy_name] = getattr(loaded, lazy_name)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AuthzRequest",
    "Decision",
    "DsqlPermsError",
    "EvalResult",
    "PlannedCall",
    "Policy",
    "PolicySet",
    "PreflightDenied",
    "Report",
    "__version__",
    "check",
    "evaluate",
    "generate_policy",
    "install_preflight",
    "load_rules",
    "parse_policy",
    "plan",
    "preflight",
]
