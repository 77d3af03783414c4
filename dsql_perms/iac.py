"""What infrastructure-as-code inputs turn into: DSQL calls that know where they came from."""

from __future__ import annotations

from .records import Record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any


class SourcedCall(Record):
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


class IacInput:
    """The calls of one template or plan, filled in while reading it."""

    __slots__ = ("account", "calls", "ignored", "warnings")

    def __init__(self, account: str | None = None) -> None:
        self.calls: list[SourcedCall] = []
        self.ignored = 0  # resources of other types
        self.warnings: list[str] = []
        self.account = account
