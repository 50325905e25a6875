"""oretrace: map the rare-earth supply network from mines to weapon systems.

This package is the composition root: it wires :mod:`loaders` (files, Neo4j) and
:mod:`queries` (pure analysis) together for the command line and re-exports the most used
functions for notebooks. The work itself lives in ``graphmodel``, ``loaders`` and ``queries``.
"""

from graphmodel import at, get_node, platforms, restrict
from loaders import bundled_path, load_dataset, validate_dataset

__all__ = ["at", "bundled_path", "get_node", "load_dataset", "platforms", "restrict",
           "validate_dataset"]
__version__ = "0.1.0"
