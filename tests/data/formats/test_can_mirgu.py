"""CAN-MIRGU: candump -L lines ending in a 0/1 label field."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kdgat.data.catalog import Capture
from kdgat.data.formats import can_mirgu, get_format
from kdgat.data.ingest import ingest_captures
from kdgat.data.schema import RAW_FRAME
from kdgat.errors import FormatError

# As the dataset's README shows them: absolute epoch time, can0, id#data, the label.
LINES = [
    "(1698235129.288636) can0 559#00000C0000000000 0",
    "(1698235129.288880) can0 1A0#0102030405060708 0",
    "(1698235129.289012) can0 07F#00C3000000000000 1",
    "(1698235129.289400) can0 436#00000000 0",
    "(1698235129.289633) can0 07F#00C3000000000000 1",
    "(1698235129.290000) can0 559#00000C0000000000 0",
]


def parse(path: Path, batch_rows: int = 1000) -> pa.Table:
    return pa.concat_tables([RAW_FRAME.empty_table(), *can_mirgu.read(path, batch_rows)])


@pytest.mark.parametrize("batch_rows", [1000, 4])
def test_the_trailing_field_is_the_label(tmp_path: Path, batch_rows: int) -> None:
    log = tmp_path / "Brake_warning_attack.log"
    log.write_text("\n".join(LINES) + "\n")
    table = parse(log, batch_rows)
    assert table["label"].to_pylist() == [0, 0, 1, 0, 1, 0]
    assert table["arbitration_id"].to_pylist() == [0x559, 0x1A0, 0x07F, 0x436, 0x07F, 0x559]
    assert table["payload"][3].as_py() == bytes(4)
    assert table["source_row"].to_pylist() == [1, 2, 3, 4, 5, 6]
    assert table["parse_error"].null_count == 6


@pytest.mark.parametrize(
    "bad",
    [
        "(1698235129.289100) can0 07F#00C3000000000000",  # no label
        "(1698235129.289100) can0 07F#00C3000000000000 2",
        "(1698235129.289100) can0 07F#00C3000000000000 x",
        "(1698235129.289100) can0 07F#00C3000000000000 1 0",  # two labels
    ],
)
def test_a_line_without_a_0_1_label_is_quarantined(tmp_path: Path, bad: str) -> None:
    log = tmp_path / "DoS_attack.log"
    log.write_text("\n".join([*LINES[:3], bad, *LINES[3:]]) + "\n")
    table = parse(log)
    errors = dict(
        zip(table["source_row"].to_pylist(), table["parse_error"].to_pylist(), strict=True)
    )
    assert [row for row, e in errors.items() if e] == [4]
    assert "0/1 label" in errors[4] or "candump" in errors[4]
    assert table["label"].to_pylist() == [0, 0, 1, -1, 0, 1, 0]


def test_a_malformed_frame_with_a_label_is_quarantined_as_candump_would(tmp_path: Path) -> None:
    log = tmp_path / "DoS_attack.log"
    log.write_text("\n".join([*LINES[:2], "(1698235129.289100) can0 07F#00C30 1", *LINES[2:]]))
    table = parse(log)
    bad = [e for e in table["parse_error"].to_pylist() if e]
    assert len(bad) == 1
    assert "candump" in bad[0]


def test_a_plain_text_file_is_not_a_can_mirgu_log(tmp_path: Path) -> None:
    log = tmp_path / "notes.log"
    log.write_text("timestamp,id,data,label\n")
    with pytest.raises(FormatError, match="candump"):
        parse(log)


def test_ingest_keeps_the_labels_and_names_the_attack_by_file(tmp_path: Path) -> None:
    log = tmp_path / "Real_attacks" / "Min_speedometer_attack_1.log"
    log.parent.mkdir()
    log.write_text("\n".join(LINES) + "\n")
    capture = Capture(log, "Min_speedometer_attack_1", "real")
    report = ingest_captures([capture], get_format("can_mirgu"), tmp_path / "out")
    table = pq.read_table(tmp_path / "out" / report["captures"][capture.name]["output"])
    assert table["label"].to_pylist() == [0, 0, 1, 0, 1, 0]
    assert set(table["attack_type"].to_pylist()) == {"benign", "Min_speedometer_attack"}
