"""Parquet snapshots of the lakehouse: the tables and views the site's pages read.

They come from ``kdgat.lakehouse.query.connect``, the one reader that deduplicates the
lakehouse's exports, so the site shows what ``kdgat query`` shows. The raw lakehouse files
(manifests, one file set per export) are never read by the pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kdgat import config
from kdgat.io import atomic_path

# Snapshot name -> the SQL that writes it (a total order: the same lakehouse gives the same
# bytes). The views keep their own order; leaderboard's is the one `kdgat query` prints.
SNAPSHOTS = {
    "leaderboard": "SELECT * FROM leaderboard ORDER BY dataset, scenario, rank, model",
    "scores": (
        "SELECT s.*, r.seed FROM scores s JOIN runs r USING (run_id) "
        "ORDER BY s.dataset, s.scenario, s.model, r.seed, s.run_id"
    ),
    "attacks": "SELECT * FROM attacks ORDER BY ALL",
    "time_to_detect": "SELECT * FROM time_to_detect ORDER BY ALL",
    "kd_gap": "SELECT * FROM kd_gap ORDER BY ALL",
    "fusion_gain": "SELECT * FROM fusion_gain ORDER BY ALL",
    "comparisons": ("SELECT * EXCLUDE (export_id, exported_at) FROM comparisons ORDER BY ALL"),
    "scenarios": "SELECT * EXCLUDE (export_id, exported_at) FROM scenarios ORDER BY ALL",
    "epoch_metrics": (
        "SELECT e.dataset, r.model, r.seed, e.run_id, e.epoch, e.step, e.name, e.value "
        "FROM epoch_metrics e JOIN runs r USING (run_id) ORDER BY ALL"
    ),
    "runs": (
        "SELECT dataset, run_id, model, family, size, kd, seed, git_revision, dvc_experiment, "
        "device, duration_s, status FROM runs ORDER BY ALL"
    ),
    # The map of graphs per split as JSON text: one plain column for every Parquet reader.
    "datasets": (
        "SELECT dataset, domain, format, source, captures, frames, bad_rows, "
        "CAST(to_json(graphs) AS VARCHAR) AS graphs, attack_fraction, vocab_size, data_hash "
        "FROM datasets ORDER BY ALL"
    ),
}
CATALOG_FIELDS = ("domain", "format", "source", "licence", "citation", "size", "page")


def write_snapshots(
    location: str | Path,
    out: Path,
    catalog: Path | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> list[Path]:
    """One Parquet file per entry of SNAPSHOTS (plus ``catalog``) in ``out``; their paths.

    ``location``: a lakehouse folder or ``s3://bucket/prefix`` (``kdgat query --uri``).
    ``catalog``: data/catalog.yaml, for where each dataset came from (skipped when absent).
    """
    from kdgat.lakehouse.query import connect

    con = connect(location, endpoint_url, region, register_s3fs=False)
    out.mkdir(parents=True, exist_ok=True)
    paths = [_write(_table(con, sql), out / f"{name}.parquet") for name, sql in SNAPSHOTS.items()]
    if catalog is not None and catalog.is_file():
        names = [row[0] for row in con.sql("SELECT DISTINCT dataset FROM datasets").fetchall()]
        paths.append(_write(catalog_table(catalog, names), out / "catalog.parquet"))
    return paths


def catalog_table(catalog: Path, datasets: list[str]) -> pa.Table:
    """The catalog entries of ``datasets`` (source, licence, citation, scenarios) as Arrow."""
    entries = config.load_catalog(catalog).datasets
    rows = [
        {
            "dataset": name,
            **{field: _text(getattr(entries[name], field)) for field in CATALOG_FIELDS},
            "scenarios": ", ".join(entries[name].test),
        }
        for name in sorted(datasets)
        if name in entries
    ]
    names = ["dataset", *CATALOG_FIELDS, "scenarios"]
    return pa.table({n: pa.array([r[n] for r in rows], pa.string()) for n in names})


def _table(con: Any, sql: str) -> pa.Table:
    return con.sql(sql).arrow().read_all()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _write(table: pa.Table, path: Path) -> Path:
    # Snappy: every Parquet reader decodes it, the browser's parquet-wasm included.
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="snappy")
    return path
