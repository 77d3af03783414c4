"""Live collection: the caller's real policies and the cluster's real state, through boto3.

Every read that AWS denies becomes a named :class:`Gap` ("cannot read the permissions
boundary of role `deploy`: iam:GetRole denied"); the decisions it could change are then
reported as `uncertain`. boto3 and botocore are imported here only.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .arn import Principal
from .errors import DsqlPermsError
from .policy import Policy, parse_policy
from .policy_set import PolicySet
from .report import Gap

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

    from .policy import PolicyKind

DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
SERVICE_LINKED_ROLE = "AWSServiceRoleForAuroraDsql"
BUNDLE_VERSION = 1


class Denied(Exception):
    """A read AWS refused; carries the IAM action that was denied."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _call(client: Any, iam_action: str, method: str, **kwargs: Any) -> Any:
    """Call a read API; AccessDenied becomes Denied(iam_action); no network means an error."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(client, method)(**kwargs)
    except ClientError as exc:
        if _code(exc) in DENIED_CODES:
            raise Denied(iam_action) from exc
        raise
    except BotoCoreError as exc:
        raise DsqlPermsError(f"cannot reach AWS for `{iam_action}`: {exc}") from exc


def _document(raw: Any) -> Any:
    if isinstance(raw, str):
        return json.loads(urllib.parse.unquote(raw))
    return raw


@dataclass
class Collected:
    """What was read: JSON-able documents (for `collect --output`) and the gaps."""

    principal: str
    account: str
    identity: list[tuple[str, Any]] = field(default_factory=list)  # (name, document)
    boundary: tuple[str, Any] | None = None
    scps: list[list[tuple[str, Any]]] = field(default_factory=list)
    rcps: list[list[tuple[str, Any]]] = field(default_factory=list)
    resource: list[tuple[str, Any]] = field(default_factory=list)
    key_policies: dict[str, Any] = field(default_factory=dict)
    current: dict[str, Any] | None = None
    service_linked_role_exists: bool | None = None
    gaps: list[Gap] = field(default_factory=list)
    resolved_keys: dict[str, str] = field(default_factory=dict)  # as named -> key ARN
    notes: list[str] = field(default_factory=list)  # for the report's warnings

    def policy_set(self) -> PolicySet:
        def parsed(items: Iterable[tuple[str, Any]], kind: PolicyKind) -> list[Policy]:
            return [parse_policy(doc, name=name, kind=kind) for name, doc in items]

        return PolicySet(
            identity=parsed(self.identity, "identity"),
            boundary=parsed([self.boundary], "identity")[0] if self.boundary else None,
            scps=[parsed(level, "identity") for level in self.scps],
            rcps=[parsed(level, "resource") for level in self.rcps],
            resource=parsed(self.resource, "resource"),
            key_policies={
                arn: parse_policy(doc, name=f"key policy of {arn}", kind="resource")
                for arn, doc in self.key_policies.items()
            },
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "dsql_perms_collected": BUNDLE_VERSION,
            "principal": self.principal,
            "account": self.account,
            "identity": [{"name": n, "document": d} for n, d in self.identity],
            "boundary": {"name": self.boundary[0], "document": self.boundary[1]}
            if self.boundary
            else None,
            "scps": [[{"name": n, "document": d} for n, d in level] for level in self.scps],
            "rcps": [[{"name": n, "document": d} for n, d in level] for level in self.rcps],
            "resource": [{"name": n, "document": d} for n, d in self.resource],
            "key_policies": self.key_policies,
            "current": self.current,
            "service_linked_role_exists": self.service_linked_role_exists,
            "gaps": [
                {"layer": g.layer, "message": g.message, "resource": g.resource} for g in self.gaps
            ],
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Collected:
        def pairs(items: Iterable[Mapping[str, Any]]) -> list[tuple[str, Any]]:
            return [(str(i["name"]), i["document"]) for i in items]

        boundary = data.get("boundary")
        return cls(
            principal=data["principal"],
            account=data["account"],
            identity=pairs(data.get("identity", [])),
            boundary=(boundary["name"], boundary["document"]) if boundary else None,
            scps=[pairs(level) for level in data.get("scps", [])],
            rcps=[pairs(level) for level in data.get("rcps", [])],
            resource=pairs(data.get("resource", [])),
            key_policies=dict(data.get("key_policies", {})),
            current=data.get("current"),
            service_linked_role_exists=data.get("service_linked_role_exists"),
            gaps=[Gap(g["layer"], g["message"], g.get("resource")) for g in data.get("gaps", [])],
            notes=[str(n) for n in data.get("notes", [])],
        )


def _pages(client: Any, iam_action: str, method: str, key: str, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    marker_in, marker_out = (
        ("Marker", "Marker") if "iam" in iam_action else ("NextToken", "NextToken")
    )
    while True:
        page = _call(client, iam_action, method, **kwargs)
        items += page.get(key, [])
        token = page.get(marker_out)
        if not token or (iam_action.startswith("iam:") and not page.get("IsTruncated")):
            return items
        kwargs[marker_in] = token


def _managed(iam: Any, arn: str) -> Any:
    policy = _call(iam, "iam:GetPolicy", "get_policy", PolicyArn=arn)["Policy"]
    version = _call(
        iam,
        "iam:GetPolicyVersion",
        "get_policy_version",
        PolicyArn=arn,
        VersionId=policy["DefaultVersionId"],
    )
    return _document(version["PolicyVersion"]["Document"])


def _entity_policies(iam: Any, kind: str, name: str, out: Collected, label: str) -> None:
    """Inline and attached policies of a user, group or role (kind: User, Group, Role)."""
    names = _pages(
        iam,
        f"iam:List{kind}Policies",
        f"list_{kind.lower()}_policies",
        "PolicyNames",
        **{f"{kind}Name": name},
    )
    for policy_name in names:
        got = _call(
            iam,
            f"iam:Get{kind}Policy",
            f"get_{kind.lower()}_policy",
            **{f"{kind}Name": name, "PolicyName": policy_name},
        )
        out.identity.append((f"{label}:inline:{policy_name}", _document(got["PolicyDocument"])))
    attached = _pages(
        iam,
        f"iam:ListAttached{kind}Policies",
        f"list_attached_{kind.lower()}_policies",
        "AttachedPolicies",
        **{f"{kind}Name": name},
    )
    for item in attached:
        out.identity.append((item["PolicyArn"], _managed(iam, item["PolicyArn"])))


def _gap(
    out: Collected, layer: str, what: str, denied: Denied, resource: str | None = None
) -> None:
    out.gaps.append(Gap(layer, f"cannot read {what}: {denied.action} denied", resource))


def _identity(iam: Any, caller: Principal, out: Collected) -> None:
    kind = "Role" if caller.kind in ("role", "role_session") else "User"
    if caller.kind not in ("role", "role_session", "user"):
        out.gaps.append(
            Gap(
                "identity",
                f"cannot collect the policies of `{caller.arn}`: not an IAM user or role",
            )
        )
        return
    name = caller.name
    try:
        _entity_policies(iam, kind, name, out, f"{kind.lower()}/{name}")
    except Denied as denied:
        _gap(out, "identity", f"the policies of {kind.lower()} `{name}`", denied)
    if kind == "User":
        try:
            for group in _pages(
                iam, "iam:ListGroupsForUser", "list_groups_for_user", "Groups", UserName=name
            ):
                _entity_policies(
                    iam, "Group", group["GroupName"], out, f"group/{group['GroupName']}"
                )
        except Denied as denied:
            _gap(out, "identity", f"the group policies of user `{name}`", denied)
    try:
        entity = _call(iam, f"iam:Get{kind}", f"get_{kind.lower()}", **{f"{kind}Name": name})[kind]
        boundary_arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary_arn:
            out.boundary = (boundary_arn, _managed(iam, boundary_arn))
    except Denied as denied:
        _gap(out, "boundary", f"the permissions boundary of {kind.lower()} `{name}`", denied)


# Organization policy types that limit principals (SCPs) and resources (RCPs), read root first.
_ORGANIZATION_POLICIES = (
    ("SERVICE_CONTROL_POLICY", "scp", "service control policies"),
    ("RESOURCE_CONTROL_POLICY", "rcp", "resource control policies"),
)


_MAX_DEPTH = 8


def _organization_policies(org: Any, account: str, out: Collected) -> None:
    """SCP and RCP levels (root, OUs, account) of the account, for the policy types the root
    has enabled. They do not apply to the management account (AWS Organizations user guide:
    "SCPs don't affect users or roles in the management account"; likewise RCPs for its
    resources), nor in an organization without all features."""
    from botocore.exceptions import ClientError

    try:
        try:
            organization = _call(
                org, "organizations:DescribeOrganization", "describe_organization"
            )["Organization"]
        except ClientError as exc:
            if _code(exc) == "AWSOrganizationsNotInUseException":
                return
            raise
        if organization.get("FeatureSet", "ALL") != "ALL":
            return
        if organization.get("MasterAccountId") == account:
            out.notes.append(
                f"account {account} is the organization's management account: "
                "SCPs and RCPs do not apply to it"
            )
            return
        targets = [account]
        for _ in range(_MAX_DEPTH):  # root, up to five levels of OUs, the account
            parents = _call(org, "organizations:ListParents", "list_parents", ChildId=targets[-1])[
                "Parents"
            ]
            if not parents:
                break
            targets.append(parents[0]["Id"])
            if parents[0]["Type"] == "ROOT":
                break
        roots = _call(org, "organizations:ListRoots", "list_roots")["Roots"]
        enabled = {
            kind["Type"]
            for root in roots
            if root["Id"] == targets[-1]
            for kind in root.get("PolicyTypes", [])
            if kind.get("Status") == "ENABLED"
        }
    except Denied as denied:
        for _, layer, what in _ORGANIZATION_POLICIES:
            _gap(out, layer, f"the {what} of the account", denied)
        return
    for policy_type, layer, what in _ORGANIZATION_POLICIES:
        if policy_type in enabled:
            try:
                levels = [_attached(org, target, policy_type) for target in reversed(targets)]
            except Denied as denied:
                _gap(out, layer, f"the {what} of the account", denied)
                continue
            if layer == "scp":
                out.scps = levels
            else:
                out.rcps = levels


def _attached(org: Any, target: str, policy_type: str) -> list[tuple[str, Any]]:
    """The documents of one level: the policies of a type attached to one target."""
    summaries = _pages(
        org,
        "organizations:ListPoliciesForTarget",
        "list_policies_for_target",
        "Policies",
        TargetId=target,
        Filter=policy_type,
    )
    level = []
    for summary in summaries:
        content = _call(
            org, "organizations:DescribePolicy", "describe_policy", PolicyId=summary["Id"]
        )
        level.append((summary.get("Name", summary["Id"]), _document(content["Policy"]["Content"])))
    return level


def _cluster(dsql: Any, identifier: str, out: Collected) -> None:
    from botocore.exceptions import ClientError

    arn = None
    try:
        out.current = _call(dsql, "dsql:GetCluster", "get_cluster", identifier=identifier)
        out.current.pop("ResponseMetadata", None)
        arn = out.current.get("arn")
    except Denied as denied:
        _gap(out, "identity", f"the state of cluster `{identifier}`", denied)
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        return
    try:
        policy = _call(dsql, "dsql:GetClusterPolicy", "get_cluster_policy", identifier=identifier)
        out.resource.append((f"cluster policy of {identifier}", _document(policy["policy"])))
    except Denied as denied:
        _gap(out, "resource", f"the resource policy of cluster `{identifier}`", denied, arn)
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise


def _key(kms: Any, key: str, out: Collected) -> str:
    """Read a key's policy; returns its ARN (an alias resolved through DescribeKey)."""
    arn = key
    try:
        arn = _call(kms, "kms:DescribeKey", "describe_key", KeyId=key)["KeyMetadata"]["Arn"]
        policy = _call(kms, "kms:GetKeyPolicy", "get_key_policy", KeyId=arn, PolicyName="default")
        out.key_policies[arn] = _document(policy["Policy"])
    except Denied as denied:
        _gap(
            out,
            "key",
            f"the key policy of `{key}`",
            denied,
            arn if arn.startswith("arn:") else None,
        )
    return arn


def _service_linked_role(iam: Any, out: Collected) -> None:
    from botocore.exceptions import ClientError

    try:
        _call(iam, "iam:GetRole", "get_role", RoleName=SERVICE_LINKED_ROLE)
        out.service_linked_role_exists = True
    except Denied:
        out.service_linked_role_exists = None  # stays a conditional requirement
    except ClientError as exc:
        if _code(exc) != "NoSuchEntity":
            raise
        out.service_linked_role_exists = False


def collect(
    session: Any,
    *,
    region: str,
    principal: str | None = None,
    cluster_identifier: str | None = None,
    kms_keys: Iterable[str] = (),
    include_scps: bool = True,
    client: Callable[[str], Any] | None = None,
) -> Collected:
    """Read the policy stack of `principal` (default: the caller) and the cluster's state."""
    make = client or (lambda service: session.client(service, region_name=region))
    identity = _call(make("sts"), "sts:GetCallerIdentity", "get_caller_identity")
    caller = Principal.parse(principal or identity["Arn"])
    out = Collected(principal=caller.arn, account=caller.account)
    iam = make("iam")
    _identity(iam, caller, out)
    _service_linked_role(iam, out)
    if include_scps:
        _organization_policies(make("organizations"), caller.account, out)
    if cluster_identifier:
        _cluster(make("dsql"), cluster_identifier, out)
    keys = list(kms_keys)
    details = (out.current or {}).get("encryptionDetails") or {}
    if details.get("encryptionType") == "CUSTOMER_MANAGED_KMS_KEY" and details.get("kmsKeyArn"):
        keys.append(details["kmsKeyArn"])
    kms = make("kms") if keys else None
    for key in dict.fromkeys(keys):
        out.resolved_keys[key] = _key(kms, key, out)
    return out
