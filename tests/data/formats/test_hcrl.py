"""hcrl_car_hacking: both layouts of the HCRL Car-Hacking dataset, and malformed input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from kdgat.data.formats import hcrl_car_hacking
from kdgat.data.schema import RAW_FRAME, validate_frames
from kdgat.errors import FormatError

Write = Callable[[str, str], Path]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hcrl"
GOOD_CSV = "1478198376.389427,0316,8,05,21,68,09,21,21,00,6f,R"
GOOD_TXT = (
    "Timestamp: 1479121434.850202        ID: 0350    000    DLC: 8    05 28 84 66 6d 00 00 a2"
)


def parse(path: Path, batch_rows: int = 1000) -> pa.Table:
    return pa.concat_tables([RAW_FRAME.empty_table(), *hcrl_car_hacking.read(path, batch_rows)])


def test_csv_layout_values() -> None:
    table = parse(FIXTURES / "DoS_dataset.csv", 7)
    assert table.num_rows == 20
    first = table.slice(0, 1).to_pylist()[0]
    assert first == {
        "timestamp": 1478198376.389427,
        "arbitration_id": 0x316,
        "dlc": 8,
        "payload": bytes.fromhex("052168092121006f"),
        "label": 0,
        "attack_type": None,
        "source_row": 1,
        "parse_error": None,
    }
    short = table.slice(10, 1).to_pylist()[0]  # "...,05f0,2,01,00,R": the flag moved left
    assert (short["arbitration_id"], short["dlc"], short["payload"]) == (0x5F0, 2, b"\x01\x00")
    assert short["source_row"] == 11
    injected = table.slice(8, 1).to_pylist()[0]
    assert (injected["arbitration_id"], injected["payload"], injected["label"]) == (0, bytes(8), 1)
    assert table["label"].to_pylist().count(1) == 5
    assert table["dlc"].to_pylist()[18] == 5


def test_csv_layout_validates_clean() -> None:
    checked = validate_frames(parse(FIXTURES / "DoS_dataset.csv"), "DoS", "test_dos", "dos")
    assert (checked.good.num_rows, checked.bad.num_rows) == (20, 0)
    attack = checked.good["attack_type"].to_pylist()
    assert set(attack) == {"benign", "dos"}  # null attack_type filled from the capture


def test_text_layout_values() -> None:
    table = parse(FIXTURES / "normal_run_data.txt", 5)
    assert table.num_rows == 12
    first = table.slice(0, 1).to_pylist()[0]
    assert first["timestamp"] == 1479121434.850202
    assert first["arbitration_id"] == 0x350
    assert first["payload"] == bytes.fromhex("052884666d0000a2")
    assert table["label"].to_pylist() == [0] * 12
    assert table["dlc"].to_pylist()[10:] == [2, 5]
    assert table["payload"].to_pylist()[10] == b"\x01\x00"
    assert table["source_row"].to_pylist() == list(range(1, 13))
    checked = validate_frames(table, "normal", "train", "benign")
    assert (checked.good.num_rows, checked.bad.num_rows) == (12, 0)


def test_blank_lines_are_skipped_and_line_numbers_kept(write: Write) -> None:
    path = write("DoS.csv", f"\n{GOOD_CSV}\n   \n{GOOD_CSV.replace(',R', ',T')}\n\n")
    table = parse(path)
    assert table["source_row"].to_pylist() == [2, 4]
    assert table["label"].to_pylist() == [0, 1]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1478198376.389427,0316,8,05,21,68,09,21,21,00,R", "payload length"),  # DLC 8, 7 bytes
        ("1478198376.389427,0316,2,05,21,68,R", "payload length"),
        ("1478198376.389427,0316,2,05,21", "flag is not R (normal) or T (injected): '21'"),
        ("1478198376.389427,0316,2,05,21,X", "flag is not R (normal) or T (injected): 'X'"),
        ("1478198376.389427,03G6,2,05,21,R", "CAN ID is not hex: '03G6'"),
        ("1478198376.389427,0316,two,05,21,R", "DLC is not an integer: 'two'"),
        ("1478198376.389427,0316,2,05,2,R", "data bytes are not two-digit hex: ',05,2'"),
        ("1478198376.389427,0316,2,05,zz,R", "data bytes are not two-digit hex: ',05,zz'"),
        ("yesterday,0316,2,05,21,R", "timestamp is not a number: 'yesterday'"),
        ("1478198376.389427,0316", "not a Car-Hacking CSV line"),
        ("1478198376.389427,0316,16,05,21,R", "dlc"),
    ],
)
def test_bad_csv_row_is_quarantined_with_reason(write: Write, line: str, reason: str) -> None:
    path = write("DoS.csv", f"{GOOD_CSV}\n{line}\n{GOOD_CSV}\n")
    checked = validate_frames(parse(path), "DoS", "test", "dos")
    assert (checked.good.num_rows, checked.bad.num_rows) == (2, 1)
    assert reason in checked.bad["reason"][0].as_py()
    assert checked.bad["source_row"].to_pylist() == [2]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (GOOD_TXT.replace("DLC: 8", "DLC: 7"), "payload length"),
        (GOOD_TXT.replace("ID: 0350", "ID: 0x3Q"), "CAN ID is not hex: '0x3Q'"),
        (GOOD_TXT.replace(" a2", " a"), "data bytes are not two-digit hex"),
        ("Timestamp: 1479121434.850202        ID: 0350", "not a normal_run_data line"),
    ],
)
def test_bad_text_row_is_quarantined_with_reason(write: Write, line: str, reason: str) -> None:
    path = write("normal_run_data.txt", f"{GOOD_TXT}\n{line}\n")
    checked = validate_frames(parse(path), "normal", "train", "benign")
    assert (checked.good.num_rows, checked.bad.num_rows) == (1, 1)
    assert reason in checked.bad["reason"][0].as_py()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("\n\n  \n", "neither"),
        ("1478198376.389427;0316;8;05;21;68;09;21;21;00;6f;R\n", "neither"),
        ("hello world\n", "neither"),
    ],
)
def test_wrong_file_is_a_format_error_naming_it(write: Write, text: str, message: str) -> None:
    path = write("DoS_dataset.csv", text)
    with pytest.raises(FormatError, match=message) as err:
        parse(path)
    assert str(path) in str(err.value)


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="file not found"):
        parse(tmp_path / "absent.csv")
