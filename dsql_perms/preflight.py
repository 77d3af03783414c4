"""preflight() and install_preflight(): check a DSQL call against the caller's real policies
before it is sent. boto3 is imported here only, inside the functions that need it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from .bindings import AWS_OWNED_KEY
from .errors import DsqlPermsError
from .live import collect
from .report import Report, check
from .rules import load_rules

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

logger = logging.getLogger("dsql_perms")


class PreflightDenied(DsqlPermsError):
    """A planned DSQL call would be denied; `report` says where and what to add."""

    code = "preflight-denied"

    def __init__(self, report: Report) -> None:
        self.report = report
        missing = [
            f"{c.request.action} in {c.request.region}"
            for c in report.checks
            if c.counted and c.decision.denied
        ]
        super().__init__(f"`{report.operation}` would be denied: missing " + ", ".join(missing))


def preflight(
    session: Any,
    operation: str,
    *,
    region: str | None = None,
    principal: str | None = None,
    include_scps: bool = True,
    context: Mapping[str, object] | None = None,
    **params: Any,
) -> Report:
    """Check `operation(**params)` against the live policies of the session's caller.

    Reads the caller's identity policies, boundary, SCPs (unless `include_scps=False`), the
    cluster's resource policy and state, the KMS key policies and whether the DSQL
    service-linked role exists. Reads that are denied make dependent decisions uncertain.
    """
    region = region or session.region_name
    if not region:
        raise DsqlPermsError("no Region: give region= or configure one for the session")
    op = load_rules().operation(operation)
    cluster = params.get("identifier") or params.get("clusterIdentifier")
    key = params.get("kmsEncryptionKey")
    keys = [key] if isinstance(key, str) and key != AWS_OWNED_KEY else []
    collected = collect(
        session,
        region=region,
        principal=principal,
        cluster_identifier=cluster if isinstance(cluster, str) else None,
        kms_keys=keys,
        include_scps=include_scps,
    )
    planned_params = dict(params)
    if keys and collected.resolved_keys.get(keys[0], "").startswith("arn:"):
        planned_params["kmsEncryptionKey"] = collected.resolved_keys[keys[0]]
    report = check(
        op.name,
        planned_params,
        region=region,
        account=collected.account,
        policies=collected.policy_set(),
        current=collected.current,
        principal=collected.principal,
        context=context,
        gaps=tuple(collected.gaps),
        service_linked_role_exists=collected.service_linked_role_exists,
    )
    return report._replace(warnings=(*report.warnings, *collected.notes))


class PreflightHook:
    """The botocore `before-parameter-build.dsql` handler; `uninstall()` removes it."""

    def __init__(
        self, events: Any, session_for: Any, on_deny: str, on_uncertain: str, include_scps: bool
    ) -> None:
        self._events = events
        self._session_for = session_for
        self.on_deny = on_deny
        self.on_uncertain = on_uncertain
        self.include_scps = include_scps
        self._busy = threading.local()
        self.reports: list[Report] = []
        events.register("before-parameter-build.dsql", self, unique_id=f"dsql-perms-{id(self)}")

    def uninstall(self) -> None:
        self._events.unregister("before-parameter-build.dsql", unique_id=f"dsql-perms-{id(self)}")

    def __call__(
        self, params: dict[str, Any], model: Any, context: Mapping[str, Any] | None = None, **_: Any
    ) -> None:
        if getattr(self._busy, "active", False):  # our own reads while collecting
            return
        operation = model.name
        if operation not in load_rules().operations:
            return
        region = (context or {}).get("client_region")
        self._busy.active = True
        try:
            report = preflight(
                self._session_for(region),
                operation,
                region=region,
                include_scps=self.include_scps,
                **params,
            )
        finally:
            self._busy.active = False
        self.reports.append(report)
        if report.verdict == "denied":
            self._act(self.on_deny, report)
        elif report.verdict == "uncertain":
            self._act(self.on_uncertain, report)

    @staticmethod
    def _act(how: str, report: Report) -> None:
        from .render import render_text

        if how == "raise":
            raise PreflightDenied(report)
        if how == "warn":
            logger.warning("dsql-perms preflight: %s", render_text(report))


def _session_from_client(client: Any, region: str | None) -> Any:
    import boto3

    credentials = client._request_signer._credentials  # botocore keeps them here
    frozen = credentials.get_frozen_credentials() if credentials else None
    return boto3.Session(
        aws_access_key_id=frozen.access_key if frozen else None,
        aws_secret_access_key=frozen.secret_key if frozen else None,
        aws_session_token=frozen.token if frozen else None,
        region_name=region or client.meta.region_name,
    )


def install_preflight(
    session_or_client: Any,
    *,
    on_deny: str = "raise",
    on_uncertain: str = "warn",
    include_scps: bool = True,
) -> PreflightHook:
    """Check every DSQL call with its real parameters before it is sent.

    On a boto3 Session, clients created from it later are covered; on a client, that client.
    `on_deny`/`on_uncertain`: "raise" (PreflightDenied, carrying the report), "warn" (log),
    or "ignore".
    """
    for name, value in (("on_deny", on_deny), ("on_uncertain", on_uncertain)):
        if value not in ("raise", "warn", "ignore"):
            raise DsqlPermsError(f"`{name}` must be `raise`, `warn` or `ignore`, not `{value}`")
    meta = getattr(session_or_client, "meta", None)
    if meta is not None and hasattr(meta, "events"):  # a botocore client
        client = session_or_client
        return PreflightHook(
            meta.events,
            lambda region: _session_from_client(client, region),
            on_deny,
            on_uncertain,
            include_scps,
        )
    session = session_or_client
    return PreflightHook(
        session.events, lambda region: session, on_deny, on_uncertain, include_scps
    )
