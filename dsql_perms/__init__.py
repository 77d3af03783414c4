"""dsql-perms: least-privilege IAM policies and per-Region preflight checks for Aurora DSQL.

Nothing heavy happens at import: botocore is loaded by the planner when it validates
parameters, boto3 only by the live edge, click only by the command line.
"""

from ._version import __version__
from .errors import DsqlPermsError
from .evaluator import evaluate
from .least_privilege import generate_policy
from .model import AuthzRequest, Decision, EvalResult
from .planner import PlannedCall, plan
from .policy import Policy, parse_policy
from .policy_set import PolicySet
from .preflight import PreflightDenied, install_preflight, preflight
from .report import Report, check
from .rules import load_rules

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
