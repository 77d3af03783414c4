"""`Record` behaves like typing.NamedTuple for every use our value types make of it."""

import functools
import importlib
import pickle
import pkgutil
from typing import NamedTuple

import pytest

import dsql_perms
from dsql_perms.records import Record


def body(base):
    class Point(base):
        """A point."""

        x: int
        y: int = 0
        label: str = "p"

        @property
        def norm(self):
            return abs(self.x) + abs(self.y)

        @classmethod
        def origin(cls):
            return cls(0)

        def moved(self, dx):
            return self._replace(x=self.x + dx)

        @functools.cached_property
        def cached(self):  # needs __set_name__; fails on tuples without __dict__ alike
            return 1

    return Point


Typed, Cheap = body(NamedTuple), body(Record)


@pytest.mark.parametrize(
    "probe",
    [
        lambda P: P._fields,
        lambda P: P._field_defaults,
        lambda P: repr(P(1, 2)),
        lambda P: P(1, 2) == (1, 2, "p"),
        lambda P: hash(P(1, 2)) == hash((1, 2, "p")),
        lambda P: P(3, -4).norm,
        lambda P: tuple(P.origin()),
        lambda P: tuple(P(1).moved(2)),
        lambda P: P(1)._asdict(),
        lambda P: P.__doc__,
        lambda P: P.__name__,
        lambda P: list(P.__annotations__),
        lambda P: tuple(P._make([5, 6, "q"])),
        lambda P: isinstance(P(1), tuple),
    ],
    ids=[
        "fields",
        "defaults",
        "repr",
        "eq",
        "hash",
        "property",
        "classmethod",
        "method-replace",
        "asdict",
        "doc",
        "name",
        "annotations",
        "make",
        "is-tuple",
    ],
)
def test_record_answers_like_typing_namedtuple(probe):
    assert probe(Cheap) == probe(Typed)


def test_the_same_mistakes_are_refused():
    for base in (NamedTuple, Record):
        with pytest.raises(TypeError):

            class Bad(base):
                a: int = 1
                b: int

        with pytest.raises(AttributeError):

            class Worse(base):
                a: int

                def _replace(self, **kw):
                    return self


def test_a_record_of_the_package_pickles_and_keeps_its_module():
    from dsql_perms.arn import Arn

    arn = Arn("aws", "dsql", "us-east-1", "111122223333", "cluster/abc")
    assert pickle.loads(pickle.dumps(arn)) == arn
    assert Arn.__module__ == "dsql_perms.arn"


def test_every_record_of_the_package_has_its_annotated_fields_in_order():
    for info in pkgutil.iter_modules(dsql_perms.__path__):
        if info.name == "__main__":
            continue
        module = importlib.import_module(f"dsql_perms.{info.name}")
        for value in vars(module).values():
            ours = isinstance(value, type) and value.__module__ == module.__name__
            if ours and issubclass(value, tuple) and hasattr(value, "_fields"):
                assert value._fields == tuple(value.__annotations__), value


def test_the_public_value_types_are_immutable_and_equal_by_value():
    from dsql_perms import AuthzRequest, PolicySet, check, evaluate, plan

    request = AuthzRequest(
        "dsql:GetCluster", "arn:aws:dsql:us-east-1:111122223333:cluster/x", "us-east-1"
    )
    same = AuthzRequest(
        "dsql:GetCluster", "arn:aws:dsql:us-east-1:111122223333:cluster/x", "us-east-1"
    )
    assert request == same and hash(request) == hash(same) and len({request, same}) == 1
    assert request != AuthzRequest("dsql:GetCluster", request.resource, "us-west-2")
    policies = PolicySet()
    planned = plan("list_clusters", {}, region="us-east-1", account="111122223333")
    assert planned == plan("list_clusters", {}, region="us-east-1", account="111122223333")
    values = [
        (request, "action"),
        (policies, "identity"),
        (planned, "requests"),
        (evaluate(request, policies), "decision"),
        (
            check(
                "list_clusters", {}, region="us-east-1", account="111122223333", policies=policies
            ),
            "verdict",
        ),
    ]
    for value, field in values:
        with pytest.raises(AttributeError):
            setattr(value, field, None)
    assert "evaluation_cache" not in repr(request)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {}),  # x is required
        ((1, 2, "p", 4), {}),  # one too many
        ((1,), {"x": 2}),  # x twice
        ((1,), {"z": 2}),  # no such field
    ],
    ids=["missing", "too-many", "twice", "unknown"],
)
def test_wrong_calls_are_refused_like_typing_namedtuple(args, kwargs):
    for point in (Typed, Cheap):
        with pytest.raises(TypeError):
            point(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((1,), {}), ((1, 2), {}), ((), {"x": 1, "label": "q"}), ((1,), {"y": 5}), ((1, 2, "r"), {})],
)
def test_every_way_of_calling_builds_the_same_value(args, kwargs):
    assert tuple(Cheap(*args, **kwargs)) == tuple(Typed(*args, **kwargs))


def test_a_record_compiles_its_constructor_once_on_first_use():
    class Lazy(Record):
        a: int
        b: int = 2

    class Empty(Record):
        pass

    first = Lazy.__dict__["__new__"]
    assert Lazy(1) == (1, 2) and Lazy(a=3, b=4) == (3, 4)
    assert Lazy.__dict__["__new__"] is not first and Lazy(5) == (5, 2)
    assert Empty() == () and repr(Empty()) == "Empty()"
