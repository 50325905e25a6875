"""oretrace: map the rare-earth supply network from mines to weapon systems.

This package is the composition root: it wires :mod:`oretrace.loaders` (files, Neo4j) and
:mod:`oretrace.queries` (pure analysis) together for the command line and re-exports the most used
functions for notebooks. The work itself lives in ``oretrace.graphmodel``, ``oretrace.loaders`` and
``oretrace.queries``.
"""

from oretrace.graphmodel import at, get_node, platforms, restrict
from oretrace.loaders import bundled_path, load_dataset, validate_dataset
from oretrace.queries.compliance import (
    Compliance,
    ProcurementVerdict,
    TechnologyFlag,
    check_compliance,
    procurement_verdicts,
    technology_flags,
)
from oretrace.queries.shipments import ShipmentVerdict, find_shipments, shipment_verdicts

__all__ = ["Compliance", "ProcurementVerdict", "ShipmentVerdict", "TechnologyFlag", "at",
           "bundled_path", "check_compliance", "find_shipments", "get_node", "load_dataset",
           "platforms", "procurement_verdicts", "restrict", "shipment_verdicts",
           "technology_flags", "validate_dataset"]
__version__ = "0.1.0"
