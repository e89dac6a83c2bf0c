"""Write collected rows as a local lakehouse: hive-partitioned Parquet plus a manifest.

Layout (the same locally and on S3)::

    <table>/dataset=<name>/part-<key>.parquet   one file per table and dataset
    _manifests/<export_id>.json                 what this export wrote, written last

``key`` is a hash of the run ids in the file, and ``export_id`` a hash of all run ids, so
exporting the same runs again writes the same names: it replaces, never duplicates. The
whole folder is replaced atomically, so a reader sees the previous export or this one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.errors import LakehouseError
from kdgat.io import atomic_path, replace_dir, write_json
from kdgat.lakehouse.ids import md5_file, stable_hash
from kdgat.lakehouse.tables import PARTITION, SCHEMA_VERSION, SCHEMAS, Rows, to_arrow

MANIFESTS = "_manifests"
FORMAT = "kdgat-lakehouse"
DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def export_id(rows: Rows) -> str:
    """Same runs and same data -> same id (and the same file names)."""
    return stable_hash(
        {
            "runs": sorted(r["run_id"] for r in rows["runs"]),
            "data": sorted(r["data_hash"] for r in rows["datasets"]),
        }
    )


def write_export(
    rows: Rows, out: Path, git_revision: str, now: datetime | None = None
) -> dict[str, Any]:
    """Replace ``out`` with the tables of ``rows``; return the manifest."""
    eid = export_id(rows)
    stamped = stamp(rows, eid, now or datetime.now(UTC))
    with replace_dir(out, "lakehouse") as tmp:
        return write_files(stamped, tmp, eid, git_revision)


def stamp(rows: Rows, eid: str, when: datetime) -> Rows:
    """Every row gets the export's id and time (the reader keeps a run's latest export)."""
    return {
        table: [{**row, "export_id": eid, "exported_at": when} for row in table_rows]
        for table, table_rows in rows.items()
    }


def write_files(
    rows: Rows, root: Path, eid: str, git_revision: str, replaces: list[str] | None = None
) -> dict[str, Any]:
    """Parquet files of every table and dataset under ``root``, then the manifest."""
    parts = {
        (table, dataset): to_arrow(table, part)
        for table in SCHEMAS
        for dataset, part in sorted(by_dataset(rows.get(table, [])).items())
    }
    keys = partition_keys(rows.get("runs", []), rows.get("datasets", []))
    return write_parts(parts, keys, root, eid, git_revision, len(rows.get("runs", [])), replaces)


def write_parts(
    parts: dict[tuple[str, str], pa.Table],
    keys: dict[str, str],
    root: Path,
    eid: str,
    git_revision: str,
    runs: int,
    replaces: list[str] | None = None,
) -> dict[str, Any]:
    """One file per (table, dataset) Arrow table, then the manifest naming them all."""
    files = []
    for (table, dataset), data in parts.items():
        rel = f"{table}/{PARTITION}={dataset}/part-{keys[dataset]}.parquet"
        files.append({"table": table, "dataset": dataset, "path": rel, **_write(data, root / rel)})
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "export_id": eid,
        "exported_at": datetime.now(UTC).isoformat(),
        "git_revision": git_revision,
        "datasets": sorted(keys),
        "runs": runs,
        "replaces": replaces or [],
        "files": files,
    }
    write_json(root / MANIFESTS / f"{eid}.json", manifest)
    return manifest


def partition_keys(runs: list[dict[str, Any]], datasets: list[dict[str, Any]]) -> dict[str, str]:
    """Per dataset, a hash of its run ids and data hash: the file name part of its partition."""
    members: dict[str, list[str]] = defaultdict(list)
    for row in [*runs, *datasets]:
        members[row[PARTITION]].append(row.get("run_id") or row["data_hash"])
    return {dataset: stable_hash({dataset: sorted(ids)}) for dataset, ids in members.items()}


def by_dataset(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows grouped by dataset; a name that cannot be a partition folder is an error."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        name = str(row[PARTITION])
        if not DATASET_NAME.match(name):
            raise LakehouseError(
                f"dataset name {name!r} cannot be a partition folder; use letters, digits, "
                "'_', '.' or '-' (rename it in params.yaml and data/catalog.yaml)"
            )
        groups[name].append(row)
    return groups


def _write(data: pa.Table, path: Path) -> dict[str, Any]:
    """One Parquet file (the partition column lives in the path, not the file)."""
    if PARTITION in data.column_names:
        data = data.drop_columns([PARTITION])
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        pq.write_table(data, tmp, compression="zstd")
    return {"rows": data.num_rows, "bytes": path.stat().st_size, "md5": md5_file(path)}
