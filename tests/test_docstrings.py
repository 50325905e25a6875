"""Every public function and class has a numpydoc docstring that numpydoc's validator accepts.

The public objects are found, not listed: every function and class named in the ``__all__``
of the front door (``oretrace``) and of ``oretrace.graphmodel``, ``oretrace.loaders``,
``oretrace.queries`` and ``oretrace.queries.predicates`` (lazy names are resolved), and the
public methods and properties those classes define, so a name added to any of them is
checked from then on. Each is validated by
``numpydoc.validate.validate`` under the path where it is defined, as scikit-learn's
``sklearn/tests/test_docstrings.py`` does.

What is checked (:data:`FUNCTION_CHECKS`): a docstring exists (GL08); its layout (GL01-GL03,
GL05-GL07, GL09, GL10); a one-line summary starting with a capital, in the imperative, ending
in a period (SS01-SS06); every parameter documented, none unknown, in the signature's order,
each with a type and a sentence of description (PR01-PR10); a Returns section whenever the
function returns a value (numpydoc reads the source: a function whose every ``return`` is
bare or ``None`` needs none), or a Yields section for a generator, each described (RT01-RT05,
YD01); See Also entries well formed if present (SA02-SA04); an Examples section (EX01),
which ``tests/test_doctests.py`` runs. Not checked: an extended summary (ES01) and a See Also
section (SA01).

Classes and properties get the layout and summary checks (:data:`CLASS_CHECKS`), no
Examples; methods are checked as functions, Examples not required. A class whose
constructor a user calls with arguments of its own (one that defines ``__init__``; not a
result model, a dataclass or an enum, whose "parameters" are their fields) also gets the
parameter checks.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import types
from collections.abc import Callable

import numpydoc.validate as numpydoc_validate
import pydantic
import pytest

#: The public doors whose ``__all__`` lists what is checked.
DOORS = ("oretrace", "oretrace.graphmodel", "oretrace.loaders", "oretrace.queries",
         "oretrace.queries.predicates")

_LAYOUT = ("GL01", "GL02", "GL03", "GL05", "GL06", "GL07", "GL08", "GL09", "GL10")
_SUMMARY = ("SS01", "SS02", "SS03", "SS04", "SS05", "SS06")
_PARAMETERS = ("PR01", "PR02", "PR03", "PR04", "PR05", "PR06", "PR07", "PR08", "PR09", "PR10")
_RETURNS = ("RT01", "RT02", "RT03", "RT04", "RT05", "YD01")
_SEE_ALSO = ("SA02", "SA03", "SA04")
_EXAMPLES = ("EX01",)

FUNCTION_CHECKS = frozenset(_LAYOUT + _SUMMARY + _PARAMETERS + _RETURNS + _SEE_ALSO + _EXAMPLES)
CLASS_CHECKS = frozenset(_LAYOUT + _SUMMARY + _SEE_ALSO)
CONSTRUCTOR_CHECKS = CLASS_CHECKS | frozenset(_PARAMETERS)

#: Objects excused from checks, by path: ``(codes, reason)``. Keep it short, empty if possible;
#: excuses live here, where they are seen, not in ``# numpydoc ignore=`` comments.
ALLOWED: dict[str, tuple[frozenset[str], str]] = {}


def _public_objects() -> dict[str, object]:
    """Map ``module.qualname`` to every public function and class of the doors, and to the
    public methods and properties each such class defines itself."""
    found: dict[str, object] = {}
    for door in DOORS:
        module = importlib.import_module(door)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
            if inspect.isclass(obj):
                found |= {f"{obj.__module__}.{obj.__qualname__}.{attr}": member
                          for attr, member in vars(obj).items() if not attr.startswith("_")
                          and isinstance(member, _MEMBER_TYPES)}
    return dict(sorted(found.items()))


#: The members of a class that are checked: methods (as functions) and properties.
_MEMBER_TYPES = (types.FunctionType, classmethod, staticmethod, property)

PUBLIC = _public_objects()


def _constructor_is_public(cls: type) -> bool:
    """Whether the class's parameters are a constructor's own (not fields or enum values)."""
    generated = (issubclass(cls, enum.Enum | pydantic.BaseModel)
                 or dataclasses.is_dataclass(cls))
    return not generated and any("__init__" in vars(k) for k in cls.__mro__
                                 if k.__module__ != "builtins")


def checks_for(obj: object) -> frozenset[str]:
    """Return the numpydoc codes that ``obj``'s docstring must pass."""
    if inspect.isclass(obj):
        return CONSTRUCTOR_CHECKS if _constructor_is_public(obj) else CLASS_CHECKS
    if isinstance(obj, property):  # read like an attribute: a summary says what it is
        return CLASS_CHECKS
    function = getattr(obj, "__func__", obj)  # a classmethod or staticmethod wraps one
    if "." in function.__qualname__:  # a method: its class's example shows it at work
        return FUNCTION_CHECKS - frozenset(_EXAMPLES)
    return FUNCTION_CHECKS


def errors_of(path: str, obj: object) -> list[str]:
    """Return ``"CODE: message"`` for each failed check of the object at ``path``, and for
    each excuse of :data:`ALLOWED` it no longer needs."""
    excused, _reason = ALLOWED.get(path, (frozenset(), ""))
    found = numpydoc_validate.validate(path)["errors"]
    stale = excused - {code for code, _ in found}
    return ([f"{code}: {message}" for code, message in found
             if code in checks_for(obj) - excused]
            + [f"{code}: passes now; remove it from ALLOWED" for code in sorted(stale)])


def test_the_doors_are_walked() -> None:
    """Functions and classes of each subpackage are found, lazily exported names too."""
    for path in ("oretrace.queries.exposure.find_exposed", "oretrace.loaders.files.load_dataset",
                 "oretrace.graphmodel.timeslice.at", "oretrace.queries.predicates.located_in",
                 "oretrace.queries.exposure.Exposure", "oretrace.graphmodel.graph.Records",
                 "oretrace.queries.predicates.Predicate.select"):
        assert path in PUBLIC
    assert len(PUBLIC) > 80
    assert set(ALLOWED) <= set(PUBLIC)


def test_which_checks_apply_to_what() -> None:
    """A class whose ``__init__`` is its own gets the parameter checks; a result model, a
    dataclass, an enum and an exception without ``__init__`` do not (their parameters are
    fields or values); a method gets the function checks except Examples."""
    from oretrace.graphmodel import Confidence, OretraceError, Problem, Records
    from oretrace.queries.exposure import Exposure

    assert checks_for(Records) == CONSTRUCTOR_CHECKS
    for cls in (Exposure, Problem, Confidence, OretraceError):
        assert checks_for(cls) == CLASS_CHECKS
    assert checks_for(PUBLIC["oretrace.queries.predicates.Predicate.select"]) == \
        FUNCTION_CHECKS - {"EX01"}


def test_the_checks_can_fail() -> None:
    """A function without Parameters or Returns, and one with a wrong name, are caught."""
    def bare(G: object, *, as_of: str | None = None) -> int:
        """Count something."""
        return 0

    def wrong(G: object) -> int:
        """Count something.

        Parameters
        ----------
        H : networkx.MultiDiGraph
            The graph.

        Returns
        -------
        int
            The count.
        """
        return 0

    def codes(function: Callable[..., object]) -> set[str]:
        doc = numpydoc_validate.get_doc_object(function)
        return {code for code, _ in numpydoc_validate.validate(doc)["errors"]} & FUNCTION_CHECKS

    assert {"PR01", "RT01"} <= codes(bare)
    assert {"PR01", "PR02"} <= codes(wrong)


def test_an_excuse_that_is_no_longer_needed_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    path = "oretrace.graphmodel.timeslice.at"
    monkeypatch.setitem(ALLOWED, path, (frozenset({"PR01"}), "documented since"))
    assert errors_of(path, PUBLIC[path]) == ["PR01: passes now; remove it from ALLOWED"]


@pytest.mark.parametrize("path", list(PUBLIC))
def test_docstring(path: str) -> None:
    errors = errors_of(path, PUBLIC[path])
    if errors:
        pytest.fail(f"{path}:\n  " + "\n  ".join(errors), pytrace=False)
