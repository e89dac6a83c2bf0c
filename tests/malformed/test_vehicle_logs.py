"""Vector logs read with python-can: ASC (text) and BLF (binary), damaged and hostile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import can
import pytest

from .cases import (
    DAY,
    T0,
    YEAR_2100,
    Build,
    Case,
    Duplicates,
    Error,
    NoSilentLoss,
    Quarantine,
    Written,
    raw_file,
    run_ingest_case,
    table,
)

# --- ASC ---------------------------------------------------------------------------------------

ASC_HEAD = [
    "date Tue Nov 14 22:13:20.000 2023",
    "base hex  timestamps absolute",
    "internal events logged",
    "Begin Triggerblock Tue Nov 14 22:13:20.000 2023",
    "   0.000000 Start of measurement",
]
ASC_TAIL = "End TriggerBlock"
FIRST_FRAME_LINE = len(ASC_HEAD) + 1  # 6
BAD_LINE = FIRST_FRAME_LINE + 3  # 9: after three good frames


def asc_frame(i: int, t: float | None = None) -> str:
    t = i * 0.01 if t is None else t
    return (
        f"   {t:.6f} 1  {0xA0 + i % 3:X}              Rx   d 8 00 01 02 03 04 05 06 {i % 256:02X}"
    )


def asc_bytes(bad: list[bytes], good: int = 6, tail: bool = True, end: bytes = b"\n") -> bytes:
    frames = [asc_frame(i).encode() for i in range(good + len(bad))]
    body = frames[:3] + bad + frames[3 + len(bad) :]
    lines = [h.encode() for h in ASC_HEAD] + body + ([ASC_TAIL.encode()] if tail else [])
    return b"".join(line + end for line in lines)


def asc_with(*bad: str, end: str = "\n", sidecar: str | None = None) -> Build:
    """An ASC log: header, 3 good frames, the ``bad`` lines (line 9...), 3 good frames."""

    def build(tmp: Path) -> Written:
        path = tmp / "drive.asc"
        path.write_bytes(asc_bytes([b.encode() for b in bad], end=end.encode()))
        blame = None
        if sidecar is not None:
            blame = tmp / "drive.asc.labels.yaml"
            blame.write_text(sidecar)
        return Written(path, "asc", 6 + len(bad), blame)

    return build


asc_raw = raw_file("drive.asc", "asc")


def asc_cut_mid_line(tmp: Path) -> Written:
    """The log stops in the middle of its last frame line (a recorder killed mid-write)."""
    path = tmp / "drive.asc"
    text = asc_bytes([], good=5, tail=False) + asc_frame(5).encode()[:-12]
    path.write_bytes(text)
    return Written(path, "asc", 6)


def asc_duplicates(tmp: Path) -> Written:
    frames = [asc_frame(i) for i in range(6)]
    frames[2:2] = [frames[1], frames[1]]
    path = tmp / "drive.asc"
    path.write_text("\n".join([*ASC_HEAD, *frames, ASC_TAIL]) + "\n")
    return Written(path, "asc", 8)


A_FRAME = asc_frame(3)
ASC = [
    Case("asc_garbage_line_among_frames", asc_with("hello, garbage"), Quarantine((BAD_LINE,))),
    Case(
        "asc_garbage_line_non_utf8",
        asc_raw(asc_bytes([b"\xff\xfe\x00garbage\x9c"]), 7),
        Quarantine((BAD_LINE,)),
    ),
    Case("asc_overlong_line", asc_with("x" * 1_200_000), Quarantine((BAD_LINE,))),
    Case(
        "asc_frame_missing_fields",
        asc_with("   0.030000 1  A0              Rx"),
        Error(f"line {BAD_LINE}"),
    ),
    Case(
        "asc_timestamp_negative",
        asc_with(A_FRAME.replace("0.030000", "-1.000000")),
        Quarantine((BAD_LINE,)),
    ),
    Case(
        "asc_timestamp_jumps_days",
        asc_with(asc_frame(3, 3 * DAY)),
        Quarantine((BAD_LINE,), "timestamp"),
    ),
    Case(
        "asc_fewer_bytes_than_dlc",
        asc_with(A_FRAME.replace("d 8 00 01 02 03 04 05 06 03", "d 8 00 01 02")),
        Quarantine((BAD_LINE,)),
    ),
    Case("asc_error_frame", asc_with("   0.030000 1  ErrorFrame"), Quarantine((BAD_LINE,))),
    Case(
        "asc_remote_frame",
        asc_with("   0.030000 1  A0              Rx   r"),
        Quarantine((BAD_LINE,)),
    ),
    Case(
        "asc_id_over_29_bits",
        asc_with(A_FRAME.replace(" A0 ", " 3FFFFFFFx ")),
        Quarantine((BAD_LINE,)),
    ),
    Case(
        "asc_crlf_with_garbage_line",
        asc_with("hello, garbage", end="\r\n"),
        Quarantine((BAD_LINE,)),
    ),
    Case("asc_cut_mid_line", asc_cut_mid_line, Quarantine((FIRST_FRAME_LINE + 5,))),
    Case("asc_no_end_triggerblock", asc_raw(asc_bytes([], tail=False), 6), Quarantine(())),
    Case("asc_duplicate_frames", asc_duplicates, Duplicates(2)),
    Case(
        "asc_non_hex_data_byte",
        asc_with(A_FRAME.replace(" 02 03 ", " ZZ 03 ")),
        Error(f"line {BAD_LINE}"),
    ),
    Case("asc_dlc_not_hex", asc_with(A_FRAME.replace("d 8", "d Q")), Error(f"line {BAD_LINE}")),
    Case("asc_sidecar_not_a_mapping", asc_with(sidecar="- 1\n- 2\n"), Error("mapping")),
    Case("asc_empty_file", asc_raw(b"", 0), Error("empty")),
    Case(
        "asc_header_only",
        asc_raw("\n".join([*ASC_HEAD, ASC_TAIL]).encode() + b"\n", 0),
        Error("no CAN frames|no data"),
    ),
    Case("asc_unrelated_text", asc_raw(b"hello\nworld\n", 0), Error("")),
    Case("asc_binary_garbage", asc_raw(bytes(range(256)) * 16, 0), Error("")),
]


# --- BLF ---------------------------------------------------------------------------------------


def message(i: int, t: float | None = None, **kwargs: object) -> can.Message:
    fields: dict[str, object] = {
        "timestamp": T0 + i * 0.01 if t is None else t,
        "arbitration_id": 0x100 + i % 5,
        "data": bytes([i % 256] * 8),
        "is_extended_id": False,
    }
    fields.update(kwargs)
    return can.Message(**fields)  # type: ignore[arg-type]


def write_blf(path: Path, messages: list[can.Message]) -> Path:
    with can.BLFWriter(path) as out:
        for m in messages:
            out.on_message_received(m)
    return path


def blf(
    messages: Callable[[], list[can.Message]],
    damage: Callable[[bytes], bytes] | None = None,
    sidecar: str | None = None,
) -> Build:
    """A BLF log of ``messages()``, then ``damage``d."""

    def build(tmp: Path) -> Written:
        frames = messages()
        path = write_blf(tmp / "drive.blf", frames)
        if damage is not None:
            path.write_bytes(damage(path.read_bytes()))
        blame = None
        if sidecar is not None:
            blame = tmp / "drive.blf.labels.yaml"
            blame.write_text(sidecar)
        return Written(path, "blf", len(frames), blame)

    return build


def many() -> list[can.Message]:
    return [message(i) for i in range(3000)]


def few() -> list[can.Message]:
    return [message(i) for i in range(7)]


def fourth_at(timestamp: float) -> Callable[[], list[can.Message]]:
    """Seven frames 10 ms apart, except the fourth, stamped ``timestamp``."""

    def messages() -> list[can.Message]:
        frames = few()
        frames[3] = message(3, timestamp)
        return frames

    return messages


def remote_and_error() -> list[can.Message]:
    frames = few()
    frames[1] = message(1, is_remote_frame=True, data=b"", dlc=4)
    frames[2] = can.Message(timestamp=T0 + 0.02, is_error_frame=True)
    return frames


def blf_duplicates() -> list[can.Message]:
    frames = few()
    return [*frames[:4], frames[3], frames[3], *frames[4:]]


def xor(start: int, stop: int) -> Callable[[bytes], bytes]:
    return lambda b: b[:start] + bytes(x ^ 0x5A for x in b[start:stop]) + b[stop:]


BLF = [
    Case("blf_truncated_half", blf(many, lambda b: b[: len(b) // 2]), NoSilentLoss("truncat")),
    Case("blf_truncated_last_bytes", blf(many, lambda b: b[:-10]), NoSilentLoss("truncat")),
    Case("blf_truncated_in_file_header", blf(many, lambda b: b[:100]), Error("")),
    Case("blf_corrupt_file_header", blf(many, xor(0, 50)), Error("")),
    Case("blf_corrupt_compressed_data", blf(many, xor(200, 260)), Error("corrupt")),
    Case("blf_garbage_appended", blf(few, lambda b: b + b"garbage!" * 64), NoSilentLoss()),
    Case("blf_zero_filled_tail", blf(few, lambda b: b + bytes(4096)), NoSilentLoss()),
    Case("blf_text_file", blf(few, lambda b: b"hello world\n" * 10), Error("")),
    Case("blf_empty_file", blf(few, lambda b: b""), Error("empty")),
    Case("blf_no_messages", blf(list), Error("no CAN frames|no data")),
    Case("blf_sidecar_bad_interval", blf(few, sidecar="intervals: [[2, 1]]\n"), Error("interval")),
    Case("blf_remote_and_error_frames", blf(remote_and_error), Quarantine((2, 3))),
    Case(
        "blf_timestamp_jumps_days",
        blf(fourth_at(T0 + 3 * DAY)),
        Quarantine((4,), "timestamp"),
    ),
    Case(
        "blf_timestamp_after_2100",
        blf(fourth_at(YEAR_2100 + 100)),
        Quarantine((4,), "timestamp"),
    ),
    Case("blf_duplicate_frames", blf(blf_duplicates), Duplicates(2)),
]


@pytest.mark.parametrize("case", table(ASC))
def test_asc(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)


@pytest.mark.parametrize("case", table(BLF))
def test_blf(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)
