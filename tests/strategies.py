"""Hypothesis strategies: wildcard patterns, statements, policy stacks and requests."""

from hypothesis import strategies as st

ACC = "111122223333"
CONCRETE_ACTIONS = [
    "dsql:GetCluster",
    "dsql:CreateCluster",
    "dsql:PutWitnessRegion",
    "iam:PassRole",
    "kms:Decrypt",
]
ACTION_PATTERNS = [
    *CONCRETE_ACTIONS,
    "dsql:Get*",
    "dsql:*",
    "*",
    "iam:*",
    "DSQL:getcluster",
    "dsql:?etCluster",
    "dsql:Put*Region",
]
CONCRETE_RESOURCES = [
    f"arn:aws:dsql:us-east-1:{ACC}:cluster/abcdefghijklmnopqrstuvwxyz",
    f"arn:aws:dsql:us-west-2:{ACC}:cluster/zzzzzzzzzzzzzzzzzzzzzzzzzz",
    f"arn:aws:iam::{ACC}:role/deploy",
]
RESOURCE_PATTERNS = [
    *CONCRETE_RESOURCES,
    "*",
    f"arn:aws:dsql:us-east-1:{ACC}:cluster/*",
    "arn:aws:dsql:*",
    "arn:aws:iam::*:role/?eploy",
    "arn:aws:dsql:us-west-2:*",
]
KEYS = ["aws:RequestedRegion", "dsql:WitnessRegion", "aws:TagKeys"]
VALUES = ["us-east-1", "us-west-2", "team", "*-1", "Name"]
OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "StringEqualsIfExists",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringNotLike",
    "ForAllValues:StringNotEquals",
]


def one_or_many(elements):
    return st.one_of(elements, st.lists(elements, min_size=1, max_size=3))


@st.composite
def conditions(draw):
    block = {}
    for op in draw(st.lists(st.sampled_from(OPERATORS), max_size=2, unique=True)):
        keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=2, unique=True))
        block[op] = {k: draw(one_or_many(st.sampled_from(VALUES))) for k in keys}
    return block


@st.composite
def statements(draw, effect=None):
    st_ = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    st_["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(
        one_or_many(st.sampled_from(ACTION_PATTERNS))
    )
    st_["NotResource" if draw(st.booleans()) and draw(st.booleans()) else "Resource"] = draw(
        one_or_many(st.sampled_from(RESOURCE_PATTERNS))
    )
    cond = draw(conditions())
    if cond:
        st_["Condition"] = cond
    return st_


def policies(max_statements=4):
    return st.lists(statements(), min_size=1, max_size=max_statements).map(
        lambda sts: {"Version": "2012-10-17", "Statement": sts}
    )


@st.composite
def stacks(draw):
    return {
        "identity": draw(st.lists(policies(), max_size=2)),
        "boundary": draw(st.none() | policies()),
        "session": draw(st.none() | policies()),
        "scps": draw(st.lists(st.lists(policies(2), min_size=1, max_size=2), max_size=2)),
    }


@st.composite
def requests(draw):
    context = {}
    for key in draw(st.lists(st.sampled_from(KEYS), unique=True)):
        if key == "aws:TagKeys":
            context[key] = draw(st.lists(st.sampled_from(VALUES), max_size=3))
        else:
            context[key] = draw(st.sampled_from(VALUES))
    return {
        "action": draw(st.sampled_from(CONCRETE_ACTIONS)),
        "resource": draw(st.sampled_from(CONCRETE_RESOURCES)),
        "context": context,
    }


wild_alphabet = st.sampled_from("ab:/*?")
text_alphabet = st.sampled_from("ab:/")
