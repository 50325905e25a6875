"""Keyword groups (oretrace.graphmodel._keywords): options written once as a TypedDict, shown
and checked as the function's own keywords.

Unit tests on drawn groups, then the public queries that take the scenario, the rule
reading and the content options: their signatures name every option with the default
DESIGN gives it (nothing fails, today, no policy, no substitutes; a lapsed suspension
applies again; Chinese origin).
"""

from __future__ import annotations

import inspect
from typing import Annotated, TypedDict, Unpack

import pytest
from oretrace.graphmodel._keywords import Default, group_defaults, unpacked_keywords


class Window(TypedDict, total=False):
    start: Annotated[int, Default(0)]
    stop: Annotated[int | None, Default(None)]


class Undefaulted(TypedDict, total=False):
    start: int


def test_the_group_is_shown_filled_and_checked() -> None:
    seen: list[dict[str, object]] = []

    @unpacked_keywords
    def f(xs: list[int], *, step: int = 1, **window: Unpack[Window]) -> int:
        seen.append(dict(window))
        return len(xs[window["start"]:window["stop"]:step])

    params = inspect.signature(f).parameters
    assert [(p.name, p.kind.name, p.default) for p in params.values()] == [
        ("xs", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
        ("step", "KEYWORD_ONLY", 1), ("start", "KEYWORD_ONLY", 0),
        ("stop", "KEYWORD_ONLY", None)]
    assert str(params["stop"].annotation) == "int | None"
    assert f([1, 2, 3, 4], stop=3) == 3          # [1, 2, 3]
    assert seen[-1] == {"start": 0, "stop": 3}    # the default filled in
    with pytest.raises(TypeError, match=r"^f\(\) got an unexpected keyword argument 'stpo'"):
        f([1], stpo=1)
    with pytest.raises(TypeError, match=r"^f\(\) missing a required argument: 'xs'"):
        f(start=1)
    assert f.__name__ == "f" and f.__wrapped__ is not None  # type: ignore[attr-defined]


def test_a_group_without_defaults_or_a_clash_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="Undefaulted.start needs one Default"):
        @unpacked_keywords
        def g(**opts: Unpack[Undefaulted]) -> None: ...
    with pytest.raises(TypeError, match=r"\['start'\] are both parameters and group fields"):
        @unpacked_keywords
        def h(*, start: int = 1, **window: Unpack[Window]) -> None: ...
    with pytest.raises(TypeError, match="has no \\*\\*keywords to unpack"):
        @unpacked_keywords
        def k(x: int) -> None: ...
    assert group_defaults(Window) == {"start": 0, "stop": None}


@pytest.mark.parametrize(("name", "options"), [
    ("simulate", {"fail": (), "as_of": None, "policy": None, "substitutions": False}),
    ("simulate_scenario", {"fail": (), "as_of": None, "policy": None,
                           "substitutions": False}),
    ("find_shortfall", {"fail": (), "as_of": None, "policy": None, "substitutions": False}),
    ("find_single_points_of_failure", {"level": "facility", "platforms": None,
                                       "fail": (), "as_of": None, "policy": None,
                                       "substitutions": False}),
    ("find_restore", {"until": None, "fail": (), "as_of": None, "policy": None,
                      "substitutions": False}),
    ("shipment_verdicts", {"as_of": None, "assume": "lapsed", "rules": None,
                           "min_confidence": None, "end_user": None, "destination": None}),
    ("origin_share", {"origin": "CN", "element": None, "as_of": None, "stages": None,
                      "categories": None}),
])
def test_public_queries_show_every_option_with_its_default(
        name: str, options: dict[str, object]) -> None:
    import oretrace

    params = inspect.signature(getattr(oretrace, name)).parameters
    assert {n: params[n].default for n in options} == options
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
