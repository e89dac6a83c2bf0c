"""can_csv: the real raw CSV, and every kind of malformed input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kdgat.data.formats import can_csv, parquet
from kdgat.data.schema import RAW_FRAME, validate_frames
from kdgat.errors import FormatError

HEADER = "timestamp,arbitration_id,data_field,attack\n"


def parse(path: Path, batch_rows: int = 1000) -> pa.Table:
    return pa.concat_tables([RAW_FRAME.empty_table(), *can_csv.read(path, batch_rows)])


def test_real_csv_matches_the_parquet_of_the_same_capture(shared_data: Path) -> None:
    csv = parse(shared_data / "raw_csv_example__DoS-1.csv", 50_000)
    pq = pa.concat_tables(
        parquet.read(shared_data / "train_02_with_attacks__DoS-1.parquet", 50_000)
    )
    assert csv.num_rows == pq.num_rows == 90_169
    assert csv["parse_error"].null_count == csv.num_rows
    for column in ("timestamp", "arbitration_id", "dlc", "payload", "label"):
        assert csv[column].equals(pq[column]), column
    lines = (shared_data / "raw_csv_example__DoS-1.csv").read_text().splitlines()[1:]
    assert csv["label"].to_pylist() == [int(line.rsplit(",", 1)[1]) for line in lines]


def test_values_and_line_numbers(write) -> None:
    path = write("c.csv", HEADER + "1.5,1e5,460196E001FE6701,0\n2.0,0f9,,1\n2.5,7FF,0a,0\n")
    table = parse(path)
    assert table["timestamp"].to_pylist() == [1.5, 2.0, 2.5]
    assert table["arbitration_id"].to_pylist() == [0x1E5, 0x0F9, 0x7FF]
    assert table["payload"].to_pylist() == [bytes.fromhex("460196E001FE6701"), b"", b"\x0a"]
    assert table["dlc"].to_pylist() == [8, 0, 1]
    assert table["label"].to_pylist() == [0, 1, 0]
    assert table["source_row"].to_pylist() == [2, 3, 4]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1.0,1e5,ZZ00,0", "data_field is not hex bytes: 'ZZ00'"),
        ("1.0,1e5,ABC,0", "data_field is not hex bytes: 'ABC'"),
        ("1.0,xyz,00,0", "arbitration_id is not hex: 'xyz'"),
        ("abc,1e5,00,0", "timestamp is not a number: 'abc'"),
        ("1.0,1e5,00,yes", "attack is not an integer: 'yes'"),
        ("1.0,1e5,00,2", "label: failed 'label in {0, 1}' (value 2)"),
        ("1.0,1e5,001122334455667788,0", "dlc"),
        ("1.0,1e5,00", "expected 4 fields: '1.0,1e5,00'"),
        ("inf,1e5,00,0", "timestamp: failed 'finite'"),
    ],
)
def test_bad_row_is_quarantined_with_its_reason_and_line(write, line: str, reason: str) -> None:
    path = write("c.csv", HEADER + "1.0,1e5,00,0\n" + line + "\n2.0,1e5,00,0\n")
    checked = validate_frames(parse(path), "c", "train", "dos")
    assert checked.good.num_rows == 2
    assert checked.bad.num_rows == 1
    assert reason in checked.bad["reason"][0].as_py()
    assert checked.bad["source_row"].to_pylist() == [3]


def test_line_numbers_stay_right_after_a_skipped_row(write) -> None:
    rows = [f"{i}.0,1e5,00,0" for i in range(10)]
    rows[3] = "3.0,1e5"  # wrong field count: pyarrow skips it, we number around it
    checked = validate_frames(
        parse(write("c.csv", HEADER + "\n".join(rows) + "\n"), 4), "c", "t", "x"
    )
    assert checked.bad["source_row"].to_pylist() == [5]
    good_lines = checked.good["source_row"].to_pylist()
    assert good_lines == [2, 3, 4, 6, 7, 8, 9, 10, 11]
    assert checked.good["timestamp"].to_pylist() == [0, 1, 2, 4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("timestamp;arbitration_id;data_field;attack\n1;2;3;4\n", "separated by semicolons"),
        ("timestamp\tarbitration_id\tdata_field\tattack\n", "separated by tabs"),
        ("timestamp,id,data_field,attack\n1,2,3,4\n", "missing column(s) ['arbitration_id']"),
        ("\x00\x01\x02garbage", "missing column"),
    ],
)
def test_unreadable_files_raise_a_format_error_naming_the_file(
    write, text: str, message: str
) -> None:
    path = write("bad.csv", text)
    with pytest.raises(FormatError) as err:
        parse(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert "Fix:" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="file not found"):
        parse(tmp_path / "nope.csv")


_valid_row = st.tuples(
    st.floats(0, 86_400, allow_nan=False).map(lambda t: f"{t:.6f}"),  # a capture's day
    st.integers(0, 0x7FF).map(lambda i: f"{i:03x}"),
    st.binary(max_size=8).map(lambda b: b.hex().upper()),
    st.sampled_from(["0", "1"]),
).map(",".join)
_any_line = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"),
    max_size=40,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.one_of(_valid_row, _any_line), min_size=1, max_size=30))
def test_arbitrary_lines_are_parsed_or_quarantined_never_lost(
    tmp_path: Path, lines: list[str]
) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    try:
        table = parse(path, 7)
    except FormatError:
        return  # a whole-file problem, reported cleanly
    checked = validate_frames(table, "fuzz", "train", "x")
    assert checked.good.num_rows + checked.bad.num_rows == len(lines)  # blank lines included
    assert np.all(checked.bad["reason"].is_valid().to_numpy(zero_copy_only=False))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(_valid_row, min_size=1, max_size=30))
def test_valid_rows_round_trip(tmp_path: Path, rows: list[str]) -> None:
    path = tmp_path / "ok.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    checked = validate_frames(parse(path, 5), "ok", "train", "x")
    assert checked.bad.num_rows == 0
    back = [
        f"{t:.6f},{i:03x},{p.hex().upper()},{label}"
        for t, i, p, label in zip(
            checked.good["timestamp"].to_pylist(),
            checked.good["arbitration_id"].to_pylist(),
            checked.good["payload"].to_pylist(),
            checked.good["label"].to_pylist(),
            strict=True,
        )
    ]
    assert back == rows
