"""Text CAN captures: can_csv, hcrl_car_hacking and candump, malformed line by line."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

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
    raw_file,
    run_ingest_case,
    table,
)

BEFORE, AFTER = 3, 3  # good records around each bad one
LONG = 600_000  # bytes of hex payload pairs: a line of 1.2 MB

# --- can_csv -----------------------------------------------------------------------------------

CSV_HEADER = "timestamp,arbitration_id,data_field,attack"


def csv_row(i: int) -> str:
    return f"{T0 + i * 0.01:.6f},{0x100 + i % 5:03x},{i % 256:02X}00,0"


def csv_bytes(bad: list[bytes], header: str = CSV_HEADER, end: bytes = b"\n") -> bytes:
    good = [csv_row(i).encode() for i in range(BEFORE + len(bad) + AFTER)]
    body = good[:BEFORE] + bad + good[BEFORE + len(bad) :]
    return b"".join(line + end for line in [header.encode(), *body])


def csv_with(*bad: str, name: str = "c.csv", end: str = "\n", header: str = CSV_HEADER) -> Build:
    """A can_csv capture: header, 3 good rows, the ``bad`` rows (lines 5...), 3 good rows."""

    def build(tmp: Path) -> Written:
        path = tmp / name
        path.write_bytes(csv_bytes([b.encode() for b in bad], header, end.encode()))
        return Written(path, "can_csv", BEFORE + len(bad) + AFTER)

    return build


csv_raw = raw_file("c.csv", "can_csv")


def csv_truncated_last_line(tmp: Path) -> Written:
    path = tmp / "c.csv"
    text = "\n".join([CSV_HEADER, *(csv_row(i) for i in range(6))]) + "\n"
    path.write_text(text + csv_row(6)[:14])  # cut mid-row, no newline
    return Written(path, "can_csv", 7)


def csv_extra_column(tmp: Path) -> Written:
    """An extra column the format does not know (ignored); one bad row among the others."""
    rows = [f"{csv_row(i)},note {i}" for i in range(7)]
    rows[3] = "1700000000.03,1e5,ZZ,0,note"
    path = tmp / "c.csv"
    path.write_text("\n".join([CSV_HEADER + ",comment", *rows]) + "\n")
    return Written(path, "can_csv", 7)


def csv_duplicates(tmp: Path) -> Written:
    rows = [csv_row(i) for i in range(6)]
    rows[3:3] = [rows[2], rows[2]]  # the frame of line 4 recorded three times in a row
    rows.append(rows[0])  # and the first one again at the end
    path = tmp / "c.csv"
    path.write_text("\n".join([CSV_HEADER, *rows]) + "\n")
    return Written(path, "can_csv", len(rows))


def csv_only_bad_rows(tmp: Path) -> Written:
    path = tmp / "c.csv"
    path.write_text(CSV_HEADER + "\n" + "x,y,z,w\n" * 5)
    return Written(path, "can_csv", 5)


def csv_quote_in_name(tmp: Path) -> Written:
    """A capture named ``it's``, out of order (so it is re-sorted on disk) and a bad row."""
    rows = [csv_row(i) for i in range(8)]
    rows[2], rows[5] = rows[5], rows[2]
    rows[6] = "1700000000.07,1e5,ZZ,0"
    path = tmp / "it's.csv"
    path.write_text("\n".join([CSV_HEADER, *rows]) + "\n")
    return Written(path, "can_csv", 8)


CSV = [
    Case("csv_non_hex_id", csv_with("1700000000.03,xyz,00,0"), Quarantine((5,), "arbitration")),
    Case("csv_empty_id", csv_with("1700000000.03,,00,0"), Quarantine((5,))),
    Case("csv_id_over_29_bits", csv_with("1700000000.03,3FFFFFFF,00,0"), Quarantine((5,))),
    Case("csv_id_nine_hex_digits", csv_with("1700000000.03,123456789,00,0"), Quarantine((5,))),
    Case("csv_negative_id", csv_with("1700000000.03,-1e5,00,0"), Quarantine((5,))),
    Case("csv_odd_length_payload", csv_with("1700000000.03,1e5,ABC,0"), Quarantine((5,))),
    Case("csv_non_hex_payload", csv_with("1700000000.03,1e5,ZZ00,0"), Quarantine((5,))),
    Case("csv_payload_with_spaces", csv_with("1700000000.03,1e5,00 11,0"), Quarantine((5,))),
    Case(
        "csv_payload_nine_bytes", csv_with("1700000000.03,1e5," + "00" * 9 + ",0"), Quarantine((5,))
    ),
    Case("csv_nul_byte_in_payload", csv_with("1700000000.03,1e5,00\x00,0"), Quarantine((5,))),
    Case("csv_label_two", csv_with("1700000000.03,1e5,00,2"), Quarantine((5,), "label")),
    Case("csv_label_text", csv_with("1700000000.03,1e5,00,yes"), Quarantine((5,))),
    Case("csv_label_negative", csv_with("1700000000.03,1e5,00,-1"), Quarantine((5,))),
    Case("csv_label_fraction", csv_with("1700000000.03,1e5,00,0.5"), Quarantine((5,))),
    Case("csv_label_empty", csv_with("1700000000.03,1e5,00,"), Quarantine((5,))),
    Case("csv_timestamp_text", csv_with("yesterday,1e5,00,0"), Quarantine((5,), "timestamp")),
    Case("csv_timestamp_nan", csv_with("nan,1e5,00,0"), Quarantine((5,), "timestamp")),
    Case("csv_timestamp_inf", csv_with("inf,1e5,00,0"), Quarantine((5,), "timestamp")),
    Case("csv_timestamp_overflow", csv_with("1e400,1e5,00,0"), Quarantine((5,), "timestamp")),
    Case("csv_timestamp_negative", csv_with("-5.000000,1e5,00,0"), Quarantine((5,), "timestamp")),
    Case(
        "csv_timestamp_after_2100",
        csv_with(f"{YEAR_2100 + 3600:.6f},1e5,00,0"),
        Quarantine((5,), "timestamp"),
    ),
    Case(
        "csv_timestamp_jumps_days",
        csv_with(f"{T0 + 3 * DAY:.6f},1e5,00,0"),
        Quarantine((5,), "timestamp"),
    ),
    Case("csv_too_few_fields", csv_with("1700000000.03,1e5,00"), Quarantine((5,), "fields")),
    Case("csv_too_many_fields", csv_with("1700000000.03,1e5,00,0,x"), Quarantine((5,), "fields")),
    Case("csv_all_fields_empty", csv_with(",,,"), Quarantine((5,))),
    Case("csv_blank_line_inside", csv_with(""), Quarantine((5,))),
    Case("csv_stray_quote", csv_with('1700000000.03,1e5,"00,0'), Quarantine((5,))),
    Case("csv_header_repeated_inside", csv_with(CSV_HEADER), Quarantine((5,))),
    Case(
        "csv_non_utf8_byte",
        csv_raw(csv_bytes([b"1700000000.03,1e5,0\xff,0"]), 7),
        Quarantine((5,)),
    ),
    Case(
        "csv_non_utf8_byte_in_label",
        csv_raw(csv_bytes([b"1700000000.03,1e5,00,\xe90"]), 7),
        Quarantine((5,)),
    ),
    Case(
        "csv_overlong_line", csv_with("1700000000.03,1e5," + "AB" * LONG + ",0"), Quarantine((5,))
    ),
    Case("csv_truncated_last_line", csv_truncated_last_line, Quarantine((8,))),
    Case("csv_crlf_line_endings", csv_with("1700000000.03,1e5,ZZ,0", end="\r\n"), Quarantine((5,))),
    Case(
        "csv_cr_only_line_endings", csv_with("1700000000.03,1e5,ZZ,0", end="\r"), Quarantine((5,))
    ),
    Case(
        "csv_utf8_bom",
        csv_with("1700000000.03,1e5,ZZ,0", header="\ufeff" + CSV_HEADER),
        Quarantine((5,)),
    ),
    Case("csv_extra_column_ignored", csv_extra_column, Quarantine((5,))),
    Case(
        "csv_header_with_spaces",
        csv_with("1700000000.03,1e5,ZZ,0", header="timestamp, arbitration_id, data_field, attack"),
        Quarantine((5,)),
    ),
    Case("csv_quote_in_capture_name", csv_quote_in_name, Quarantine((8,))),
    Case("csv_duplicate_frames", csv_duplicates, Duplicates(3)),
    Case("csv_only_bad_rows", csv_only_bad_rows, Error("invalid|bad")),
    Case("csv_header_only", csv_raw(f"{CSV_HEADER}\n".encode(), 0), Error("no data|empty")),
    Case("csv_empty_file", csv_raw(b"", 0), Error("empty")),
    Case(
        "csv_semicolon_delimiter",
        csv_raw(csv_bytes([]).replace(b",", b";"), 6),
        Error("semicolon"),
    ),
    Case("csv_tab_delimiter", csv_raw(csv_bytes([]).replace(b",", b"\t"), 6), Error("tab")),
    Case(
        "csv_missing_column",
        csv_raw(b"timestamp,arbitration_id,data_field\n1.0,1e5,00\n", 1),
        Error("attack"),
    ),
    Case(
        "csv_no_header",
        csv_raw(csv_bytes([]).split(b"\n", 1)[1], 6),
        Error("header|column"),
    ),
    Case("csv_utf16_file", csv_raw(csv_bytes([]).decode().encode("utf-16"), 6), Error("")),
    Case("csv_gzip_file", csv_raw(gzip.compress(csv_bytes([])), 6), Error("")),
    Case("csv_binary_garbage", csv_raw(bytes(range(256)) * 8, 0), Error("")),
]


# --- hcrl_car_hacking -------------------------------------------------------------------------


def hcrl_row(i: int) -> str:
    return f"{T0 + i * 0.01:.6f},{0x316 + i % 3:04x},8,05,21,68,09,21,21,00,{i % 256:02x},R"


def hcrl_text_row(i: int) -> str:
    return (
        f"Timestamp: {T0 + i * 0.01:.6f}        ID: 0350    000    DLC: 8    "
        f"05 28 84 66 6d 00 00 {i % 256:02x}"
    )


def hcrl_bytes(bad: list[bytes], row: Callable[[int], str] = hcrl_row, end: bytes = b"\n") -> bytes:
    good = [row(i).encode() for i in range(BEFORE + len(bad) + AFTER)]
    body = good[:BEFORE] + bad + good[BEFORE + len(bad) :]
    return b"".join(line + end for line in body)


def hcrl_with(*bad: str, text_layout: bool = False, end: str = "\n") -> Build:
    """An HCRL capture: 3 good lines, the ``bad`` lines (lines 4...), 3 good lines."""

    def build(tmp: Path) -> Written:
        path = tmp / ("normal_run_data.txt" if text_layout else "DoS_dataset.csv")
        row = hcrl_text_row if text_layout else hcrl_row
        path.write_bytes(hcrl_bytes([b.encode() for b in bad], row, end.encode()))
        return Written(path, "hcrl_car_hacking", BEFORE + len(bad) + AFTER)

    return build


hcrl_raw = raw_file("DoS_dataset.csv", "hcrl_car_hacking")


def hcrl_blank_lines(tmp: Path) -> Written:
    """Blank lines are not records (the format skips them): every frame is still accounted."""
    path = tmp / "DoS_dataset.csv"
    path.write_text("\n" + "\n\n".join(hcrl_row(i) for i in range(5)) + "\n\n  \n")
    return Written(path, "hcrl_car_hacking", 5)


def hcrl_duplicates(tmp: Path) -> Written:
    rows = [hcrl_row(i) for i in range(6)]
    rows.insert(2, rows[1])
    path = tmp / "DoS_dataset.csv"
    path.write_text("\n".join(rows) + "\n")
    return Written(path, "hcrl_car_hacking", 7)


SHORT = "1700000000.030000,0316,2,05,21,R"
HCRL = [
    Case("hcrl_dlc_says_more_than_data", hcrl_with(SHORT.replace(",2,", ",8,")), Quarantine((4,))),
    Case("hcrl_dlc_says_less_than_data", hcrl_with(SHORT.replace(",2,", ",1,")), Quarantine((4,))),
    Case("hcrl_dlc_over_15", hcrl_with(SHORT.replace(",2,", ",16,")), Quarantine((4,))),
    Case("hcrl_dlc_not_a_number", hcrl_with(SHORT.replace(",2,", ",two,")), Quarantine((4,))),
    Case("hcrl_flag_missing", hcrl_with("1700000000.030000,0316,2,05,21"), Quarantine((4,))),
    Case("hcrl_flag_unknown", hcrl_with(SHORT.replace(",R", ",X")), Quarantine((4,), "flag")),
    Case("hcrl_non_hex_id", hcrl_with(SHORT.replace("0316", "03G6")), Quarantine((4,))),
    Case("hcrl_one_digit_data_byte", hcrl_with(SHORT.replace(",21,", ",2,")), Quarantine((4,))),
    Case("hcrl_two_fields_only", hcrl_with("1700000000.030000,0316"), Quarantine((4,))),
    Case(
        "hcrl_timestamp_negative",
        hcrl_with(SHORT.replace("1700000000.030000", "-3.000000")),
        Quarantine((4,), "timestamp"),
    ),
    Case(
        "hcrl_timestamp_after_2100",
        hcrl_with(SHORT.replace("1700000000.030000", f"{YEAR_2100 + 10:.6f}")),
        Quarantine((4,), "timestamp"),
    ),
    Case(
        "hcrl_timestamp_jumps_days",
        hcrl_with(SHORT.replace("1700000000.030000", f"{T0 + 5 * DAY:.6f}")),
        Quarantine((4,), "timestamp"),
    ),
    Case(
        "hcrl_non_utf8_byte",
        hcrl_raw(hcrl_bytes([SHORT.replace(",05,", ",0\xff,").encode("latin-1")]), 7),
        Quarantine((4,)),
    ),
    Case(
        "hcrl_overlong_line",
        hcrl_with("1700000000.030000,0316,8" + ",ab" * LONG + ",R"),
        Quarantine((4,)),
    ),
    Case(
        "hcrl_text_line_in_csv_file",
        hcrl_with(hcrl_text_row(3)),
        Quarantine((4,)),
    ),
    Case(
        "hcrl_text_layout_cut_line",
        hcrl_with("Timestamp: 1700000000.030000        ID: 0350", text_layout=True),
        Quarantine((4,)),
    ),
    Case(
        "hcrl_text_layout_wrong_dlc",
        hcrl_with(hcrl_text_row(3).replace("DLC: 8", "DLC: 6"), text_layout=True),
        Quarantine((4,)),
    ),
    Case(
        "hcrl_crlf_line_endings", hcrl_with(SHORT.replace(",R", ",X"), end="\r\n"), Quarantine((4,))
    ),
    Case("hcrl_blank_lines_between_frames", hcrl_blank_lines, Quarantine(())),
    Case("hcrl_duplicate_frames", hcrl_duplicates, Duplicates(1)),
    Case("hcrl_empty_file", hcrl_raw(b"", 0), Error("empty")),
    Case("hcrl_only_blank_lines", hcrl_raw(b"\n \n\n", 0), Error("")),
    Case("hcrl_semicolon_delimiter", hcrl_raw(hcrl_bytes([]).replace(b",", b";"), 6), Error("")),
    Case("hcrl_unrelated_text", hcrl_raw(b"hello world\nthis is not a log\n", 0), Error("")),
]


# --- candump -------------------------------------------------------------------------------------


def candump_row(i: int) -> str:
    return f"({T0 + i * 0.01:.6f}) can0 {0x0A0 + i % 3:03X}#01020304050607{i % 256:02X}"


def candump_bytes(bad: list[bytes], end: bytes = b"\n") -> bytes:
    good = [candump_row(i).encode() for i in range(BEFORE + len(bad) + AFTER)]
    body = good[:BEFORE] + bad + good[BEFORE + len(bad) :]
    return b"".join(line + end for line in body)


def candump_with(*bad: str, sidecar: str | None = None) -> Build:
    """A candump -L log: 3 good lines, the ``bad`` lines (lines 4...), 3 good lines."""

    def build(tmp: Path) -> Written:
        path = tmp / "drive.log"
        path.write_bytes(candump_bytes([b.encode() for b in bad]))
        blame = None
        if sidecar is not None:
            blame = tmp / "drive.log.labels.yaml"
            blame.write_text(sidecar)
        return Written(path, "candump", BEFORE + len(bad) + AFTER, blame)

    return build


candump_raw = raw_file("drive.log", "candump")


def candump_truncated_last_line(tmp: Path) -> Written:
    path = tmp / "drive.log"
    path.write_text("".join(candump_row(i) + "\n" for i in range(6)) + candump_row(6)[:12])
    return Written(path, "candump", 7)


def candump_duplicates(tmp: Path) -> Written:
    rows = [candump_row(i) for i in range(6)]
    rows[4:4] = [rows[3]] * 2
    path = tmp / "drive.log"
    path.write_text("\n".join(rows) + "\n")
    return Written(path, "candump", 8)


GOOD_FRAME = "(1700000000.030000) can0 0A0#0102"
CANDUMP = [
    Case(
        "candump_missing_hash", candump_with("(1700000000.030000) can0 0A0 0102"), Quarantine((4,))
    ),
    Case(
        "candump_bad_interface", candump_with(GOOD_FRAME.replace("can0", "ca$n0")), Quarantine((4,))
    ),
    Case(
        "candump_missing_interface", candump_with("(1700000000.030000) 0A0#0102"), Quarantine((4,))
    ),
    Case("candump_odd_payload", candump_with(GOOD_FRAME + "3"), Quarantine((4,))),
    Case(
        "candump_non_hex_payload",
        candump_with(GOOD_FRAME.replace("0102", "01ZZ")),
        Quarantine((4,)),
    ),
    Case(
        "candump_nine_bytes", candump_with(GOOD_FRAME.replace("0102", "00" * 9)), Quarantine((4,))
    ),
    Case(
        "candump_fd_bad_flags",
        candump_with(GOOD_FRAME.replace("#0102", "##G0102")),
        Quarantine((4,)),
    ),
    Case(
        "candump_id_over_29_bits",
        candump_with(GOOD_FRAME.replace("0A0", "3FFFFFFF")),
        Quarantine((4,)),
    ),
    Case(
        "candump_id_nine_digits",
        candump_with(GOOD_FRAME.replace("0A0", "123456789")),
        Quarantine((4,)),
    ),
    Case("candump_remote_frame", candump_with(GOOD_FRAME.replace("0102", "R")), Quarantine((4,))),
    Case(
        "candump_timestamp_text",
        candump_with(GOOD_FRAME.replace("1700000000.030000", "yesterday")),
        Quarantine((4,)),
    ),
    Case(
        "candump_timestamp_negative",
        candump_with(GOOD_FRAME.replace("1700000000.030000", "-1.000000")),
        Quarantine((4,)),
    ),
    Case(
        "candump_timestamp_after_2100",
        candump_with(GOOD_FRAME.replace("1700000000.030000", f"{YEAR_2100 + 1:.6f}")),
        Quarantine((4,), "timestamp"),
    ),
    Case(
        "candump_timestamp_jumps_days",
        candump_with(GOOD_FRAME.replace("1700000000.030000", f"{T0 + 2 * DAY:.6f}")),
        Quarantine((4,), "timestamp"),
    ),
    Case(
        "candump_non_utf8_byte",
        candump_raw(candump_bytes([GOOD_FRAME.replace("0102", "01\xff2").encode("latin-1")]), 7),
        Quarantine((4,)),
    ),
    Case("candump_overlong_line", candump_with(GOOD_FRAME + "00" * LONG), Quarantine((4,))),
    Case("candump_garbage_line", candump_with("hello, this is not a frame"), Quarantine((4,))),
    Case("candump_truncated_last_line", candump_truncated_last_line, Quarantine((7,))),
    Case("candump_duplicate_frames", candump_duplicates, Duplicates(2)),
    Case(
        "candump_sidecar_not_yaml",
        candump_with(sidecar="intervals: [[1, 2]\n"),
        Error("yaml"),
    ),
    Case(
        "candump_sidecar_unknown_key",
        candump_with(sidecar="interval: [[1, 2]]\n"),
        Error("interval"),
    ),
    Case("candump_empty_file", candump_raw(b"", 0), Error("empty")),
    Case(
        "candump_without_dash_L",
        candump_raw(b"  can0  0A0   [2]  01 02\n  can0  0A0   [2]  01 03\n", 2),
        Error("candump"),
    ),
]


@pytest.mark.parametrize("case", table(CSV))
def test_can_csv(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)


@pytest.mark.parametrize("case", table(HCRL))
def test_hcrl(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)


@pytest.mark.parametrize("case", table(CANDUMP))
def test_candump(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)
