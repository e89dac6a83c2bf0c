"""Canonical Parquet captures (``timestamp,id,data_field,label``): bad types, values, damage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .cases import (
    DAY,
    T0,
    YEAR_2100,
    Build,
    Case,
    Duplicates,
    Error,
    Quarantine,
    Written,
    run_ingest_case,
    table,
)

N = 7  # rows per file; the bad value goes to row 4 (1-based)
BAD = 3  # its 0-based index


def columns(n: int = N) -> dict[str, Any]:
    return {
        "timestamp": pa.array([T0 + i * 0.01 for i in range(n)], pa.float64()),
        "id": pa.array([0x100 + i % 5 for i in range(n)], pa.uint32()),
        "data_field": pa.array([f"{i % 256:02X}00" for i in range(n)], pa.string()),
        "label": pa.array([i % 2 for i in range(n)], pa.uint8()),
        "source_file": pa.array(["x.csv"] * n, pa.string()),
    }


def with_value(column: str, value: Any, type_: pa.DataType | None = None) -> Build:
    """A good file whose row 4 has ``value`` in ``column`` (stored as ``type_``)."""

    def build(tmp: Path) -> Written:
        data = columns()
        values = data[column].to_pylist()
        values[BAD] = value
        data[column] = pa.array(values, type_ or data[column].type)
        path = tmp / "c.parquet"
        pq.write_table(pa.table(data), path)
        return Written(path, "parquet", N)

    return build


def with_columns(change: Callable[[dict[str, Any]], None], rows: int = N) -> Build:
    def build(tmp: Path) -> Written:
        data = columns()
        change(data)
        path = tmp / "c.parquet"
        pq.write_table(pa.table(data), path)
        return Written(path, "parquet", rows)

    return build


def damaged(damage: Callable[[bytes], bytes], rows: int = 5000) -> Build:
    """A good file of ``rows`` rows (several row groups), then ``damage``d."""

    def build(tmp: Path) -> Written:
        path = tmp / "c.parquet"
        pq.write_table(pa.table(columns(rows)), path, row_group_size=1000, compression="zstd")
        path.write_bytes(damage(path.read_bytes()))
        return Written(path, "parquet", rows)

    return build


def raw_bytes(data: bytes) -> Build:
    def build(tmp: Path) -> Written:
        path = tmp / "c.parquet"
        path.write_bytes(data)
        return Written(path, "parquet", 0)

    return build


def drop(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.pop(name)


def retype(name: str, values: pa.Array) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[name] = values

    return change


def zero_rows(data: dict[str, Any]) -> None:
    for name in list(data):
        data[name] = data[name].slice(0, 0)


def dictionary_payload(data: dict[str, Any]) -> None:
    values = data["data_field"].to_pylist()
    values[BAD] = "XY"
    data["data_field"] = pa.array(values).dictionary_encode()


def duplicate_rows(data: dict[str, Any]) -> None:
    order = [0, 1, 2, 3, 3, 3, 4, 5, 6]
    for name in list(data):
        data[name] = data[name].take(pa.array(order))


def middle_flip(b: bytes) -> bytes:
    mid = len(b) // 2
    return b[:mid] + bytes(x ^ 0xFF for x in b[mid : mid + 64]) + b[mid + 64 :]


PARQUET = [
    Case("pq_null_timestamp", with_value("timestamp", None), Quarantine((4,), "timestamp")),
    Case("pq_nan_timestamp", with_value("timestamp", float("nan")), Quarantine((4,))),
    Case("pq_inf_timestamp", with_value("timestamp", float("inf")), Quarantine((4,))),
    Case("pq_negative_timestamp", with_value("timestamp", -2.5), Quarantine((4,), "timestamp")),
    Case(
        "pq_timestamp_after_2100",
        with_value("timestamp", YEAR_2100 + 1.0),
        Quarantine((4,), "timestamp"),
    ),
    Case(
        "pq_timestamp_jumps_days",
        with_value("timestamp", T0 + 4 * DAY),
        Quarantine((4,), "timestamp"),
    ),
    Case("pq_null_id", with_value("id", None), Quarantine((4,), "id")),
    Case("pq_negative_id", with_value("id", -5, pa.int64()), Quarantine((4,))),
    Case("pq_id_over_29_bits", with_value("id", 0x3FFFFFFF), Quarantine((4,))),
    Case("pq_id_beyond_int64", with_value("id", 2**64 - 1, pa.uint64()), Quarantine((4,))),
    Case("pq_null_label", with_value("label", None), Quarantine((4,), "label")),
    Case("pq_label_two", with_value("label", 2), Quarantine((4,), "label")),
    Case("pq_label_negative", with_value("label", -1, pa.int64()), Quarantine((4,))),
    Case("pq_label_fraction", with_value("label", 0.5, pa.float64()), Quarantine((4,))),
    Case("pq_null_data_field", with_value("data_field", None), Quarantine((4,))),
    Case("pq_non_hex_data_field", with_value("data_field", "ZZ00"), Quarantine((4,))),
    Case("pq_odd_length_data_field", with_value("data_field", "ABC"), Quarantine((4,))),
    Case("pq_nine_byte_payload", with_value("data_field", "00" * 9), Quarantine((4,))),
    Case("pq_dictionary_data_field", with_columns(dictionary_payload), Quarantine((4,))),
    Case("pq_duplicate_frames", with_columns(duplicate_rows, 9), Duplicates(2)),
    Case("pq_zero_rows", with_columns(zero_rows, 0), Error("no data|empty|zero")),
    Case("pq_missing_label_column", with_columns(drop("label")), Error("label")),
    Case("pq_missing_id_column", with_columns(drop("id")), Error("'id'")),
    Case(
        "pq_timestamp_as_text",
        with_columns(retype("timestamp", pa.array(["now"] * N))),
        Error("timestamp"),
    ),
    Case(
        "pq_timestamp_as_datetime",
        with_columns(retype("timestamp", pa.array([0] * N, pa.timestamp("us")))),
        Error("timestamp"),
    ),
    Case(
        "pq_data_field_as_int",
        with_columns(retype("data_field", pa.array(range(N)))),
        Error("data_field"),
    ),
    Case(
        "pq_data_field_as_binary",
        with_columns(retype("data_field", pa.array([b"\x01\x02"] * N))),
        Error("data_field"),
    ),
    Case("pq_csv_text_not_parquet", raw_bytes(b"timestamp,id\n1,2\n"), Error("parquet")),
    Case("pq_empty_file", raw_bytes(b""), Error("empty")),
    Case("pq_truncated_half", damaged(lambda b: b[: len(b) // 2]), Error("")),
    Case("pq_footer_cut", damaged(lambda b: b[:-8]), Error("")),
    Case("pq_footer_magic_overwritten", damaged(lambda b: b[:-4] + b"XXXX"), Error("")),
    Case("pq_corrupt_column_chunk", damaged(middle_flip), Error("corrupt")),
]


@pytest.mark.parametrize("case", table(PARQUET))
def test_parquet(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)
