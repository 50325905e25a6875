"""What :mod:`oretrace.queries.shipments` answers: a shipment, a rule's verdict on it, and a
clause's finding on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from oretrace.graphmodel import (
    Confidence,
)
from oretrace.graphmodel.vocab import Verdict
from pydantic import BaseModel

__all__ = [
    "Shipment",
    "ShipmentVerdict",
]


class Shipment(BaseModel):
    """A needed supply link across a border, as of a date."""

    supplier: str
    buyer: str
    product: str
    via: str | None
    from_country: str | None
    to_country: str | None
    platforms: list[str]
    end_uses: list[str]
    destinations: list[str]
    buyer_listed: str | None
    confidence: Confidence
    sources: list[str]

    @property
    def link(self) -> tuple[str, str, str]:
        """The supply link that carries it: ``(supplier, buyer or market, product)``."""
        return (self.supplier, self.via or self.buyer, self.product)


class ShipmentVerdict(BaseModel):
    """What one rule says of one shipment, with the clause, evidence and status."""

    supplier: str
    buyer: str
    product: str
    from_country: str | None
    to_country: str | None
    via: str | None
    rule: str
    instrument: str
    clause: str
    kind: str
    verdict: Verdict
    end_use: str
    evidence: str
    value_share: float | None
    status: str
    applies: bool
    confidence: Confidence
    sources: list[str]
    threshold_test: str | None = None
    value_share_low: float | None = None
    value_share_high: float | None = None

    @property
    def link(self) -> tuple[str, str, str]:
        """The supply link that carries it: ``(supplier, buyer or market, product)``."""
        return (self.supplier, self.via or self.buyer, self.product)


@dataclass
class _Finding:
    evidence: str
    value_share: float | None = None
    confidence: Confidence = Confidence.DOCUMENTED
    sources: list[str] = field(default_factory=list)
    end_use: str | None = None
    test: str | None = None
    bounds: tuple[float, float] | None = None
