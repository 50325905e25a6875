"""A scenario's options and what both feasibility engines read from them (private).

A scenario is what fails, the date, a policy and whether substitutes count: the options
:func:`oretrace.queries.feasibility.simulate` takes (documented once as
``scenario_options`` in :mod:`oretrace.graphmodel._docs`). The plain network
(:func:`oretrace.queries.feasibility.scenario_network`) and the compiled form
(:func:`oretrace.queries._compiled_feasibility.compiled_scenario`) both stand on
:func:`scenario_inputs`, and both word their data gaps with :func:`gap_lines`.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> s = scenario_inputs(load_dataset(MINI), fail=["country:CN"], as_of="2026-06-01")
>>> s.day.isoformat(), s.failed, s.report, s.denied
('2026-06-01', ['cn-mine', 'cn-sep'], None, [])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sized
from typing import Annotated, Any, NamedTuple, TypedDict, Unpack

import networkx as nx
from oretrace.graphmodel import parse_date
from oretrace.graphmodel._keywords import Default, group_defaults
from oretrace.queries._feasibility_network import Link, resolve_failures
from oretrace.queries._feasibility_policies import Policy, PolicyReport, scenario_policy

__all__ = ["SCENARIO_DEFAULTS", "ScenarioInputs", "ScenarioOptions", "gap_lines",
           "scenario_inputs"]


class ScenarioOptions(TypedDict, total=False):
    """A scenario's options as keywords, with their defaults (nothing fails, today, no
    policy, no substitutes): the public queries take them as ``**scenario``
    (:mod:`oretrace.graphmodel._keywords`)."""

    fail: Annotated[Iterable[str], Default(())]
    as_of: Annotated[str | dt.date | None, Default(None)]
    policy: Annotated[str | Policy | None, Default(None)]
    substitutions: Annotated[bool, Default(False)]


#: Each scenario option's default.
SCENARIO_DEFAULTS: dict[str, Any] = group_defaults(ScenarioOptions)


class ScenarioInputs(NamedTuple):
    """What a scenario's options come to before any network is built."""

    day: dt.date
    #: Every facility id the failure specs name, sorted.
    failed: list[str]
    #: The policy's report (``None`` without a policy).
    report: PolicyReport | None
    #: The links the policy denies, ``(supplier, buyer, product)``.
    denied: list[Link]
    substitutions: bool


def scenario_inputs(G: nx.MultiDiGraph, **scenario: Unpack[ScenarioOptions]) -> ScenarioInputs:
    """Read a scenario's options: its date, the facilities that fail, the policy's report
    and the links it denies."""
    s: ScenarioOptions = {**SCENARIO_DEFAULTS, **scenario}  # type: ignore[typeddict-item]
    day, substitutions = parse_date(s["as_of"]), s["substitutions"]
    failed = sorted({f for ids in resolve_failures(G, s["fail"]).values() for f in ids})
    report, denied = scenario_policy(G, day, s["policy"], substitutions)
    return ScenarioInputs(day, failed, report, denied, substitutions)


def gap_lines(missing: Iterable[tuple[str, str]], assemblies: Mapping[str, Sized],
              as_of: dt.date) -> list[str]:
    """Word a date's data gaps: each ``(facility, product)`` need that no link carries, then
    each platform that nothing assembles (an empty entry of ``assemblies``)."""
    return ([f"{f} needs {p} but nothing supplies it on {as_of}" for f, p in missing]
            + [f"platform {p}: no facility assembles it on {as_of}"
               for p, idx in assemblies.items() if not idx])
