"""Benchmarks for dsql-perms (numbers, not pass/fail; see the README for how to run).

    python benchmarks/bench.py            # all
    python benchmarks/bench.py evaluator  # (a)-(d)
    python benchmarks/bench.py coldstart  # (e)

(a) parse-and-evaluate per request, small policies
(b) many requests against one parsed stack: the AWS managed DSQL policies + 3 SCP levels
    (500 distinct requests: 8 actions, 4 Regions, 500 cluster ARNs), with and without the
    stack's reuse of decisions for requests that agree on every key the statements read
(c) one request against a 1,000-statement policy
(d) the wildcard matcher: a 10,000-character resource against `*a*a*...*b`
(e) cold start of `dsql-perms check` on the bundled example, next to `python -c pass`
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dsql_perms import AuthzRequest, PolicySet, evaluate, parse_policy
from dsql_perms.wildcard import match

ROOT = Path(__file__).resolve().parent.parent
MANAGED = ROOT / "tests" / "data" / "managed-policies"
ACC = "111122223333"
SMALL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Create",
            "Effect": "Allow",
            "Action": ["dsql:CreateCluster", "dsql:TagResource"],
            "Resource": f"arn:aws:dsql:us-east-1:{ACC}:cluster/*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
        },
        {"Effect": "Deny", "Action": "dsql:DeleteCluster", "Resource": "*"},
    ],
}


def rate(fn, seconds=3.0):
    """Calls per second of fn(i), best of three runs."""
    best = 0.0
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            for i in range(200):
                fn(n + i)
            n += 200
        best = max(best, n / elapsed)
    return best


def bench_parse_and_evaluate():
    req = AuthzRequest(
        "dsql:CreateCluster",
        f"arn:aws:dsql:us-east-1:{ACC}:cluster/*",
        "us-east-1",
        {"aws:RequestedRegion": "us-east-1"},
    )
    return rate(lambda i: evaluate(req, PolicySet(identity=[SMALL])))


def org_stack():
    managed = [
        json.loads((MANAGED / f"{n}.json").read_text())
        for n in (
            "AmazonAuroraDSQLFullAccess",
            "AmazonAuroraDSQLReadOnlyAccess",
            "AmazonAuroraDSQLConsoleFullAccess",
        )
    ]
    allow_all = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    lock = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "NotAction": ["iam:*", "sts:*"],
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {
                        "aws:RequestedRegion": ["us-east-1", "us-east-2", "us-west-2"]
                    }
                },
            }
        ],
    }
    guard = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "dsql:DeleteCluster",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}},
            }
        ],
    }
    return PolicySet(identity=managed, scps=[[allow_all], [allow_all, lock], [allow_all, guard]])


def varied_requests(n=500):
    actions = [
        "dsql:CreateCluster",
        "dsql:GetCluster",
        "dsql:PutWitnessRegion",
        "dsql:AddPeerCluster",
        "kms:Encrypt",
        "dsql:DeleteCluster",
        "dsql:UpdateCluster",
        "iam:CreateServiceLinkedRole",
    ]
    regions = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1"]
    out = []
    for i in range(n):
        region = regions[i % 4]
        out.append(
            AuthzRequest(
                actions[i % len(actions)],
                f"arn:aws:dsql:{region}:{ACC}:cluster/c{i:025d}",
                region,
                {
                    "aws:RequestedRegion": region,
                    "kms:ViaService": f"dsql.{region}.amazonaws.com",
                    "kms:EncryptionContextKeys": ["aws:dsql:ClusterId"],
                    "aws:ResourceTag/env": "dev",
                },
            )
        )
    return out


def bench_many_requests():
    stack, reqs = org_stack(), varied_requests()
    return rate(lambda i: evaluate(reqs[i % len(reqs)], stack))


def bench_many_requests_without_reuse():
    """The same, with the stack's reuse of earlier decisions switched off (memo cleared)."""
    stack, reqs = org_stack(), varied_requests()

    def one(i):
        stack._cache.pop("|decisions", None)
        evaluate(reqs[i % len(reqs)], stack)

    return rate(one)


def bench_big_policy():
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Action": [f"dsql:Get{i}", "s3:GetObject"],
            "Resource": f"arn:aws:s3:::bucket-{i}/*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
        }
        for i in range(1000)
    ]
    stack = PolicySet(identity=[parse_policy({"Version": "2012-10-17", "Statement": statements})])
    req = AuthzRequest(
        "s3:GetObject",
        "arn:aws:s3:::bucket-999/key",
        "us-east-1",
        {"aws:RequestedRegion": "us-east-1"},
    )
    return rate(lambda i: evaluate(req, stack))


def bench_matcher():
    pattern = "*a" * 500 + "*b"
    text = "a" * 9_999 + "c"
    runs = []
    for _ in range(20):
        start = time.perf_counter()
        match(pattern, text)
        runs.append(time.perf_counter() - start)
    return min(runs) * 1000


def bench_cold_start(runs=31):
    """Median wall times (s) of fresh processes, interleaved so machine noise hits all alike."""
    script = Path(sys.executable).parent / "dsql-perms"
    command = [str(script)] if script.exists() else [shutil.which("dsql-perms") or "dsql-perms"]
    check = [
        *command,
        "check",
        "create_cluster",
        "--params",
        "examples/multi-region-create.json",
        "--region",
        "us-east-1",
        "--account",
        ACC,
        "--policy",
        "examples/deploy-role-policy.json",
    ]
    with tempfile.TemporaryDirectory() as scratch:
        warm = str(Path(scratch) / "warm")
        subprocess.run(
            check,
            env={**os.environ, "DSQL_PERMS_CACHE_DIR": warm},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        cases = {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            "python -c 'import json, re, typing'": (
                [sys.executable, "-c", "import json, re, typing"],
                None,
            ),
            "python -c 'import click'": ([sys.executable, "-c", "import click"], None),
            "dsql-perms check, validation cached": (check, warm),
            "dsql-perms check, first run (empty cache)": (check, ""),
        }
        times = {name: [] for name in cases}
        for run in range(runs):
            for name, (cmd, cache) in cases.items():
                env = dict(os.environ)
                if cache is not None:
                    env["DSQL_PERMS_CACHE_DIR"] = cache or str(Path(scratch) / f"empty{run}")
                start = time.perf_counter()
                subprocess.run(
                    cmd,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=False,
                    cwd=ROOT,
                    env=env,
                )
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if which in ("all", "evaluator"):
        print(
            f"(a) parse-and-evaluate, small policy:        {bench_parse_and_evaluate():>10,.0f} decisions/s  (target >= 25,000)"
        )
        print(
            f"(b) one parsed stack, managed + 3 SCP levels: {bench_many_requests():>10,.0f} decisions/s  (target >= 100,000)"
        )
        print(
            f"    the same without reusing decisions:       {bench_many_requests_without_reuse():>10,.0f} decisions/s"
        )
        print(
            f"(c) 1,000-statement policy:                   {bench_big_policy():>10,.0f} decisions/s"
        )
        print(
            f"(d) matcher, 10,000 chars vs *a*a...*b:       {bench_matcher():>10.3f} ms  (target < 1 ms)"
        )
    if which in ("all", "coldstart"):
        medians = bench_cold_start()
        base = medians["python -c pass"]
        print(
            "(e) cold start, median wall time of a fresh process (target: check <= 3 x python -c pass)"
        )
        for name, seconds in medians.items():
            print(f"    {name:<45} {seconds * 1000:6.0f} ms  {seconds / base:5.2f} x")


if __name__ == "__main__":
    main()
