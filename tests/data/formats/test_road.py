"""ROAD: candump logs labelled from capture_metadata.json (relative intervals, XX wildcards)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kdgat.config import DatasetEntry
from kdgat.data.formats import get_format, road
from kdgat.data.ingest import ingest_dataset
from kdgat.data.schema import RAW_FRAME
from kdgat.errors import FormatError

# The release's clock is obfuscated to start near 1e9 s; a start that is no round number
# makes (absolute - first) inexact, as in the real logs.
T0 = 1_000_000_000.123456

# (seconds since the first frame, id, payload, expected label) of a targeted attack whose
# metadata says: id 0xd0, byte 5 = FF, interval [1.000001, 2.0].
SPEEDOMETER = [
    (0.0, "0D0", "0000000000FF0000", 0),  # the attack's id and payload, before the interval
    (0.5, "20E", "4E2003A0C63F8FFF", 0),
    (1.000001, "0D0", "1122334455FF6677", 1),  # on the start bound (six decimals)
    (1.2, "0D0", "1122334455006677", 0),  # the id in the interval, payload does not match
    (1.5, "20E", "00000000FFFF0000", 0),  # the payload matches, another id
    (1.7, "0D0", "FF", 0),  # too short for the pattern
    (2.0, "0d0", "abcdef0123ffc0de", 1),  # on the end bound, lower-case hex
    (2.5, "0D0", "0000000000FF0000", 0),  # after the interval
]
FUZZING = [  # any id, payload FF..FF, interval [0.2, 0.4]
    (0.0, "123", "FFFFFFFFFFFFFFFF", 0),
    (0.3, "7A1", "FFFFFFFFFFFFFFFF", 1),
    (0.3, "0D0", "FFFFFFFFFFFFFF00", 0),
    (0.35, "001", "FFFFFFFFFFFFFFFF", 1),
    (0.6, "7A1", "FFFFFFFFFFFFFFFF", 0),
]
AMBIENT = [(i * 0.1, "0D0", "0000000000FF0000", 0) for i in range(6)]
ATTACK_METADATA = {
    "max_speedometer_attack_1": {
        "on_dyno": True,
        "modified": False,
        "injection_id": "0xd0",
        "injection_data_str": "XXXXXXXXXXFFXXXX",
        "injection_interval": [1.000001, 2.0],
        "elapsed_sec": 3.0,
    },
    "max_speedometer_attack_1_masquerade": {
        "on_dyno": True,
        "modified": True,
        "injection_id": "0xd0",
        "injection_data_str": "XXXXXXXXXXFFXXXX",
        "injection_interval": [1.000001, 2.0],
    },
    "fuzzing_attack_1": {
        "on_dyno": True,
        "injection_id": "XXX",
        "injection_data_str": "FFFFFFFFFFFFFFFF",
        "injection_interval": [0.2, 0.4],
    },
    "accelerator_attack_drive_1": {"on_dyno": True, "description": "accelerator attack"},
}


def log_text(frames: list[tuple[float, str, str, int]], start: float = T0) -> str:
    return "".join(f"({start + t:.6f}) can0 {i}#{data}\n" for t, i, data, _ in frames)


def write_road(root: Path) -> Path:
    """A small ROAD release: ambient/ and attacks/, each with its capture_metadata.json."""
    (root / "ambient").mkdir(parents=True)
    (root / "attacks").mkdir()
    (root / "ambient" / "ambient_dyno_drive_basic_short.log").write_text(log_text(AMBIENT))
    ambient_meta = {"ambient_dyno_drive_basic_short": {"on_dyno": True, "elapsed_sec": 0.5}}
    (root / "ambient" / road.METADATA).write_text(json.dumps(ambient_meta))
    attacks = root / "attacks"
    (attacks / "max_speedometer_attack_1.log").write_text(log_text(SPEEDOMETER))
    masquerade = [f for f in SPEEDOMETER if f[0] != 1.2]  # the legitimate target frame removed
    (attacks / "max_speedometer_attack_1_masquerade.log").write_text(log_text(masquerade))
    (attacks / "fuzzing_attack_1.log").write_text(log_text(FUZZING, start=T0 + 50))
    (attacks / "accelerator_attack_drive_1.log").write_text(log_text(AMBIENT))
    (attacks / road.METADATA).write_text(json.dumps(ATTACK_METADATA, indent=1))
    return root


def parse(path: Path, batch_rows: int = 1000) -> pa.Table:
    return pa.concat_tables([RAW_FRAME.empty_table(), *road.read(path, batch_rows)])


@pytest.fixture
def release(tmp_path: Path) -> Path:
    return write_road(tmp_path / "road")


@pytest.mark.parametrize("batch_rows", [1000, 3])
def test_targeted_attack_frames_need_interval_id_and_payload(
    release: Path, batch_rows: int
) -> None:
    table = parse(release / "attacks" / "max_speedometer_attack_1.log", batch_rows)
    assert table["label"].to_pylist() == [f[3] for f in SPEEDOMETER]
    assert table["parse_error"].null_count == len(SPEEDOMETER)
    kinds = table["attack_type"].to_pylist()
    assert {k for k, f in zip(kinds, SPEEDOMETER, strict=True) if f[3]} == {
        "max_speedometer_attack"
    }
    assert all(k is None for k, f in zip(kinds, SPEEDOMETER, strict=True) if not f[3])


def test_the_interval_counts_from_the_captures_own_first_frame(release: Path) -> None:
    table = parse(release / "attacks" / "fuzzing_attack_1.log")  # starts 50 s after T0
    assert table["label"].to_pylist() == [f[3] for f in FUZZING]  # XXX: any id
    assert set(table["attack_type"].drop_null().to_pylist()) == {"fuzzing_attack"}


def test_masquerade_versions_keep_their_own_attack_type(release: Path) -> None:
    table = parse(release / "attacks" / "max_speedometer_attack_1_masquerade.log")
    assert sum(table["label"].to_pylist()) == 2
    assert set(table["attack_type"].drop_null().to_pylist()) == {
        "max_speedometer_attack_masquerade"
    }


def test_ambient_captures_are_benign(release: Path) -> None:
    table = parse(release / "ambient" / "ambient_dyno_drive_basic_short.log")
    assert table["label"].to_pylist() == [0] * len(AMBIENT)


def test_the_accelerator_attacks_are_refused_with_the_exclude_glob(release: Path) -> None:
    with pytest.raises(FormatError, match=r"accelerator_attack_\*.*exclude|exclude.*accelerator"):
        parse(release / "attacks" / "accelerator_attack_drive_1.log")


def test_a_capture_missing_from_the_metadata_names_the_file_and_the_fix(release: Path) -> None:
    stray = release / "attacks" / "reverse_light_on_attack_1.log"
    stray.write_text(log_text(AMBIENT))
    with pytest.raises(FormatError) as err:
        parse(stray)
    message = str(err.value)
    assert str(release / "attacks" / road.METADATA) in message
    assert "reverse_light_on_attack_1" in message
    assert "exclude" in message


def test_a_folder_without_metadata_is_an_error(tmp_path: Path) -> None:
    log = tmp_path / "max_speedometer_attack_1.log"
    log.write_text(log_text(SPEEDOMETER))
    with pytest.raises(FormatError, match=road.METADATA):
        parse(log)


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("injection_interval", [2.0, 1.0], "injection_interval"),
        ("injection_interval", [1.0, "2"], "injection_interval"),
        ("injection_id", "0xZZ", "injection_id"),
        ("injection_data_str", "XXFF0", "injection_data_str"),
        ("injection_data_str", "XXGGXXXXXXXXXXXX", "injection_data_str"),
        ("injection_interval", None, "no injection_interval"),
    ],
)
def test_malformed_metadata_entries_are_clear_errors(
    release: Path, key: str, value: object, says: str
) -> None:
    meta = release / "attacks" / road.METADATA
    doc = json.loads(meta.read_text())
    doc["max_speedometer_attack_1"][key] = value
    meta.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=says) as err:
        parse(release / "attacks" / "max_speedometer_attack_1.log")
    assert str(meta) in str(err.value)


def test_a_small_release_ingests_end_to_end(release: Path, tmp_path: Path) -> None:
    assert get_format("road").read is road.read
    entry = DatasetEntry(
        domain="can",
        format="road",
        source="x",
        train=["ambient/*.log"],
        test={"attacks": ["attacks/*.log"]},
        exclude=[road.EXCLUDE_GLOB],
    )
    out = tmp_path / "processed"
    ingest_dataset("road", entry, release, out, tmp_path / "r.json", 1024, 0.0)
    report = json.loads((tmp_path / "r.json").read_text())
    assert set(report["captures"]) == {  # the release's folders are part of the names
        "ambient__ambient_dyno_drive_basic_short",
        "attacks__max_speedometer_attack_1",
        "attacks__max_speedometer_attack_1_masquerade",
        "attacks__fuzzing_attack_1",
    }
    speedometer = report["captures"]["attacks__max_speedometer_attack_1"]
    table = pq.read_table(out / speedometer["output"])
    rows = table.sort_by("source_row")
    assert rows["label"].to_pylist() == [f[3] for f in SPEEDOMETER]
    assert set(rows["attack_type"].to_pylist()) == {"benign", "max_speedometer_attack"}
    assert rows["split"].to_pylist()[0] == "attacks"
    fuzz = pq.read_table(out / report["captures"]["attacks__fuzzing_attack_1"]["output"])
    assert set(fuzz["attack_type"].to_pylist()) == {"benign", "fuzzing_attack"}
