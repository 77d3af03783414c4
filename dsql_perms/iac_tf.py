"""Terraform plans (`terraform show -json PLAN`): `aws_dsql_cluster` and
`aws_dsql_cluster_peering` changes become DSQL calls in each resource's Region (from its
`region` argument or its provider configuration, aliases included). Values unknown until
apply are placeholders; the prior state is the current state of an update."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .arn import UNKNOWN_CLUSTER_ID, UNKNOWN_KEY_ID, partition_for_region
from .errors import DsqlPermsError, InputError
from .iac import IacInput, SourcedCall
from .inputs import parse_json, read_text
from .jsonpos import positions

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

    Call = tuple[str, dict[str, Any], dict[str, Any] | None]  # operation, params, current

CLUSTER = "aws_dsql_cluster"
PEERING = "aws_dsql_cluster_peering"
_INDEX = re.compile(r"\[[^\]]*\]")


def _first(block: Any) -> dict[str, Any]:
    """Terraform renders a nested block as a list of one object."""
    if isinstance(block, list):
        return block[0] if block and isinstance(block[0], dict) else {}
    return block if isinstance(block, dict) else {}


class _Plan:
    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self.data = data
        self.source = source
        config = data.get("configuration") or {}
        self.providers: dict[str, Any] = config.get("provider_config") or {}
        self.variables = {k: v.get("value") for k, v in (data.get("variables") or {}).items()}
        self.config_resources: dict[str, dict[str, Any]] = {}
        self._walk(config.get("root_module") or {}, "")
        self.regions: dict[str, str | None] = {}

    def _walk(self, module: Mapping[str, Any], prefix: str) -> None:
        for resource in module.get("resources", []):
            self.config_resources[prefix + resource["address"]] = resource
        for name, call in (module.get("module_calls") or {}).items():
            self._walk(call.get("module") or {}, f"{prefix}module.{name}.")

    def fail(self, message: str, where: str) -> InputError:
        return InputError(message, source=self.source, where=where)

    def expression(self, expr: Mapping[str, Any] | None) -> Any:
        if not expr:
            return None
        if "constant_value" in expr:
            return expr["constant_value"]
        for ref in expr.get("references", []):
            if ref.startswith("var.") and ref[4:] in self.variables:
                return self.variables[ref[4:]]
        return None

    def provider_region(self, key: str) -> str | None:
        provider = self.providers.get(key) or self.providers.get(key.split(":")[-1])
        if provider is None:
            return None
        region = self.expression((provider.get("expressions") or {}).get("region"))
        return region if isinstance(region, str) else None

    def config_of(self, address: str) -> dict[str, Any]:
        return self.config_resources.get(_INDEX.sub("", address), {})

    def region_of(self, change: Mapping[str, Any]) -> str:
        address = change["address"]
        after = (change.get("change") or {}).get("after") or {}
        before = (change.get("change") or {}).get("before") or {}
        region = after.get("region") or before.get("region")
        if not region:
            config = self.config_of(address)
            region = self.expression((config.get("expressions") or {}).get("region"))
            region = region or self.provider_region(config.get("provider_config_key", "aws"))
        if not isinstance(region, str) or not region:
            raise self.fail(
                "cannot determine the Region of this resource (set `region` on its provider)",
                address,
            )
        self.regions[_INDEX.sub("", address)] = region
        return region

    def peer_arns(
        self, change: Mapping[str, Any], values: list[Any] | None, account: str
    ) -> list[str]:
        """Peer ARNs; those unknown until apply become placeholders in their cluster's Region."""
        if values is not None and all(isinstance(v, str) for v in values):
            return list(values)
        config = self.config_of(change["address"])
        refs = ((config.get("expressions") or {}).get("clusters") or {}).get("references", [])
        out = []
        for ref in refs:
            target = ref.rsplit(".", 1)[0] if ref.endswith(".arn") else None
            if not target or not target.startswith(f"{CLUSTER}."):
                continue
            region = self.regions.get(target) or self._region_of_address(target)
            out.append(
                f"arn:{partition_for_region(region)}:dsql:{region}:{account}:cluster/{UNKNOWN_CLUSTER_ID}"
            )
        if not out:
            raise self.fail(
                "the peer cluster ARNs are unknown until apply and not traceable", change["address"]
            )
        return out

    def _region_of_address(self, address: str) -> str:
        for change in self.data.get("resource_changes", []):
            if _INDEX.sub("", change["address"]) == address:
                return self.region_of(change)
        config = self.config_of(address)
        region = self.provider_region(config.get("provider_config_key", "aws"))
        if not region:
            raise self.fail("cannot determine the Region of a referenced cluster", address)
        return region


def _known(value: Any, unknown: Any) -> bool:
    return value is not None and unknown is not True


def _cluster_params(after: Mapping[str, Any], unknown: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if after.get("deletion_protection_enabled") is not None:
        params["deletionProtectionEnabled"] = bool(after["deletion_protection_enabled"])
    key = after.get("kms_encryption_key")
    if unknown.get("kms_encryption_key") is True:
        params["kmsEncryptionKey"] = UNKNOWN_KEY_ID
    elif key:
        params["kmsEncryptionKey"] = key
    witness = _first(after.get("multi_region_properties")).get("witness_region")
    if witness:
        params["multiRegionProperties"] = {"witnessRegion": witness}
    return params


def _current(before: Mapping[str, Any]) -> dict[str, Any]:
    mrp = _first(before.get("multi_region_properties"))
    current: dict[str, Any] = {
        "identifier": before.get("identifier"),
        "arn": before.get("arn"),
        "tags": before.get("tags") or {},
    }
    if mrp or before.get("clusters") is not None:
        current["multiRegionProperties"] = {
            "witnessRegion": mrp.get("witness_region") or before.get("witness_region"),
            "clusters": list(before.get("clusters") or mrp.get("clusters") or []),
        }
    key = before.get("kms_encryption_key")
    if key and key != "AWS_OWNED_KMS_KEY":
        current["encryptionDetails"] = {
            "encryptionType": "CUSTOMER_MANAGED_KMS_KEY",
            "kmsKeyArn": key,
        }
    return current


def _cluster_calls(
    actions: list[str], before: dict[str, Any], after: dict[str, Any], unknown: dict[str, Any]
) -> list[Call]:
    calls: list[Call] = []
    if "delete" in actions and before.get("identifier"):
        calls.append(("DeleteCluster", {"identifier": before["identifier"]}, _current(before)))
    if "create" in actions:
        params = _cluster_params(after, unknown)
        if after.get("tags"):
            params["tags"] = dict(after["tags"])
        calls.append(("CreateCluster", params, None))
    elif "update" in actions:
        current = _current(before)
        old, new = _cluster_params(before, {}), _cluster_params(after, unknown)
        changed = {k: v for k, v in new.items() if old.get(k) != v}  # only what changes is sent
        params = {"identifier": before.get("identifier"), **changed}
        calls.append(("UpdateCluster", params, current))
        old_tags, new_tags = before.get("tags") or {}, after.get("tags") or {}
        changed = {k: v for k, v in new_tags.items() if old_tags.get(k) != v}
        removed = [k for k in old_tags if k not in new_tags]
        if changed:
            calls.append(("TagResource", {"resourceArn": before["arn"], "tags": changed}, current))
        if removed:
            calls.append(
                ("UntagResource", {"resourceArn": before["arn"], "tagKeys": removed}, current)
            )
    return calls


def _change_calls(change: Mapping[str, Any], plan: _Plan, account: str) -> list[Call]:
    body = change.get("change") or {}
    actions = list(body.get("actions") or [])
    before = body.get("before") or {}
    after = body.get("after") or {}
    unknown = body.get("after_unknown") or {}
    if change.get("type") == CLUSTER:
        return _cluster_calls(actions, before, after, unknown)
    if actions == ["delete"]:
        return []  # removing the peering resource does not change the clusters
    identifier = after.get("identifier")
    if unknown.get("identifier") is True or not identifier:
        identifier = UNKNOWN_CLUSTER_ID
    known_clusters = None if unknown.get("clusters") is True else after.get("clusters")
    mrp: dict[str, Any] = {"clusters": plan.peer_arns(change, known_clusters, account)}
    if after.get("witness_region"):
        mrp["witnessRegion"] = after["witness_region"]
    current = _current(before) if "update" in actions else None
    return [("UpdateCluster", {"identifier": identifier, "multiRegionProperties": mrp}, current)]


def terraform_calls(path: str, *, account: str) -> IacInput:
    """The DSQL calls a `terraform apply` of this plan would make."""
    text = read_text(path)
    data = parse_json(text, path)
    if not isinstance(data, dict):
        raise InputError("a Terraform plan must be a JSON object", source=path, where="$")
    lines = positions(text)
    version = str(data.get("format_version", ""))
    if not re.fullmatch(r"[01]\.\d+", version):
        raise InputError(
            f"unsupported plan format version `{version}` "
            "(expected 0.x or 1.x from `terraform show -json`)",
            source=path,
            where="format_version",
        )
    changes = data.get("resource_changes")
    if not isinstance(changes, list):
        raise InputError(
            "no `resource_changes`: is this `terraform show -json PLAN` output?",
            source=path,
            where="$",
        )
    plan = _Plan(data, path)
    result = IacInput(account=account)
    for index, change in enumerate(changes):
        where = f"resource_changes[{index}]"
        if not isinstance(change, dict):
            raise InputError("a resource change must be an object", source=path, where=where)
        kind = change.get("type")
        address = str(change.get("address", where))
        if change.get("mode") == "data" or kind not in (CLUSTER, PEERING):
            result.ignored += 1
            continue
        try:
            actions = (change.get("change") or {}).get("actions") or []
            if actions in (["no-op"], ["read"]):
                continue
            region = plan.region_of(change)
            calls = _change_calls(change, plan, account)
        except DsqlPermsError:
            raise  # our own errors already name the place
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            raise InputError(
                f"does not have the shape of a `terraform show -json` `{kind}` change",
                source=path,
                where=address,
            ) from exc
        line = lines.get(where, (None, None))[0]
        for operation, params, current in calls:
            result.calls.append(
                SourcedCall(operation, region, params, address, path, line, current)
            )
    if result.ignored:
        plural = "s" if result.ignored != 1 else ""
        result.warnings.append(f"{path}: {result.ignored} resource{plural} of other types ignored")
    return result
