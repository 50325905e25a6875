"""Entry point of the ``oretrace`` command: wires loaders into the queries' CLI."""

from __future__ import annotations

import sys

from graphmodel import DatasetError, OretraceError
from loaders import load_dataset, validate_dataset
from queries.cli import Services, make_app

__all__ = ["main"]


def services() -> Services:
    """Return the loaders the CLI uses."""
    extras = {}
    try:
        from loaders.neo4j import load_from_neo4j
    except ImportError:  # the Neo4j loader is optional
        pass
    else:
        extras["load_neo4j"] = load_from_neo4j
    return Services(load=load_dataset, validate=validate_dataset, extras=extras)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn oretrace errors into one readable message and exit status 2."""
    app = make_app(services())
    try:
        app(args=argv, standalone_mode=True)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except OretraceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
