"""The caller's whole policy stack, as evaluate() takes it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .policy import Policy, parse_policy

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

    from .policy import PolicyKind


def _as_policy(item: Policy | Mapping[str, Any], name: str, kind: PolicyKind) -> Policy:
    if isinstance(item, Policy):
        return item
    return parse_policy(item, name=name, kind=kind)


def _many(
    items: Iterable[Policy | Mapping[str, Any]], prefix: str, kind: PolicyKind
) -> tuple[Policy, ...]:
    return tuple(
        p if isinstance(p, Policy) else parse_policy(p, name=f"{prefix}[{i}]", kind=kind)
        for i, p in enumerate(items)
    )


class PolicySet:
    """Identity policies, a permissions boundary, a session policy, SCP and RCP levels
    (root first, account last, each level a list of documents), resource-based policies
    and KMS key policies (`key_policies` by key ARN; `key_policy` for any other key).
    Raw dicts are parsed on construction (PolicyParseError on bad input); parsed
    :class:`Policy` values are taken as they are.
    """

    __slots__ = (
        "_cache",
        "boundary",
        "identity",
        "key_policies",
        "key_policy",
        "rcps",
        "resource",
        "scps",
        "session",
    )

    identity: tuple[Policy, ...]
    boundary: Policy | None
    session: Policy | None
    scps: tuple[tuple[Policy, ...], ...]
    rcps: tuple[tuple[Policy, ...], ...]
    resource: tuple[Policy, ...]
    key_policy: Policy | None
    key_policies: Mapping[str, Policy]
    _cache: dict[str, Any]

    def __init__(
        self,
        identity: Iterable[Policy | Mapping[str, Any]] = (),
        boundary: Policy | Mapping[str, Any] | None = None,
        session: Policy | Mapping[str, Any] | None = None,
        scps: Iterable[Iterable[Policy | Mapping[str, Any]]] = (),
        rcps: Iterable[Iterable[Policy | Mapping[str, Any]]] = (),
        resource: Iterable[Policy | Mapping[str, Any]] = (),
        key_policy: Policy | Mapping[str, Any] | None = None,
        key_policies: Mapping[str, Policy | Mapping[str, Any]] | None = None,
    ) -> None:
        # A frozen value (its _cache depends on it): every field is written once, here.
        fields = {
            "identity": _many(identity, "identity", "identity"),
            "boundary": None if boundary is None else _as_policy(boundary, "boundary", "identity"),
            "session": None if session is None else _as_policy(session, "session", "identity"),
            "scps": tuple(
                _many(level, f"scp-level-{i + 1}", "identity") for i, level in enumerate(scps)
            )
            if scps
            else (),
            "rcps": tuple(
                _many(level, f"rcp-level-{i + 1}", "resource") for i, level in enumerate(rcps)
            )
            if rcps
            else (),
            "resource": _many(resource, "resource", "resource") if resource else (),
            "key_policy": (
                None if key_policy is None else _as_policy(key_policy, "key-policy", "resource")
            ),
            "key_policies": {
                arn: _as_policy(doc, f"key-policy:{arn}", "resource")
                for arn, doc in key_policies.items()
            }
            if key_policies
            else {},
            "_cache": {},
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"PolicySet is immutable: cannot set `{name}`")

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__[1:])
        return f"PolicySet({shown})"

    def key_policy_for(self, key_arn: str) -> Policy | None:
        """The key policy of one key: from `key_policies` by ARN, else `key_policy`."""
        return self.key_policies.get(key_arn, self.key_policy)

    def with_identity(self, *extra: Policy | Mapping[str, Any]) -> PolicySet:
        """A copy with more identity policies (used to re-verify a proposed fix)."""
        return PolicySet(
            identity=(*self.identity, *extra),
            boundary=self.boundary,
            session=self.session,
            scps=self.scps,
            rcps=self.rcps,
            resource=self.resource,
            key_policy=self.key_policy,
            key_policies=self.key_policies,
        )
