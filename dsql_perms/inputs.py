"""Reading user files: size limits, duplicate keys, positions, and the policy sources
`--policy` accepts (a document, a directory of them, or account authorization details).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping

from .errors import InputError, PolicyParseError
from .policy import Policy, parse_policy

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

    from .policy import PolicyKind

MAX_BYTES = 1024 * 1024


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key `{key}`")
        out[key] = value
    return out


def read_text(path: str) -> str:
    """Read a file (or `-` for stdin) of at most 1 MiB."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        name = "<stdin>"
    else:
        name = path
        try:
            if os.path.isdir(path):
                raise InputError("is a directory", source=name)
            if os.stat(path).st_size > MAX_BYTES:
                raise InputError("larger than 1 MiB", source=name)
            with open(path, "rb") as file:
                data = file.read(MAX_BYTES + 1)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", source=name) from exc
    if len(data) > MAX_BYTES:
        raise InputError("larger than 1 MiB", source=name)
    if data.startswith(b"\xef\xbb\xbf"):  # a byte-order mark (the utf-8-sig codec costs an import)
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", source=name) from exc


def parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", source=source, where=f"line {exc.lineno} column {exc.colno}"
        ) from exc
    except ValueError as exc:
        raise InputError(f"invalid JSON: {exc}", source=source) from exc
    except RecursionError as exc:
        raise InputError("invalid JSON: nested too deeply", source=source) from exc


def load_json(path: str) -> Any:
    return parse_json(read_text(path), "<stdin>" if path == "-" else path)


def load_object(path: str, what: str) -> dict[str, Any]:
    data = load_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{what} must be a JSON object", source=path, where="$")
    return data


def is_authorization_details(data: Any) -> bool:
    return isinstance(data, Mapping) and any(
        k in data for k in ("UserDetailList", "RoleDetailList", "GroupDetailList")
    )


def load_policies(path: str, kind: PolicyKind = "identity") -> list[Policy]:
    """A policy document, or every `*.json` document in a directory (sorted by name)."""
    if path != "-" and os.path.isdir(path):
        files = sorted(
            os.path.join(path, name)
            for name in os.listdir(path)
            if name.endswith(".json") and os.path.isfile(os.path.join(path, name))
        )
        if not files:
            raise InputError("the directory holds no `*.json` policy", source=path)
        return [p for f in files for p in load_policies(f, kind)]
    data = load_json(path)
    if is_authorization_details(data):
        raise InputError(
            "this is `get-account-authorization-details` output: "
            "give --principal to pick the caller",
            source=path,
        )
    return [
        parse_policy(
            data, name=os.path.basename(path) if path != "-" else "<stdin>", kind=kind, source=path
        )
    ]


def _document(raw: Any, source: str, where: str) -> Any:
    if isinstance(raw, str):  # the API returns URL-encoded JSON
        try:
            from urllib.parse import unquote  # only authorization details need it

            return json.loads(unquote(raw))
        except ValueError as exc:
            raise PolicyParseError(
                "policy document is not JSON", source=source, where=where
            ) from exc
    return raw


def principal_policies(
    details: Mapping[str, Any], principal_arn: str, source: str
) -> tuple[list[Policy], Policy | None]:
    """The identity policies and boundary of a user or role in authorization-details JSON.

    A role session ARN (`arn:aws:sts::A:assumed-role/R/S`) selects role R.
    """
    from .arn import Principal

    caller = Principal.parse(principal_arn)
    managed = {p.get("Arn"): p for p in details.get("Policies", []) if isinstance(p, Mapping)}

    def managed_document(arn: str, where: str) -> Any:
        entry = managed.get(arn)
        if entry is None:
            raise InputError(
                f"attached policy `{arn}` is not in the file "
                "(export it with --filter AWSManagedPolicy LocalManagedPolicy)",
                source=source,
                where=where,
            )
        for version in entry.get("PolicyVersionList", []):
            if version.get("IsDefaultVersion") or version.get("VersionId") == entry.get(
                "DefaultVersionId"
            ):
                return _document(version.get("Document"), source, where)
        raise InputError(f"no default version for `{arn}`", source=source, where=where)

    if caller.kind == "user":
        entries, list_key, inline_key = (
            details.get("UserDetailList", []),
            "UserDetailList",
            "UserPolicyList",
        )
        target = caller.arn
    elif caller.kind in ("role", "role_session"):
        entries, list_key, inline_key = (
            details.get("RoleDetailList", []),
            "RoleDetailList",
            "RolePolicyList",
        )
        target = caller.role_arn or caller.arn
    else:
        raise InputError(
            f"`{principal_arn}` is not an IAM user, role or role session", source="--principal"
        )
    found = next(
        (
            (i, e)
            for i, e in enumerate(entries)
            if isinstance(e, Mapping)
            and (
                e.get("Arn") == target
                or (caller.kind == "role_session" and e.get("RoleName") == caller.name)
            )
        ),
        None,
    )
    if found is None:
        raise InputError(f"`{target}` is not in the file", source=source, where=list_key)
    index, entry = found
    base = f"{list_key}[{index}]"
    policies: list[Policy] = []
    for j, inline in enumerate(entry.get(inline_key, [])):
        where = f"{base}.{inline_key}[{j}]"
        doc = _document(inline.get("PolicyDocument"), source, where)
        policies.append(
            parse_policy(doc, name=f"inline:{inline.get('PolicyName')}", source=f"{source}:{where}")
        )
    for j, attached in enumerate(entry.get("AttachedManagedPolicies", [])):
        where = f"{base}.AttachedManagedPolicies[{j}]"
        arn = attached.get("PolicyArn", "")
        policies.append(
            parse_policy(managed_document(arn, where), name=arn, source=f"{source}:{where}")
        )
    if caller.kind == "user":
        groups = {
            g.get("GroupName"): (k, g) for k, g in enumerate(details.get("GroupDetailList", []))
        }
        for group_name in entry.get("GroupList", []):
            if group_name not in groups:
                raise InputError(
                    f"group `{group_name}` is not in the file",
                    source=source,
                    where=f"{base}.GroupList",
                )
            k, group = groups[group_name]
            for j, inline in enumerate(group.get("GroupPolicyList", [])):
                where = f"GroupDetailList[{k}].GroupPolicyList[{j}]"
                doc = _document(inline.get("PolicyDocument"), source, where)
                policies.append(
                    parse_policy(
                        doc,
                        name=f"group:{group_name}:{inline.get('PolicyName')}",
                        source=f"{source}:{where}",
                    )
                )
            for j, attached in enumerate(group.get("AttachedManagedPolicies", [])):
                where = f"GroupDetailList[{k}].AttachedManagedPolicies[{j}]"
                arn = attached.get("PolicyArn", "")
                policies.append(
                    parse_policy(managed_document(arn, where), name=arn, source=f"{source}:{where}")
                )
    boundary = None
    boundary_arn = (entry.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if boundary_arn:
        where = f"{base}.PermissionsBoundary"
        boundary = parse_policy(
            managed_document(boundary_arn, where), name=boundary_arn, source=f"{source}:{where}"
        )
    return policies, boundary


def parse_context(pairs: tuple[str, ...] | list[str]) -> dict[str, str | tuple[str, ...]]:
    """`KEY=VALUE` options; a key given several times becomes a list."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or ":" not in key:
            raise InputError(
                f"`{pair}` is not KEY=VALUE with a key like `aws:SourceIp`", source="--context"
            )
        out.setdefault(key, []).append(value)
    return {k: (v[0] if len(v) == 1 else tuple(v)) for k, v in out.items()}
