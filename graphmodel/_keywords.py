"""Keyword groups: options several functions take together, written once (PEP 692).

A scenario (what fails, the date, a policy, whether substitutes count) is taken by a dozen
queries. Its names, types and defaults are written once, as a ``TypedDict`` whose fields are
``Annotated[type, Default(value)]``; a function takes the group as
``**scenario: Unpack[ScenarioOptions]`` and is decorated with :func:`unpacked_keywords`, which

- shows the group's fields in the function's signature as keyword-only parameters with
  their defaults (what ``help()``, Jupyter's completion and the numpydoc validator read);
- refuses a keyword the signature does not have, as Python does (``**`` alone would take
  ``fial=`` silently);
- passes the group on with its defaults filled in.

mypy reads the ``TypedDict`` and checks every call's keywords and their types statically.
The group's documentation is written once too, as a bundle of :mod:`oretrace.graphmodel._docs`.

Examples
--------
>>> from typing import Annotated, TypedDict, Unpack
>>> class Window(TypedDict, total=False):
...     start: Annotated[int, Default(0)]
...     stop: Annotated[int | None, Default(None)]
>>> @unpacked_keywords
... def window(xs: list[int], *, step: int = 1, **window: Unpack[Window]) -> list[int]:
...     return xs[window["start"]:window["stop"]:step]
>>> window([1, 2, 3, 4], stop=3)
[1, 2, 3]
>>> import inspect
>>> [(p.name, p.default) for p in inspect.signature(window).parameters.values()][1:]
[('step', 1), ('start', 0), ('stop', None)]
>>> window([1, 2], stpo=1)
Traceback (most recent call last):
TypeError: window() got an unexpected keyword argument 'stpo'
"""

from __future__ import annotations

import ast
import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Unpack, cast

__all__ = ["Default", "group_defaults", "unpacked_keywords", "unpacked_options"]

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Default:
    """The default of a keyword group's field, in its ``Annotated`` type."""

    value: Any


def _fields(group: type, *, evaluated: bool = False) -> list[inspect.Parameter]:
    """The group's fields as keyword-only parameters, in the order they are written: each
    annotated as its source writes it, or (``evaluated``) with the type and any other
    ``Annotated`` metadata (a Typer option), the default's mark taken out."""
    params = []
    for name, hint in typing.get_type_hints(group, include_extras=True).items():
        marks = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Default)]
        if typing.get_origin(hint) is not Annotated or len(marks) != 1:
            raise TypeError(f"{group.__name__}.{name} needs one Default(...) in its Annotated type")
        if evaluated:
            rest = tuple(m for m in hint.__metadata__ if not isinstance(m, Default))
            shown = Annotated[(hint.__origin__, *rest)] if rest else hint.__origin__
        else:
            shown = _as_written(group, name, hint)
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                        default=marks[0].value, annotation=shown))
    return params


def _as_written(group: type, name: str, hint: Any) -> Any:
    """A field's type as its source writes it (``Iterable[str]``), the way the function's own
    annotations show under ``from __future__ import annotations``; else the type itself."""
    raw = group.__annotations__.get(name)
    raw = getattr(raw, "__forward_arg__", raw)  # a TypedDict keeps str annotations as refs
    if isinstance(raw, str):
        node = ast.parse(raw, mode="eval").body
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
            return ast.unparse(node.slice.elts[0])
    return hint.__origin__


def group_defaults(group: type) -> dict[str, Any]:
    """Return each field of a keyword group with its default.

    Parameters
    ----------
    group : type
        A ``TypedDict`` whose fields are ``Annotated[type, Default(value)]``.

    Returns
    -------
    dict
        Field name to default, in the order the fields are written.
    """
    return {p.name: p.default for p in _fields(group)}


def _group_of(func: Callable[..., Any], param: inspect.Parameter) -> type:
    """The ``TypedDict`` of ``**param: Unpack[Group]``, read in ``func``'s module."""
    hint = param.annotation
    if isinstance(hint, str):
        hint = eval(hint, func.__globals__)
    if typing.get_origin(hint) is not Unpack:
        raise TypeError(f"{func.__name__}: **{param.name} is not annotated Unpack[Group]")
    return cast(type, typing.get_args(hint)[0])


def unpacked_keywords(func: _F) -> _F:
    """Show, check and fill the keyword group of ``func``'s ``**name: Unpack[Group]``.

    Parameters
    ----------
    func : callable
        A function whose last parameter is ``**name: Unpack[Group]``, ``Group`` a
        ``TypedDict`` of ``Annotated[type, Default(value)]`` fields.

    Returns
    -------
    callable
        ``func`` behind a wrapper whose ``__signature__`` has the group's fields in place of
        ``**name``; a call with a keyword outside it raises ``TypeError``, and ``func``
        receives every field of the group, defaults filled in.
    """
    return _unpacked(func, evaluated=False)


def unpacked_options(func: _F) -> _F:
    """:func:`unpacked_keywords` for a command-line command: the signature Typer reads.

    Typer builds a command's options from its signature's annotations as objects
    (``Annotated[str | None, typer.Option(...)]``), so every annotation of the shown
    signature is evaluated, the group's fields keeping their Typer metadata.

    Parameters
    ----------
    func : callable
        As :func:`unpacked_keywords` takes; its annotations must evaluate at run time.

    Returns
    -------
    callable
        As :func:`unpacked_keywords` returns, with evaluated annotations.
    """
    return _unpacked(func, evaluated=True)


def _unpacked(func: _F, *, evaluated: bool) -> _F:
    sig = inspect.signature(func, eval_str=evaluated)
    *own, last = sig.parameters.values()
    if last.kind is not inspect.Parameter.VAR_KEYWORD:
        raise TypeError(f"{func.__name__} has no **keywords to unpack")
    fields = _fields(_group_of(func, last), evaluated=evaluated)
    taken = {p.name for p in own} & {p.name for p in fields}
    if taken:
        raise TypeError(f"{func.__name__}: {sorted(taken)} are both parameters and group fields")
    shown = sig.replace(parameters=[*own, *fields])
    defaults = {p.name: p.default for p in fields}

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            shown.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{func.__name__}() {e}") from None
        return func(*args, **{**defaults, **kwargs})

    call.__signature__ = shown  # type: ignore[attr-defined]
    return cast(_F, call)
