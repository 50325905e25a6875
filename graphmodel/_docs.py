"""Parameter descriptions shared by the public functions' numpydoc docstrings, written once.

Many queries take the same options (``G``, ``as_of``, ``fail``, ``policy`` …). Their numpydoc
``Parameters`` entries are written here once; a docstring names one in a line of its own,
``%(as_of)s``, and :func:`shared_docs` fills it in at import, indented as the line is (the
pattern of pandas' ``_shared_docs`` and matplotlib's ``_docstring.interpd``). The filled
docstring is what ``help()``, Sphinx and the numpydoc validator read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["BUNDLES", "PARAMETERS", "shared_docs"]

_F = TypeVar("_F", bound=Callable[..., Any])

_AS_OF = """\
The date to read the network at (default today): facilities and links outside their
date windows are absent (planned facilities count from ``online_from``, links from
``start``)."""

#: Each shared parameter's numpydoc entry: its type line, then its description.
PARAMETERS: dict[str, str] = {
    "G": "G : networkx.MultiDiGraph\n    The oretrace graph (not mutated).",
    "as_of": "as_of : date or ISO str, optional\n" + "\n".join(
        "    " + line for line in _AS_OF.splitlines()),
    "fail": """\
fail : iterable of str
    What fails (default nothing): failure specs ``ID`` or ``facility:ID`` (one
    facility; a bare ``ID`` may also name a company), ``company:ID`` (every facility the
    company operates) or ``country:CC`` (every facility located in that country).""",
    "policy": """\
policy : str or Policy, optional
    A policy from :data:`oretrace.queries.feasibility.POLICIES` by name, e.g.
    ``"cn-denies-military"`` (the shipments a rule of the data denies to military end uses
    stop), or ``None`` (the default) for none.""",
    "substitutions": """\
substitutions : bool
    Let substitute inputs (bill-of-materials lines with ``substitute_for``) meet a need
    (default ``False``); the result lists each one used.""",
    "min_confidence": """\
min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
    Drop facilities and links weaker than this level first (default: keep all).""",
    "level": """\
level : {"facility", "company", "country"}
    The grouping whose loss is counted: one facility, every facility a company operates,
    or every facility located in a country (default ``facility``).""",
    "origin": """\
origin : str or Predicate
    An ISO country code (default ``"CN"``) or a predicate selecting origin facilities.""",
    "element": """\
element : str or iterable of str, optional
    Count only items holding these elements (default all rare earths the product holds).""",
    "stages": """\
stages : iterable of str, optional
    The stages at which a facility in ``origin`` makes origin items.""",
    "categories": """\
categories : iterable of str, optional
    Count only origin items of these product categories.""",
    "platforms_examined": """\
platforms : iterable of str, optional
    The platforms whose single points are sought (default every platform).""",
    "products": """\
products : str or iterable of str, optional
    The products to test (default every platform).""",
    "backend": """\
backend : {"auto", "networkx", "compiled", "neo4j"}
    Which implementation answers (:mod:`oretrace.queries._dispatch`): ``networkx`` the
    reference, ``compiled`` the array form (same answers, for big graphs), ``neo4j`` the
    server's (given a ``Neo4jGraph``); ``auto`` (the default) picks by the graph and its size.""",
    "priced_product": """\
product : str
    A product id with a unit price.""",
    "country": """\
country : str
    An ISO 3166-1 alpha-2 country code, e.g. ``"CN"``.""",
    "predicate_name": """\
name : str, optional
    The predicate's name, as results and the CLI show it (default derived from the
    arguments).""",
    "as_of_any": """\
as_of : date or ISO str, optional
    Read the network as of this date (default: every date window).""",
    "as_of_rules": """\
as_of : date or ISO str, optional
    The date to read the network and the rules at (default today): facilities, links and
    rule clauses outside their date windows are absent.""",
    "assume": """\
assume : {"lapsed", "extended"}
    The status a rule is assumed to have after its ``known_until``: ``lapsed`` (default,
    the legal reading: a suspension whose end passed with no recorded extension has
    lapsed, so the rule applies again) or ``extended`` (a suspension running on
    ``known_until`` runs on). A verdict resting on it says ``assumed-…`` and carries at
    most ``estimated`` confidence.""",
    "rules": """\
rules : str or iterable of str, optional
    A rule id or several (default every rule of the graph).""",
    "end_user": """\
end_user : {"military", "civil", "listed"}, optional
    Read every shipment as if this were its only end use (default: the end uses of the
    platforms it feeds).""",
    "destination": """\
destination : str, optional
    Read every shipment as if this ISO country code were its only destination (default:
    the platforms' own ``delivered_to``).""",
    "platform": """\
platform : str
    A product id, usually a platform (e.g. ``F-35``).""",
    "platforms_merged": """\
platform : str or iterable of str
    A platform id, or several (their shipments are merged, each listing the platforms it
    feeds).""",
    "product": """\
product : str
    A product id (a platform, a component, a magnet …).""",
}

#: Options that go together, named as one slot: each expands to its parameters in order.
BUNDLES: dict[str, tuple[str, ...]] = {
    "content_options": ("origin", "element", "as_of", "stages", "categories"),
    "scenario_options": ("fail", "as_of", "policy", "substitutions"),
    "single_point_options": ("fail", "as_of", "policy", "substitutions", "level",
                             "platforms_examined"),
    "rule_options": ("as_of_rules", "assume", "rules", "min_confidence"),
    "shipment_options": ("as_of_rules", "assume", "rules", "min_confidence", "end_user",
                         "destination"),
    "value_share_reading": ("G", "priced_product", "origin", "element", "as_of", "stages",
                            "categories"),
    "ranged_reading": ("G", "as_of_any"),
    "platform_rule_reading": ("G", "platform", "as_of_rules", "assume", "rules", "min_confidence"),
}

_SLOT = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


def shared_docs(func: _F) -> _F:
    """Fill each ``%(name)s`` line of ``func``'s docstring with its shared entries.

    ``name`` is a key of :data:`PARAMETERS` (one entry) or of :data:`BUNDLES` (several).

    Parameters
    ----------
    func : callable
        A function or class whose docstring names shared parameters.

    Returns
    -------
    callable
        ``func``, its docstring filled in.

    Raises
    ------
    KeyError
        When a slot names no shared parameter (a typo shows at import).

    Examples
    --------
    >>> @shared_docs
    ... def f(G):
    ...     '''Do it.
    ...
    ...     Parameters
    ...     ----------
    ...     %(G)s
    ...     '''
    >>> print(f.__doc__.splitlines()[4])
        G : networkx.MultiDiGraph
    """
    if func.__doc__:
        func.__doc__ = _SLOT.sub(_fill, func.__doc__)
    return func


def _fill(match: re.Match[str]) -> str:
    indent, name = match["indent"], match["name"]
    names = BUNDLES.get(name, (name,))
    missing = [n for n in names if n not in PARAMETERS]
    if missing:
        raise KeyError(f"no shared parameter {missing[0]!r} (see oretrace.graphmodel._docs)")
    return "\n".join(indent + line for n in names for line in PARAMETERS[n].splitlines())
