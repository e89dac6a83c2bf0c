"""The public benchmarks' candump variants: ROAD (labels from metadata), CAN-MIRGU (label field)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cases import (
    T0,
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

BEFORE, AFTER = 3, 3  # good lines around the bad ones, which start at line 4


def frame(i: int) -> str:
    return f"({T0 + i * 0.01:.6f}) can0 {0x0D0 + i % 3:03X}#00000000FF{i % 256:02X}0000"


# --- ROAD --------------------------------------------------------------------------------------

ROAD_NAME = "max_speedometer_attack_1"
ROAD_ENTRY = {
    "injection_id": "0xd0",
    "injection_data_str": "XXXXXXXXFFXXXXXX",
    "injection_interval": [0.0, 1.0],
}


def road_with(
    *bad: str,
    entry: object = ROAD_ENTRY,
    metadata: str | None = None,
    name: str = ROAD_NAME,
) -> Build:
    """A ROAD attack capture (3 good lines, ``bad``, 3 good) and its folder's metadata."""

    def build(tmp: Path) -> Written:
        lines = [frame(i) for i in range(BEFORE + len(bad) + AFTER)]
        lines[BEFORE : BEFORE + len(bad)] = bad
        path = tmp / f"{name}.log"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
        meta = tmp / "capture_metadata.json"
        meta.write_text(metadata if metadata is not None else json.dumps({ROAD_NAME: entry}))
        blame = (
            meta if metadata is not None or entry is not ROAD_ENTRY or name != ROAD_NAME else None
        )
        return Written(path, "road", len(lines), blame)

    return build


def road_without_metadata(tmp: Path) -> Written:
    path = tmp / f"{ROAD_NAME}.log"
    path.write_text("".join(frame(i) + "\n" for i in range(6)))
    return Written(path, "road", 6, says=("capture_metadata.json",))


def road_duplicates(tmp: Path) -> Written:
    written = road_with()(tmp)
    lines = written.path.read_text().splitlines()
    lines[4:4] = [lines[3]] * 2
    written.path.write_text("\n".join(lines) + "\n")
    return Written(written.path, "road", len(lines))


road_raw = raw_file(f"{ROAD_NAME}.log", "road")

ROAD = [
    Case("road_garbage_line", road_with("hello, this is not a frame"), Quarantine((4,))),
    Case("road_odd_payload", road_with(frame(3) + "0"), Quarantine((4,))),
    Case("road_duplicate_frames", road_duplicates, Duplicates(2)),
    Case("road_metadata_missing", road_without_metadata, Error("no capture_metadata.json")),
    Case("road_metadata_not_json", road_with(metadata="{'a': 1,}"), Error("json")),
    Case("road_metadata_a_list", road_with(metadata="[]"), Error("map")),
    Case("road_capture_not_in_metadata", road_with(name="fuzzing_attack_2"), Error("no entry")),
    Case(
        "road_accelerator_attack",
        road_with(name="accelerator_attack_drive_1", metadata='{"accelerator_attack_drive_1": {}}'),
        Error("accelerator_attack_"),
    ),
    Case(
        "road_interval_backwards",
        road_with(entry={**ROAD_ENTRY, "injection_interval": [3, 1]}),
        Error("injection_interval"),
    ),
    Case(
        "road_interval_not_finite",
        road_with(metadata=json.dumps({ROAD_NAME: ROAD_ENTRY}).replace("1.0]", "Infinity]")),
        Error("injection_interval"),
    ),
    Case(
        "road_payload_pattern_not_hex",
        road_with(entry={**ROAD_ENTRY, "injection_data_str": "XXXXXXXXFFXXXXXZ"}),
        Error("injection_data_str"),
    ),
    Case(
        "road_injection_id_not_hex",
        road_with(entry={**ROAD_ENTRY, "injection_id": "speedometer"}),
        Error("injection_id"),
    ),
    Case("road_entry_not_a_mapping", road_with(entry=[1, 2]), Error("not a mapping")),
    Case("road_empty_file", road_raw(b"", 0), Error("empty")),
    Case(
        "road_signal_csv_instead_of_log",
        road_raw(b"Time,ID,Signal_1\n0.1,208,12\n", 1),
        Error("candump"),
    ),
]


# --- CAN-MIRGU ---------------------------------------------------------------------------------


def mirgu_row(i: int) -> str:
    return f"{frame(i)} {int(i % 4 == 1)}"


def mirgu_bytes(bad: list[bytes]) -> bytes:
    good = [mirgu_row(i).encode() for i in range(BEFORE + len(bad) + AFTER)]
    body = good[:BEFORE] + bad + good[BEFORE + len(bad) :]
    return b"".join(line + b"\n" for line in body)


def mirgu_with(*bad: str) -> Build:
    """A CAN-MIRGU log: 3 good lines, the ``bad`` lines (lines 4...), 3 good lines."""

    def build(tmp: Path) -> Written:
        path = tmp / "DoS_attack.log"
        path.write_bytes(mirgu_bytes([b.encode() for b in bad]))
        return Written(path, "can_mirgu", BEFORE + len(bad) + AFTER)

    return build


def mirgu_truncated_last_line(tmp: Path) -> Written:
    path = tmp / "DoS_attack.log"
    path.write_text("".join(mirgu_row(i) + "\n" for i in range(6)) + mirgu_row(6)[:-2])
    return Written(path, "can_mirgu", 7)


mirgu_raw = raw_file("DoS_attack.log", "can_mirgu")
LABELLED = mirgu_row(3)
UNLABELLED = frame(3)

MIRGU = [
    Case("mirgu_label_missing", mirgu_with(UNLABELLED), Quarantine((4,), "0/1 label")),
    Case("mirgu_label_two", mirgu_with(f"{UNLABELLED} 2"), Quarantine((4,), "0/1 label")),
    Case("mirgu_label_text", mirgu_with(f"{UNLABELLED} attack"), Quarantine((4,), "label")),
    Case("mirgu_label_twice", mirgu_with(f"{UNLABELLED} 1 1"), Quarantine((4,))),
    Case("mirgu_label_only", mirgu_with("1"), Quarantine((4,))),
    Case(
        "mirgu_bad_frame_with_label",
        mirgu_with(LABELLED.replace("#", " ")),
        Quarantine((4,), "candump"),
    ),
    Case("mirgu_garbage_line", mirgu_with("hello, this is not a frame"), Quarantine((4,))),
    Case(
        "mirgu_non_utf8_label",
        mirgu_raw(mirgu_bytes([UNLABELLED.encode() + b" \xff"]), 7),
        Quarantine((4,)),
    ),
    Case("mirgu_truncated_last_line", mirgu_truncated_last_line, Quarantine((7,))),
    Case("mirgu_empty_file", mirgu_raw(b"", 0), Error("empty")),
    Case(
        "mirgu_csv_layout",  # the CANini extension's CSV of the same traces
        mirgu_raw(b"timestamp,arbitration_id,data_field,dlc_value,attack\n1.0,07F,00,1,1\n", 1),
        Error("candump"),
    ),
]


@pytest.mark.parametrize("case", table(ROAD))
def test_road(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)


@pytest.mark.parametrize("case", table(MIRGU))
def test_can_mirgu(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)
