"""Canonical Parquet captures: ``timestamp,id,data_field,label,source_file``.

This is the layout of the shared can-train-and-test sample: id as an integer,
payload as upper-case hex (empty for DLC 0), label 0/1. Read in row batches,
so memory is bounded by the batch, not the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kdgat.data.formats._common import (
    dlc_of,
    frame_batch,
    hex_to_bytes,
    parse_errors,
    require_nonempty,
)
from kdgat.errors import FormatError

COLUMNS = ["timestamp", "id", "data_field", "label"]
_NUMERIC = {"timestamp": pa.float64(), "id": pa.int64(), "label": pa.int64()}


def open_parquet(path: Path) -> pq.ParquetFile:
    """Open a Parquet file, turning corruption into a FormatError."""
    require_nonempty(path)
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise FormatError(
            path, f"not a readable Parquet file ({err})", "re-download or re-export the file"
        ) from err


def read(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield ``RAW_FRAME`` batches of at most ``batch_rows`` rows."""
    handle = open_parquet(path)
    names = handle.schema_arrow.names
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise FormatError(
            path, f"missing column(s) {missing}; it has {names}", f"write the columns {COLUMNS}"
        )
    first_row = 1
    try:
        for batch in handle.iter_batches(batch_size=batch_rows, columns=COLUMNS):
            yield _frames(path, batch, first_row)
            first_row += batch.num_rows
    except (pa.ArrowInvalid, OSError) as err:
        raise FormatError(
            path, f"corrupt data after row {first_row - 1} ({err})", "re-download the file"
        ) from err


def _numeric(path: Path, batch: pa.RecordBatch, name: str) -> tuple[np.ndarray, np.ndarray]:
    column = batch.column(name)
    try:
        values = pc.cast(column, _NUMERIC[name])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise FormatError(
            path,
            f"column {name!r} has type {column.type}, not numeric",
            f"store {name} as a number",
        ) from err
    missing = pc.is_null(values).to_numpy(zero_copy_only=False)
    filled = pc.fill_null(values, -1).to_numpy(zero_copy_only=False)
    return filled, missing


def _frames(path: Path, batch: pa.RecordBatch, first_row: int) -> pa.Table:
    timestamp, no_ts = _numeric(path, batch, "timestamp")
    ids, no_id = _numeric(path, batch, "id")
    label, no_label = _numeric(path, batch, "label")
    data = batch.column("data_field")
    if not pa.types.is_string(data.type) and not pa.types.is_large_string(data.type):
        raise FormatError(path, f"column 'data_field' has type {data.type}", "store it as hex text")
    payload, bad_payload = hex_to_bytes(data)
    n = batch.num_rows
    errors = parse_errors(
        n,
        [
            (no_ts, "timestamp is missing", None),
            (no_id, "id is missing", None),
            (bad_payload, "data_field is not hex bytes:", data),
            (no_label, "label is missing", None),
        ],
    )
    timestamp = np.where(no_ts, np.nan, timestamp)
    rows = np.arange(first_row, first_row + n)
    return frame_batch(timestamp, ids, dlc_of(payload), payload, label, rows, errors)
