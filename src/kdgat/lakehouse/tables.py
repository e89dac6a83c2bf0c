"""Table schemas of the lakehouse: explicit, versioned pyarrow schemas.

Bump ``SCHEMA_VERSION`` when a column changes meaning or type; adding a nullable column
keeps old files readable (the reader unions files by column name). Every table has the
``dataset`` partition column (stored in the hive path ``dataset=<name>``, not in the file)
and ``export_id`` / ``exported_at``, which the query layer uses to keep only the latest
export of a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = 1
PARTITION = "dataset"
TIMESTAMP = pa.timestamp("us", tz="UTC")

_EXPORT = [
    pa.field("export_id", pa.string(), nullable=False),
    pa.field("exported_at", TIMESTAMP, nullable=False),
]


def _schema(name: str, fields: list[pa.Field]) -> pa.Schema:
    meta = {"kdgat.table": name, "kdgat.schema_version": str(SCHEMA_VERSION)}
    return pa.schema([pa.field(PARTITION, pa.string(), nullable=False), *fields, *_EXPORT], meta)


RUNS = _schema(
    "runs",
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("family", pa.string()),  # vgae | gat | fusion | baseline
        pa.field("size", pa.string()),  # large | small (None: not a sized model)
        pa.field("stage", pa.string()),  # the DVC stage that trained it
        pa.field("kd", pa.bool_()),  # trained by knowledge distillation (or fuses students)
        pa.field("seed", pa.int64()),  # the training seed (params.yaml's seeds)
        pa.field("git_revision", pa.string()),
        pa.field("dvc_experiment", pa.string()),
        pa.field("params_hash", pa.string()),
        pa.field("params", pa.string()),  # the run's settings as JSON
        pa.field("data_hash", pa.string()),
        pa.field("host", pa.string()),
        pa.field("slurm_job_id", pa.string()),
        pa.field("device", pa.string()),
        pa.field("started_at", TIMESTAMP),
        pa.field("duration_s", pa.float64()),
        pa.field("peak_memory_mb", pa.float64()),
        pa.field("status", pa.string()),  # evaluated | not_evaluated
    ],
)

METRICS = _schema(
    "metrics",
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("scenario", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
    ],
)

EPOCH_METRICS = _schema(
    "epoch_metrics",
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("epoch", pa.int64()),
        pa.field("step", pa.int64(), nullable=False),
        pa.field("name", pa.string(), nullable=False),  # dvclive key, e.g. val/f1
        pa.field("value", pa.float64()),
    ],
)

DATASETS = _schema(
    "datasets",
    [
        pa.field("domain", pa.string()),
        pa.field("format", pa.string()),
        pa.field("source", pa.string()),
        pa.field("captures", pa.int64()),
        pa.field("frames", pa.int64()),
        pa.field("bad_rows", pa.int64()),
        pa.field("graphs", pa.map_(pa.string(), pa.int64())),  # per split
        pa.field("attack_fraction", pa.float64()),
        pa.field("vocab_size", pa.int64()),
        pa.field("schema_version", pa.int64()),  # of the ingested data (ingest report)
        pa.field("data_hash", pa.string(), nullable=False),
    ],
)

MODELS = _schema(
    "models",
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("size", pa.string()),
        pa.field("parameters", pa.int64()),
        pa.field("checkpoint_md5", pa.string()),  # = DVC's cache key of model.pt
        pa.field("checkpoint_bytes", pa.int64()),
        pa.field("threshold", pa.float64()),
        pa.field("threshold_method", pa.string()),
    ],
)

ATTACK_METRICS = _schema(
    "attack_metrics",
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("scenario", pa.string(), nullable=False),
        pa.field("attack", pa.string(), nullable=False),  # the frame table's attack type
        pa.field("metric", pa.string(), nullable=False),  # recall, dr_at_1pct_fpr, delays ...
        pa.field("value", pa.float64()),
    ],
)

# The evaluate stage's ROC and precision-recall curves (``plots/roc``, ``plots/pr``), at most
# ``kdgat.evaluation.plots.CURVE_POINTS`` points each: what a paper's curve figures draw.
CURVES = _schema(
    "curves",
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("scenario", pa.string(), nullable=False),
        # roc: x = false positive rate, y = true positive rate; pr: x = recall, y = precision
        pa.field("kind", pa.string(), nullable=False),
        pa.field("point", pa.int64(), nullable=False),  # order along the curve
        pa.field("x", pa.float64()),
        pa.field("y", pa.float64()),
    ],
)

# Derived per export from its runs (so ``export_id`` names the runs they summarise).
SUMMARY = _schema(
    "summary",
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("family", pa.string()),
        pa.field("size", pa.string()),
        pa.field("kd", pa.bool_()),
        pa.field("scenario", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("seeds", pa.int64()),  # runs with a value (NaN metrics are left out)
        pa.field("mean", pa.float64()),
        pa.field("std", pa.float64()),
        pa.field("ci_low", pa.float64()),  # 95 % bootstrap interval of the mean over seeds
        pa.field("ci_high", pa.float64()),
        pa.field("chance", pa.bool_()),  # ~chance: F1 within noise of flag-all, or AUROC <= .5
    ],
)

ATTACK_SUMMARY = _schema(
    "attack_summary",
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("scenario", pa.string(), nullable=False),
        pa.field("attack", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("seeds", pa.int64()),
        pa.field("mean", pa.float64()),
        pa.field("std", pa.float64()),
        pa.field("ci_low", pa.float64()),
        pa.field("ci_high", pa.float64()),
    ],
)

COMPARISONS = _schema(
    "comparisons",
    [
        pa.field("scenario", pa.string(), nullable=False),
        pa.field("question", pa.string(), nullable=False),  # kd_gap | fusion_gain | over_baseline
        pa.field("model", pa.string(), nullable=False),
        pa.field("other", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("seeds", pa.int64()),
        pa.field("difference", pa.float64()),  # mean over seeds of metric(model) - metric(other)
        pa.field("ci_low", pa.float64()),  # paired bootstrap over seeds and windows
        pa.field("ci_high", pa.float64()),
        pa.field("p_value", pa.float64()),
    ],
)

SCENARIOS = _schema(
    "scenarios",
    [
        pa.field("scenario", pa.string(), nullable=False),
        pa.field("windows", pa.int64()),
        pa.field("attack_windows", pa.int64()),
        pa.field("prevalence", pa.float64()),  # share of attack windows
        pa.field("flag_all_f1", pa.float64()),  # F1 of flagging every window
        pa.field("scorable", pa.bool_()),  # False: no window labelled attack (suppression)
    ],
)

SCHEMAS: dict[str, pa.Schema] = {
    "runs": RUNS,
    "metrics": METRICS,
    "epoch_metrics": EPOCH_METRICS,
    "datasets": DATASETS,
    "models": MODELS,
    "attack_metrics": ATTACK_METRICS,
    "curves": CURVES,
    "summary": SUMMARY,
    "attack_summary": ATTACK_SUMMARY,
    "comparisons": COMPARISONS,
    "scenarios": SCENARIOS,
}

Rows = dict[str, list[dict[str, Any]]]  # table name -> rows (dicts keyed by column)


def to_arrow(table: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows as an Arrow table of the table's schema; a missing or mistyped column fails here."""
    schema = SCHEMAS[table]
    rows = list(rows)
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    try:
        return pa.table(columns, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise ValueError(f"lakehouse table {table!r}: rows do not fit the schema ({err})") from err


def empty(table: str) -> pa.Table:
    """A table of ``table``'s schema with no rows: what a lakehouse without its files reads as."""
    return SCHEMAS[table].empty_table()
