"""Ingest: streaming, quarantine, duplicates, ordering, atomic output, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kdgat.config import DatasetEntry
from kdgat.data.catalog import Capture
from kdgat.data.formats import get_format
from kdgat.data.ingest import ingest_captures, ingest_dataset, ingest_files
from kdgat.errors import FormatError, ValidationError

HEADER = "timestamp,arbitration_id,data_field,attack\n"
CAN_CSV = get_format("can_csv")


def rows(n: int, start: float = 0.0, attack_every: int = 0) -> str:
    return "".join(
        f"{start + i * 0.01:.6f},{0x100 + i % 5:03x},{i % 256:02X}00,"
        f"{int(bool(attack_every) and i % attack_every == 0)}\n"
        for i in range(n)
    )


def test_nine_shared_files_give_seven_unique_captures(shared_data: Path, tmp_path: Path) -> None:
    files = sorted(shared_data.glob("*.parquet"))
    report = ingest_files(files, "parquet", tmp_path / "out", "adhoc", max_bad_fraction=0.001)
    assert (report["captures_found"], report["unique_captures"], report["bad_rows"]) == (9, 7, 0)
    dup = report["captures"]["train_02_with_attacks__accessory-1"]
    assert dup["duplicate_of"] == "train_01_attack_free__accessory-1"
    assert dup["output"] is None
    dos = report["captures"]["train_02_with_attacks__DoS-1"]
    assert dos["attack_fraction"] == pytest.approx(9139 / 90169)
    assert sorted(p.name for p in (tmp_path / "out" / "captures").iterdir()) == sorted(
        f"{n}.parquet" for n, r in report["captures"].items() if r["duplicate_of"] is None
    )
    fuzz = report["captures"]["train_02_with_attacks__targeted_payload_fuzzing-2"]
    assert fuzz["out_of_order_rows"] > 0  # a real quirk: re-sorted and counted
    table = pq.read_table(
        tmp_path / "out" / "captures" / "train_02_with_attacks__targeted_payload_fuzzing-2.parquet"
    )
    ts = table["timestamp"].to_numpy()
    assert (ts[1:] >= ts[:-1]).all()
    assert table.num_rows == fuzz["rows"]


def test_same_capture_in_csv_and_parquet_is_one_capture(shared_data: Path, tmp_path: Path) -> None:
    csv = Capture(shared_data / "raw_csv_example__DoS-1.csv", "csv_copy", "train")
    report = ingest_captures([csv], CAN_CSV, tmp_path)
    assert report["captures"]["csv_copy"]["content_hash"]
    other = ingest_files(
        [shared_data / "train_02_with_attacks__DoS-1.parquet"],
        "parquet",
        tmp_path / "p",
        "x",
        max_bad_fraction=0.001,
    )
    assert (
        other["captures"]["train_02_with_attacks__DoS-1"]["content_hash"]
        == report["captures"]["csv_copy"]["content_hash"]
    )


def test_streaming_writes_row_groups_and_quarantine(write, tmp_path: Path) -> None:
    text = HEADER + rows(3000, attack_every=10) + "9.0,1e5,ZZ,0\n"
    path = write("train_02_with_attacks__dos-1.csv", text)
    capture = Capture(path, "train_02_with_attacks__dos-1", "train")
    report = ingest_captures([capture], CAN_CSV, tmp_path / "o", row_group_size=1024)
    capture = report["captures"][capture.name]
    assert (capture["rows"], capture["bad_rows"]) == (3001, 1)
    out = pq.ParquetFile(tmp_path / "o" / "captures" / "train_02_with_attacks__dos-1.parquet")
    assert out.metadata.num_rows == 3000
    assert max(out.metadata.row_group(i).num_rows for i in range(out.num_row_groups)) <= 1024
    quarantine = pq.read_table(tmp_path / "o" / capture["quarantine"])
    assert quarantine["source_row"].to_pylist() == [3002]
    assert "ZZ" in quarantine["reason"][0].as_py()
    assert capture["attack_fraction"] == pytest.approx(300 / 3000)
    types = out.read()["attack_type"].to_pylist()
    assert set(types) == {"benign", "dos"}


def test_too_many_bad_rows_fail_with_file_row_and_fix(write, tmp_path: Path) -> None:
    path = write("c.csv", HEADER + rows(10) + "1.0,1e5,ZZ,0\n")
    with pytest.raises(ValidationError) as err:
        ingest_captures(
            [Capture(path, "c", "train")], CAN_CSV, tmp_path / "o", max_bad_fraction=0.01
        )
    message = str(err.value)
    assert str(path) in message
    assert "row 12: data_field is not hex bytes: 'ZZ'" in message
    assert "ingest.max_bad_fraction" in message
    assert not list((tmp_path / "o" / "captures").glob("*.parquet"))


def test_out_of_order_rows_are_sorted_and_counted(write, tmp_path: Path) -> None:
    path = write("c.csv", HEADER + "1.0,100,00,0\n3.0,101,01,0\n2.0,102,02,0\n4.0,103,03,0\n")
    report = ingest_captures([Capture(path, "c", "train")], CAN_CSV, tmp_path)
    assert report["captures"]["c"]["out_of_order_rows"] == 1
    table = pq.read_table(tmp_path / "captures" / "c.parquet")
    assert table["timestamp"].to_pylist() == [1.0, 2.0, 3.0, 4.0]
    assert table["source_row"].to_pylist() == [2, 4, 3, 5]
    assert table["arbitration_id"].type == "uint32"


def test_header_only_file_is_an_error(write, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no data rows"):
        ingest_captures([Capture(write("c.csv", HEADER), "c", "train")], CAN_CSV, tmp_path)


def test_failed_dataset_ingest_keeps_the_previous_output(write, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write("raw/train_01_attack_free__a-1.csv", HEADER + rows(50))
    write("raw/test_01_known__b-1.csv", HEADER + rows(50, attack_every=5))
    entry = DatasetEntry(
        domain="can", format="can_csv", source="x", train=["train_*"], test={"known": ["test_01_*"]}
    )
    out, report_path = tmp_path / "processed", tmp_path / "metrics" / "r.json"
    first = ingest_dataset("d", entry, raw, out, report_path, 1024, 0.001)
    assert first["unique_captures"] == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert {c["split"] for c in manifest["captures"]} == {"train", "known"}
    before = sorted(p.name for p in out.rglob("*"))
    write("raw/test_01_known__b-1.csv", HEADER + rows(50) + "x,y,z,w\n" * 5)
    with pytest.raises(ValidationError):
        ingest_dataset("d", entry, raw, out, report_path, 1024, 0.001)
    assert sorted(p.name for p in out.rglob("*")) == before
    assert json.loads(report_path.read_text())["unique_captures"] == 2
    assert not [p for p in tmp_path.rglob(".*") if p.name.startswith(".processed")]
