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


def _numeric(
    path: Path, batch: pa.RecordBatch, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, missing, unfit): a value ``_NUMERIC[name]`` cannot hold is a bad row, not file."""
    column = batch.column(name)
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        raise FormatError(
            path,
            f"column {name!r} has type {column.type}, not numeric",
            f"store {name} as a number",
        )
    values = pc.cast(column, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    missing = pc.is_null(column).to_numpy(zero_copy_only=False)
    if _NUMERIC[name] == pa.float64():
        return values, missing, np.zeros(len(values), bool)
    with np.errstate(invalid="ignore"):  # ids and labels: whole numbers an int64 holds
        unfit = ~missing & ((values != np.round(values)) | (np.abs(values) >= 2.0**63))
    exact = pc.cast(pc.fill_null(column, 0), pa.int64(), safe=False).to_numpy(zero_copy_only=False)
    return np.where(missing | unfit, -1, exact).astype(np.int64), missing, unfit


def _frames(path: Path, batch: pa.RecordBatch, first_row: int) -> pa.Table:
    timestamp, no_ts, _ = _numeric(path, batch, "timestamp")
    ids, no_id, bad_id = _numeric(path, batch, "id")
    label, no_label, bad_label = _numeric(path, batch, "label")
    data = batch.column("data_field")
    if pa.types.is_dictionary(data.type):  # a writer's dictionary encoding of the same text
        data = data.dictionary_decode()
    if not pa.types.is_string(data.type) and not pa.types.is_large_string(data.type):
        raise FormatError(path, f"column 'data_field' has type {data.type}", "store it as hex text")
    payload, bad_payload = hex_to_bytes(data)
    no_data = pc.is_null(data).to_numpy(zero_copy_only=False)
    n = batch.num_rows
    errors = parse_errors(
        n,
        [
            (no_ts, "timestamp is missing", None),
            (no_id, "id is missing", None),
            (bad_id, "id is not a whole number below 2**63:", batch.column("id")),
            (no_data, "data_field is missing (an empty payload is '')", None),
            (bad_payload, "data_field is not hex bytes:", data),
            (no_label, "label is missing", None),
            (bad_label, "label is not a whole number:", batch.column("label")),
        ],
    )
    timestamp = np.where(no_ts, np.nan, timestamp)
    rows = np.arange(first_row, first_row + n)
    return frame_batch(timestamp, ids, dlc_of(payload), payload, label, rows, errors)
