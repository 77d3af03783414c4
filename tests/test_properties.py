"""Properties of the matcher and the evaluator, and a differential test against the
reference evaluator in tests/reference_evaluator.py."""

import re

import reference_evaluator as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import requests, stacks, statements, text_alphabet, wild_alphabet

from dsql_perms import AuthzRequest, Decision, PolicySet, evaluate
from dsql_perms.wildcard import covers, match, overlaps


def oracle(pattern, text):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


@given(st.text(wild_alphabet, max_size=12), st.text(text_alphabet, max_size=12))
def test_wildcard_matcher_agrees_with_an_escaped_regex(pattern, text):
    assert match(pattern, text) == oracle(pattern, text)


@given(st.text(st.sampled_from("aAbB*?"), max_size=8), st.text(st.sampled_from("aAbB"), max_size=8))
def test_wildcard_ignore_case_agrees_with_lowercased_regex(pattern, text):
    assert match(pattern, text, ignore_case=True) == oracle(pattern.lower(), text.lower())


def instances(pattern, fills=("", "a", "b:a/", "*")):
    """Concrete strings a request pattern denotes (a sample)."""
    out = [""]
    for ch in pattern:
        if ch == "*":
            out = [o + f for o in out for f in fills]
        elif ch == "?":
            out = [o + f for o in out for f in ("a", ":")]
        else:
            out = [o + ch for o in out]
        out = out[:200]
    return out


@given(st.text(wild_alphabet, max_size=8), st.text(st.sampled_from("ab:/*"), max_size=6))
def test_covers_is_sound(pattern, request_pattern):
    if covers(pattern, request_pattern):
        assert all(oracle(pattern, s) for s in instances(request_pattern))


@given(st.text(wild_alphabet, max_size=6), st.text(wild_alphabet, max_size=6))
def test_overlaps_finds_every_common_string(a, b):
    common = any(oracle(a, s) for s in instances(b)) or any(oracle(b, s) for s in instances(a))
    if common:
        assert overlaps(a, b)
    assert overlaps(a, b) == overlaps(b, a)


def test_matcher_is_linear_on_hostile_patterns():
    pattern = "*a" * 2000 + "*b"
    assert not match(pattern, "a" * 10_000)
    assert match(pattern, "a" * 9_999 + "b")


def build(stack):
    return PolicySet(
        identity=stack["identity"],
        boundary=stack["boundary"],
        session=stack["session"],
        scps=stack["scps"],
    )


def run(stack, req):
    return evaluate(
        AuthzRequest(req["action"], req["resource"], "us-east-1", req["context"]), build(stack)
    )


@settings(max_examples=400)
@given(stacks(), requests())
def test_differential_against_the_reference_evaluator(stack, req):
    want = ref.decide(
        req["action"],
        req["resource"],
        req["context"],
        identity=stack["identity"],
        boundary=stack["boundary"],
        session=stack["session"],
        scps=stack["scps"],
    )
    assert run(stack, req).decision.value == want


@given(stacks(), requests())
def test_an_explicit_deny_dominates(stack, req):
    stack = dict(stack)
    stack["identity"] = [
        *stack["identity"],
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
        },
    ]
    assert run(stack, req).decision is Decision.EXPLICIT_DENY


@given(stacks(), requests(), statements(effect="Allow"))
def test_adding_an_allow_never_turns_allowed_into_denied(stack, req, allow):
    before = run(stack, req).decision
    stack = dict(stack)
    stack["identity"] = [*stack["identity"], {"Version": "2012-10-17", "Statement": [allow]}]
    after = run(stack, req).decision
    if before is Decision.ALLOWED:
        assert after is Decision.ALLOWED


@given(stacks(), requests(), st.randoms())
def test_statement_and_policy_order_never_matter(stack, req, rnd):
    before = run(stack, req).decision
    shuffled = dict(stack)
    identity = [
        dict(p, Statement=rnd.sample(p["Statement"], len(p["Statement"])))
        for p in stack["identity"]
    ]
    shuffled["identity"] = rnd.sample(identity, len(identity))
    assert run(shuffled, req).decision is before


@given(stacks(), requests())
def test_action_case_never_matters(stack, req):
    before = run(stack, req).decision
    upper = dict(req, action=req["action"].upper())
    swapped = dict(req, action=req["action"].swapcase())
    assert run(stack, upper).decision is before
    assert run(stack, swapped).decision is before


@given(stacks(), requests())
def test_unknown_keys_never_yield_allowed_unless_every_answer_allows(stack, req):
    """Making a key unknown can only keep an answer or turn it uncertain."""
    known = run(stack, req).decision
    for key in list(req["context"]):
        ctx = {k: v for k, v in req["context"].items() if k != key}
        result = evaluate(
            AuthzRequest(req["action"], req["resource"], "us-east-1", ctx, [key]), build(stack)
        )
        if result.decision is Decision.ALLOWED:
            assert known is Decision.ALLOWED


@settings(max_examples=150)
@given(stacks(), st.lists(requests(), min_size=2, max_size=8))
def test_a_stack_reused_across_requests_decides_like_a_fresh_one(stack, reqs):
    """Decisions reused within one parsed stack equal those of a fresh stack, reasons included."""
    shared = build(stack)
    for req in reqs * 2:
        request = AuthzRequest(req["action"], req["resource"], "us-east-1", req["context"])
        reused = evaluate(request, shared)
        fresh = evaluate(
            AuthzRequest(req["action"], req["resource"], "us-east-1", req["context"]), build(stack)
        )
        assert reused == fresh
