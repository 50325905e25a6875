"""Storage backends: the embedded networkx graph (default) and, opt-in, Neo4j."""

__all__: list[str] = []
