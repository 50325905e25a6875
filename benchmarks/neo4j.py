"""Neo4j loads on a generated network: push, re-push, bulk import and native queries.

``python -m benchmarks --neo4j`` draws a synthetic network of about ``--edges`` supply
links (``oretrace.loaders.synth``), then, against a server (``NEO4J_URI`` and friends, or
the bundled launcher started here with ``--neo4j-launch``, 1 GiB heap):

- **push**: a first push of the network as a new dataset (the server warmed by a small push
  first), relationships per second against the issue's 20,000/s;
- **re-push**: the same network pushed again (written, switched, the old version deleted
  in batches): it must succeed and leave exactly one version; its rate is shown;
- **bulk import**: ``oretrace neo4j import-files`` (writing the CSV files) and Neo4j's own
  importer (``neo4j-admin database import full``, run by the launcher's ``run_import`` into
  a fresh store), relationships per second of the importer against 200,000/s, and of the
  two together; with ``--neo4j-launch`` a server is started on the imported store and the
  version it reads is counted;
- **native queries** on the pushed network: ``find_exposed`` (every platform,
  k = 3) and ``find_where_used`` of a Chinese separator, against 2 s each.

Without a server the rows say "skipped". The import needs only Java and the launcher's
jars (built on first use).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.measure import time_once

Row = dict[str, Any]

__all__ = ["PUSH_TARGET", "IMPORT_TARGET", "QUERY_TARGET", "launcher", "run_neo4j"]

#: Relationships per second of a warm online push (issue 15).
PUSH_TARGET = 20_000
#: Relationships per second of the bulk importer at a million links (issue 15).
IMPORT_TARGET = 200_000
#: Seconds of a native exposure or where-used query on the pushed network (issue 15).
QUERY_TARGET = 2.0
LAUNCH = Path(__file__).resolve().parents[1] / "tools" / "neo4j-server" / "launch.py"


def launcher() -> ModuleType:
    """The bundled launcher module (its folder has a dash: loaded by path)."""
    name = "oretrace_neo4j_launch"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, LAUNCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def _server(args: argparse.Namespace) -> Iterator[Any]:
    """A :class:`Neo4jConfig` of the server to measure, or ``None`` (then rows are skipped)."""
    from oretrace.graphmodel.backends.neo4j import Neo4jConfig

    if args.neo4j_launch:
        with launcher().start(port=0, heap=args.heap) as server:
            yield Neo4jConfig(uri=server.uri, user=server.user, password=server.password)
    elif os.environ.get("NEO4J_URI"):
        yield Neo4jConfig.from_env()
    else:
        yield None


def _rate_row(measure: str, seconds: float, rels: int, target: float | None) -> Row:
    rate = rels / seconds if seconds else float("inf")
    row: Row = {"measure": measure, "seconds": seconds, "rate": rate,
                "shown": f"{seconds:.2f} s, {rate:,.0f} rel/s"}
    if target is not None:
        row |= {"target": f"≥ {target:,.0f} rel/s", "met": rate >= target}
    return row


def _skip(rows: list[Row], why: str) -> None:
    for measure, target in (("push", f"≥ {PUSH_TARGET:,} rel/s"),
                            ("re-push", "succeeds, one version"),
                            ("native exposed (k=3)", f"≤ {QUERY_TARGET:g} s"),
                            ("native where-used", f"≤ {QUERY_TARGET:g} s")):
        rows.append({"measure": f"Neo4j {measure}", "shown": f"skipped: {why}",
                     "target": target})


def _online(G: Any, config: Any, rows: list[Row], agree: dict[str, bool]) -> None:
    """Push, re-push and the native queries on the server of ``config``."""
    from oretrace.graphmodel.backends.neo4j import connect, push, run_read
    from oretrace.loaders import load_dataset
    from oretrace.queries import Neo4jGraph, find_exposed, find_where_used

    rels = G.number_of_edges()
    with connect(config) as driver:
        push(driver, load_dataset(), dataset="oretrace-benchmark-warmup")  # JIT, schema
        t_push, first = time_once(lambda: push(driver, G, dataset="oretrace-benchmark"))
        rows.append(_rate_row(f"Neo4j push ({rels:,} relationships, new dataset)", t_push,
                              first.relationships, PUSH_TARGET))
        print(f"  push {t_push:.1f} s", flush=True)
        t_re, again = time_once(lambda: push(driver, G, dataset="oretrace-benchmark"))
        versions = run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) "
                                    "RETURN count(DISTINCT n.version) AS c",
                            d="oretrace-benchmark")[0]["c"]
        one = versions == 1 and again.relationships == rels
        agree["re-push leaves one whole version"] = one
        row = _rate_row("Neo4j re-push (write, switch, delete the old version)", t_re,
                        again.relationships, None)
        rows.append(row | {"target": "succeeds, one version", "met": one})
        print(f"  re-push {t_re:.1f} s", flush=True)
        separator = next(n for n, d in G.nodes(data=True)
                         if d.get("stage") == "separation" and d.get("country") == "CN")
        calls: tuple[tuple[str, Callable[[], Any]], ...] = (
            ("Neo4j native exposed cn-processing (all platforms, k=3)",
             lambda: find_exposed(Neo4jGraph(driver, "oretrace-benchmark"), "cn-processing",
                                         k=3)),
            (f"Neo4j native where-used {separator}",
             lambda: find_where_used(Neo4jGraph(driver, "oretrace-benchmark"), separator)))
        for measure, call in calls:
            seconds, _ = time_once(call)
            rows.append({"measure": measure, "seconds": seconds,
                         "shown": f"{seconds:.2f} s", "target": f"≤ {QUERY_TARGET:g} s",
                         "met": seconds <= QUERY_TARGET})


def _bulk(G: Any, args: argparse.Namespace, workdir: Path, rows: list[Row],
          agree: dict[str, bool]) -> None:
    """Write the import files, run Neo4j's importer into a fresh store, check it."""
    from oretrace.graphmodel.backends._neo4j_import import write_import_files

    rels = G.number_of_edges()
    folder = workdir / "import"
    t_files, files = time_once(lambda: write_import_files(G, folder, dataset="imported"))
    store = Path(tempfile.mkdtemp(prefix="oretrace-bench-store-"))
    log = workdir / "import.log"
    try:
        launch = launcher()
        launch.build()
        t_import, _ = time_once(lambda: launch.run_import(folder, store, log, heap=args.heap,
                                                          memory=args.import_memory))
        rows.append(_rate_row(f"bulk import: neo4j-admin import ({rels:,} relationships)",
                              t_import, rels, IMPORT_TARGET))
        rows.append(_rate_row("bulk import: import-files + neo4j-admin import",
                              t_files + t_import, rels, None) | {"target": "(shown)"})
        print(f"  import files {t_files:.1f} s, importer {t_import:.1f} s", flush=True)
        if args.neo4j_launch:
            agree["imported store reads one whole version"] = _check_import(
                launch, store, files, args.heap)
    finally:
        shutil.rmtree(store, ignore_errors=True)


def _check_import(launch: ModuleType, store: Path, files: Any, heap: str) -> bool:
    """Start a server on the imported store; does it read the version written?"""
    from oretrace.graphmodel.backends._neo4j_versions import count_version
    from oretrace.graphmodel.backends.neo4j import Neo4jConfig, connect, current_version

    after = files.directory / "after-import.cypher"
    with launch.start(port=0, store=store, heap=heap, build_if_needed=False) as server, \
            connect(Neo4jConfig(uri=server.uri, user=server.user,
                                password=server.password)) as driver, driver.session() as s:
        for statement in after.read_text(encoding="utf-8").split(";\n"):
            if statement.strip():
                while (s.run(statement).single() or {"repeat": 0}).get("repeat", 0):
                    pass
        got = count_version(s, "imported", files.version)
        return bool(current_version(driver, "imported") == files.version and
                    (got.nodes, got.relationships, got.sources) ==
                    (files.nodes, files.relationships, files.sources))


def run_neo4j(args: argparse.Namespace) -> dict[str, Any]:
    """Measure the Neo4j loads on a network of about ``args.edges`` supply links."""
    from oretrace.loaders import load_dataset
    from oretrace.loaders.synth import generate_network, write_network

    from benchmarks.__main__ import _facilities_per_edge

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="oretrace-n4j-"))
    facilities = _facilities_per_edge(args.edges, args.seed, args.suppliers)
    write_network(generate_network(facilities, seed=args.seed, suppliers=args.suppliers),
                  workdir / "network")
    G = load_dataset(workdir / "network")
    print(f"network: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} relationships "
          f"in {workdir}", flush=True)
    rows: list[Row] = []
    agree: dict[str, bool] = {}
    with _server(args) as config:
        if config is None:
            _skip(rows, "no server (set NEO4J_URI or pass --neo4j-launch)")
        else:
            _online(G, config, rows, agree)
    _bulk(G, args, workdir, rows, agree)
    return {"rows": rows, "agree": agree, "edges": G.number_of_edges(),
            "nodes": G.number_of_nodes()}
