"""Record classes for what every `dialplan check` creates at import: the
syntax tree, the checked model, diagnostics.

`@record` is written like `@dataclass(frozen=True, slots=True)` and means
the same for what this package uses (fields declared as annotations, in
order, with defaults or `field(default_factory=…)`; `__init__` (which
calls `__post_init__` if the class has one), `__eq__`
by type and value, `__hash__`, `__repr__`; instances that cannot be
changed; `replace`), and `@record(frozen=False)` is `@dataclass`. It exists
because dataclasses, on Python 3.11, compile several methods per class at
import, and the 40-odd classes of the check path cost more start-up time
than the check itself: a record compiles only its `__init__`, and shares
one `__eq__`, `__hash__` and `__repr__` among all.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

T = TypeVar("T")

_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] = _MISSING) -> Any:
    """A field's default: a value, or a function called for each new record."""
    return _Factory(default_factory) if default_factory is not _MISSING else default


def record(cls: type[T] | None = None, *, frozen: bool = True) -> Any:
    if cls is None:
        return lambda cls: _build(cls, frozen)
    return _build(cls, frozen)


def fields(instance_or_class: Any) -> tuple[str, ...]:
    return instance_or_class.__record_fields__


def replace(instance: T, **changes: Any) -> T:
    """A copy of `instance` with `changes` to some of its fields."""
    values = {name: getattr(instance, name) for name in instance.__record_fields__}
    values.update(changes)
    return type(instance)(**values)


def _build(cls: type, frozen: bool) -> type:
    namespace = dict(cls.__dict__)
    own = [name for name, kind in namespace.get("__annotations__", {}).items()
           if not str(kind).startswith(("ClassVar", "typing.ClassVar"))]
    defaults = dict(getattr(cls, "__record_defaults__", {}))
    for name in own:
        if name in namespace:
            defaults[name] = namespace.pop(name)
    inherited = tuple(getattr(cls, "__record_fields__", ()))
    names = inherited + tuple(n for n in own if n not in inherited)
    namespace["__slots__"] = tuple(n for n in own if n not in inherited)
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    namespace["__record_fields__"] = names
    namespace["__record_defaults__"] = defaults
    namespace["__init__"] = _init(cls.__qualname__, names, defaults, frozen,
                                  "__post_init__" in namespace)
    namespace["__eq__"] = _eq
    namespace["__repr__"] = _repr
    namespace["__reduce__"] = _reduce
    if frozen:
        namespace["__hash__"] = _hash
        namespace["__setattr__"] = _frozen_setattr
        namespace["__delattr__"] = _frozen_delattr
    else:
        namespace["__hash__"] = None  # as a dataclass with eq and not frozen
    return type(cls)(cls.__name__, cls.__bases__, namespace)


def _init(qualname: str, names: tuple[str, ...], defaults: dict, frozen: bool,
          post_init: bool) -> Callable:
    parameters, body, scope = [], [], {"_setattr": object.__setattr__}
    for name in names:
        if name not in defaults:
            parameters.append(name)
        elif isinstance(defaults[name], _Factory):
            scope[f"_make_{name}"] = defaults[name].make
            parameters.append(f"{name}=_unset")
            body.append(f"  if {name} is _unset: {name} = _make_{name}()")
        else:
            scope[f"_default_{name}"] = defaults[name]
            parameters.append(f"{name}=_default_{name}")
    scope["_unset"] = _MISSING
    for name in names:
        body.append(f"  _setattr(self, {name!r}, {name})" if frozen else f"  self.{name} = {name}")
    if post_init:
        body.append("  self.__post_init__()")
    source = f"def __init__(self, {', '.join(parameters)}):\n" + ("\n".join(body) or "  pass")
    exec(source, scope)  # noqa: S102 - our own field names, as dataclasses does
    function = scope["__init__"]
    function.__qualname__ = f"{qualname}.__init__"
    return function


def _values(self: Any) -> tuple:
    return tuple(getattr(self, name) for name in self.__record_fields__)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash(_values(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_fields__)
    return f"{self.__class__.__qualname__}({shown})"


def _reduce(self: Any) -> tuple:
    return self.__class__, _values(self)


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
