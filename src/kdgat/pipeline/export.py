"""Stage ``export``: every dataset's results -> ``lakehouse/`` (Parquet) -> ``lakehouse.uri``."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from kdgat import config
from kdgat.errors import LakehouseError
from kdgat.io import write_json
from kdgat.layout import Layout
from kdgat.pipeline import entry
from kdgat.revision import git_revision

RETRY = "kdgat export --upload-only"


def export(
    params: Path,
    catalog: Path,
    out: Path,
    upload_only: bool = False,
    local_only: bool = False,
    compact: bool = False,
) -> None:
    """Export every run's results as Parquet tables to ``out`` (then to ``lakehouse.uri``)."""
    p, c = config.load(params, catalog)
    if upload_only and not p.lakehouse.uri:
        raise LakehouseError(f"{params}: lakehouse.uri is empty; set it to s3://bucket/prefix")
    if not upload_only:
        _export_local(p, c, out)
    if p.lakehouse.uri and not local_only:
        _upload(out, p.lakehouse, compact)


def _export_local(p: config.Params, c: config.Catalog, out: Path) -> None:
    from kdgat.lakehouse.collect import collect
    from kdgat.lakehouse.export import write_export

    datasets = {
        name: {"domain": e.domain, "format": e.format, "source": e.source}
        for name in p.datasets
        for e in [c.datasets[name]]
    }
    revision = git_revision()
    rows = collect(
        Layout(),
        datasets,
        git_revision=revision,
        fallback_params=p.model_dump(exclude={"lakehouse", "datasets", "seeds", "seed"}),
        dvc_experiment=os.environ.get("DVC_EXP_NAME"),
        seeds=p.seeds,
    )
    manifest = write_export(rows, out, revision)
    write_json(Layout().headline, headline(rows["summary"]))
    counts = ", ".join(f"{len(v)} {k}" for k, v in rows.items())
    print(f"{out}/: export {manifest['export_id']} ({counts})")


# What `dvc exp show` compares across experiments: few columns, means over seeds. The
# full detail (every metric, interval, attack type) is in the lakehouse.
HEADLINE_MODELS = ("vgae", "gat", "gat_small", "gin", "fusion_dqn", "window_gbt")
HEADLINE_METRICS = ("f1", "auroc", "mcc")


def headline(summary: list[dict[str, Any]]) -> dict[str, Any]:
    """``{dataset: {scenario: {model: {metric: mean over seeds}}}}`` of the main models."""
    table: dict[str, Any] = {}
    for row in summary:
        if row["model"] in HEADLINE_MODELS and row["metric"] in HEADLINE_METRICS:
            cell = table.setdefault(row["dataset"], {}).setdefault(row["scenario"], {})
            value = row["mean"]
            cell.setdefault(row["model"], {})[row["metric"]] = (
                None if value is None or math.isnan(value) else round(value, 4)
            )
    return table


def _upload(out: Path, settings: config.LakehouseParams, compact: bool) -> None:
    from kdgat.lakehouse.compact import compact as compact_lake
    from kdgat.lakehouse.compact import maybe_compact
    from kdgat.lakehouse.store import open_lakehouse
    from kdgat.lakehouse.upload import Transfer, UploadError, upload_export

    endpoint, region = settings.endpoint_url or None, settings.region or None
    transfer = Transfer(attempts=settings.attempts, backoff_s=settings.backoff_s)
    try:
        sent = upload_export(out, settings.uri, endpoint, region, transfer)
    except UploadError as err:
        raise LakehouseError(
            f"upload to {settings.uri} failed: {err}\n"
            f"The local export in {out}/ is intact. Retry the upload with: {RETRY}"
        ) from None
    print(f"uploaded {sent['bytes']:,} bytes to {settings.uri} in {sent['seconds']} s")
    try:
        lake = open_lakehouse(settings.uri, endpoint, region)
        merged = compact_lake(lake, transfer) if compact else maybe_compact(lake, transfer=transfer)
    except LakehouseError as err:
        raise LakehouseError(
            f"the export is uploaded, but compacting {settings.uri} failed: {err}\n"
            f"Retry with: {RETRY} --compact"
        ) from None
    if merged:
        print(f"compacted {merged['replaced']} exports into {merged['files']} files")


def main(argv: list[str] | None = None) -> None:
    """``python stages/export.py``: the same as ``kdgat export`` with its defaults."""
    entry.quiet_logs()
    layout = Layout()
    entry.guarded(lambda: export(layout.params, layout.catalog, layout.lakehouse), "export")
