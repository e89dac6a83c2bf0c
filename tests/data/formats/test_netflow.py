"""netflow_cicids and netflow_unsw: fixtures, timestamps, features, malformed input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from kdgat.data.formats import Reader, netflow_cicids, netflow_unsw
from kdgat.data.formats._flows import snake_case
from kdgat.data.schema import EMPTY_ROW, FLOW_FIXED, validate_flows
from kdgat.errors import FormatError

Write = Callable[[str, str], Path]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "netflow"
CICIDS_HEADER = (
    "Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp,"
    " Flow Duration,Flow Bytes/s, Label\n"
)
CICIDS_ROW = "a-b-1-2-6,192.168.10.5,54865,104.16.207.165,443,6,7/7/2017 3:30,3,4000000,BENIGN"


def parse(reader: Reader, path: Path, batch_rows: int = 1000) -> pa.Table:
    return pa.concat_tables(list(reader(path, batch_rows)))


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


# --- CICIDS2017 ------------------------------------------------------------------------------


def test_cicids_fixture_columns_and_values() -> None:
    table = parse(netflow_cicids.read, FIXTURES / "cicids_sample.csv", 4)
    assert table.num_rows == 15
    assert table.column_names[: len(FLOW_FIXED)] == FLOW_FIXED.names
    assert table.column_names[len(FLOW_FIXED) :] == [
        "f_flow_duration",
        "f_total_fwd_packets",
        "f_total_backward_packets",
        "f_total_length_of_fwd_packets",
        "f_total_length_of_bwd_packets",
        "f_flow_bytes_s",
        "f_flow_packets_s",
        "f_flow_iat_mean",
        "f_fwd_header_length",
        "f_bwd_header_length",
        "f_fwd_header_length_1",  # the header has "Fwd Header Length" twice
        "f_init_win_bytes_forward",
    ]
    assert table.schema.field("src_port").type == pa.int32()
    first = table.slice(0, 1).to_pylist()[0]
    assert first["timestamp"] == utc(2017, 7, 7, 3, 30)
    assert (first["src"], first["src_port"], first["dst"], first["dst_port"]) == (
        "192.168.10.5",
        54865,
        "104.16.207.165",
        443,
    )
    assert (first["protocol"], first["label"], first["attack_type"], first["source_row"]) == (
        "6",
        0,
        None,
        2,
    )
    assert first["f_flow_bytes_s"] == 4000000.0
    assert first["f_flow_packets_s"] == 666666.6667
    ddos = table.slice(6, 1).to_pylist()[0]
    assert (ddos["label"], ddos["attack_type"], ddos["source_row"]) == (1, "DDoS", 8)
    assert table["attack_type"].to_pylist().count("PortScan") == 2
    assert np.isinf(table["f_flow_bytes_s"].to_numpy()[4])


def test_cicids_fixture_validates_with_the_infinity_row_quarantined() -> None:
    checked = validate_flows(
        parse(netflow_cicids.read, FIXTURES / "cicids_sample.csv"), "fri", "test", "x"
    )
    assert (checked.good.num_rows, checked.bad.num_rows) == (14, 1)
    assert checked.bad["source_row"].to_pylist() == [6]
    assert "all flow features finite" in checked.bad["reason"][0].as_py()
    assert set(checked.good["attack_type"].to_pylist()) == {"benign", "DDoS", "PortScan"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7/7/2017 3:30", utc(2017, 7, 7, 3, 30)),
        ("3/7/2017 8:55:58", utc(2017, 7, 3, 8, 55, 58)),  # day first: Monday 3 July
        ("07/07/2017 03:30:15 PM", utc(2017, 7, 7, 15, 30, 15)),
        ("07/07/2017 12:30:15 AM", utc(2017, 7, 7, 0, 30, 15)),
        ("2017-07-07 15:30:15", utc(2017, 7, 7, 15, 30, 15)),
        ("2017-07-07T15:30:15", utc(2017, 7, 7, 15, 30, 15)),
        (" 7/7/2017 3:30 ", utc(2017, 7, 7, 3, 30)),
    ],
)
def test_cicids_timestamps(text: str, expected: float) -> None:
    values, bad = netflow_cicids.parse_timestamps(pa.array([text]))
    assert not bad[0]
    assert values[0] == expected


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (CICIDS_ROW.replace("7/7/2017 3:30", "13/13/2017 3:30"), "Timestamp is not a date/time"),
        (
            CICIDS_ROW.replace("7/7/2017 3:30", "yesterday"),
            "Timestamp is not a date/time: 'yesterday'",
        ),
        (CICIDS_ROW.replace("192.168.10.5,", ","), "Source IP is empty"),
        (CICIDS_ROW.replace(",54865,", ",http,"), "Source Port is not a port: 'http'"),
        (CICIDS_ROW.replace(",443,", ",70000,"), "dst_port: failed 'port in 0..65535'"),
        (CICIDS_ROW.replace(",BENIGN", ","), "Label is not a label: ''"),
        (CICIDS_ROW.replace(",3,", ",abc,"), "Flow Duration is not a number: 'abc'"),
        (CICIDS_ROW.replace(",4000000,", ",NaN,"), "all flow features finite"),
        (CICIDS_ROW.replace(",4000000,", ",,"), "Flow Bytes/s is not a number: ''"),
        (CICIDS_ROW.replace(",BENIGN", ""), "expected 10 fields: 'a-b-1-2-6,192.168.10.5"),
        (CICIDS_ROW + ",extra", "expected 10 fields"),
    ],
)
def test_cicids_bad_row_is_quarantined_with_reason(write: Write, row: str, reason: str) -> None:
    path = write("flows.csv", f"{CICIDS_HEADER}{CICIDS_ROW}\n{row}\n{CICIDS_ROW}\n")
    checked = validate_flows(parse(netflow_cicids.read, path), "f", "test", "x")
    assert (checked.good.num_rows, checked.bad.num_rows) == (2, 1)
    assert reason in checked.bad["reason"][0].as_py()
    assert checked.bad["source_row"].to_pylist() == [3]
    assert checked.good["source_row"].to_pylist() == [2, 4]


def test_cicids_line_numbers_survive_blank_and_empty_rows(write: Write) -> None:
    rows = [CICIDS_ROW.replace(",3,", f",{i},") for i in range(12)]
    rows[2] = "too,few"  # wrong field count: pyarrow skips it, we number around it
    rows[5] = ""  # blank line
    rows[8] = "," * 9  # CICIDS2017 files end with such rows: quarantined, never dropped
    path = write("flows.csv", CICIDS_HEADER + "\n".join(rows) + "\n")
    table = parse(netflow_cicids.read, path, 3)
    errors = table["parse_error"].to_pylist()
    lines = table["source_row"].to_pylist()
    assert lines[errors.index("expected 10 fields: 'too,few'")] == 4
    assert sorted(line for line, e in zip(lines, errors, strict=True) if e == EMPTY_ROW) == [7, 10]
    good = table.filter(pa.compute.is_null(table["parse_error"]))
    assert good["source_row"].to_pylist() == [2, 3, 5, 6, 8, 9, 11, 12, 13]
    assert good["f_flow_duration"].to_pylist() == [0, 1, 3, 4, 6, 7, 9, 10, 11]


def test_cicids_cp1252_label_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "Thursday-WebAttacks.csv"
    row = CICIDS_ROW.replace("BENIGN", "Web Attack \u2013 Brute Force").encode("cp1252")
    path.write_bytes(CICIDS_HEADER.encode() + row + b"\n")
    table = parse(netflow_cicids.read, path)
    assert table["attack_type"].to_pylist() == ["Web Attack \u2013 Brute Force"]
    assert table["label"].to_pylist() == [1]


def test_cicids_text_in_a_numeric_column_after_the_first_batch(write: Write) -> None:
    rows = [CICIDS_ROW] * 5 + [CICIDS_ROW.replace(",3,", ",n/a,")]
    path = write("flows.csv", CICIDS_HEADER + "\n".join(rows) + "\n")
    table = parse(netflow_cicids.read, path, 2)
    assert "f_flow_duration" in table.column_names
    assert table["parse_error"].to_pylist()[-1] == "Flow Duration is not a number: 'n/a'"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        (" Destination Port, Flow Duration, Label\n80,3,BENIGN\n", "MachineLearningCVE"),
        (CICIDS_HEADER.replace(",", ";"), "separated by semicolons"),
        (CICIDS_ROW + "\n", "missing column"),  # no header at all
    ],
)
def test_cicids_wrong_file_is_a_format_error(write: Write, text: str, message: str) -> None:
    path = write("flows.csv", text)
    with pytest.raises(FormatError, match=message) as err:
        parse(netflow_cicids.read, path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("header", "snake"),
    [
        ("Flow Bytes/s", "flow_bytes_s"),
        (" Fwd Packet Length Max", "fwd_packet_length_max"),
        ("Init_Win_bytes_forward", "init_win_bytes_forward"),
        ("Sload", "sload"),
    ],
)
def test_snake_case(header: str, snake: str) -> None:
    assert snake_case(header) == snake


# --- UNSW-NB15 -------------------------------------------------------------------------------


def test_unsw_fixture_values() -> None:
    table = parse(netflow_unsw.read, FIXTURES / "unsw_sample.csv", 3)
    assert table.num_rows == 10
    names = table.column_names
    assert names[: len(FLOW_FIXED)] == FLOW_FIXED.names
    assert {"f_dur", "f_sbytes", "f_ltime", "f_ct_ftp_cmd", "f_ct_dst_src_ltm"} <= set(names)
    assert not {"f_state", "f_service", "f_stime", "f_attack_cat", "f_label"} & set(names)
    assert len(names) == len(FLOW_FIXED) + 49 - 10  # 49 columns: 8 fixed, stime, 2 text
    first = table.slice(0, 1).to_pylist()[0]
    assert (first["timestamp"], first["src"], first["src_port"], first["dst_port"]) == (
        1421927414.0,
        "59.166.0.0",
        1390,
        53,
    )
    assert (first["protocol"], first["label"], first["attack_type"]) == ("udp", 0, None)
    assert (first["f_dur"], first["f_sload"], first["source_row"]) == (0.001055, 500473.9375, 2)
    rows = table.to_pylist()
    assert (rows[5]["attack_type"], rows[5]["label"]) == ("Exploits", 1)  # " Exploits " stripped
    assert (rows[6]["src_port"], rows[6]["dst_port"]) == (-1, 0x000B)  # "-" and hex
    assert rows[9]["src_port"] == 0xCC09
    assert (rows[7]["f_ct_flw_http_mthd"], rows[7]["f_ct_ftp_cmd"]) == (0.0, 0.0)  # blank -> 0
    checked = validate_flows(table, "unsw1", "train", "x")
    assert (checked.good.num_rows, checked.bad.num_rows) == (10, 0)
    assert checked.good["attack_type"].to_pylist().count("Reconnaissance") == 2


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (",1390,", ",0xZZ,", "sport is not a port: '0xZZ'"),
        (",1390,", ",,", "sport is not a port: ''"),
        (",1421927414,1421927414,", ",soon,1421927414,", "stime is not a date/time: 'soon'"),
        (",,0\n", ",,x\n", "label is not a label: 'x'"),
        (",,0\n", ",,2\n", "label: failed 'label in {0, 1}' (value 2)"),
        (",0.001055,", ",fast,", "dur is not a number: 'fast'"),
    ],
)
def test_unsw_bad_row_is_quarantined_with_reason(
    write: Write, old: str, new: str, reason: str
) -> None:
    lines = (FIXTURES / "unsw_sample.csv").read_text().splitlines(keepends=True)
    path = write("unsw.csv", "".join([lines[0], lines[2], lines[1].replace(old, new, 1), lines[3]]))
    checked = validate_flows(parse(netflow_unsw.read, path), "u", "train", "x")
    assert (checked.good.num_rows, checked.bad.num_rows) == (2, 1)
    assert reason in checked.bad["reason"][0].as_py()
    assert checked.bad["source_row"].to_pylist() == [3]


@pytest.mark.parametrize(
    ("first_line", "message"),
    [
        (None, "ship without a header"),  # the raw UNSW-NB15_1.csv
        ("id,dur,proto,service,state,spkts,dpkts,attack_cat,label", "missing column"),
        ("srcip\tsport\tdstip\tdsport\tproto\tstime\tattack_cat\tlabel", "separated by tabs"),
    ],
)
def test_unsw_wrong_header_is_a_format_error(
    write: Write, first_line: str | None, message: str
) -> None:
    lines = (FIXTURES / "unsw_sample.csv").read_text().splitlines(keepends=True)
    path = write(
        "UNSW-NB15_1.csv", "".join(([first_line + "\n"] if first_line else []) + lines[1:])
    )
    with pytest.raises(FormatError, match=message) as err:
        parse(netflow_unsw.read, path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("text", "value", "bad"),
    [("80", 80, False), ("0x000b", 11, False), ("0XCC09", 0xCC09, False), ("-", -1, False)],
)
def test_unsw_ports(text: str, value: int, bad: bool) -> None:
    values, mask = netflow_unsw.SPEC.port(pa.array([text]))
    assert (int(values[0]), bool(mask[0])) == (value, bad)


def test_cicids_blank_lines_first_do_not_turn_text_columns_into_features(write: Write) -> None:
    path = write("flows.csv", CICIDS_HEADER + "\n\n" + f"{CICIDS_ROW}\n" * 3)
    table = parse(netflow_cicids.read, path, 2)
    assert "f_flow_id" not in table.column_names
    assert sorted(table["source_row"].to_pylist()) == [2, 3, 4, 5, 6]
    assert table["parse_error"].to_pylist().count(EMPTY_ROW) == 2
