"""`Record`: typing.NamedTuple for the type checker, a cheaper class factory at run time.

typing.NamedTuple compiles every annotation into a ForwardRef, and collections.namedtuple
compiles a `__new__` for every class with eval; for our two dozen value types that was a
third of `import dsql_perms`, and so of the start-up of `dsql-perms check` (see entry.py).
At run time `Record` builds the same kind of class (a tuple subclass with the fields as
C-level accessors, defaults, `_make`, `_replace`, `_asdict`, methods and properties from the
class body) and compiles its `__new__` only when the first value is built, so a run pays
only for the types it uses. The annotations stay the strings they are.
tests/test_records.py holds it to typing.NamedTuple's behaviour.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any
    from typing import NamedTuple as Record
else:  # what runs (the annotations below are for readers and linters only)
    from operator import itemgetter

    try:
        from _collections import _tuplegetter  # the accessor collections.namedtuple uses
    except ImportError:  # other Pythons: what collections.namedtuple falls back to

        def _tuplegetter(index: int, doc: str) -> Any:
            return property(itemgetter(index), doc=doc)

    _RESERVED = ("_fields", "_make", "_replace", "_asdict", "__new__", "__init__")
    _NOT_COPIED = frozenset(
        ("__annotations__", "__module__", "__qualname__", "__dict__", "__weakref__")
    )

    def _constructor(record: type, fields: tuple[str, ...], defaults: tuple[Any, ...]) -> Any:
        """A `__new__` that, on its first call, compiles the one collections.namedtuple
        would have (keyword binding in C) and puts it in its place: records a run never
        builds never pay for the compilation."""

        def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
            arguments = ", ".join(fields) + ("," if len(fields) == 1 else "")
            compiled = eval(  # fields are identifiers (checked), as in collections.namedtuple
                f"lambda _cls{', ' if fields else ''}{arguments}: _tuple_new(_cls, ({arguments}))",
                {"_tuple_new": tuple.__new__, "__builtins__": {}},
            )
            compiled.__defaults__ = defaults or None
            compiled.__name__, compiled.__qualname__ = "__new__", f"{record.__name__}.__new__"
            type.__setattr__(record, "__new__", staticmethod(compiled))
            return compiled(cls, *args, **kwargs)

        return staticmethod(__new__)

    def _make(cls: Any, iterable: Iterable[Any]) -> Any:
        result = tuple.__new__(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self: Any, /, **changes: Any) -> Any:
        result = self._make(map(changes.pop, self._fields, self))
        if changes:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}")
        return result

    def _repr(self: Any) -> str:
        shown = ", ".join(
            f"{field}={value!r}" for field, value in zip(self._fields, self, strict=True)
        )
        return f"{self.__class__.__name__}({shown})"

    def _asdict(self: Any) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    def _getnewargs(self: Any) -> tuple[Any, ...]:
        return tuple(self)

    class _RecordMeta(type):
        def __new__(
            mcls: type, name: str, bases: tuple[type, ...], namespace: dict[str, Any]
        ) -> type:
            if bases != (Record,):
                raise TypeError("a Record class must derive from Record alone")
            annotations = dict(namespace.get("__annotations__", {}))
            fields = tuple(annotations)
            if any(not f.isidentifier() or f.startswith("_") for f in fields):
                raise ValueError(f"{name}: field names are identifiers not starting with _")
            defaults = tuple(namespace[f] for f in fields if f in namespace)
            if any(f in namespace for f in fields[: len(fields) - len(defaults)]):
                raise TypeError(f"{name}: fields with defaults must come last")
            body = {
                "__slots__": (),
                "__module__": namespace["__module__"],
                "__qualname__": namespace.get("__qualname__", name),
                "__doc__": f"{name}({', '.join(fields)})",
                "__annotations__": annotations,
                "_fields": fields,
                "_field_defaults": dict(
                    zip(fields[len(fields) - len(defaults) :], defaults, strict=True)
                ),
                "__match_args__": fields,
                "_make": classmethod(_make),
                "_replace": _replace,
                "__repr__": _repr,
                "_asdict": _asdict,
                "__getnewargs__": _getnewargs,
            }
            for index, field in enumerate(fields):
                body[field] = _tuplegetter(index, f"Alias for field number {index}")
            for key, value in namespace.items():
                if key in _NOT_COPIED or key in fields:
                    continue
                if key in _RESERVED:
                    raise AttributeError(f"{name}: cannot overwrite Record attribute {key}")
                body[key] = value
            record = type(name, (tuple,), body)  # type() calls __set_name__ on descriptors
            type.__setattr__(record, "__new__", _constructor(record, fields, defaults))
            return record

    Record = type.__new__(_RecordMeta, "Record", (), {})

__all__ = ["Record"]
