"""The validation cache: botocore stays the judge, a hit needs the same parameters under the
same model and botocore, nothing rejected is remembered, and a broken cache only costs time."""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dsql_perms import validation_cache
from dsql_perms.errors import InvalidParameterError
from dsql_perms.validation import validate_params
from dsql_perms.validation_cache import cache_dir, cache_entry, is_known_valid, is_plain_json

ROOT = Path(__file__).resolve().parent.parent
PARAMS = json.loads((ROOT / "examples" / "multi-region-create.json").read_text())


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DSQL_PERMS_CACHE_DIR", str(folder))
    return folder / validation_cache.ENTRIES


def entries(folder):
    return sorted(p.read_text() for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ({"a": [1, 2.5, "x", True, None]}, True),
        ((1, 2), False),  # a tuple serialises like a list but botocore may judge it apart
        ({1: "x"}, False),  # json.dumps would turn the key into "1"
        ({"a": float("nan")}, False),
        ({"a": b"bytes"}, False),
        ({"a": {"b": [{"c": (1,)}]}}, False),
    ],
    ids=["plain", "tuple", "int-key", "nan", "bytes", "nested-tuple"],
)
def test_only_values_json_serialises_one_to_one_are_cacheable(value, plain):
    assert is_plain_json(value) is plain


def test_the_cache_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("DSQL_PERMS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == str(tmp_path / "dsql-perms")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == str(tmp_path / "home" / ".cache" / "dsql-perms")
    monkeypatch.delenv("HOME")
    monkeypatch.setattr("os.path.expanduser", lambda path: path)  # a user without a home
    assert cache_dir() is None
    for off in ("off", "", " "):
        monkeypatch.setenv("DSQL_PERMS_CACHE_DIR", off)
        assert cache_dir() is None and cache_entry("CreateCluster", {}) is None


def test_accepted_parameters_are_remembered_and_the_next_check_skips_botocore(cache, tmp_path):
    validate_params("CreateCluster", PARAMS, source="p.json")
    entry = cache_entry("CreateCluster", PARAMS)
    assert entries(cache) == [entry] and is_known_valid(entry)
    reordered = dict(reversed(list(PARAMS.items())))
    assert cache_entry("CreateCluster", reordered) == entry
    assert cache_entry("UpdateCluster", PARAMS) != entry
    changed = cache_entry("CreateCluster", {**PARAMS, "deletionProtectionEnabled": False})
    assert changed != entry and not is_known_valid(changed)
    program = (
        "import sys, json\n"
        "from dsql_perms.validation import validate_params\n"
        f"validate_params('CreateCluster', json.loads({json.dumps(json.dumps(PARAMS))}), "
        "source='p.json')\n"
        "print(sorted(m for m in sys.modules if m.startswith('botocore')))\n"
    )
    for setting, botocore_loaded in ((str(cache.parent), False), ("off", True)):
        done = subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "DSQL_PERMS_CACHE_DIR": setting},
            check=True,
        )
        assert ("botocore.validate" in done.stdout) is botocore_loaded, done.stdout


def test_rejected_parameters_are_never_remembered(cache):
    bad = {**PARAMS, "deletionProtectionEnabled": "yes"}
    for _ in range(2):
        with pytest.raises(InvalidParameterError, match="deletionProtectionEnabled"):
            validate_params("CreateCluster", bad, source="p.json")
    too_long = {"identifier": "x" * 100}
    with pytest.raises(InvalidParameterError):
        validate_params("GetCluster", too_long, source="p.json")
    assert entries(cache) == []


def test_a_customer_model_that_rejects_the_parameters_is_not_hidden_by_a_stale_entry(
    cache, tmp_path
):
    """botocore's loader prefers ~/.aws/models; the key covers it, so a hit cannot outlive it."""
    validate_params("CreateCluster", PARAMS, source="p.json")
    assert len(entries(cache)) == 1
    import botocore

    source = Path(botocore.__file__).parent / "data" / "dsql"
    version = sorted(p.name for p in source.iterdir())[-1]
    model = json.loads(gzip.decompress((source / version / "service-2.json.gz").read_bytes()))
    del model["shapes"]["CreateClusterInput"]["members"]["deletionProtectionEnabled"]
    home = tmp_path / "home"
    target = home / ".aws" / "models" / "dsql" / version
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    program = (
        "import json\n"
        "from dsql_perms.validation import validate_params\n"
        f"validate_params('CreateCluster', json.loads({json.dumps(json.dumps(PARAMS))}), "
        "source='p.json')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "HOME": str(home)},
        check=False,
    )
    assert done.returncode != 0 and "deletionProtectionEnabled" in done.stderr
    assert len(entries(cache)) == 1


def test_a_corrupt_colliding_or_unwritable_cache_only_costs_time(cache):
    entry = cache_entry("CreateCluster", PARAMS)
    path = Path(validation_cache._entry_path(entry))
    cache.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe garbage \x00")
    assert not is_known_valid(entry)
    validate_params("CreateCluster", PARAMS, source="p.json")
    assert is_known_valid(entry)
    path.write_text(entry.replace("us-west-2", "us-west-1"))  # another entry, same name
    assert not is_known_valid(entry)
    path.unlink()
    path.mkdir()  # a directory where the entry should be: neither read nor written
    validate_params("CreateCluster", PARAMS, source="p.json")
    assert path.is_dir() and not is_known_valid(entry)


def test_a_changed_model_file_or_botocore_module_changes_the_entry(cache, monkeypatch, tmp_path):
    before = cache_entry("CreateCluster", PARAMS)
    stamps = validation_cache._stamps

    def touched(path):
        return [s + " touched" if "validate.py" in s else s for s in stamps(path)]

    monkeypatch.setattr(validation_cache, "_stamps", touched)
    assert cache_entry("CreateCluster", PARAMS) != before
    import botocore

    model = Path(botocore.__file__).parent / "data" / "dsql"
    assert any(str(model) in line for line in before.splitlines())


def test_parameters_that_are_not_plain_json_are_validated_every_time(cache):
    params = {**PARAMS, "tags": dict(PARAMS["tags"])}
    params["multiRegionProperties"] = {
        **PARAMS["multiRegionProperties"],
        "clusters": tuple(PARAMS["multiRegionProperties"]["clusters"]),
    }
    validate_params("CreateCluster", params, source="p.json")
    assert entries(cache) == []


def test_the_cache_keeps_the_newest_half_when_it_outgrows_its_limit(cache, monkeypatch):
    monkeypatch.setattr(validation_cache, "MAX_ENTRIES", 8)
    texts = [f"entry {i}\n" for i in range(9)]
    for i, text in enumerate(texts):
        validation_cache.remember_valid(text)
        path = validation_cache._entry_path(text)
        os.utime(path, ns=(i * 10**9, i * 10**9))  # distinct ages even on coarse clocks
    assert len(entries(cache)) <= 8
    assert not is_known_valid(texts[0]) and is_known_valid(texts[-1])


def test_large_parameters_are_validated_every_time(cache):
    params = {**PARAMS, "tags": {f"k{i}": "v" * 200 for i in range(100)}}
    assert cache_entry("CreateCluster", params) is None
