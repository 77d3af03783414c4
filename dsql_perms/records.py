"""`Record`: typing.NamedTuple for the type checker, a cheaper class factory at run time.

typing.NamedTuple turns every annotation into a ForwardRef by compiling it, which for our
two dozen value types cost about a quarter of `import dsql_perms` (and so of the start-up of
`dsql-perms check`, see entry.py). At run time `Record` builds the same thing from
collections.namedtuple (fields and defaults from the class body, methods and properties
copied over) and leaves the annotations as the strings they are. tests/test_records.py holds
it to typing.NamedTuple's behaviour.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    _NOT_COPIED = frozenset(
        ("__annotations__", "__module__", "__qualname__", "__dict__", "__weakref__")
    )

    class _RecordMeta(type):
        def __new__(
            mcls: type, name: str, bases: tuple[type, ...], namespace: dict[str, Any]
        ) -> type:
            if bases != (Record,):
                raise TypeError("a Record class must derive from Record alone")
            fields = list(namespace.get("__annotations__", {}))
            with_default = [f for f in fields if f in namespace]
            if with_default != fields[len(fields) - len(with_default) :]:
                raise TypeError(f"{name}: fields with defaults must come last")
            cls = namedtuple(
                name,
                fields,
                defaults=[namespace[f] for f in with_default],
                module=namespace["__module__"],
            )
            cls.__qualname__ = namespace.get("__qualname__", name)
            cls.__annotations__ = dict(namespace.get("__annotations__", {}))
            for key, value in namespace.items():
                if key in _NOT_COPIED or key in fields:
                    continue
                if key in ("_fields", "_make", "_replace", "_asdict", "__new__", "__init__"):
                    raise AttributeError(f"{name}: cannot overwrite Record attribute {key}")
                setattr(cls, key, value)
                set_name = getattr(type(value), "__set_name__", None)
                if set_name is not None:
                    set_name(value, cls, key)
            return cls

    Record = type.__new__(_RecordMeta, "Record", (), {})

__all__ = ["Record"]
