"""What infrastructure-as-code inputs turn into: DSQL calls that know where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourcedCall:
    """A planned DSQL call read from a template or a plan, with its place in that file."""

    operation: str
    region: str
    params: dict[str, Any]
    label: str  # the template's logical id, or the plan's resource address
    file: str
    line: int | None = None
    current: dict[str, Any] | None = None

    def as_call(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "region": self.region,
            "params": self.params,
            "current": self.current,
        }


@dataclass
class IacInput:
    calls: list[SourcedCall] = field(default_factory=list)
    ignored: int = 0  # resources of other types
    warnings: list[str] = field(default_factory=list)
    account: str | None = None
