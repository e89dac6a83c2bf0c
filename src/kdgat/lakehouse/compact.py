"""Merge the exports of a lakehouse into one file per table and dataset.

Every export adds a file per table and dataset, and on S3 each file costs a request per
query, so a lakehouse with hundreds of exports gets slow to read. Compaction writes the
deduplicated tables once, under a manifest that ``replaces`` the live ones (readers drop
replaced manifests at once), then deletes the replaced manifests and the files nobody
references any more. A file rewritten by a concurrent export while this runs is left alone.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from kdgat.lakehouse.export import MANIFESTS, write_parts
from kdgat.lakehouse.ids import stable_hash
from kdgat.lakehouse.query import attach
from kdgat.lakehouse.store import Lakehouse, files_by_table, live, load_manifests
from kdgat.lakehouse.tables import PARTITION, SCHEMAS
from kdgat.lakehouse.upload import DEFAULT_TRANSFER, Transfer, upload_export

COMPACT_ABOVE = 16  # live exports that make an upload compact the bucket


def compact(lake: Lakehouse, transfer: Transfer = DEFAULT_TRANSFER) -> dict[str, Any] | None:
    """Compact ``lake`` (local or S3); None when there is at most one live export."""
    manifests = live(load_manifests(lake))
    if len(manifests) <= 1:
        return None
    before = lake.listing()
    replaced = sorted(m["export_id"] for m in manifests)
    eid = "compact-" + stable_hash(replaced)
    with tempfile.TemporaryDirectory(prefix="kdgat-compact-") as tmp:
        manifest = _write(lake, manifests, Path(tmp) if lake.scheme else Path(lake.root), eid)
        if lake.scheme:
            upload_export(Path(tmp), lake.uri, lake.endpoint_url, lake.region, transfer)
    _prune(lake, manifests, before)
    return {"export_id": eid, "replaced": len(replaced), "files": len(manifest["files"])}


def maybe_compact(
    lake: Lakehouse, above: int = COMPACT_ABOVE, transfer: Transfer = DEFAULT_TRANSFER
) -> dict[str, Any] | None:
    """Compact when more than ``above`` exports are live (called after each upload)."""
    if len(live(load_manifests(lake))) <= above:
        return None
    return compact(lake, transfer)


def _write(
    lake: Lakehouse, manifests: list[dict[str, Any]], root: Path, eid: str
) -> dict[str, Any]:
    """The deduplicated tables (what a query sees) as one file per table and dataset."""
    con = attach(lake, files_by_table(manifests), register_s3fs=False)
    runs = con.sql("SELECT count(*) FROM runs").fetchall()[0][0]
    parts = {}
    for table, schema in SCHEMAS.items():  # each deduplicated table read once, split in memory
        data = con.sql(f"SELECT * FROM {table}").to_arrow_table().select(schema.names).cast(schema)
        for dataset in sorted(set(data.column(PARTITION).to_pylist())):
            parts[(table, dataset)] = data.filter(pc.equal(data[PARTITION], dataset))
    # Names no other write uses: an export's file rewritten in place while readers still
    # follow its manifest would hand them rows of two exports at once.
    keys = {dataset: stable_hash([eid, dataset]) for _, dataset in parts}
    revisions = sorted({str(m.get("git_revision")) for m in manifests})
    replaced = [m["export_id"] for m in manifests]
    return write_parts(parts, keys, root, eid, ",".join(revisions), runs, replaced)


def _prune(lake: Lakehouse, replaced: list[dict[str, Any]], before: dict[str, Any]) -> None:
    """Delete the replaced manifests, then the files that only they listed.

    A file that changed since compaction began (``before``) is kept: someone rewrote it.
    """
    lake.delete([f"{MANIFESTS}/{m['export_id']}.json" for m in replaced])
    kept = {e["path"] for m in load_manifests(lake) for e in m["files"]}
    now = lake.listing()
    stale = {e["path"] for m in replaced for e in m["files"]} - kept
    doomed = sorted(p for p in stale if p in now and now[p] == before.get(p))
    if doomed:
        lake.delete(doomed)
