"""vehicle_logs: candump -L, ASC and BLF through python-can, label sidecars, malformed logs."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import can
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kdgat.data.formats import Reader, vehicle_logs
from kdgat.data.schema import DLC_TO_LEN, LEN_TO_DLC, RAW_FRAME, validate_frames
from kdgat.errors import FormatError

Write = Callable[[str, str], Path]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "candump"
GOOD = "(1700000000.000100) can0 0A0#0102030405060708"
T0 = 1700000000.0


def parse(reader: Reader, path: Path, batch_rows: int = 1000) -> pa.Table:
    return pa.concat_tables([RAW_FRAME.empty_table(), *reader(path, batch_rows)])


def candump(path: Path, batch_rows: int = 1000) -> pa.Table:
    return parse(vehicle_logs.read_candump, path, batch_rows)


# --- candump ---------------------------------------------------------------------------------


def test_candump_fixture_values_and_labels() -> None:
    table = candump(FIXTURES / "drive.log", 4)
    assert table.num_rows == 13  # 14 lines, one blank
    rows = table.to_pylist()
    assert rows[0] == {
        "timestamp": 1700000000.0001,
        "arbitration_id": 0x0A0,
        "dlc": 8,
        "payload": bytes(range(1, 9)),
        "label": 0,
        "attack_type": None,
        "source_row": 1,
        "parse_error": None,
    }
    extended = rows[4]
    assert (extended["arbitration_id"], extended["payload"]) == (
        0x18FEF100,
        bytes.fromhex("FF00FFAA"),
    )
    empty = rows[8]  # "7DF#": DLC 0
    assert (empty["arbitration_id"], empty["dlc"], empty["payload"]) == (0x7DF, 0, b"")
    fd = rows[9]  # CAN FD, 12 bytes -> DLC code 9; line 11 (line 10 is blank)
    assert (fd["source_row"], fd["dlc"], fd["payload"]) == (11, 9, bytes(range(12)))
    # Sidecar: ids 0x0A0 and 0x1F4 injected within [T0 + 1.0, T0 + 1.5].
    assert [r["source_row"] for r in rows if r["label"] == 1] == [6, 7]
    assert [r["attack_type"] for r in rows if r["label"] == 1] == ["spoofing", "spoofing"]
    assert {r["attack_type"] for r in rows if r["label"] == 0} == {None}
    checked = validate_frames(table, "drive", "test_spoofing", "unknown")
    assert (checked.good.num_rows, checked.bad.num_rows) == (13, 0)
    assert checked.good["extended"].to_pylist().count(True) == 1
    assert checked.good["attack_type"].to_pylist().count("spoofing") == 2


def _drive(tmp_path: Path, sidecar: str | None) -> Path:
    log = tmp_path / "drive.log"
    shutil.copy(FIXTURES / "drive.log", log)
    if sidecar is not None:
        (tmp_path / "drive.log.labels.yaml").write_text(sidecar)
    return log


@pytest.mark.parametrize(
    ("sidecar", "attack_lines"),
    [
        ("injected_ids: [0x0A0]\n", [1, 4, 6, 12]),
        ("injected_ids: ['1f4', 0xA0]\nattack_type: replay\n", [1, 2, 4, 6, 7, 12, 13]),
        ("intervals: [[1700000001.0, 1700000001.03]]\n", [6, 7, 8]),
        ("intervals: [[1700000002.0, 1700000002.01], [1700000000.0, 1700000000.0001]]\n", [1, 12]),
        (
            "intervals: [[1700000001.0, 1700000001.02], [1700000001.01, 1700000001.04]]\n",
            [6, 7, 8, 9],
        ),
        ("attack_type: spoofing\n", []),
        ("intervals: []\ninjected_ids: [0x0A0]\n", []),
        ("injected_ids: []\n", []),
        ("", []),
    ],
)
def test_sidecar_rules(tmp_path: Path, sidecar: str, attack_lines: list[int]) -> None:
    table = candump(_drive(tmp_path, sidecar))
    label = table["label"].to_pylist()
    assert [
        r for r, y in zip(table["source_row"].to_pylist(), label, strict=True) if y
    ] == attack_lines


def test_no_sidecar_means_benign_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="kdgat.data.formats.vehicle_logs"):
        table = candump(_drive(tmp_path, None))
    assert set(table["label"].to_pylist()) == {0}
    assert "no label sidecar drive.log.labels.yaml" in caplog.text


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        ("intervals: [[1, 2]\n", "not valid YAML"),
        ("- 1\n- 2\n", "must be a mapping"),
        ("false\n", "must be a mapping"),
        ("interval: [[1, 2]]\n", "unknown key\\(s\\) \\['interval'\\]"),
        ("intervals: 5\n", "key 'intervals' is 5, not a list"),
        ("intervals: [[2, 1]]\n", "key 'intervals': item 0 is \\[2, 1\\]"),
        ("intervals: [[1, 2], [1, 2, 3]]\n", "key 'intervals': item 1"),
        ("intervals: [['a', 'b']]\n", "key 'intervals': item 0"),
        ("intervals: [[1, .inf]]\n", "key 'intervals' has a non-finite bound"),
        ("injected_ids: 0x0A0\n", "key 'injected_ids' is 160, not a list"),
        ("injected_ids: [0x0A0, 'zz']\n", "key 'injected_ids': item 1 is 'zz'"),
        ("injected_ids: [0x20000000]\n", "key 'injected_ids': item 0"),
        ("injected_ids: [true]\n", "key 'injected_ids': item 0 is True"),
        ("attack_type: ''\n", "key 'attack_type'"),
        ("attack_type: [a]\n", "key 'attack_type'"),
    ],
)
def test_malformed_sidecar_names_file_and_key(tmp_path: Path, sidecar: str, message: str) -> None:
    with pytest.raises(FormatError, match=message) as err:
        candump(_drive(tmp_path, sidecar))
    assert "drive.log.labels.yaml" in str(err.value)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("(1700000000.1) can0 0A0#ABC", "not a candump -L frame"),
        ("(1700000000.1) can0 0A0#GG", "not a candump -L frame"),
        ("(1700000000.1) can0 0A0#001122334455667788", "not a candump -L frame"),  # 9 bytes
        ("(1700000000.1) can0 123456789#00", "not a candump -L frame"),
        ("(1700000000.1) can0 0A0 00", "not a candump -L frame"),
        ("(yesterday) can0 0A0#00", "not a candump -L frame"),
        ("(1700000000.1) can0 0A0#00 X", "not a candump -L frame"),
        ("1700000000.1 can0 0A0#00", "not a candump -L frame '(timestamp) interface id#data': "),
        ("(1700000000.1) can0 FFFFFFFF#00", "id has error/flag bits set: '(1700000000.1) can0"),
        ("(1700000000.1) can0 0A0#R", "remote frame (no data bytes)"),
        ("(1700000000.1) can0 0A0#R8", "remote frame (no data bytes)"),
        ("(1700000000.1) can0 0A0##1" + "00" * 9, "dlc"),  # 9 bytes is no CAN FD length
    ],
)
def test_bad_candump_line_is_quarantined(write: Write, line: str, reason: str) -> None:
    checked = validate_frames(candump(write("d.log", f"{GOOD}\n{line}\n{GOOD}\n")), "d", "t", "x")
    assert (checked.good.num_rows, checked.bad.num_rows) == (2, 1)
    assert reason in checked.bad["reason"][0].as_py()
    assert checked.bad["source_row"].to_pylist() == [2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("\n \n", "is not candump -L output"),
        ("  can0  0A0   [2]  01 02\n", "is not candump -L output"),  # candump without -L
        ("timestamp,id,data\n", "is not candump -L output"),
    ],
)
def test_wrong_file_is_a_format_error(write: Write, text: str, message: str) -> None:
    path = write("d.log", text)
    with pytest.raises(FormatError, match=message) as err:
        candump(path)
    assert str(path) in str(err.value)


# --- candump: properties ---------------------------------------------------------------------

_HEX = "0123456789abcdefABCDEF"
_FD_LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64]


@st.composite
def frames(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """A valid candump -L line and the row it must parse to."""
    seconds = draw(st.integers(0, 2_000_000_000))
    micros = draw(st.integers(0, 999_999))
    extended = draw(st.booleans())
    can_id = draw(st.integers(0, 0x1FFFFFFF if extended else 0x7FF))
    fd = draw(st.booleans())
    n = draw(st.sampled_from(_FD_LENGTHS) if fd else st.integers(0, 8))
    data = draw(st.binary(min_size=n, max_size=n))
    hex_data = "".join(c.upper() if draw(st.booleans()) else c for c in data.hex())
    frame = f"{can_id:08X}" if extended else f"{can_id:03X}"
    frame += f"##{draw(st.sampled_from('0145'))}{hex_data}" if fd else f"#{hex_data}"
    channel = draw(st.sampled_from(["can0", "vcan0", "slcan_1", "can-fd.2"]))
    suffix = draw(st.sampled_from(["", " R", " T"]))
    line = f"({seconds}.{micros:06d}) {channel} {frame}{suffix}"
    expected = {
        "timestamp": float(f"{seconds}.{micros:06d}"),
        "arbitration_id": can_id,
        "dlc": int(LEN_TO_DLC[n]),
        "payload": data,
        "label": 0,
    }
    return line, expected


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid line with one character deleted, inserted or replaced."""
    line, _ = draw(frames())
    at = draw(st.integers(0, len(line) - 1))
    char = draw(st.sampled_from("#()R. x0aF\t"))
    kind = draw(st.sampled_from(["delete", "insert", "replace"]))
    if kind == "delete":
        return line[:at] + line[at + 1 :]
    return line[:at] + char + line[at + (kind == "replace") :]


_TEXT = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=60)
_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _check_accounting(table: pa.Table, lines: list[str]) -> None:
    """Every non-blank line is exactly one row, in line order; a bad one says why and shows it."""
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    assert table["source_row"].to_pylist() == [n for n, _ in numbered]
    assert table.num_rows == len(numbered)  # valid rows + rows with a parse_error
    for (_, line), error in zip(numbered, table["parse_error"].to_pylist(), strict=True):
        assert error is None or error.endswith(repr(line)) or error.startswith("remote frame")
    ok = pc.is_null(table["parse_error"])
    good = table.filter(ok)
    lengths = [len(p) for p in good["payload"].to_pylist()]
    assert [int(DLC_TO_LEN[d]) if d >= 0 else -1 for d in good["dlc"].to_pylist()] == [
        n if n in _FD_LENGTHS else -1 for n in lengths
    ]


@_SETTINGS
@given(lines=st.lists(st.one_of(frames().map(lambda f: f[0]), mutated(), _TEXT), max_size=12))
def test_candump_accounts_for_every_line(tmp_path: Path, lines: list[str]) -> None:
    lines = [GOOD, *lines]  # a first line in candump shape; the rest is anything
    _check_accounting(candump(_write_lines(tmp_path / "p.log", lines), 5), lines)


@_SETTINGS
@given(lines=st.lists(_TEXT, min_size=1, max_size=8))
def test_candump_arbitrary_text_raises_only_format_error(tmp_path: Path, lines: list[str]) -> None:
    path = _write_lines(tmp_path / "p.log", lines)
    try:
        table = candump(path, 3)
    except FormatError as err:
        message = str(err)
    else:
        _check_accounting(table, lines)
        return
    assert str(path) in message  # the only allowed failure names the file


@_SETTINGS
@given(generated=st.lists(frames(), min_size=1, max_size=12))
def test_valid_candump_frames_round_trip(
    tmp_path: Path, generated: list[tuple[str, dict[str, object]]]
) -> None:
    path = _write_lines(tmp_path / "p.log", [line for line, _ in generated])
    table = candump(path, 4)
    assert table["parse_error"].null_count == table.num_rows
    columns = ["timestamp", "arbitration_id", "dlc", "payload", "label"]
    assert table.select(columns).to_pylist() == [row for _, row in generated]
    assert table["source_row"].to_pylist() == list(range(1, len(generated) + 1))


# --- ASC and BLF -----------------------------------------------------------------------------

MESSAGES = [
    can.Message(timestamp=T0, arbitration_id=0x0A0, data=bytes(range(8)), is_extended_id=False),
    can.Message(timestamp=T0 + 0.5, arbitration_id=0x18FEF100, data=bytes.fromhex("FF00FFAA")),
    can.Message(timestamp=T0 + 1.25, arbitration_id=0x123, data=bytes(range(12)), is_fd=True),
    can.Message(timestamp=T0 + 1.5, arbitration_id=0x1F4, is_remote_frame=True, dlc=4),
    can.Message(timestamp=T0 + 2.0, is_error_frame=True),
    can.Message(timestamp=T0 + 2.5, arbitration_id=0x0A0, data=b"", is_extended_id=False),
]

LogWriter = can.ASCWriter | can.BLFWriter


def _log(tmp_path: Path, writer: type[LogWriter], name: str) -> Path:
    path = tmp_path / name
    with writer(path) as out:
        for message in MESSAGES:
            out.on_message_received(message)
    return path


@pytest.mark.parametrize(
    ("reader", "writer", "name", "t0", "first_row"),
    [
        (vehicle_logs.read_asc, can.ASCWriter, "drive.asc", 0.0, 6),  # ASC: relative, line numbers
        (vehicle_logs.read_blf, can.BLFWriter, "drive.blf", T0, 1),  # BLF: absolute, message index
    ],
)
def test_asc_and_blf_values(
    tmp_path: Path, reader: Reader, writer: type[LogWriter], name: str, t0: float, first_row: int
) -> None:
    path = _log(tmp_path, writer, name)
    (tmp_path / f"{name}.labels.yaml").write_text(
        f"attack_type: fuzzing\nintervals: [[{t0 + 2.4}, {t0 + 3}]]\ninjected_ids: ['0x0A0']\n"
    )
    table = parse(reader, path, 4)
    assert table.num_rows == 6
    rows = table.to_pylist()
    assert rows[0]["timestamp"] == pytest.approx(t0)
    assert rows[0]["source_row"] == first_row
    assert [r["source_row"] - first_row for r in rows] == list(range(6))
    assert [r["arbitration_id"] for r in rows[:3]] == [0x0A0, 0x18FEF100, 0x123]
    assert [r["dlc"] for r in rows[:3]] == [8, 4, 9]
    assert [r["payload"] for r in rows[:3]] == [
        bytes(range(8)),
        b"\xff\x00\xff\xaa",
        bytes(range(12)),
    ]
    assert [r["label"] for r in rows] == [0, 0, 0, 0, 0, 1]
    assert rows[5]["attack_type"] == "fuzzing"
    checked = validate_frames(table, "drive", "test", "x")
    assert (checked.good.num_rows, checked.bad.num_rows) == (4, 2)
    reasons = checked.bad["reason"].to_pylist()
    assert reasons[0].startswith("remote frame (no data bytes)")
    assert reasons[1].startswith("error frame (not a data frame)")


def test_asc_line_with_fewer_bytes_than_dlc_is_quarantined(tmp_path: Path) -> None:
    path = _log(tmp_path, can.ASCWriter, "drive.asc")
    path.write_text(path.read_text().replace("d 8 00 01 02 03 04 05 06 07", "d 8 00 01 02"))
    checked = validate_frames(parse(vehicle_logs.read_asc, path), "drive", "test", "x")
    assert checked.bad["source_row"].to_pylist() == [6, 9, 10]
    assert "payload length = dlc" in checked.bad["reason"][0].as_py()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("FF 00 FF AA", "FF 00 ZZ AA", "corrupt ASC line 7"),
        ("d 4 FF", "d Q FF", "corrupt ASC line 7"),
        ("9 12 00 01", "9 zz 00 01", "corrupt ASC line 8"),
    ],
)
def test_corrupt_asc_is_a_format_error(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _log(tmp_path, can.ASCWriter, "drive.asc")
    path.write_text(path.read_text().replace(old, new))
    with pytest.raises(FormatError, match=message) as err:
        parse(vehicle_logs.read_asc, path)
    assert str(path) in str(err.value)


def test_text_that_is_not_asc_is_a_format_error(write: Write) -> None:
    with pytest.raises(FormatError, match="no CAN frames found"):
        parse(vehicle_logs.read_asc, write("notes.asc", "hello\nworld\n"))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[:50], "corrupt BLF"),
        (lambda b: b"hello world\n" * 10, "corrupt BLF"),
        (lambda b: b[:200] + bytes(x ^ 0x5A for x in b[200:260]) + b[260:], "corrupt BLF"),
    ],
)
def test_corrupt_blf_is_a_format_error(
    tmp_path: Path, damage: Callable[[bytes], bytes], message: str
) -> None:
    path = _log(tmp_path, can.BLFWriter, "drive.blf")
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(FormatError, match=message) as err:
        parse(vehicle_logs.read_blf, path)
    assert str(path) in str(err.value)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_blf_raises_only_format_error(tmp_path: Path, data: st.DataObject) -> None:
    damaged = bytearray(_log(tmp_path, can.BLFWriter, "drive.blf").read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(damaged)))
    path = tmp_path / "damaged.blf"
    path.write_bytes(bytes(damaged[:cut]))
    try:
        table = parse(vehicle_logs.read_blf, path)
    except FormatError as err:
        message = str(err)
    else:
        validate_frames(table, "d", "t", "x")
        return
    assert str(path) in message  # the only allowed failure names the file
