"""The rules' vocabulary: clause kinds, end users, stage words, checked codes (private to rules).

Importable from :mod:`oretrace.graphmodel.rules`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from oretrace.graphmodel._schema_cells import ELEMENTS
from oretrace.graphmodel.vocab import COUNTRIES, Stage, TechStage, Verdict
from pydantic import AfterValidator, Field

__all__ = [
    "ASSUMPTIONS",
    "CLAUSE_KINDS",
    "END_USERS",
    "STAGE_WORDS",
    "TRIGGERS",
    "VERDICTS",
    "Assumption",
    "ClauseKind",
    "CountryCode",
    "ElementSymbol",
    "EndUser",
    "SourceIds",
    "StageOrWord",
    "TechStageWord",
    "check_stage_or_word",
    "check_tech_stage",
]

#: How a query reads a rule's status after its ``known_until``.
Assumption = Literal["lapsed", "extended"]
ASSUMPTIONS: tuple[str, ...] = ("lapsed", "extended")

#: The kinds of clause (DESIGN §3b).
ClauseKind = Literal["export", "extraterritorial", "end-user", "technology", "procurement"]
CLAUSE_KINDS: tuple[str, ...] = ("export", "extraterritorial", "end-user", "technology",
                                 "procurement")

#: End users a trigger may name: platforms' ``end_user`` values, and ``listed`` (a buyer
#: on an entity list, or at least 50 % owned by listed parties).
END_USERS: tuple[str, ...] = ("military", "civil", "listed")

#: The statute's verbs (10 U.S.C. 4872, DFARS 252.225-7052) as facility stages.
STAGE_WORDS: dict[str, frozenset[str]] = {
    "mined": frozenset({Stage.MINE, Stage.CONCENTRATION}),
    "refined": frozenset({Stage.SEPARATION, Stage.METAL}),
    "separated": frozenset({Stage.SEPARATION}),
    "melted": frozenset({Stage.ALLOY}),
    "produced": frozenset({Stage.ALLOY, Stage.MAGNET}),
}

# Which triggers each clause kind may use, and which verdicts it may give.
TRIGGERS: dict[str, frozenset[str]] = {
    "export": frozenset({"origin_content"}),
    "extraterritorial": frozenset({"origin_value_share", "origin_technology"}),
    "end-user": frozenset({"end_user"}),
    "technology": frozenset({"origin_technology"}),
    "procurement": frozenset({"stage_in_countries"}),
}
VERDICTS: dict[str, frozenset[str]] = {
    "export": frozenset({Verdict.LICENCE_REQUIRED, Verdict.CASE_BY_CASE, Verdict.NOT_APPLICABLE}),
    "extraterritorial": frozenset({Verdict.LICENCE_REQUIRED, Verdict.CASE_BY_CASE,
                                   Verdict.NOT_APPLICABLE}),
    "end-user": frozenset({Verdict.DENIED, Verdict.CASE_BY_CASE}),
    "technology": frozenset({Verdict.LICENCE_REQUIRED, Verdict.DENIED}),
    "procurement": frozenset({Verdict.NON_COMPLIANT}),
}


def _country(code: str) -> str:
    if code not in COUNTRIES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _element(symbol: str) -> str:
    if symbol not in ELEMENTS:
        raise ValueError(f"{symbol!r} is not a chemical element symbol")
    return symbol


def check_tech_stage(word: str) -> str:
    if word not in {s.value for s in TechStage}:
        raise ValueError(f"{word!r} is not a technology stage "
                         f"({', '.join(s.value for s in TechStage)})")
    return word


def check_stage_or_word(word: str) -> str:
    if word not in STAGE_WORDS and word not in {s.value for s in Stage}:
        raise ValueError(f"{word!r} is neither a facility stage nor a stage word "
                         f"({', '.join(STAGE_WORDS)})")
    return word


def _end_user(word: str) -> str:
    if word not in END_USERS:
        raise ValueError(f"{word!r} is not an end user ({', '.join(END_USERS)})")
    return word


CountryCode = Annotated[str, AfterValidator(_country)]
ElementSymbol = Annotated[str, AfterValidator(_element)]
TechStageWord = Annotated[str, AfterValidator(check_tech_stage)]
StageOrWord = Annotated[str, AfterValidator(check_stage_or_word)]
EndUser = Annotated[str, AfterValidator(_end_user)]
SourceIds = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)]
