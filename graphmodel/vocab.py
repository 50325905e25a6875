"""The controlled vocabulary: confidence levels, stages, categories, verdicts, countries."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CONFIDENCE_ORDER",
    "COUNTRIES",
    "Category",
    "Confidence",
    "EdgeKind",
    "FacilityStatus",
    "NodeKind",
    "PROCESSING_STAGES",
    "Stage",
    "TechStage",
    "Verdict",
    "weakest",
]


class Confidence(StrEnum):
    """How much a node, edge or figure can be trusted, strongest first."""

    DOCUMENTED = "documented"  # a primary source names this very link or figure
    REPORTED = "reported"  # credible press or analysis reports it
    ESTIMATED = "estimated"  # derived from statistics (e.g. a market node's country shares)
    ILLUSTRATIVE = "illustrative"  # a placeholder that keeps the structure whole; not a claim


#: Rank of each confidence level: higher is stronger.
CONFIDENCE_ORDER: dict[str, int] = {
    Confidence.ILLUSTRATIVE: 0,
    Confidence.ESTIMATED: 1,
    Confidence.REPORTED: 2,
    Confidence.DOCUMENTED: 3,
}


def weakest(levels: list[str] | tuple[str, ...] | set[str]) -> Confidence:
    """Return the weakest confidence among ``levels`` (documented when empty).

    Parameters
    ----------
    levels : list, tuple or set of str
        Confidence levels (``documented``, ``reported``, ``estimated``, ``illustrative``).

    Returns
    -------
    Confidence
        The weakest level among them; ``documented`` for no levels (nothing weakens it).

    Examples
    --------
    >>> weakest(["documented", "estimated", "reported"])
    <Confidence.ESTIMATED: 'estimated'>
    """
    if not levels:
        return Confidence.DOCUMENTED
    return Confidence(min(levels, key=lambda c: CONFIDENCE_ORDER[c]))


class NodeKind(StrEnum):
    """What a node of the graph stands for."""

    FACILITY = "facility"
    COMPANY = "company"
    PRODUCT = "product"
    TECHNOLOGY = "technology"
    RULE = "rule"


class EdgeKind(StrEnum):
    """What an edge of the graph means."""

    SUPPLIES = "supplies"  # facility -> facility, carrying `product`
    REQUIRES = "requires"  # product -> product (bill of materials)
    OPERATES = "operates"  # company -> facility
    OWNS = "owns"  # company -> company, with `share`
    USES = "uses"  # facility -> technology


class Stage(StrEnum):
    """The stage of a facility, upstream first."""

    MINE = "mine"
    CONCENTRATION = "concentration"
    SEPARATION = "separation"
    METAL = "metal"
    ALLOY = "alloy"
    MAGNET = "magnet"
    COMPONENT = "component"
    SUBSYSTEM = "subsystem"
    ASSEMBLY = "assembly"
    RECYCLING = "recycling"
    MARKET = "market"


#: Stages at which a facility processes material (the `cn-processing` predicate reads these).
PROCESSING_STAGES: frozenset[str] = frozenset(
    {Stage.SEPARATION, Stage.METAL, Stage.ALLOY, Stage.MAGNET, Stage.RECYCLING}
)


class TechStage(StrEnum):
    """The stage a technology serves (MOFCOM Nos. 61/62 name mining to recycling)."""

    MINING = "mining"
    SEPARATION = "separation"
    METAL = "metal"
    ALLOY = "alloy"
    MAGNET = "magnet"
    COMPONENT = "component"
    RECYCLING = "recycling"


class Category(StrEnum):
    """The category of a product, raw first."""

    ORE = "ore"
    CONCENTRATE = "concentrate"
    OXIDE = "oxide"
    METAL = "metal"
    ALLOY = "alloy"
    MAGNET = "magnet"
    SCRAP = "scrap"
    COMPONENT = "component"
    SUBSYSTEM = "subsystem"
    PLATFORM = "platform"


class FacilityStatus(StrEnum):
    """Whether a facility runs; dates in `online_from`/`online_until` bound it in time."""

    OPERATING = "operating"
    CONSTRUCTION = "construction"
    PLANNED = "planned"
    UNCERTAIN = "uncertain"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Verdict(StrEnum):
    """What a rule says of a shipment, a facility or a platform, as of a date.

    Shipments: licence-required, denied, case-by-case. The delivered platform under a
    procurement rule: compliant, non-compliant, waived. A platform's summary of a rule that
    licenses shipments or flags facilities (never a verdict on the platform itself):
    shipments-licensed, shipments-denied, facilities-flagged.
    """

    LICENCE_REQUIRED = "licence-required"
    DENIED = "denied"
    CASE_BY_CASE = "case-by-case"
    NOT_APPLICABLE = "not-applicable"
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    SUSPENDED = "suspended"
    WAIVED = "waived"
    SHIPMENTS_LICENSED = "shipments-licensed"
    SHIPMENTS_DENIED = "shipments-denied"
    FACILITIES_FLAGGED = "facilities-flagged"


#: ISO 3166-1 alpha-2 codes (officially assigned).
COUNTRIES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()
)
