"""Network-flow CSVs: CICIDS2017 (netflow_cicids) and UNSW-NB15 (netflow_unsw)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cases import (
    DAY,
    Build,
    Case,
    Error,
    Quarantine,
    Written,
    raw_file,
    run_ingest_case,
    table,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "netflow"
BEFORE, AFTER = 3, 3
BAD_LINE = 1 + BEFORE + 1  # header, three good rows, then the bad one: line 5
LONG = 1_200_000

# --- CICIDS2017 --------------------------------------------------------------------------------

CIC_COLUMNS = [
    "Flow ID",
    " Source IP",
    " Source Port",
    " Destination IP",
    " Destination Port",
    " Protocol",
    " Timestamp",
    " Flow Duration",
    "Flow Bytes/s",
    " Label",
]


def cic_row(i: int = BEFORE, **change: str) -> str:
    """Row ``i`` (distinct per i), with fields changed by name (spaces -> '_', lower case)."""
    fields = {
        "flow_id": f"104.16.207.165-192.168.10.5-443-{54865 + i}-6",
        "source_ip": "192.168.10.5",
        "source_port": str(54865 + i),
        "destination_ip": "104.16.207.165",
        "destination_port": "443",
        "protocol": "6",
        "timestamp": f"7/7/2017 3:30:{i:02d}",
        "flow_duration": str(3 + i),
        "flow_bytes_s": "4000000",
        "label": "BENIGN",
    }
    fields.update(change)
    return ",".join(fields.values())


def cic_bytes(bad: list[bytes], header: bytes | None = None, end: bytes = b"\n") -> bytes:
    header = ",".join(CIC_COLUMNS).encode() if header is None else header
    good = [cic_row(i).encode() for i in range(BEFORE + len(bad) + AFTER)]
    body = good[:BEFORE] + bad + good[BEFORE + len(bad) :]
    return b"".join(line + end for line in [header, *body])


def cic_with(*bad: str, end: str = "\n", header: str | None = None) -> Build:
    """A CICIDS2017 CSV: header, 3 good rows, the ``bad`` rows (line 5...), 3 good rows."""

    def build(tmp: Path) -> Written:
        path = tmp / "Friday-WorkingHours.pcap_ISCX.csv"
        head = header.encode() if header is not None else None
        path.write_bytes(cic_bytes([b.encode() for b in bad], head, end.encode()))
        return Written(path, "netflow_cicids", BEFORE + len(bad) + AFTER)

    return build


cic_raw = raw_file("Friday-WorkingHours.pcap_ISCX.csv", "netflow_cicids")


EMPTY_CIC = "," * (len(CIC_COLUMNS) - 1)


def cic_only_empty_rows(tmp: Path) -> Written:
    """Nothing but all-empty rows: every record is bad, so the capture cannot be ingested."""
    path = tmp / "Friday-WorkingHours.pcap_ISCX.csv"
    path.write_text(",".join(CIC_COLUMNS) + "\n" + (EMPTY_CIC + "\n") * 4)
    return Written(path, "netflow_cicids", 4)


CICIDS = [
    Case(
        "cic_impossible_date_31_february",
        cic_with(cic_row(timestamp="31/02/2017 3:30:03")),
        Quarantine((BAD_LINE,), "timestamp|date"),
    ),
    Case("cic_day_zero", cic_with(cic_row(timestamp="0/7/2017 3:30:03")), Quarantine((BAD_LINE,))),
    Case(
        "cic_month_thirteen",
        cic_with(cic_row(timestamp="13/13/2017 3:30:03")),
        Quarantine((BAD_LINE,)),
    ),
    Case("cic_hour_25", cic_with(cic_row(timestamp="7/7/2017 25:30")), Quarantine((BAD_LINE,))),
    Case("cic_timestamp_text", cic_with(cic_row(timestamp="yesterday")), Quarantine((BAD_LINE,))),
    Case(
        "cic_date_before_1970",
        cic_with(cic_row(timestamp="7/7/1950 3:30:03")),
        Quarantine((BAD_LINE,), "timestamp|date"),
    ),
    Case(
        "cic_date_after_2100",
        cic_with(cic_row(timestamp="7/7/2150 3:30:03")),
        Quarantine((BAD_LINE,), "timestamp|date"),
    ),
    Case(
        "cic_timestamp_days_later_is_kept",  # flow datasets join sessions (UNSW-NB15: two)
        cic_with(cic_row(timestamp="17/7/2017 3:30:03")),
        Quarantine(()),
    ),
    Case("cic_all_empty_row", cic_with(EMPTY_CIC), Quarantine((BAD_LINE,))),
    Case("cic_whitespace_only_row", cic_with(" ," * 9 + " "), Quarantine((BAD_LINE,))),
    Case("cic_negative_port", cic_with(cic_row(source_port="-1")), Quarantine((BAD_LINE,))),
    Case(
        "cic_port_over_65535",
        cic_with(cic_row(destination_port="70000")),
        Quarantine((BAD_LINE,), "port"),
    ),
    Case("cic_port_with_decimals", cic_with(cic_row(source_port="443.0")), Quarantine((BAD_LINE,))),
    Case("cic_port_text", cic_with(cic_row(source_port="http")), Quarantine((BAD_LINE,), "port")),
    Case("cic_empty_source_ip", cic_with(cic_row(source_ip="")), Quarantine((BAD_LINE,))),
    Case("cic_empty_protocol", cic_with(cic_row(protocol="")), Quarantine((BAD_LINE,))),
    Case("cic_empty_label", cic_with(cic_row(label="")), Quarantine((BAD_LINE,), "label")),
    Case("cic_feature_text", cic_with(cic_row(flow_duration="abc")), Quarantine((BAD_LINE,))),
    Case(
        "cic_feature_infinity",
        cic_with(cic_row(flow_bytes_s="Infinity")),
        Quarantine((BAD_LINE,), "finite"),
    ),
    Case("cic_feature_nan", cic_with(cic_row(flow_bytes_s="NaN")), Quarantine((BAD_LINE,))),
    Case("cic_feature_overflow", cic_with(cic_row(flow_bytes_s="1e400")), Quarantine((BAD_LINE,))),
    Case("cic_feature_empty", cic_with(cic_row(flow_bytes_s="")), Quarantine((BAD_LINE,))),
    Case("cic_too_few_fields", cic_with(cic_row().rsplit(",", 1)[0]), Quarantine((BAD_LINE,))),
    Case("cic_too_many_fields", cic_with(cic_row() + ",extra"), Quarantine((BAD_LINE,))),
    Case(
        "cic_unbalanced_quote_is_text",  # read unquoted: it swallows no line after it
        cic_with(cic_row(flow_id='"104.16.207.165-192.168.10.5')),
        Quarantine(()),
    ),
    Case("cic_header_repeated_inside", cic_with(",".join(CIC_COLUMNS)), Quarantine((BAD_LINE,))),
    Case(
        "cic_non_utf8_byte_in_feature",
        cic_raw(cic_bytes([cic_row(flow_duration="3\xff").encode("latin-1")]), 7),
        Quarantine((BAD_LINE,)),
    ),
    Case(
        "cic_overlong_line",
        cic_with(cic_row(flow_id="x" * LONG)),
        Quarantine((BAD_LINE,)),
    ),
    Case(
        "cic_crlf_with_bad_row",
        cic_with(cic_row(source_port="http"), end="\r\n"),
        Quarantine((BAD_LINE,)),
    ),
    Case(
        "cic_utf8_bom_with_bad_row",
        cic_with(cic_row(source_port="http"), header="\ufeff" + ",".join(CIC_COLUMNS)),
        Quarantine((BAD_LINE,)),
    ),
    Case("cic_only_empty_rows", cic_only_empty_rows, Error("")),
    Case(
        "cic_header_only",
        cic_raw(",".join(CIC_COLUMNS).encode() + b"\n", 0),
        Error("no data|empty"),
    ),
    Case(
        "cic_semicolons",
        cic_raw(cic_bytes([]).replace(b",", b";"), 6),
        Error("semicolon"),
    ),
    Case(
        "cic_missing_label_column",
        cic_raw(b"\n".join(line.rsplit(b",", 1)[0] for line in cic_bytes([]).split(b"\n")), 6),
        Error("label"),
    ),
    Case(
        "cic_machine_learning_cve_layout",
        cic_raw(b" Destination Port, Flow Duration, Label\n80,3,BENIGN\n", 1),
        Error("MachineLearningCVE"),
    ),
    Case("cic_no_header", cic_raw(cic_bytes([]).split(b"\n", 1)[1], 6), Error("missing column")),
]


# --- UNSW-NB15 ---------------------------------------------------------------------------------

UNSW_LINES = (FIXTURES / "unsw_sample.csv").read_text().splitlines()
UNSW_HEADER = UNSW_LINES[0].split(",")
UNSW_TEMPLATE = UNSW_LINES[1].split(",")


def unsw_row(i: int = BEFORE, **change: str) -> str:
    fields = dict(zip(UNSW_HEADER, UNSW_TEMPLATE, strict=True))
    fields.update(sport=str(1390 + i), stime=str(1421927414 + i), ltime=str(1421927414 + i))
    fields.update(change)
    return ",".join(fields.values())


def unsw_bytes(bad: list[bytes], header: str | None = UNSW_LINES[0]) -> bytes:
    good = [unsw_row(i).encode() for i in range(BEFORE + len(bad) + AFTER)]
    body = good[:BEFORE] + bad + good[BEFORE + len(bad) :]
    lines = ([header.encode()] if header is not None else []) + body
    return b"".join(line + b"\n" for line in lines)


def unsw_with(*bad: str) -> Build:
    """A UNSW-NB15 CSV (header prepended): 3 good rows, the ``bad`` rows (line 5...), 3 good."""

    def build(tmp: Path) -> Written:
        path = tmp / "UNSW-NB15_1.csv"
        path.write_bytes(unsw_bytes([b.encode() for b in bad]))
        return Written(path, "netflow_unsw", BEFORE + len(bad) + AFTER)

    return build


unsw_raw = raw_file("UNSW-NB15_1.csv", "netflow_unsw")


STIME = 1421927414
UNSW = [
    Case("unsw_negative_port", unsw_with(unsw_row(sport="-5")), Quarantine((BAD_LINE,))),
    Case("unsw_port_over_65535", unsw_with(unsw_row(dsport="70000")), Quarantine((BAD_LINE,))),
    Case(
        "unsw_hex_port_over_65535",
        unsw_with(unsw_row(sport="0x1FFFF")),
        Quarantine((BAD_LINE,), "port"),
    ),
    Case("unsw_bad_hex_port", unsw_with(unsw_row(sport="0xZZ")), Quarantine((BAD_LINE,))),
    Case("unsw_empty_port", unsw_with(unsw_row(dsport="")), Quarantine((BAD_LINE,))),
    Case("unsw_feature_text", unsw_with(unsw_row(dur="fast")), Quarantine((BAD_LINE,))),
    Case("unsw_feature_infinity", unsw_with(unsw_row(sbytes="inf")), Quarantine((BAD_LINE,))),
    Case("unsw_stime_text", unsw_with(unsw_row(stime="soon")), Quarantine((BAD_LINE,))),
    Case("unsw_stime_nan", unsw_with(unsw_row(stime="nan")), Quarantine((BAD_LINE,))),
    Case(
        "unsw_stime_negative",
        unsw_with(unsw_row(stime=str(-STIME))),
        Quarantine((BAD_LINE,), "stime|timestamp"),
    ),
    Case(
        "unsw_stime_after_2100",
        unsw_with(unsw_row(stime="5000000000")),
        Quarantine((BAD_LINE,), "stime|timestamp"),
    ),
    Case(
        "unsw_stime_days_later_is_kept",  # UNSW-NB15 was captured in two sessions a month apart
        unsw_with(unsw_row(stime=str(int(STIME + 6 * DAY)))),
        Quarantine(()),
    ),
    Case("unsw_label_two", unsw_with(unsw_row(label="2")), Quarantine((BAD_LINE,), "label")),
    Case("unsw_label_empty", unsw_with(unsw_row(label="")), Quarantine((BAD_LINE,))),
    Case("unsw_empty_srcip", unsw_with(unsw_row(srcip="")), Quarantine((BAD_LINE,))),
    Case(
        "unsw_all_empty_row",
        unsw_with("," * (len(UNSW_HEADER) - 1)),
        Quarantine((BAD_LINE,)),
    ),
    Case("unsw_too_few_fields", unsw_with(",".join(UNSW_TEMPLATE[:20])), Quarantine((BAD_LINE,))),
    Case(
        "unsw_non_utf8_byte_in_feature",
        unsw_raw(unsw_bytes([unsw_row(dur="0.0\xff1").encode("latin-1")]), 7),
        Quarantine((BAD_LINE,)),
    ),
    Case("unsw_overlong_line", unsw_with(unsw_row(srcip="9" * LONG)), Quarantine((BAD_LINE,))),
    Case("unsw_no_header", unsw_raw(unsw_bytes([], header=None), 6), Error("header")),
    Case(
        "unsw_tab_separated",
        unsw_raw(unsw_bytes([]).replace(b",", b"\t"), 6),
        Error("tab"),
    ),
    Case(
        "unsw_training_set_layout",
        unsw_raw(
            b"id,dur,proto,service,state,spkts,dpkts,attack_cat,label\n1,0.1,tcp,-,FIN,2,2,,0\n", 1
        ),
        Error("missing column"),
    ),
]


@pytest.mark.parametrize("case", table(CICIDS))
def test_cicids(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)


@pytest.mark.parametrize("case", table(UNSW))
def test_unsw(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)
