"""Remember which parameters the installed botocore has already accepted.

Importing botocore's validator costs about ten times Python's own start-up, so a repeated
`dsql-perms check` of the same parameters would spend most of its time there. botocore
stays the judge: an entry is written only after botocore (and our pattern and length checks)
accepted the parameters, and its key is a SHA-256 over everything the verdict depends on:

- the operation and the parameters, serialised canonically (only plain JSON values are
  cached, so two different inputs can never share a serialisation);
- the DSQL model files botocore's default loader reads (`~/.aws/models/dsql` and
  `botocore/data/dsql`, every file's path and bytes), botocore's version and validator
  source, and our own validation code.

Rejected parameters are never cached (the error message comes from botocore each time).
The cache is one file of hex keys under `$DSQL_PERMS_CACHE_DIR`, else
`$XDG_CACHE_HOME/dsql-perms`, else `~/.cache/dsql-perms`; `DSQL_PERMS_CACHE_DIR=off` (or
empty) turns it off. Failing to read or write it only costs the time it would have saved.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from importlib.machinery import PathFinder

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

CACHE_FILE = "validated-params-v1"
MAX_ENTRIES = 4096


def cache_dir() -> str | None:
    """Where the cache lives, or None when it is turned off."""
    configured = os.environ.get("DSQL_PERMS_CACHE_DIR")
    if configured is not None:
        return None if configured.strip() in ("", "off") else configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "dsql-perms")


def is_plain_json(value: Any) -> bool:
    """True for values json.dumps serialises one-to-one (no tuples, int keys, NaN, bytes)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and is_plain_json(v) for k, v in value.items())
    if kind is list:
        return all(is_plain_json(item) for item in value)
    if kind is float:
        return math.isfinite(value)
    return value is None or kind in (str, int, bool)


def _add_tree(digest: Any, root: str) -> None:
    """Every file under root, by relative path and content, in a stable order."""
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, root).encode() + b"\0")
            with open(path, "rb") as file:
                digest.update(file.read() + b"\0")


def _add_file(digest: Any, path: str) -> None:
    with open(path, "rb") as file:
        digest.update(file.read() + b"\0")


def model_fingerprint() -> str | None:
    """A digest of what botocore's verdict depends on, found without importing botocore."""
    spec = PathFinder.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    botocore_dir = next(iter(spec.submodule_search_locations))
    digest = hashlib.sha256(b"dsql-perms validation cache v1\0")
    try:
        for name in ("__init__.py", "validate.py", "model.py", "loaders.py"):
            _add_file(digest, os.path.join(botocore_dir, name))
        for root in (
            os.path.join(os.path.expanduser("~"), ".aws", "models", "dsql"),
            os.path.join(botocore_dir, "data", "dsql"),
        ):
            digest.update(root.encode() + b"\0")
            _add_tree(digest, root)
        _add_file(digest, os.path.join(os.path.dirname(__file__), "validation.py"))
    except OSError:
        return None
    return digest.hexdigest()


def cache_key(operation: str, params: Any) -> str | None:
    """The key for these parameters, or None when they cannot be cached."""
    if cache_dir() is None or not is_plain_json(params):
        return None
    fingerprint = model_fingerprint()
    if fingerprint is None:
        return None
    canonical = json.dumps([operation, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{fingerprint}\0{canonical}".encode()).hexdigest()


def _cache_path() -> str | None:
    folder = cache_dir()
    return None if folder is None else os.path.join(folder, CACHE_FILE)


def is_known_valid(key: str) -> bool:
    path = _cache_path()
    if path is None:
        return False
    try:
        with open(path, encoding="ascii") as file:
            return key in file.read().split()
    except (OSError, ValueError):
        return False


def remember_valid(key: str) -> None:
    """Append the key; keep the newest half when the file grows past MAX_ENTRIES."""
    path = _cache_path()
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a", encoding="ascii") as file:  # one short append: atomic on POSIX
            file.write(key + "\n")
        if os.path.getsize(path) > MAX_ENTRIES * (len(key) + 1):
            with open(path, encoding="ascii") as file:
                keys = file.read().split()
            temporary = f"{path}.{os.getpid()}.tmp"
            with open(temporary, "w", encoding="ascii") as file:
                file.write("".join(k + "\n" for k in keys[-MAX_ENTRIES // 2 :]))
            os.replace(temporary, path)
    except (OSError, ValueError):
        return
