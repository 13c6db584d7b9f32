"""Read OpenLineage run events back and walk a dataset's upstream graph to the landing files.

Only COMPLETE events make edges (a failed or unfinished run fed nothing). Each edge is
``input dataset -> output dataset`` labelled with the job and batch that made it; ``--batch``
keeps the edges of one pipeline batch, so its graph shows exactly the files that batch loaded,
plus the edges of runs outside any batch: the landing Lambda's, one per object version
(``s3://landing/<key>#<version>`` -> ``s3://landing/<key>``), which run before a batch claims the
file. The walk upstream reaches only those of the batch's own files.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANDING_JOB = "on_landing_object"  # the landing Lambda's runs: object version -> landing file


@dataclass(frozen=True, order=True)
class Edge:
    source: str  # "namespace/name" of the input dataset
    target: str
    job: str
    batch_id: str | None


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """The events of a file transport, one JSON object per line (a torn last line is skipped)."""
    if not path.exists():
        return
    with path.open() as lines:
        for line in lines:
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


def _key(dataset: dict[str, Any]) -> str:
    return f"{dataset['namespace'].rstrip('/')}/{dataset['name']}"


def edges(events: Iterable[dict[str, Any]], *, batch_id: str | None = None) -> set[Edge]:
    """Every input -> output pair of the COMPLETE runs (of ``batch_id`` and of no batch, when
    ``batch_id`` is given)."""
    found: set[Edge] = set()
    for event in events:
        if event.get("eventType") != "COMPLETE":
            continue
        batch = event.get("run", {}).get("facets", {}).get("gladiator_batch", {}).get("batchId")
        if batch_id is not None and batch not in (batch_id, None):
            continue
        job = event["job"]["name"]
        for source in event.get("inputs", []):
            for target in event.get("outputs", []):
                found.add(Edge(_key(source), _key(target), job, batch))
    return found


def resolve(table: str, known: Iterable[str]) -> str:
    """``gold.fact_sales`` / ``gold/fact_sales`` -> the full dataset key that ends with it."""
    suffix = "/" + table.replace(".", "/", 1).strip("/")
    matches = sorted(k for k in set(known) if k.endswith(suffix))
    if not matches:
        raise KeyError(table)
    return matches[0]


def upstream(target: str, graph: set[Edge]) -> dict[str, list[Edge]]:
    """Every dataset reachable upstream of ``target``: dataset -> the edges into it."""
    into: dict[str, list[Edge]] = defaultdict(list)
    for edge in graph:
        into[edge.target].append(edge)
    seen: dict[str, list[Edge]] = {}
    todo = [target]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen[node] = sorted(into.get(node, []))
        todo += [e.source for e in seen[node]]
    return seen


def render(target: str, tree: dict[str, list[Edge]]) -> list[str]:
    """The upstream graph as an indented tree (a dataset reached twice is expanded once)."""
    lines: list[str] = []
    shown: set[str] = set()

    def walk(node: str, depth: int, via: Edge | None) -> None:
        label = f"{'  ' * depth}{'<- ' if depth else ''}{node}"
        if via is not None:
            label += f"   [{via.job}{', batch ' + via.batch_id if via.batch_id else ''}]"
        if node in shown and tree.get(node):
            lines.append(label + "  (see above)")
            return
        lines.append(label)
        shown.add(node)
        sources: dict[str, Edge] = {}
        for edge in tree.get(node, []):
            sources.setdefault(edge.source, edge)
        for source, edge in sorted(sources.items()):
            walk(source, depth + 1, edge)

    walk(target, 0, None)
    return lines
