"""can-train-and-test CSV: ``timestamp,arbitration_id,data_field,attack``.

Ids are hex without prefix ("1e5"), payloads hex of 0-16 characters (DLC =
length / 2), attack is 0/1. Read with pyarrow's streaming CSV reader; rows
with the wrong number of fields are kept aside with their line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from kdgat.data.formats._common import (
    dlc_of,
    frame_batch,
    hex_to_bytes,
    hex_to_int,
    parse_errors,
    require_nonempty,
    to_float,
    to_int,
)
from kdgat.errors import FormatError

COLUMNS = ["timestamp", "arbitration_id", "data_field", "attack"]
# Everything as text, so one bad value is one quarantined row, not a failed file;
# ids and labels repeat, so pyarrow dictionary-encodes them while parsing.
_DISTINCT = pa.dictionary(pa.int32(), pa.string())
COLUMN_TYPES = {
    "timestamp": pa.string(),
    "arbitration_id": _DISTINCT,
    "data_field": pa.string(),
    "attack": _DISTINCT,
}
BLOCK_BYTES = 1 << 20  # pyarrow parses small blocks fastest (they stay in cache); we regroup them


def check_header(path: Path, expected: list[str]) -> None:
    """Raise a FormatError that names missing columns or a wrong delimiter."""
    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    found = [c.strip() for c in header.split(",")]
    missing = [c for c in expected if c not in found]
    if not missing:
        return
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
        if delimiter in header:
            raise FormatError(
                path,
                f"header {header!r} is separated by {name}, not commas",
                "convert the file to comma-separated CSV",
            )
    raise FormatError(
        path,
        f"missing column(s) {missing}; header is {header!r}",
        f"the file must start with the header {','.join(expected)}",
    )


class _BadRows:
    """Collects rows pyarrow cannot split into the expected number of fields."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str]] = []  # not yet reported
        self.line_numbers: list[int] = []  # all, to number the rows pyarrow kept

    def __call__(self, row: pacsv.InvalidRow) -> str:
        self.rows.append((row.number or -1, row.text))
        if row.number:
            self.line_numbers.append(row.number)
        return "skip"


def read(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield ``RAW_FRAME`` batches of about ``batch_rows`` rows."""
    require_nonempty(path)
    check_header(path, COLUMNS)
    bad_rows = _BadRows()
    reader = pacsv.open_csv(
        path,
        # single-threaded: only then does pyarrow tell skipped rows' line numbers (no slower)
        read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False),
        # The layout never quotes; a stray quote must not swallow the lines after it.
        parse_options=pacsv.ParseOptions(quote_char=False, invalid_row_handler=bad_rows),
        convert_options=pacsv.ConvertOptions(column_types=COLUMN_TYPES, include_columns=COLUMNS),
    )
    parsed = 0
    try:
        for batch in regroup(reader, batch_rows):
            yield _frames(batch, _line_numbers(parsed, batch.num_rows, bad_rows.line_numbers))
            parsed += batch.num_rows
            yield from _split_rows(bad_rows)
        yield from _split_rows(
            bad_rows
        )  # rows skipped after the last batch (or in a file of only those)
    except pa.ArrowInvalid as err:
        raise FormatError(path, f"unreadable CSV ({err})", "repair or re-export the file") from err


def regroup(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Concatenate small record batches into batches of at least ``rows`` rows."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
            pending, count = [], 0
    if pending:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]


def _line_numbers(parsed: int, n: int, skipped_lines: list[int]) -> np.ndarray:
    """1-based file line numbers of the next ``n`` parsed rows, around skipped rows."""
    index = parsed + np.arange(n)  # data-row index among rows pyarrow kept
    skipped_index = np.sort(np.array(skipped_lines, dtype=np.int64)) - 2
    kept_before = skipped_index - np.arange(len(skipped_index))
    return index + np.searchsorted(kept_before, index, side="right") + 2


def _split_rows(bad_rows: _BadRows) -> Iterator[pa.Table]:
    """Emit rows with the wrong field count as parse errors (reported, never dropped)."""
    if not bad_rows.rows:
        return
    rows, bad_rows.rows = bad_rows.rows, []
    n = len(rows)
    texts = pa.array([text for _, text in rows])
    yield frame_batch(
        np.full(n, np.nan),
        np.full(n, -1),
        np.full(n, -1),
        pa.array([b""] * n, pa.binary()),
        np.full(n, -1),
        np.array([r for r, _ in rows]),
        parse_errors(n, [(np.ones(n, bool), f"expected {len(COLUMNS)} fields:", texts)]),
    )


def _frames(batch: pa.RecordBatch, source_row: np.ndarray) -> pa.Table:
    timestamp, bad_ts = to_float(batch.column("timestamp"))
    ids, bad_id = hex_to_int(batch.column("arbitration_id"))
    payload, bad_payload = hex_to_bytes(batch.column("data_field"))
    label, bad_label = to_int(batch.column("attack"))
    errors = parse_errors(
        batch.num_rows,
        [
            (bad_ts, "timestamp is not a number:", batch.column("timestamp")),
            (bad_id, "arbitration_id is not hex:", batch.column("arbitration_id")),
            (bad_payload, "data_field is not hex bytes:", batch.column("data_field")),
            (bad_label, "attack is not an integer:", batch.column("attack")),
        ],
    )
    return frame_batch(timestamp, ids, dlc_of(payload), payload, label, source_row, errors)
