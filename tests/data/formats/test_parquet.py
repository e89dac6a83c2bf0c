"""parquet: the real set_01 files, and corrupt or wrongly shaped ones."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kdgat.data.formats import parquet
from kdgat.data.schema import validate_frames
from kdgat.errors import FormatError


def write(path: Path, **columns: list) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def good_columns() -> dict[str, list]:
    return {
        "timestamp": [1.0, 2.0, 3.0],
        "id": pa.array([0x1E5, 0x0F9, 0x7FF], pa.uint32()),
        "data_field": ["460196E001FE6701", "", "0A"],
        "label": pa.array([0, 1, 0], pa.uint8()),
        "source_file": ["x.csv"] * 3,
    }


def test_real_file_reads_in_bounded_batches(shared_data: Path) -> None:
    batches = list(
        parquet.read(shared_data / "test_01_known_vehicle_known_attack__DoS-3.parquet", 40_000)
    )
    assert [b.num_rows for b in batches][:3] == [40_000, 40_000, 40_000]
    assert sum(b.num_rows for b in batches) == 154_255
    assert batches[1]["source_row"][0].as_py() == 40_001


def test_values(tmp_path: Path) -> None:
    table = pa.concat_tables(parquet.read(write(tmp_path / "a.parquet", **good_columns()), 10))
    assert table["arbitration_id"].to_pylist() == [0x1E5, 0x0F9, 0x7FF]
    assert table["payload"].to_pylist() == [bytes.fromhex("460196E001FE6701"), b"", b"\x0a"]
    assert table["dlc"].to_pylist() == [8, 0, 1]
    assert table["source_row"].to_pylist() == [1, 2, 3]


def test_nulls_and_bad_hex_are_quarantined(tmp_path: Path) -> None:
    columns = good_columns()
    columns["id"] = pa.array([0x1E5, None, 0x7FF], pa.uint32())
    columns["data_field"] = ["460196E001FE6701", "", "XY"]
    raw = pa.concat_tables(parquet.read(write(tmp_path / "a.parquet", **columns), 10))
    checked = validate_frames(raw, "a", "train", "dos")
    assert checked.good.num_rows == 1
    assert checked.bad["reason"].to_pylist() == [
        "id is missing",
        "data_field is not hex bytes: 'XY'",
    ]
    assert checked.bad["source_row"].to_pylist() == [2, 3]


def test_truncated_file(tmp_path: Path, shared_data: Path) -> None:
    data = (shared_data / "train_02_with_attacks__DoS-1.parquet").read_bytes()
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        FormatError, match=r"cut.parquet: not a readable Parquet file.*Fix: re-download"
    ):
        list(parquet.read(path, 1000))


def test_not_parquet_at_all(write) -> None:
    with pytest.raises(FormatError, match="not a readable Parquet file"):
        list(parquet.read(write("x.parquet", "timestamp,id\n1,2\n"), 1000))


def test_missing_column(tmp_path: Path) -> None:
    columns = good_columns()
    del columns["label"]
    with pytest.raises(FormatError, match=r"missing column\(s\) \['label'\]"):
        list(parquet.read(write(tmp_path / "a.parquet", **columns), 10))


def test_wrong_column_type(tmp_path: Path) -> None:
    columns = good_columns()
    columns["timestamp"] = ["yesterday", "today", "now"]
    with pytest.raises(FormatError, match="column 'timestamp' has type string, not numeric"):
        list(parquet.read(write(tmp_path / "a.parquet", **columns), 10))
    columns = good_columns()
    columns["data_field"] = [1, 2, 3]
    with pytest.raises(FormatError, match="column 'data_field' has type int64"):
        list(parquet.read(write(tmp_path / "b.parquet", **columns), 10))
