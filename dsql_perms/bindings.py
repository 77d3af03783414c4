"""Values the rules table refers to, derived from a call's parameters and current state.

A binding is `yes`, `no` or `unknown` (needs the cluster's current state we were not
given); list bindings (peers) also carry their items with the parameter path of each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .arn import CLUSTER_ARN, REGION, STREAM_ARN, UNKNOWN_CLUSTER_ID
from .errors import InvalidParameterError
from .model import ContextValue
from .records import Record
from .rules import Operation, RuleTable

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

AWS_OWNED_KEY = "AWS_OWNED_KMS_KEY"
_HOSTNAME = r"([a-z0-9]{26})\.dsql(?:-[a-z0-9]+)?\.([a-z0-9-]+)\.on\.aws\.?"  # compiled on use
_TRIGGERS = {
    "always": "",
    "tags": "tags",
    "multi_region": "multiRegionProperties",
    "witness_region": "multiRegionProperties.witnessRegion",
    "peers": "multiRegionProperties.clusters",
    "removed_peers": "multiRegionProperties.clusters",
    "policy": "policy",
    "cmk": "kmsEncryptionKey",
    "old_cmk": "kmsEncryptionKey",
    "cluster_cmk": "clusterIdentifier",
    "slr_missing": "",
}


class KeyRef(Record):
    """A KMS key as the caller named it: an ARN we know, or an alias we cannot resolve."""

    arn: str
    region: str
    alias: str | None = None

    @property
    def placeholder(self) -> bool:
        return self.alias is not None


def key_ref(value: str, *, partition: str, region: str, account: str) -> KeyRef:
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        key_region, key_account, resource = parts[3], parts[4], parts[5]
        if resource.startswith("alias/"):
            return KeyRef(
                f"arn:{parts[1]}:kms:{key_region}:{key_account}:key/*", key_region, resource
            )
        return KeyRef(value, key_region)
    if value.startswith("alias/"):
        return KeyRef(f"arn:{partition}:kms:{region}:{account}:key/*", region, value)
    return KeyRef(f"arn:{partition}:kms:{region}:{account}:key/{value}", region)


class Bindings:
    """What one call's parameters bind in the rules table, filled in by compute_bindings."""

    def __init__(
        self,
        op: Operation,
        params: Mapping[str, Any],
        region: str,
        account: str,
        partition: str,
        current: Mapping[str, Any] | None,
    ) -> None:
        self.op = op
        self.params = params
        self.region = region
        self.account = account
        self.partition = partition
        self.current = current
        self.states: dict[str, str] = {}
        self.peers: list[tuple[str, str]] = []
        self.values: dict[str, str] = {}
        self.regions: dict[str, str] = {}
        self.placeholders: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.warnings: list[str] = []

    def state(self, name: str) -> str:
        return "yes" if name == "always" else self.states.get(name, "no")

    def items(self, name: str) -> list[tuple[str, str]]:
        assert name == "peers"
        return self.peers

    def trigger(self, name: str) -> str:
        return _TRIGGERS[name]

    def region_for(self, kind: str) -> str:
        return self.region if kind == "cluster" else self.regions[kind]

    def template_values(self, check_region: str, item: str) -> dict[str, str]:
        return {
            "Partition": self.partition,
            "Region": self.region,
            "Account": self.account,
            "CheckRegion": check_region,
            "Item": item,
            **self.values,
        }

    def is_placeholder(self, resource: str) -> bool:
        return resource in self.placeholders

    def context_set(
        self, name: str, op: Operation, resource: str, check_region: str
    ) -> tuple[dict[str, ContextValue], set[str]]:
        known: dict[str, ContextValue] = {}
        unknown: set[str] = set()
        tags = self.params.get("tags") or {}
        if name == "request_tags" and tags:
            known.update({f"aws:RequestTag/{k}": str(v) for k, v in tags.items()})
            known["aws:TagKeys"] = tuple(tags)
        elif name == "tag_keys" and self.params.get("tagKeys"):
            known["aws:TagKeys"] = tuple(self.params["tagKeys"])
        elif name == "witness" and self.states.get("witness_region") == "yes":
            known["dsql:WitnessRegion"] = self.regions["witness"]
        elif name == "resource_tags" and op.existing_resource:
            current_tags = self._current_tags_for(resource)
            if current_tags is None:
                unknown.add("aws:ResourceTag/*")
            else:
                known.update({f"aws:ResourceTag/{k}": str(v) for k, v in current_tags.items()})
        elif name == "item_resource_tags":
            unknown.add("aws:ResourceTag/*")
        elif name == "kms_via_dsql":
            known.update(
                {
                    "kms:ViaService": f"dsql.{self.region}.amazonaws.com",
                    "kms:CallerAccount": self.account,
                    "aws:CalledVia": ("dsql.amazonaws.com",),
                    "aws:CalledViaFirst": "dsql.amazonaws.com",
                    "aws:CalledViaLast": "dsql.amazonaws.com",
                    "aws:ViaAWSService": "true",
                }
            )
            if resource in self.aliases:
                known["kms:RequestAlias"] = self.aliases[resource]
        elif name == "kms_encryption_context":
            known["kms:EncryptionContextKeys"] = ("aws:dsql:ClusterId",)
            cluster_id = self.values.get("ClusterId")
            if cluster_id and cluster_id != UNKNOWN_CLUSTER_ID:
                known["kms:EncryptionContext:aws:dsql:ClusterId"] = cluster_id
            else:  # a new cluster: its id is made by the service
                unknown.add("kms:EncryptionContext:aws:dsql:ClusterId")
        return known, unknown

    def _current_tags_for(self, resource: str) -> Mapping[str, Any] | None:
        if self.current is None:
            return None
        arn = self.current.get("arn")
        if arn and resource != arn and not resource.startswith(f"{arn}/"):
            return None
        tags = self.current.get("tags", {})
        return tags if isinstance(tags, Mapping) else None


def _fail(message: str, source: str, where: str) -> InvalidParameterError:
    return InvalidParameterError(message, source=source, where=where)


def compute_bindings(
    op: Operation,
    params: Mapping[str, Any],
    *,
    region: str,
    account: str,
    partition: str,
    current: Mapping[str, Any] | None,
    table: RuleTable,
    source: str,
    service_linked_role_exists: bool | None = None,
) -> Bindings:
    b = Bindings(op, params, region, account, partition, current)
    if service_linked_role_exists is None:
        b.states["slr_missing"] = "unknown"
    else:
        b.states["slr_missing"] = "no" if service_linked_role_exists else "yes"
    identifier = params.get("identifier") or params.get("clusterIdentifier")
    if op.client_side:
        identifier = _cluster_from_hostname(params, b, source)
    if identifier:
        b.values["ClusterId"] = identifier
    if "streamIdentifier" in params:
        b.values["StreamId"] = params["streamIdentifier"]
    if "resourceArn" in params:
        _resource_arn(params["resourceArn"], b, source)
    if params.get("tags"):
        b.states["tags"] = "yes"
    if "policy" in params:
        b.states["policy"] = "yes"
    role = params.get("targetDefinition", {}).get("kinesis", {}).get("roleArn")
    if role:
        b.values["RoleArn"] = role
    _multi_region(b, table, source)
    _keys(b, source)
    return b


def _cluster_from_hostname(params: Mapping[str, Any], b: Bindings, source: str) -> str:
    host = str(params["Hostname"]).lower()
    found = re.fullmatch(_HOSTNAME, host)
    if not found:
        raise _fail(
            f"`{host}` is not a cluster endpoint `<cluster-id>.dsql.<region>.on.aws`",
            source,
            "Hostname",
        )
    if found.group(2) != b.region:
        raise _fail(
            f"the endpoint is in `{found.group(2)}`, not in `{b.region}`", source, "Hostname"
        )
    if params.get("Region") not in (None, b.region):
        raise _fail(f"`{params['Region']}` differs from --region `{b.region}`", source, "Region")
    return found.group(1)


def _resource_arn(arn: str, b: Bindings, source: str) -> None:
    if not (CLUSTER_ARN.fullmatch(arn) or re.fullmatch(STREAM_ARN, arn)):
        raise _fail(f"`{arn}` is not a DSQL cluster or stream ARN", source, "resourceArn")
    parts = arn.split(":")
    if parts[3] != b.region:
        b.warnings.append(f"resourceArn is in `{parts[3]}` but the call goes to `{b.region}`")
    b.values["ResourceArn"] = arn


def _current_peers(b: Bindings) -> list[str] | None:
    if b.current is None:
        return None
    mrp = b.current.get("multiRegionProperties") or {}
    return [str(c) for c in mrp.get("clusters", [])]


def _multi_region(b: Bindings, table: RuleTable, source: str) -> None:
    mrp = b.params.get("multiRegionProperties")
    if mrp is None:
        return
    b.states["multi_region"] = "yes"
    witness = mrp.get("witnessRegion")
    if witness:
        if not REGION.fullmatch(witness):
            raise _fail(
                f"`{witness}` is not a Region name", source, "multiRegionProperties.witnessRegion"
            )
        if witness == b.region:
            raise _fail(
                "the witness Region cannot be the cluster's Region",
                source,
                "multiRegionProperties.witnessRegion",
            )
        b.states["witness_region"] = "yes"
        b.regions["witness"] = witness
    self_arn = None
    if "ClusterId" in b.values:
        self_arn = f"arn:{b.partition}:dsql:{b.region}:{b.account}:cluster/{b.values['ClusterId']}"
    clusters = mrp.get("clusters")
    regions_seen = [b.region, *([witness] if witness else [])]
    if clusters is not None:
        seen: set[str] = set()
        for i, peer in enumerate(clusters):
            where = f"multiRegionProperties.clusters[{i}]"
            found = CLUSTER_ARN.fullmatch(peer)
            if not found:
                raise _fail(f"`{peer}` is not a DSQL cluster ARN", source, where)
            if peer in seen:
                raise _fail(f"`{peer}` is listed twice", source, where)
            seen.add(peer)
            if peer == self_arn:
                continue
            peer_partition, peer_region, peer_account = (
                found.group(1),
                found.group(2),
                found.group(3),
            )
            if peer_partition != b.partition:
                raise _fail(
                    f"the peer is in partition `{peer_partition}`, not `{b.partition}`",
                    source,
                    where,
                )
            if peer_region == b.region:
                raise _fail("a peer must be in another Region than the cluster", source, where)
            if peer_region == witness:
                raise _fail("a peer cannot be in the witness Region", source, where)
            if peer_account != b.account:
                b.warnings.append(
                    f"{where}: the peer is in account {peer_account}; "
                    "peers in another account are not documented"
                )
            regions_seen.append(peer_region)
        current = _current_peers(b)
        requested = [c for c in clusters if c != self_arn]
        added = requested if current is None else [c for c in requested if c not in current]
        b.peers = [(c, f"multiRegionProperties.clusters[{clusters.index(c)}]") for c in added]
        if b.peers:
            b.states["peers"] = "yes"
        if b.op.name == "UpdateCluster":
            if current is None:
                b.states["removed_peers"] = "unknown"
            elif [c for c in current if c != self_arn and c not in requested]:
                b.states["removed_peers"] = "yes"
    sets = {table.region_set_of(r) for r in regions_seen}
    unknown = [r for r in regions_seen if table.region_set_of(r) is None]
    if unknown:
        b.warnings.append(
            f"Region `{unknown[0]}` is in no multi-Region Region set the rules table knows"
        )
    elif len(sets) > 1:
        raise _fail(
            "peers and witness must lie in one Region set with the cluster ("
            + ", ".join(regions_seen)
            + ")",
            source,
            "multiRegionProperties",
        )


def _keys(b: Bindings, source: str) -> None:
    value = b.params.get("kmsEncryptionKey")
    current_key = None
    if b.current is not None:
        details = b.current.get("encryptionDetails") or {}
        if details.get("encryptionType") == "CUSTOMER_MANAGED_KMS_KEY" and details.get("kmsKeyArn"):
            current_key = str(details["kmsKeyArn"])
    if b.op.name == "CreateStream":
        _bind_key(b, "cluster_cmk", "ClusterKeyArn", "cluster_key", current_key, b.current is None)
        return
    if value is None:
        return
    if value != AWS_OWNED_KEY:
        ref = key_ref(value, partition=b.partition, region=b.region, account=b.account)
        b.states["cmk"] = "yes"
        b.values["KeyArn"] = ref.arn
        b.regions["key"] = ref.region
        if ref.alias:
            b.placeholders.add(ref.arn)
            b.aliases[ref.arn] = ref.alias
            b.warnings.append(
                f"kmsEncryptionKey `{value}` is an alias: its key cannot be resolved offline, "
                "so the KMS checks use a placeholder key ARN and are at best uncertain"
            )
    if b.op.name == "UpdateCluster":
        new_arn = b.values.get("KeyArn")
        old = current_key if current_key != new_arn else None
        _bind_key(b, "old_cmk", "OldKeyArn", "old_key", old, b.current is None)


def _bind_key(
    b: Bindings, state: str, value_name: str, region_kind: str, arn: str | None, unknown: bool
) -> None:
    if arn:
        b.states[state] = "yes"
        b.values[value_name] = arn
        b.regions[region_kind] = arn.split(":")[3] or b.region
    elif unknown:
        placeholder = f"arn:{b.partition}:kms:{b.region}:{b.account}:key/*"
        b.states[state] = "unknown"
        b.values[value_name] = placeholder
        b.regions[region_kind] = b.region
        b.placeholders.add(placeholder)
