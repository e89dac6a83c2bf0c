"""The synthetic CAN bus: determinism, file layout, timing, payloads and attack signatures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kdgat.config import SynthParams
from kdgat.data import synth
from kdgat.data.formats.can_csv import read
from kdgat.data.schema import validate_frames
from kdgat.data.synth.payloads import encode
from kdgat.data.synth.vehicle import ROUND_CYCLES_MS

SEED = 7
DURATION = 10.0
MARGIN = 0.005  # s: serialisation may move a frame across an interval edge by a frame time
LINE = re.compile(rb"^\d{10}\.\d{6},[0-9a-f]{3},(?:[0-9A-F]{2}){0,8},[01]$")
DEFAULT_FILES = [
    "train_01_attack_free__normal-1.csv",
    "train_01_attack_free__normal-2.csv",
    "train_02_with_attacks__dos-1.csv",
    "train_02_with_attacks__fuzzing-1.csv",
    "train_02_with_attacks__spoofing-1.csv",
    "train_02_with_attacks__replay-1.csv",
    "train_02_with_attacks__suppression-1.csv",
    "test_01_known_vehicle_known_attack__dos-1.csv",
    "test_01_known_vehicle_known_attack__fuzzing-1.csv",
    "test_01_known_vehicle_known_attack__spoofing-1.csv",
    "test_04_unknown_vehicle_unknown_attack__masquerade-1.csv",
]


def small(**override: Any) -> dict[str, Any]:
    """The default synth parameters with a short, small bus."""
    defaults = SynthParams().model_dump()
    return {**defaults, "ecus": 5, "unknown_vehicle_ecus": 8, "duration_s": 4.0, **override}


@pytest.fixture(scope="module")
def vehicle() -> synth.Vehicle:
    return synth.make_vehicle(synth.rng_for(SEED, "vehicle:known"), 6)


def rival(seed: int = SEED) -> synth.Profile:
    return synth.rival_profile(synth.rng_for(seed, "profile:unknown"))


@pytest.fixture(scope="module")
def other_vehicle() -> synth.Vehicle:
    """A vehicle of another maker, as the unknown-vehicle scenarios use."""
    return synth.make_vehicle(synth.rng_for(SEED, "vehicle:unknown"), 9, rival())


@pytest.fixture(scope="module")
def captures(vehicle: synth.Vehicle) -> dict[str, synth.Capture]:
    kinds = (synth.NORMAL, *synth.ATTACKS)
    return {k: synth.simulate(vehicle, k, DURATION, synth.rng_for(SEED, k)) for k in kinds}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return synth.write_dataset(tmp_path_factory.mktemp("synth"), seed=SEED, **small())


def inside(c: synth.Capture, shrink: float = 0.0) -> np.ndarray:
    mask = np.zeros(len(c), dtype=bool)
    for start, end in c.intervals:
        mask |= (c.timestamp >= start + shrink) & (c.timestamp < end - shrink)
    return mask


def cycle_of(vehicle: synth.Vehicle, can_id: int) -> float:
    return float(vehicle.cycle[list(vehicle.ids).index(can_id)])


def load_csv(path: Path) -> dict[str, np.ndarray]:
    lines = path.read_bytes().splitlines()[1:]
    fields = [line.split(b",") for line in lines]
    return {
        "timestamp": np.array([float(f[0]) for f in fields]),
        "id": np.array([int(f[1], 16) for f in fields]),
        "label": np.array([int(f[3]) for f in fields]),
    }


# ---------------------------------------------------------------------------- files


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    scenarios = {"x": ["replay"], "unknown_vehicle_x": ["spoofing"]}
    params = small(attack_free_captures=1, train_attacks=["dos"], test_scenarios=scenarios)
    first = synth.write_dataset(tmp_path / "a", seed=SEED, **params)
    again = synth.write_dataset(tmp_path / "b", seed=SEED, **params)
    other = synth.write_dataset(tmp_path / "c", seed=SEED + 1, **params)
    assert [p.name for p in first] == [p.name for p in again] == [p.name for p in other]
    for a, b, c in zip(first, again, other, strict=True):
        assert a.read_bytes() == b.read_bytes()
        assert a.read_bytes() != c.read_bytes()


def test_capture_does_not_depend_on_the_others(tmp_path: Path) -> None:
    alone = synth.write_dataset(
        tmp_path / "a", seed=SEED, **small(train_attacks=["replay"], test_scenarios={})
    )
    among = synth.write_dataset(
        tmp_path / "b", seed=SEED, **small(train_attacks=["dos", "replay"], test_scenarios={})
    )
    replay = "train_02_with_attacks__replay-1.csv"
    assert (tmp_path / "a" / replay).read_bytes() == (tmp_path / "b" / replay).read_bytes()
    assert len(alone) + 1 == len(among)


def test_known_vehicle_does_not_depend_on_the_unknown_one(tmp_path: Path) -> None:
    scenarios = {"known_vehicle_known_attack": ["dos"], "unknown_vehicle_known_attack": ["dos"]}
    params = small(train_attacks=[], test_scenarios=scenarios)
    first = synth.write_dataset(tmp_path / "a", seed=SEED, **params)
    bigger = synth.write_dataset(
        tmp_path / "b", seed=SEED, **(params | {"unknown_vehicle_ecus": 12})
    )
    for a, b in zip(first[:-1], bigger[:-1], strict=True):
        assert a.read_bytes() == b.read_bytes()
    ids = [set(load_csv(paths[-1])["id"].tolist()) for paths in (first, bigger)]
    assert len(ids[1]) > len(ids[0])


def test_default_config_file_names(dataset: list[Path]) -> None:
    assert [p.name for p in dataset] == DEFAULT_FILES
    assert sorted(p.name for p in dataset[0].parent.iterdir()) == sorted(DEFAULT_FILES)


def test_scenario_numbers_and_repeats() -> None:
    scenarios = {
        "rain": ["dos"],
        "unknown_vehicle_known_attack": ["dos"],
        "known_vehicle_unknown_attack": ["masquerade", "masquerade"],
        "night": ["fuzzing"],
    }
    planned = synth.capture_names(1, ["dos", "dos"], scenarios, ["spoofing"])
    assert [p.name for p in planned] == [
        "train_01_attack_free__normal-1",
        "train_02_with_attacks__dos-1",
        "train_02_with_attacks__dos-2",
        "val_01_other_vehicle__spoofing-1",
        "test_05_rain__dos-1",
        "test_02_unknown_vehicle_known_attack__dos-1",
        "test_03_known_vehicle_unknown_attack__masquerade-1",
        "test_03_known_vehicle_unknown_attack__masquerade-2",
        "test_06_night__fuzzing-1",
    ]
    known, unknown = ["known"] * 3, ["unknown"]
    assert [p.vehicle for p in planned] == [*known, "validation", "known", *unknown, *known]
    with pytest.raises(ValueError, match="unknown attack"):
        synth.capture_names(1, ["teleport"], {})


def test_header_and_value_formats(dataset: list[Path]) -> None:
    for path in dataset:
        header, *lines = path.read_bytes().split(b"\n")
        assert header == b"timestamp,arbitration_id,data_field,attack"
        assert lines[-1] == b""  # every line ends with a newline
        bad = [line for line in lines[:-1] if not LINE.match(line)]
        assert not bad, f"{path.name}: {bad[:3]}"


def test_timestamps_sorted_and_near_epoch(dataset: list[Path]) -> None:
    for path in dataset:
        t = load_csv(path)["timestamp"]
        assert np.all(np.diff(t) > 0), path.name
        assert synth.EPOCH_S <= t[0] < synth.EPOCH_S + 366 * 86_400
        assert t[-1] - t[0] < 4.0 + 0.01


def test_files_pass_the_project_reader_and_schema(dataset: list[Path]) -> None:
    for path in dataset:
        capture = path.stem
        attack = capture.split("__")[-1].rsplit("-", 1)[0]
        split = "train" if capture.startswith("train") else capture.split("__")[0]
        rows = 0
        for batch in read(path, batch_rows=4096):
            checked = validate_frames(batch, capture, split, attack)
            assert checked.bad.num_rows == 0, checked.bad.to_pylist()[:3]
            rows += checked.good.num_rows
            kinds = set(checked.good["attack_type"].to_pylist())
            assert kinds <= {"benign", attack}
        assert rows == path.read_bytes().count(b"\n") - 1


def test_csv_round_trip(vehicle: synth.Vehicle, tmp_path: Path) -> None:
    capture = synth.simulate(vehicle, "fuzzing", 3.0, synth.rng_for(SEED, "round trip"))
    path = synth.write_capture(tmp_path / "c.csv", capture)
    table = next(read(path, batch_rows=1 << 20))
    assert table.num_rows == len(capture)
    np.testing.assert_array_equal(table["timestamp"].to_numpy(), capture.timestamp)
    np.testing.assert_array_equal(table["arbitration_id"].to_numpy(), capture.arbitration_id)
    np.testing.assert_array_equal(table["dlc"].to_numpy(), capture.dlc)
    np.testing.assert_array_equal(table["label"].to_numpy(), capture.label)
    payloads = [bytes(p[:n]) for p, n in zip(capture.payload, capture.dlc, strict=True)]
    assert table["payload"].to_pylist() == payloads


# ---------------------------------------------------------------------------- bus model


def test_vehicle_ids_dlcs_and_cycles(vehicle: synth.Vehicle) -> None:
    assert len(set(vehicle.ids.tolist())) == len(vehicle.ids)
    assert vehicle.ids.min() >= synth.ID_LOW
    assert vehicle.ids.max() <= synth.ID_HIGH
    assert vehicle.cycle.min() >= 0.01
    assert vehicle.cycle.max() <= 1.0
    assert set(np.unique(vehicle.ecu).tolist()) == set(range(6))
    assert np.all(vehicle.dlc <= 8)
    assert np.mean(vehicle.dlc == 8) > 0.5


def test_periodicity(vehicle: synth.Vehicle, captures: dict[str, synth.Capture]) -> None:
    c = captures[synth.NORMAL]
    for can_id, cycle in zip(vehicle.ids, vehicle.cycle, strict=True):
        gaps = np.diff(c.timestamp[c.arbitration_id == can_id])
        if len(gaps) >= 5:
            assert np.median(gaps) == pytest.approx(cycle, rel=0.03), hex(can_id)
    assert set(c.arbitration_id.tolist()) == set(vehicle.ids.tolist())


@pytest.mark.parametrize("maker", ["home", "rival"])
def test_counters_and_checksums_hold(
    vehicle: synth.Vehicle,
    other_vehicle: synth.Vehicle,
    captures: dict[str, synth.Capture],
    maker: str,
) -> None:
    if maker == "home":
        c = captures[synth.NORMAL]
    else:
        vehicle = other_vehicle
        c = synth.simulate(vehicle, synth.NORMAL, 3.0, synth.rng_for(SEED, "rival normal"))
    checked: set[str] = set()
    for can_id, layout in zip(vehicle.ids, vehicle.layouts, strict=True):
        payload = c.payload[c.arbitration_id == can_id]
        for f in layout:
            if f.kind == "counter" and len(payload) > 1:
                steps = np.diff(payload[:, f.byte].astype(np.int64) & 0xF) % 16
                assert np.all(steps == 1), hex(can_id)
                checked.add(f.kind)
            if f.kind == "checksum":
                np.testing.assert_array_equal(payload[:, f.byte], synth._checksum(payload, f))
                checked.add(f.kind)
    assert checked == {"counter", "checksum"}


def test_byte_order_of_signals() -> None:
    drive = synth.Drive(smooth={"rpm": np.array([1000.0, 1000.0])}, step={})
    t, counter = np.zeros(1), np.zeros(1, dtype=np.int64)
    big = synth.Field("signal", 1, 2, "rpm", gain=4.0)  # raw 4000 = 0x0FA0
    little = synth.Field("signal", 1, 2, "rpm", gain=4.0, order="little")
    assert bytes(encode((big,), counter, t, drive)[0, :3]) == b"\x00\x0f\xa0"
    assert bytes(encode((little,), counter, t, drive)[0, :3]) == b"\x00\xa0\x0f"


def test_drive_gear_follows_speed_and_rpm_follows_gear(vehicle: synth.Vehicle) -> None:
    drive = synth.make_drive(synth.rng_for(SEED, "drive"), vehicle, 600.0)
    speed, gear, rpm = drive.smooth["speed"], drive.step["gear"], drive.smooth["rpm"]
    assert speed.min() >= 0
    assert speed.max() <= 180
    assert set(np.unique(gear).tolist()) <= {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}
    assert np.count_nonzero(np.diff(gear)) < len(gear) / 50  # step-wise, no chatter
    assert np.corrcoef(speed, gear)[0, 1] > 0.8
    moving = speed > 30
    ratio = rpm[moving] / speed[moving]
    assert np.corrcoef(ratio, gear[moving])[0, 1] < -0.5  # higher gear, fewer rpm per km/h


def test_unknown_vehicle_has_other_ids(dataset: list[Path]) -> None:
    by_name = {p.name: load_csv(p) for p in dataset}
    known = by_name["train_01_attack_free__normal-1.csv"]
    unknown = by_name["test_04_unknown_vehicle_unknown_attack__masquerade-1.csv"]
    known_ids = set(known["id"].tolist())
    unknown_ids = set(unknown["id"][unknown["label"] == 0].tolist())
    assert len(known_ids & unknown_ids) < 0.15 * min(len(known_ids), len(unknown_ids))
    assert len(unknown_ids) > len(known_ids)  # a bigger vehicle: more ECUs, more messages
    # The masquerade impersonates one of the unknown vehicle's own ECUs.
    assert set(unknown["id"][unknown["label"] == 1].tolist()) <= unknown_ids
    same_vehicle = by_name["test_01_known_vehicle_known_attack__dos-1.csv"]
    assert set(same_vehicle["id"][same_vehicle["label"] == 0].tolist()) == known_ids


def test_validation_vehicle_is_neither_the_training_nor_the_test_one(tmp_path: Path) -> None:
    params = small(validation_attacks=["spoofing"])
    by_name = {p.name: load_csv(p) for p in synth.write_dataset(tmp_path, seed=SEED, **params)}
    known_ids = set(by_name["train_01_attack_free__normal-1.csv"]["id"].tolist())
    unknown = by_name["test_04_unknown_vehicle_unknown_attack__masquerade-1.csv"]
    unknown_ids = set(unknown["id"][unknown["label"] == 0].tolist())
    validation = by_name["val_01_other_vehicle__spoofing-1.csv"]
    validation_ids = set(validation["id"][validation["label"] == 0].tolist())
    for other in (known_ids, unknown_ids):
        assert len(validation_ids & other) < 0.15 * min(len(validation_ids), len(other))


def cycle_share(vehicle: synth.Vehicle) -> np.ndarray:
    """Share of the vehicle's messages at each round period (plus one bin for others)."""
    menu = np.array(ROUND_CYCLES_MS) / 1000
    bins = [int(np.argmin(np.abs(menu - c))) for c in vehicle.cycle]
    return np.bincount(bins, minlength=len(menu)) / len(vehicle.cycle)


@pytest.mark.parametrize("seed", range(SEED, SEED + 8))
def test_unknown_vehicle_is_another_makers(seed: int) -> None:
    profile = rival(seed)
    known = synth.make_vehicle(synth.rng_for(seed, "vehicle:known"), 12)
    other = synth.make_vehicle(synth.rng_for(seed, "vehicle:unknown"), 18, profile)
    # Ids: more of them, from a range of its own that reaches lower, shared only by chance.
    assert len(other.ids) > len(known.ids)
    low, high = profile.id_range
    assert low < synth.ID_LOW
    assert np.all((other.ids >= low) & (other.ids <= high))
    assert len(np.intersect1d(known.ids, other.ids)) <= 0.1 * len(known.ids)
    # Periods: another menu, other weights.
    assert set(profile.cycles_ms.tolist()) != set(synth.HOME.cycles_ms.tolist())
    assert 0.5 * np.abs(cycle_share(known) - cycle_share(other)).sum() > 0.25
    # DLCs: a clearly different share of full 8-byte messages.
    assert abs(profile.dlc_weights[8] - synth.HOME.dlc_weights[8]) > 0.15
    # Layouts: little-endian signals, checksum and counter opening the payload.
    for home_style, layouts in ((True, known.layouts), (False, other.layouts)):
        wide = [f for layout in layouts for f in layout if f.kind == "signal" and f.width > 1]
        assert {f.order for f in wide} == {"big" if home_style else "little"}
        for layout in layouts:
            byte = {f.kind: f.byte for f in layout}
            dlc = 1 + max((f.byte + f.width - 1 for f in layout), default=-1)
            if "checksum" in byte:
                assert byte["checksum"] == (dlc - 1 if home_style else 0)
            if "counter" in byte and not home_style:
                assert byte["counter"] == int("checksum" in byte)
    assert len({f.mode for layout in other.layouts for f in layout if f.kind == "checksum"}) == 1


def test_unknown_vehicle_is_bigger_by_default() -> None:
    defaults = SynthParams()
    assert defaults.unknown_vehicle_ecus > defaults.ecus


def test_default_test_split_has_an_unseen_attack(dataset: list[Path]) -> None:
    defaults = SynthParams()
    test_kinds = {a for attacks in defaults.test_scenarios.values() for a in attacks}
    assert test_kinds - set(defaults.train_attacks)
    kind = re.compile(r"__(\w+)-\d+\.csv$")

    def attack_of(path: Path) -> str:
        match = kind.search(path.name)
        assert match is not None, path.name
        return match[1]

    train = {attack_of(p) for p in dataset if p.name.startswith("train_02")}
    test = {attack_of(p) for p in dataset if p.name.startswith("test_")}
    assert test - train == {"masquerade"}


# ---------------------------------------------------------------------------- attacks


def test_normal_capture_has_no_attack(captures: dict[str, synth.Capture]) -> None:
    c = captures[synth.NORMAL]
    assert not c.label.any()
    assert len(c.intervals) == 0


@pytest.mark.parametrize("attack", synth.ATTACKS)
def test_attack_fraction_and_intervals(captures: dict[str, synth.Capture], attack: str) -> None:
    c = captures[attack]
    assert c.attack == attack
    assert 0.001 < c.label.mean() < 0.8  # a flood outnumbers the frames of a small bus
    covered = np.sum(c.intervals[:, 1] - c.intervals[:, 0]) / DURATION
    assert 0.1 <= covered <= 0.3
    assert np.all(np.diff(c.timestamp) > 0)
    attack_times = c.timestamp[c.label == 1]
    in_window = np.zeros(len(attack_times), dtype=bool)
    for start, end in c.intervals:
        in_window |= (attack_times >= start) & (attack_times < end + MARGIN)
    assert in_window.all()


def test_dos_floods_id_zero(captures: dict[str, synth.Capture]) -> None:
    c = captures["dos"]
    hit = c.label == 1
    assert np.all(c.arbitration_id[hit] == 0)
    assert not np.any(c.arbitration_id[~hit] == 0)
    assert not c.payload[hit].any()
    assert np.all(c.dlc[hit] == 8)
    # Mean, not median: on a nearly full bus flood frames queue up and leave back to back.
    duration = np.sum(c.intervals[:, 1] - c.intervals[:, 0])
    assert 0.25e-3 < duration / hit.sum() < 0.45e-3


def test_fuzzing_uses_many_random_ids(captures: dict[str, synth.Capture]) -> None:
    c = captures["fuzzing"]
    hit = c.label == 1
    assert len(np.unique(c.arbitration_id[hit])) > 200
    assert c.arbitration_id[hit].max() <= 0x7FF
    assert len(np.unique(c.payload[hit], axis=0)) > 0.99 * hit.sum()
    assert 0.5e-3 <= np.median(np.diff(c.timestamp[hit])) <= 1.0e-3


def test_spoofing_forges_gear_or_rpm(
    vehicle: synth.Vehicle, captures: dict[str, synth.Capture]
) -> None:
    c = captures["spoofing"]
    hit = c.label == 1
    (target,) = c.targets
    assert target in {vehicle.ids[vehicle.roles["gear"]], vehicle.ids[vehicle.roles["engine"]]}
    assert np.all(c.arbitration_id[hit] == target)
    assert len(np.unique(c.payload[hit], axis=0)) == 1  # one forged constant payload
    assert np.median(np.diff(c.timestamp[hit])) == pytest.approx(1e-3, rel=0.1)
    legit = c.payload[(c.arbitration_id == target) & ~hit]
    assert len(legit)
    assert not np.any(np.all(legit == c.payload[hit][0], axis=1))


def test_replay_resends_recorded_frames(captures: dict[str, synth.Capture]) -> None:
    c = captures["replay"]
    hit = np.flatnonzero(c.label == 1)
    assert set(c.arbitration_id[hit].tolist()) <= set(c.targets)
    assert 2 <= len(c.targets) <= 4
    for start, end in c.intervals:  # each window replays legit frames sent before it
        recorded = {
            (int(i), p.tobytes())
            for i, p, t, y in zip(c.arbitration_id, c.payload, c.timestamp, c.label, strict=True)
            if t < start and y == 0
        }
        window = hit[(c.timestamp[hit] >= start) & (c.timestamp[hit] < end + MARGIN)]
        assert len(window)
        assert {(int(c.arbitration_id[i]), c.payload[i].tobytes()) for i in window} <= recorded
    # The real senders keep going: the replayed ids are seen twice as often in the windows.
    target = c.targets[0]
    legit = np.sum((c.arbitration_id == target) & (c.label == 0) & inside(c))
    assert np.sum(c.arbitration_id[hit] == target) == pytest.approx(legit, rel=0.2)


def test_suppression_silences_one_ecu(
    vehicle: synth.Vehicle, captures: dict[str, synth.Capture]
) -> None:
    c = captures["suppression"]
    targets = np.isin(c.arbitration_id, c.targets)
    ecus = {int(vehicle.ecu[list(vehicle.ids).index(i)]) for i in c.targets}
    assert len(ecus) == 1
    assert set(c.targets) == set(vehicle.ids[vehicle.ecu == ecus.pop()].tolist())
    assert not np.any(targets & inside(c, MARGIN))
    assert np.any(targets & ~inside(c))
    # Convention: every frame arriving during a suppression window is labelled 1.
    np.testing.assert_array_equal(c.label, inside(c).astype(np.uint8))


def test_masquerade_replaces_an_ecu_at_its_timing(
    vehicle: synth.Vehicle, captures: dict[str, synth.Capture]
) -> None:
    c = captures["masquerade"]
    hit = c.label == 1
    targets = np.isin(c.arbitration_id, c.targets)
    assert set(c.arbitration_id[hit].tolist()) <= set(c.targets)
    assert not np.any(targets & ~hit & inside(c, MARGIN))  # the victim is silent
    assert np.all(targets[inside(c, MARGIN)] == hit[inside(c, MARGIN)])
    fast = [i for i in c.targets if cycle_of(vehicle, i) <= synth.FAST_CYCLE]
    assert fast
    for can_id in fast:
        for start, end in c.intervals:
            times = c.timestamp[hit & (c.arbitration_id == can_id)]
            times = times[(times >= start) & (times < end)]
            if len(times) > 3:
                gaps = np.diff(times)
                assert np.median(gaps) == pytest.approx(cycle_of(vehicle, can_id), rel=0.05)
    legit = {p.tobytes() for p in c.payload[targets & ~hit]}
    assert any(p.tobytes() not in legit for p in c.payload[hit])  # forged content


def test_rejects_unknown_attack(vehicle: synth.Vehicle) -> None:
    with pytest.raises(ValueError, match="unknown attack"):
        synth.simulate(vehicle, "teleport", 1.0, synth.rng_for(SEED, "x"))
