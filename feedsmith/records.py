"""How feedsmith declares a record (an entry, a config table, a report): `@record`, or
`@mutable_record` for one a stage fills in as it goes.

A record is a class of typed fields with `__init__`, `__repr__` and `__eq__`, and `__slots__`, as
`dataclasses` makes them, without `dataclasses`: that module imports `inspect` (5 ms) and takes
0.4 ms to make each class by compiling three methods, and a build with nothing to do defines
twenty records in about 70 ms (issue 12). Here only `__init__` is compiled, once per class (an
entry is made 300,000 times in a cold build: it must be fast); `__repr__` and `__eq__` are
shared. To the type checker `record` is a frozen dataclass, which refuses every assignment to a
field; at run time fields are set plainly (a frozen dataclass sets each through
`object.__setattr__`: 4.6 µs an entry instead of 0.9). Records are not hashable: nothing keys a
set or dict by a whole record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast, dataclass_transform

_Record = TypeVar("_Record")
_Value = TypeVar("_Value")


class _Factory:
    """A field's default made anew for each record (see `field`)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], _Value]) -> _Value:
    """A default that is made for each record, as a list or dict must be:
    `tags: list[str] = field(default_factory=list)`."""
    return _Factory(default_factory)  # type: ignore[return-value]


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[_Record]) -> type[_Record]:
    """A record whose fields are set once, by `__init__` (or `replace`)."""
    return _make(cls)


@dataclass_transform(field_specifiers=(field,))
def mutable_record(cls: type[_Record]) -> type[_Record]:
    """A record whose fields its owner may set again (a report filled in as a build goes)."""
    return _make(cls)


def replace(item: _Record, **changes: Any) -> _Record:
    """A copy of `item` with some fields changed, as `dataclasses.replace`."""
    names: tuple[str, ...] = type(item).__match_args__  # type: ignore[attr-defined]
    if unknown := changes.keys() - set(names):
        raise TypeError(f"{type(item).__qualname__} has no field {', '.join(sorted(unknown))}")
    return type(item)(**{name: changes.get(name, getattr(item, name)) for name in names})


def values(item: object) -> dict[str, Any]:
    """Field name -> value, in the order the fields are declared."""
    return {name: getattr(item, name) for name in type(item).__match_args__}  # type: ignore[attr-defined]


def _make(cls: type[_Record]) -> type[_Record]:
    names = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063 - inspect costs 5 ms
    namespace = {key: value for key, value in cls.__dict__.items()
                 if key not in names and key not in ("__dict__", "__weakref__")}
    scope: dict[str, object] = {}
    parameters, lines = [], []
    for name in names:
        if name not in cls.__dict__:
            parameters.append(name)
            lines.append(f"self.{name} = {name}")
        elif isinstance(default := cls.__dict__[name], _Factory):
            scope[f"_make_{name}"], scope["_MISSING"] = default.make, _MISSING
            parameters.append(f"{name}=_MISSING")
            lines.append(f"self.{name} = _make_{name}() if {name} is _MISSING else {name}")
        else:
            scope[f"_default_{name}"] = default
            parameters.append(f"{name}=_default_{name}")
            lines.append(f"self.{name} = {name}")
    source = f"def __init__(self, {', '.join(parameters)}):\n " + "\n ".join(lines or ["pass"])
    exec(source, scope)  # noqa: S102 - names from the class's own annotations
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    namespace.update(__slots__=names, __match_args__=names)
    for name, method in (("__init__", init), ("__repr__", _repr), ("__eq__", _eq),
                         ("__hash__", None)):
        namespace.setdefault(name, method)  # as dataclasses: the class's own comes first
    metaclass: Any = type(cls)
    made = metaclass(cls.__name__, cls.__bases__, namespace)
    made.__qualname__ = cls.__qualname__
    return cast(type[_Record], made)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _repr(self: object) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}"
                      for name in type(self).__match_args__)  # type: ignore[attr-defined]
    return f"{type(self).__qualname__}({shown})"


def _eq(self: object, other: object) -> object:  # bool, or NotImplemented
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = type(self).__match_args__  # type: ignore[attr-defined]
    return bool(tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names))
