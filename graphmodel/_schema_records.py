"""The pydantic models of the CSV records, one validator per invariant (private to schema).

Importable from :mod:`oretrace.graphmodel.schema`, whose docstring shows one in use.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from oretrace.graphmodel._record_checks import at_least_one, is_fraction, not_before, not_negative
from oretrace.graphmodel._schema_cells import (
    ELEMENTS,
    Country,
    Id,
    IdList,
    Number,
    OptBool,
    OptDate,
    OptFloat,
    OptId,
    OptStr,
    blank_to_none,
    check_country,
    parse_elements,
)
from oretrace.graphmodel.ranges import split_ranges
from oretrace.graphmodel.vocab import (
    Category,
    Confidence,
    FacilityStatus,
    Stage,
    TechStage,
)
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = ["BomLine", "Company", "Facility", "Ownership", "Product", "Record", "Source",
           "Supply", "Technology"]


class Record(BaseModel):
    """Common configuration: frozen, extra columns kept as attributes."""

    model_config = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def a_ranged_cell_reads_as_its_midpoint(cls, data: Any) -> Any:
        # lo..hi cells, both ends checked (oretrace.graphmodel.ranges)
        return split_ranges(cls, data)


class _Sourced(Record):
    """A record that cites its sources and says how sure it is."""

    sources: IdList = Field(description="ids of rows of sources.csv")
    confidence: Confidence

    _cites_a_source = at_least_one("sources", "at least one source id is required")


class _Named(_Sourced):
    """A sourced record of a thing with an id and a name (not a link between things)."""

    id: Id
    name: str = Field(min_length=1)


class Source(Record):
    """A document that figures and links are drawn from."""

    id: Id
    title: str = Field(min_length=1)
    publisher: OptStr = None
    date: OptDate = None
    url: OptStr = None


class Company(_Named):
    """An operator or owner of facilities."""

    country: Country = None
    state_owned: OptBool = None
    listed_on: IdList = ()

    _country_is_iso = field_validator("country")(check_country)


class Ownership(_Sourced):
    """``owner`` holds ``share`` of ``owned`` between ``start`` and ``end``."""

    owner: Id
    owned: Id
    share: Number
    start: OptDate = None
    end: OptDate = None

    @field_validator("owned")
    @classmethod
    def company_does_not_own_itself(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("owner"):
            raise ValueError(f"company {value!r} owns itself")
        return value

    _share_is_a_fraction = is_fraction("share", zero=False)
    _end_is_not_before_start = not_before("start", "end")


class Technology(_Named):
    """A process know-how a facility runs."""

    stage: TechStage
    origin_country: Country = None

    _country_is_iso = field_validator("origin_country")(check_country)


class Product(_Named):
    """A material or part type, with its element mass fractions and unit price."""

    category: Category
    elements: Annotated[dict[str, Number], BeforeValidator(parse_elements)] = Field(
        default_factory=dict
    )
    unit: Literal["kg", "each"]
    unit_price_usd: OptFloat = None
    #: platforms: who uses it (``military``, ``civil``) and where it is delivered
    end_user: Annotated[Literal["military", "civil"] | None,
                        BeforeValidator(blank_to_none)] = None
    delivered_to: IdList = ()

    @field_validator("delivered_to")
    @classmethod
    def delivered_to_are_country_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            check_country(code)
        return value

    @field_validator("elements")
    @classmethod
    def element_fractions_are_fractions_summing_to_at_most_one(
        cls, value: dict[str, float]
    ) -> dict[str, float]:
        for symbol, fraction in value.items():
            if symbol not in ELEMENTS:
                raise ValueError(f"{symbol!r} is not a chemical element symbol")
            if not 0.0 <= fraction <= 1.0:
                raise ValueError(f"mass fraction of {symbol} is {fraction}, not within 0..1")
        total = sum(value.values())
        if total > 1.0 + 1e-9:
            raise ValueError(f"element mass fractions add up to {total:.4g}, above 1")
        return value

    _price_is_not_negative = not_negative("unit_price_usd", "unit price")


class BomLine(_Sourced):
    """One unit of ``product`` needs ``qty`` units of ``input``.

    ``substitute_for`` marks a line as an alternative to another input of the same product
    (e.g. a Dy-lean grade for a standard grade): such lines are not required in the baseline,
    only scenarios that allow substitution use them.
    """

    product: Id
    input: Id
    qty: Number
    substitute_for: OptId = None

    @field_validator("qty")
    @classmethod
    def quantity_is_positive(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(f"quantity {value} is not positive")
        return value


class Facility(_Named):
    """A site that produces something, or a market standing in for unknown links."""

    company: OptId = None
    country: Country = None
    stage: Stage
    products: IdList
    capacity: OptFloat = None
    capacity_unit: OptStr = None
    status: FacilityStatus = FacilityStatus.OPERATING
    online_from: OptDate = None
    online_until: OptDate = None
    technologies: IdList = ()

    _country_is_iso = field_validator("country")(check_country)

    _makes_a_product = at_least_one("products", "a facility must list at least one product")

    _capacity_is_not_negative = not_negative("capacity", "capacity")

    @field_validator("status", mode="before")
    @classmethod
    def blank_status_means_operating(cls, value: Any) -> Any:
        return blank_to_none(value) or FacilityStatus.OPERATING

    _online_until_is_not_before_online_from = not_before("online_from", "online_until")


class Supply(_Sourced):
    """``supplier`` ships ``product`` to ``buyer``, covering ``share`` of the buyer's need."""

    supplier: Id
    buyer: Id
    product: Id
    share: Number
    start: OptDate = None
    end: OptDate = None

    _share_is_a_fraction = is_fraction("share")
    _end_is_not_before_start = not_before("start", "end")

    @model_validator(mode="after")
    def supplier_is_not_buyer(self) -> Supply:
        if self.supplier == self.buyer:
            raise ValueError(f"facility {self.supplier!r} supplies itself")
        return self
