"""Remember which parameters the installed botocore has already accepted.

Importing botocore's validator costs about ten times Python's own start-up, so a repeated
`dsql-perms check` of the same parameters would spend most of its time there. botocore
stays the judge: an entry is written only after botocore (and our pattern and length checks)
accepted the parameters, and a hit needs an entry whose whole text equals:

- a stamp of what the verdict depends on: the path, size and modification time of the DSQL
  model files botocore's default loader reads (`~/.aws/models/dsql`, `botocore/data/dsql`),
  of botocore's version, model, loader and validator modules, and of our validation code
  (the same test Python uses to trust a cached .pyc);
- the operation and the parameters, serialised canonically (only plain JSON values of at
  most MAX_PARAMS_CHARS are cached, so two different inputs never share a serialisation).

An entry is a small file named after the CRC-32 of that text; the comparison is of the full
text, so a CRC collision is only a miss. Rejected parameters are never cached (the error
message comes from botocore each time). The entries live under `$DSQL_PERMS_CACHE_DIR`,
else `$XDG_CACHE_HOME/dsql-perms`, else `~/.cache/dsql-perms`; `DSQL_PERMS_CACHE_DIR=off`
(or empty) turns the cache off. Failing to read or write it only costs the time it would
have saved. (No hashlib: loading OpenSSL would cost a good part of what the cache saves.)
"""

from __future__ import annotations

import json
import math
import os
import zlib
from importlib.machinery import PathFinder

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

ENTRIES = "validated-params-v2"
MAX_ENTRIES = 512
MAX_PARAMS_CHARS = 16_384


def cache_dir() -> str | None:
    """Where the cache lives, or None when it is turned off."""
    configured = os.environ.get("DSQL_PERMS_CACHE_DIR")
    if configured is not None:
        return None if configured.strip() in ("", "off") else configured
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        home = os.path.expanduser("~")
        if home.startswith("~"):  # no home directory: no cache, rather than a `~` in the cwd
            return None
        base = os.path.join(home, ".cache")
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


def _stamps(path: str) -> list[str]:
    """`path size mtime` of a file, or of every file under a directory (none if absent)."""
    if os.path.isfile(path):
        status = os.stat(path)
        return [f"{path} {status.st_size} {status.st_mtime_ns}"]
    found = []
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            found += _stamps(os.path.join(folder, name))
    return found


def model_fingerprint() -> str | None:
    """What botocore's verdict depends on, found without importing botocore."""
    spec = PathFinder.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    botocore_dir = next(iter(spec.submodule_search_locations))
    paths = [
        *(os.path.join(botocore_dir, name) for name in _BOTOCORE_MODULES),
        os.path.join(os.path.expanduser("~"), ".aws", "models", "dsql"),
        os.path.join(botocore_dir, "data", "dsql"),
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "validation.py"),
    ]
    try:
        return "\n".join(stamp for path in paths for stamp in _stamps(path))
    except OSError:
        return None


_BOTOCORE_MODULES = ("__init__.py", "validate.py", "model.py", "loaders.py", "utils.py")


def cache_entry(operation: str, params: Any) -> str | None:
    """The text of the entry for these parameters, or None when they cannot be cached."""
    if cache_dir() is None or not is_plain_json(params):
        return None
    canonical = json.dumps([operation, params], sort_keys=True, separators=(",", ":"))
    if len(canonical) > MAX_PARAMS_CHARS:
        return None
    fingerprint = model_fingerprint()
    if fingerprint is None:
        return None
    return f"dsql-perms validation cache v2\n{fingerprint}\n{canonical}\n"


def _entry_path(entry: str) -> str | None:
    folder = cache_dir()
    if folder is None:
        return None
    return os.path.join(
        folder, ENTRIES, f"{zlib.crc32(entry.encode(errors='surrogateescape')):08x}"
    )


def is_known_valid(entry: str) -> bool:
    path = _entry_path(entry)
    if path is None:
        return False
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as file:
            return file.read(len(entry) + 1) == entry
    except (OSError, ValueError):
        return False


def remember_valid(entry: str) -> None:
    """Write the entry (atomically); past MAX_ENTRIES, drop the older half."""
    path = _entry_path(entry)
    if path is None:
        return
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8", errors="surrogateescape") as file:
            file.write(entry)
        os.replace(temporary, path)
        names = os.listdir(folder)
        if len(names) > MAX_ENTRIES:
            by_age = sorted(names, key=lambda n: os.stat(os.path.join(folder, n)).st_mtime_ns)
            for name in by_age[: len(names) - MAX_ENTRIES // 2]:
                os.remove(os.path.join(folder, name))
    except (OSError, ValueError):
        return
