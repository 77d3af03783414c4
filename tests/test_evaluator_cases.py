"""The evaluator case corpus (tests/cases/evaluator.json): each case is named after what it
shows and cites the documentation it follows. The same corpus feeds the reference evaluator
where that oracle's scope allows."""

import json
from pathlib import Path

import pytest
import reference_evaluator as ref

from dsql_perms import AuthzRequest, PolicySet, evaluate

CASES = json.loads((Path(__file__).parent / "cases" / "evaluator.json").read_text())["cases"]


def policy_set(p):
    return PolicySet(
        identity=p.get("identity", []),
        boundary=p.get("boundary"),
        session=p.get("session"),
        scps=p.get("scps", []),
        rcps=p.get("rcps", []),
        resource=p.get("resource", []),
        key_policy=p.get("key_policy"),
    )


def request(r):
    return AuthzRequest(
        r["action"],
        r["resource"],
        r["region"],
        r.get("context", {}),
        r.get("unknown_keys", ()),
        r.get("principal"),
        resource_variants=r.get("resource_variants", ()),
        resource_is_placeholder=r.get("resource_is_placeholder", False),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_case(case):
    assert case["doc"], "every case cites its source"
    result = evaluate(request(case["request"]), policy_set(case["policies"]))
    want = case["want"]
    assert result.decision.value == want["decision"], result
    if "unknown_keys" in want:
        assert set(want["unknown_keys"]) <= set(result.unknown_keys)
    assert bool(result.errors) == want.get("has_errors", False)
    if "reason_layer" in want:
        assert result.reasons and result.reasons[0].layer.startswith(want["reason_layer"])


def reference_can_run(case):
    text = json.dumps(case)
    p, r = case["policies"], case["request"]
    unsupported = ("${", "Numeric", "Date", "Bool", "Binary", "Ip", "Arn", "Null", 'Principal": {')
    return not (
        any(u in text for u in unsupported)
        or r.get("unknown_keys")
        or r.get("resource_variants")
        or r.get("principal")
        or p.get("rcps")
        or p.get("key_policy")
        or case["want"].get("has_errors")
        or "*" in r["resource"]
        or "2008-10-17" in text
    )


REFERENCE_CASES = [c for c in CASES if reference_can_run(c)]


def test_reference_covers_a_good_part_of_the_corpus():
    assert len(REFERENCE_CASES) >= 50


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=[c["note"] for c in REFERENCE_CASES])
def test_reference_evaluator_agrees_with_corpus(case):
    p, r = case["policies"], case["request"]
    got = ref.decide(
        r["action"],
        r["resource"],
        r.get("context", {}),
        identity=p.get("identity", []),
        boundary=p.get("boundary"),
        session=p.get("session"),
        scps=p.get("scps", []),
        resource_policies=p.get("resource", []),
    )
    assert got == case["want"]["decision"]


def cli_can_run(case):
    r = case["request"]
    return not (
        r.get("unknown_keys")
        or r.get("resource_variants")
        or r.get("resource_is_placeholder")
        or case["policies"].get("rcps")
        or any(isinstance(v, list) and not v for v in r.get("context", {}).values())
        or any(":" not in k for k in r.get("context", {}))
    )  # --context takes service:key names


CLI_CASES = [c for c in CASES if cli_can_run(c)]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c["note"] for c in CLI_CASES])
def test_the_cli_simulator_agrees_with_the_corpus(case, tmp_path, capsys):
    """`dsql-perms simulate` runs the same corpus through files and the command line."""
    from dsql_perms.cli import main

    p, r = case["policies"], case["request"]

    def write(name, doc):
        path = tmp_path / name
        path.write_text(json.dumps(doc))
        return str(path)

    args = [
        "simulate",
        "--action",
        r["action"],
        "--resource",
        r["resource"],
        "--region",
        r["region"],
        "--format",
        "json",
    ]
    identity = p.get("identity") or [
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "nothing:Nothing", "Resource": "*"}],
        }
    ]
    for i, doc in enumerate(identity):
        args += ["--policy", write(f"identity{i}.json", doc)]
    for i, level in enumerate(p.get("scps", [])):
        level_dir = tmp_path / f"scp{i}"
        level_dir.mkdir()
        for j, doc in enumerate(level):
            (level_dir / f"{j}.json").write_text(json.dumps(doc))
        args += ["--scp", str(level_dir)]
    for flag, key in (
        ("--boundary", "boundary"),
        ("--session-policy", "session"),
        ("--key-policy", "key_policy"),
    ):
        if p.get(key):
            args += [flag, write(f"{key}.json", p[key])]
    for i, doc in enumerate(p.get("resource", [])):
        args += ["--resource-policy", write(f"resource{i}.json", doc)]
    if r.get("principal"):
        args += ["--principal", r["principal"]]
    for key, value in r.get("context", {}).items():
        for v in value if isinstance(value, list) else [value]:
            args += ["--context", f"{key}={v}"]
    main(args)
    out, err = capsys.readouterr()
    assert not err, err
    (row,) = json.loads(out)
    assert row["decision"] == case["want"]["decision"]
