"""Immutable value types shared by the planner, the evaluator and the report."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from .records import Record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

ContextValue = str | tuple[str, ...]


class Decision(enum.StrEnum):
    """The outcome of one authorization request (IAM's own terms, plus `uncertain`)."""

    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit_deny"
    IMPLICIT_DENY = "implicit_deny"
    UNCERTAIN = "uncertain"

    @property
    def denied(self) -> bool:
        return self in (Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY)


class Evidence(enum.StrEnum):
    DOCUMENTED = "documented"  # the API reference's "Required permissions" block
    REFERENCE = "reference"  # the Service Authorization Reference
    INFERRED = "inferred"  # our reading; the rule says why


def _freeze_context(
    context: Mapping[str, object] | Iterable[tuple[str, object]],
) -> tuple[tuple[str, ContextValue], ...]:
    items = context.items() if isinstance(context, Mapping) else context
    frozen: dict[str, ContextValue] = {}
    for key, value in items:
        if isinstance(value, str):
            frozen[key] = value
        elif isinstance(value, bool):
            frozen[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            frozen[key] = tuple(str(v) for v in value)
        else:
            frozen[key] = str(value)
    return tuple(sorted(frozen.items()))


_REQUEST_FIELDS = (
    "action",
    "resource",
    "region",
    "context",
    "unknown_keys",
    "principal",
    "resource_variants",
    "resource_is_placeholder",
    "required_by",
    "evidence",
    "evidence_reason",
    "source_url",
    "conditional",
    "rule_id",
)


class AuthzRequest:
    """One authorization check AWS performs: an action on a resource, in a Region.

    `resource` may be a wildcard pattern (CreateCluster is checked on `cluster/*`); then
    an Allow must cover every ARN it denotes. When `resource_is_placeholder` is set, the
    pattern stands for one concrete ARN we cannot know (a KMS alias): matching part of it
    is then `uncertain`. `resource_variants` lists other ARN forms the documentation
    leaves open; every form must be allowed.

    `context` holds the request-context keys we know (a string or a tuple of strings
    each). `unknown_keys` holds keys (or `prefix/*` families) the real request carries
    with values we cannot know. Every other key is absent.
    """

    __slots__ = (*_REQUEST_FIELDS, "evaluation_cache")

    action: str
    resource: str
    region: str
    context: tuple[tuple[str, ContextValue], ...]
    unknown_keys: frozenset[str]
    principal: str | None
    resource_variants: tuple[str, ...]
    resource_is_placeholder: bool
    required_by: str
    evidence: Evidence
    evidence_reason: str
    source_url: str
    conditional: str | None
    rule_id: str
    # The evaluator's case-insensitive view of `context`, built on first use (not a value).
    evaluation_cache: Any

    def __init__(
        self,
        action: str,
        resource: str,
        region: str,
        context: Mapping[str, object] | Iterable[tuple[str, object]] = (),
        unknown_keys: Iterable[str] = (),
        principal: str | None = None,
        *,
        resource_variants: Iterable[str] = (),
        resource_is_placeholder: bool = False,
        required_by: str = "",
        evidence: Evidence | str = Evidence.DOCUMENTED,
        evidence_reason: str = "",
        source_url: str = "",
        conditional: str | None = None,
        rule_id: str = "",
    ) -> None:
        setter = object.__setattr__
        setter(self, "action", action)
        setter(self, "resource", resource)
        setter(self, "region", region)
        setter(self, "context", _freeze_context(context))
        setter(self, "unknown_keys", frozenset(unknown_keys))
        setter(self, "principal", principal)
        setter(self, "resource_variants", tuple(resource_variants))
        setter(self, "resource_is_placeholder", resource_is_placeholder)
        setter(self, "required_by", required_by)
        setter(self, "evidence", Evidence(evidence))
        setter(self, "evidence_reason", evidence_reason)
        setter(self, "source_url", source_url)
        setter(self, "conditional", conditional)
        setter(self, "rule_id", rule_id)
        setter(self, "evaluation_cache", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"AuthzRequest is immutable: cannot set `{name}`")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _REQUEST_FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AuthzRequest):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _REQUEST_FIELDS)
        return f"AuthzRequest({fields})"

    @property
    def resources(self) -> tuple[str, ...]:
        """The resource and every documented variant of it."""
        return (self.resource, *self.resource_variants)

    @property
    def context_dict(self) -> dict[str, ContextValue]:
        return dict(self.context)

    def with_context(self, extra: Mapping[str, object]) -> AuthzRequest:
        """A copy with `extra` keys made known (and no longer unknown)."""
        merged: dict[str, object] = dict(self.context)
        merged.update(extra)
        lowered = {k.lower() for k in extra}
        unknown = {k for k in self.unknown_keys if k.lower() not in lowered}
        return AuthzRequest(
            self.action,
            self.resource,
            self.region,
            merged,
            unknown,
            self.principal,
            resource_variants=self.resource_variants,
            resource_is_placeholder=self.resource_is_placeholder,
            required_by=self.required_by,
            evidence=self.evidence,
            evidence_reason=self.evidence_reason,
            source_url=self.source_url,
            conditional=self.conditional,
            rule_id=self.rule_id,
        )


class Reason(Record):
    """Why a decision came out as it did: a statement, or a layer that had no Allow."""

    layer: str
    policy: str
    statement: int | None = None
    sid: str | None = None
    effect: str | None = None
    detail: str = ""

    def describe(self) -> str:
        if self.statement is None and self.detail:
            return self.detail
        where = f"{self.layer} policy `{self.policy}`"
        if self.statement is not None:
            sid = f" (Sid `{self.sid}`)" if self.sid else ""
            where += f" statement {self.statement}{sid}"
        return f"{where}: {self.detail}" if self.detail else where


class NearMiss(Record):
    """An Allow statement whose action matched but whose resource or condition did not."""

    layer: str
    policy: str
    statement: int
    sid: str | None
    why: str

    def describe(self) -> str:
        sid = f" (Sid `{self.sid}`)" if self.sid else ""
        return f"{self.layer} policy `{self.policy}` statement {self.statement}{sid}: {self.why}"


class EvalResult(Record):
    decision: Decision
    reasons: tuple[Reason, ...] = ()
    unknown_keys: tuple[str, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
