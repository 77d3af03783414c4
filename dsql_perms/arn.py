"""ARN parsing and the few ARN shapes dsql-perms builds."""

from __future__ import annotations

import re

from .errors import InvalidArnError
from .records import Record

# From the DSQL service model (botocore): ClusterArn, StreamArn. Patterns that only some
# calls need stay strings (re compiles and caches them on first use: start-up time).
CLUSTER_ARN = re.compile(
    r"arn:(aws(?:-[^:]+)?):dsql:([a-z0-9-]{1,20}):([0-9]{12}):cluster/([a-z0-9]{26})"
)
STREAM_ARN = (
    r"arn:(aws(?:-[^:]+)?):dsql:([a-z0-9-]{1,20}):([0-9]{12}):cluster/([a-z0-9]{26})"
    r"/stream/([a-z0-9]{26})"
)
# Stand-ins for values only known after deployment (infrastructure-as-code inputs): a
# cluster id and a KMS key id that pass the model's patterns. The planner turns resources
# holding them into wildcard placeholders (one concrete ARN we cannot know).
UNKNOWN_CLUSTER_ID = "dsqlpermsunknownclusterid0"
UNKNOWN_KEY_ID = "dsql-perms-unknown-key"
ACCOUNT_ID = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]{1,2}")


class Arn(Record):
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str, *, source: str | None = None, where: str | None = None) -> Arn:
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
            raise InvalidArnError(f"`{text}` is not an ARN", source=source, where=where)
        return cls(parts[1], parts[2], parts[3], parts[4], parts[5])

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def account_of(arn: str) -> str | None:
    """The account segment of an ARN, or None when absent or a wildcard."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or not parts[4] or "*" in parts[4] or "?" in parts[4]:
        return None
    return parts[4]


def partition_for_region(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Principal(Record):
    """The caller, from its ARN: an IAM user, a role, a role session, a federated user, root."""

    arn: str
    account: str
    kind: str  # user | role | role_session | federated_user | root | unknown
    role_arn: str | None = None  # for role sessions: the role's ARN (aws:PrincipalArn)
    name: str = ""

    @classmethod
    def parse(cls, arn: str) -> Principal:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] not in ("iam", "sts"):
            raise InvalidArnError(f"`{arn}` is not an IAM or STS principal ARN")
        partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
        if service == "iam" and resource == "root":
            return cls(arn, account, "root")
        if service == "iam" and resource.startswith("user/"):
            return cls(arn, account, "user", name=resource.rsplit("/", 1)[-1])
        if service == "iam" and resource.startswith("role/"):
            return cls(arn, account, "role", role_arn=arn, name=resource.rsplit("/", 1)[-1])
        if service == "sts" and resource.startswith("assumed-role/"):
            pieces = resource.split("/")
            if len(pieces) < 3:
                raise InvalidArnError(f"`{arn}` is not a role-session ARN")
            role = f"arn:{partition}:iam::{account}:role/{pieces[1]}"
            return cls(arn, account, "role_session", role_arn=role, name=pieces[1])
        if service == "sts" and resource.startswith("federated-user/"):
            return cls(arn, account, "federated_user", name=resource.split("/", 1)[1])
        return cls(arn, account, "unknown")

    @property
    def principal_arn(self) -> str:
        """The value of `aws:PrincipalArn` (the role, for a role session)."""
        return self.role_arn if self.kind == "role_session" and self.role_arn else self.arn

    @property
    def principal_type(self) -> str:
        return {
            "user": "User",
            "role": "AssumedRole",
            "role_session": "AssumedRole",
            "federated_user": "FederatedUser",
            "root": "Account",
        }.get(self.kind, "Unknown")
