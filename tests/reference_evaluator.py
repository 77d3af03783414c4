"""A small, slow, obviously correct IAM evaluator: the oracle for differential tests.

Scope: identity policies, a boundary, a session policy, SCP levels and same-account
resource policies with `Principal: "*"`; Action/NotAction, Resource/NotResource, and the
String operators with IfExists and the ForAnyValue/ForAllValues qualifiers. Every key is
known or absent (no unknowns). Written straight from the IAM User Guide, no shortcuts.
"""

import re


def glob(pattern, text, ignore_case=False):
    flags = re.IGNORECASE if ignore_case else 0
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags | re.DOTALL) is not None


def as_list(x):
    return x if isinstance(x, list) else [x]


OPS = {
    "StringEquals": lambda v, p: v == p,
    "StringNotEquals": lambda v, p: v == p,
    "StringEqualsIgnoreCase": lambda v, p: v.lower() == p.lower(),
    "StringNotEqualsIgnoreCase": lambda v, p: v.lower() == p.lower(),
    "StringLike": lambda v, p: glob(p, v),
    "StringNotLike": lambda v, p: glob(p, v),
}
NEGATED = {"StringNotEquals", "StringNotLike", "StringNotEqualsIgnoreCase"}


def condition_holds(op, key, wanted, context):
    qualifier = None
    if ":" in op:
        qualifier, op = op.split(":", 1)
    if_exists = op.endswith("IfExists")
    if if_exists:
        op = op[: -len("IfExists")]
    values = None
    for k, v in context.items():
        if k.lower() == key.lower():
            values = as_list(v)
    if values is None:
        if if_exists or qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return op in NEGATED
    wanted = as_list(wanted)
    negated = op in NEGATED

    def matches(value):
        return any(OPS[op](value, w) for w in wanted)

    if qualifier == "ForAllValues":
        return all((not matches(v)) if negated else matches(v) for v in values)
    if qualifier == "ForAnyValue":
        return any((not matches(v)) if negated else matches(v) for v in values)
    hit = any(matches(v) for v in values)
    return (not hit) if negated else hit


def statement_applies(st, action, resource, context):
    if "Action" in st:
        ok = any(glob(a, action, ignore_case=True) for a in as_list(st["Action"]))
    else:
        ok = not any(glob(a, action, ignore_case=True) for a in as_list(st["NotAction"]))
    if not ok:
        return False
    if "Resource" in st:
        ok = any(glob(r, resource) for r in as_list(st["Resource"]))
    else:
        ok = not any(glob(r, resource) for r in as_list(st["NotResource"]))
    if not ok:
        return False
    for op, block in st.get("Condition", {}).items():
        for key, wanted in block.items():
            if not condition_holds(op, key, wanted, context):
                return False
    return True


def statements(policies):
    return [st for p in policies for st in as_list(p["Statement"])]


def any_effect(policies, effect, action, resource, context):
    return any(
        st["Effect"] == effect and statement_applies(st, action, resource, context)
        for st in statements(policies)
    )


def decide(
    action,
    resource,
    context,
    identity=(),
    boundary=None,
    session=None,
    scps=(),
    resource_policies=(),
):
    layers = [list(identity), list(resource_policies)] + [list(level) for level in scps]
    layers += [[boundary]] if boundary else []
    layers += [[session]] if session else []
    if any(any_effect(layer, "Deny", action, resource, context) for layer in layers):
        return "explicit_deny"
    for level in scps:
        if not any_effect(level, "Allow", action, resource, context):
            return "implicit_deny"
    if any_effect(resource_policies, "Allow", action, resource, context):
        return "allowed"  # Principal "*" names the caller directly: not limited by boundary/session
    if not any_effect(identity, "Allow", action, resource, context):
        return "implicit_deny"
    if boundary and not any_effect([boundary], "Allow", action, resource, context):
        return "implicit_deny"
    if session and not any_effect([session], "Allow", action, resource, context):
        return "implicit_deny"
    return "allowed"
