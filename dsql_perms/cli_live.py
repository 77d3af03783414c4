"""The command line's live edge: `check --live`, `check --collected` and `collect`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from .errors import DsqlPermsError, InputError
from .inputs import load_object
from .live import Collected, collect
from .report import Report, check

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any


def _session(profile: str | None, region: str) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as exc:
        raise DsqlPermsError(f"cannot open the AWS session: {exc}") from exc


def check_collected(
    operation: str,
    params: dict[str, Any],
    *,
    region: str,
    account: str | None,
    principal: str | None,
    context: Mapping[str, object],
    source: str,
    text: str,
    live: bool,
    profile: str | None,
    include_scps: bool,
    collected_path: str | None,
    current: Mapping[str, Any] | None,
    cross_check: bool,
) -> Report:
    session = None
    if live:
        from .bindings import AWS_OWNED_KEY

        session = _session(profile, region)
        key = params.get("kmsEncryptionKey")
        cluster = params.get("identifier") or params.get("clusterIdentifier")
        collected = collect(
            session,
            region=region,
            principal=principal,
            cluster_identifier=cluster if isinstance(cluster, str) else None,
            kms_keys=[key] if isinstance(key, str) and key != AWS_OWNED_KEY else [],
            include_scps=include_scps,
        )
    else:
        assert collected_path is not None
        data = load_object(collected_path, "collected policies")
        try:
            collected = Collected.from_json(data)
        except DsqlPermsError:
            raise  # our own errors already name the place
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise InputError(
                "not a file written by `dsql-perms collect`", source=collected_path
            ) from exc
    if account and account != collected.account:
        raise InputError(
            f"the policies are from account {collected.account}, not {account}", source="--account"
        )
    report = check(
        operation,
        params,
        region=region,
        account=collected.account,
        policies=collected.policy_set(),
        current=current or collected.current,
        principal=collected.principal,
        context=context,
        params_source=source,
        params_text=text,
        gaps=tuple(collected.gaps),
        service_linked_role_exists=collected.service_linked_role_exists,
    )
    report = report._replace(warnings=(*report.warnings, *collected.notes))
    if cross_check:
        if session is None:
            raise InputError(
                "--cross-check-simulator needs --live", source="--cross-check-simulator"
            )
        from .simulator import cross_check as simulate

        disagreements = simulate(session.client("iam"), report)
        report = report._replace(warnings=(*report.warnings, *disagreements))
    return report


def collect_to_file(
    *,
    principal: str | None,
    region: str,
    cluster_identifier: str | None,
    keys: tuple[str, ...],
    profile: str | None,
    include_scps: bool,
    output: str,
) -> list[str]:
    collected = collect(
        _session(profile, region),
        region=region,
        principal=principal,
        cluster_identifier=cluster_identifier,
        kms_keys=keys,
        include_scps=include_scps,
    )
    try:
        Path(output).write_text(json.dumps(collected.to_json(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", source=output) from exc
    return [g.message for g in collected.gaps]
