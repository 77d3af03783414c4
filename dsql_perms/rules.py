"""Load the rules table shipped with the package (validated against its schema in tests)."""

from __future__ import annotations

import json
import os
from functools import cache

from .errors import RulesError, UnknownOperationError, did_you_mean
from .records import Record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any


class Requirement(Record):
    id: str
    action: str
    resources: tuple[str, ...]
    when: str
    regions: tuple[str, ...]
    evidence: str
    source_url: str
    each: str | None = None
    context: tuple[tuple[str, str], ...] = ()
    context_sets: tuple[str, ...] = ()
    reason: str = ""
    quote: str = ""
    conditional: str | None = None
    conditional_when: str | None = None


class Operation(Record):
    name: str
    boto3: str
    source_url: str
    existing_resource: bool
    client_side: bool
    requires: tuple[Requirement, ...]


class RuleTable(Record):
    operations: dict[str, Operation]
    region_sets: dict[str, tuple[str, ...]]
    unknown_context: tuple[str, ...]
    raw: dict[str, Any]

    def operation(self, name: str) -> Operation:
        """Look up an operation by API name (`CreateCluster`) or boto3 name (`create_cluster`)."""
        found = self.operations.get(name) or self._by_boto3().get(name)
        if found is None:
            names = [*self.operations, *self._by_boto3()]
            raise UnknownOperationError(f"unknown operation `{name}`{did_you_mean(name, names)}")
        return found

    def _by_boto3(self) -> dict[str, Operation]:
        return {op.boto3: op for op in self.operations.values()}

    def region_set_of(self, region: str) -> str | None:
        for name, regions in self.region_sets.items():
            if region in regions:
                return name
        return None


def rules_path() -> str:
    """The rules file: inside the installed package, or `rules/` of a source checkout."""
    here = os.path.dirname(os.path.realpath(__file__))
    packaged = os.path.join(here, "_rules", "dsql.json")
    if os.path.isfile(packaged):  # the wheel maps rules/ to dsql_perms/_rules/
        return packaged
    checkout = os.path.join(os.path.dirname(here), "rules", "dsql.json")
    if os.path.isfile(checkout):
        return checkout
    raise RulesError("the rules table is missing from this installation")


def _requirement(raw: dict[str, Any]) -> Requirement:
    return Requirement(
        id=raw["id"],
        action=raw["action"],
        resources=tuple(raw["resources"]),
        when=raw["when"],
        regions=tuple(raw["regions"]),
        evidence=raw["evidence"],
        source_url=raw["source_url"],
        each=raw.get("each"),
        context=tuple(sorted(raw.get("context", {}).items())),
        context_sets=tuple(raw.get("context_sets", ())),
        reason=raw.get("reason", ""),
        quote=raw.get("quote", ""),
        conditional=raw.get("conditional"),
        conditional_when=raw.get("conditional_when"),
    )


def parse_rules(raw: dict[str, Any]) -> RuleTable:
    try:
        operations = {
            name: Operation(
                name=name,
                boto3=op["boto3"],
                source_url=op["source_url"],
                existing_resource=op["existing_resource"],
                client_side=op.get("client_side", False),
                requires=tuple(_requirement(r) for r in op["requires"]),
            )
            for name, op in raw["operations"].items()
        }
        region_sets = {k: tuple(v) for k, v in raw["region_sets"].items()}
        unknown = tuple(raw["unknown_context"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise RulesError(f"the rules table is malformed: {exc!r}") from exc
    return RuleTable(operations, region_sets, unknown, raw)


@cache
def load_rules() -> RuleTable:
    """The shipped rules table (read once)."""
    path = rules_path()
    try:
        with open(path, encoding="utf-8") as file:
            raw = json.load(file)
    except (OSError, ValueError) as exc:
        raise RulesError(f"{path}: cannot read the rules table: {exc}") from exc
    return parse_rules(raw)
