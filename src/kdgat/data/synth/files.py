"""Captures as can_csv files, and the datasets of them.

Files follow the benchmark split-folder naming (see ``capture_names``) in the
``can_csv`` layout. Every capture draws from its own generator seeded by
(seed, file name), so output is byte-identical for the same parameters and
does not depend on which other captures are made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from kdgat.data.synth.attacks import ATTACK_MODELS, ATTACKS
from kdgat.data.synth.capture import NORMAL, Capture, simulate
from kdgat.data.synth.vehicle import make_vehicle, rival_profile, rng_for
from kdgat.io import atomic_path

SCENARIO_NUMBERS = {
    "known_vehicle_known_attack": 1,
    "unknown_vehicle_known_attack": 2,
    "known_vehicle_unknown_attack": 3,
    "unknown_vehicle_unknown_attack": 4,
}
HEADER = b"timestamp,arbitration_id,data_field,attack\n"


_HEX_LOWER = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_UPPER = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
CHUNK_ROWS = 1 << 20


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + ord("0")).astype(np.uint8)


def _column(n: int, char: str) -> np.ndarray:
    return np.full((n, 1), ord(char), dtype=np.uint8)


def csv_rows(capture: Capture, start: int = 0, stop: int | None = None) -> bytes:
    """Rows ``start:stop`` of the capture as can_csv lines, built as one byte matrix.

    Every row is laid out at full width (payload of 16 hex digits) and the
    characters past each row's DLC are dropped in one boolean selection.
    """
    rows = slice(start, stop)
    us = np.rint(capture.timestamp[rows] * 1e6).astype(np.int64)
    ids = capture.arbitration_id[rows].astype(np.int64)
    if len(ids) and ids.max() > 0xFFF:
        raise ValueError("can_csv ids are written as 3 hex digits; got an id above 0xFFF")
    payload, dlc, n = capture.payload[rows], capture.dlc[rows].astype(np.int64), len(us)
    seconds, micros = np.divmod(us, 1_000_000)
    # One width for the whole file, whichever chunk this is.
    width = len(str(int(capture.timestamp.max()))) if len(capture) else 1
    nibbles = np.stack([payload >> 4, payload & 0xF], axis=2).reshape(n, 16)
    matrix = np.concatenate(
        [
            _digits(seconds, width),
            _column(n, "."),
            _digits(micros, 6),
            _column(n, ","),
            _HEX_LOWER[(ids[:, None] >> np.array([8, 4, 0])) & 0xF],
            _column(n, ","),
            _HEX_UPPER[nibbles],
            _column(n, ","),
            (capture.label[rows].astype(np.uint8) + ord("0"))[:, None],
            _column(n, "\n"),
        ],
        axis=1,
    )
    keep = np.ones(matrix.shape, dtype=bool)
    first = width + 12  # first payload character
    keep[:, first : first + 16] = np.arange(16) < 2 * dlc[:, None]
    return matrix[keep].tobytes()


def write_capture(path: Path, capture: Capture) -> Path:
    """Write the capture as can_csv; the file appears complete or not at all."""
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        handle.write(HEADER)
        for start in range(0, len(capture), CHUNK_ROWS):
            handle.write(csv_rows(capture, start, start + CHUNK_ROWS))
    return path


@dataclass(frozen=True)
class Planned:
    """One capture of the dataset: file stem, attack, and which vehicle it runs on."""

    name: str
    attack: str
    vehicle: Literal["known", "unknown", "validation"]


def capture_names(
    attack_free_captures: int,
    train_attacks: Sequence[str],
    test_scenarios: Mapping[str, Sequence[str]],
    validation_attacks: Sequence[str] = (),
) -> list[Planned]:
    """The captures of a dataset, named by the benchmark split-folder convention.

    ``train_01_attack_free__normal-<i>``, ``train_02_with_attacks__<attack>-<k>``,
    ``val_01_other_vehicle__<attack>-<k>`` and ``test_<NN>_<scenario>__<attack>-<k>``,
    where ``k`` counts repeats of an attack within a folder and ``NN`` is the
    benchmark number of the scenario (01-04), or the next free number from 05 for
    other scenarios in the order given.
    """
    planned = [
        Planned(f"train_01_attack_free__{NORMAL}-{i}", NORMAL, "known")
        for i in range(1, attack_free_captures + 1)
    ]
    planned += _folder("train_02_with_attacks", train_attacks, "known")
    planned += _folder("val_01_other_vehicle", validation_attacks, "validation")
    extra = iter(range(max(SCENARIO_NUMBERS.values()) + 1, 10**6))
    for scenario, attacks in test_scenarios.items():
        if not scenario.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"test scenario {scenario!r}: use letters, digits, '_' and '-' only")
        number = SCENARIO_NUMBERS.get(scenario) or next(extra)
        vehicle: Literal["known", "unknown"] = (
            "unknown" if "unknown_vehicle" in scenario else "known"
        )
        planned += _folder(f"test_{number:02d}_{scenario}", attacks, vehicle)
    return planned


def _folder(
    prefix: str, attacks: Sequence[str], vehicle: Literal["known", "unknown", "validation"]
) -> list[Planned]:
    seen: dict[str, int] = {}
    planned = []
    for attack in attacks:
        if attack not in ATTACK_MODELS:
            raise ValueError(f"{prefix}: unknown attack {attack!r}; known: {', '.join(ATTACKS)}")
        seen[attack] = seen.get(attack, 0) + 1
        planned.append(Planned(f"{prefix}__{attack}-{seen[attack]}", attack, vehicle))
    return planned


def write_dataset(
    out: Path,
    *,
    seed: int,
    ecus: int,
    duration_s: float,
    attack_free_captures: int,
    train_attacks: list[str],
    test_scenarios: dict[str, list[str]],
    unknown_vehicle_ecus: int | None = None,
    validation_attacks: list[str] | None = None,
) -> list[Path]:
    """Simulate every capture of the dataset and write it to ``out`` as can_csv.

    Args:
        out: Folder for the ``.csv`` files (created if needed).
        seed: Master seed; each vehicle and each file has a sub-seed derived from it.
        ecus: Number of ECUs of the known (training) vehicle.
        duration_s: Length of every capture in seconds.
        attack_free_captures: Number of attack-free training captures.
        train_attacks: Attack of each training capture with attacks.
        test_scenarios: Attacks of each test scenario; a scenario whose name
            contains "unknown_vehicle" runs on a second vehicle, of another maker
            (``rival_profile``).
        unknown_vehicle_ecus: Number of ECUs of that vehicle; None: 1.5 x ``ecus``.
        validation_attacks: Attack of each validation capture, on a third vehicle of
            a third maker (as many ECUs as the unknown one): what the catalog's
            ``validation`` captures are, so thresholds and fusion see a shift.

    Returns:
        The paths written, in plan order.
    """
    planned = capture_names(
        attack_free_captures, train_attacks, test_scenarios, validation_attacks or ()
    )
    other_ecus = unknown_vehicle_ecus or (3 * ecus + 1) // 2
    vehicles = {
        "known": make_vehicle(rng_for(seed, "vehicle:known"), ecus),
        **{
            role: make_vehicle(
                rng_for(seed, f"vehicle:{role}"),
                other_ecus,
                rival_profile(rng_for(seed, f"profile:{role}")),
            )
            for role in ("unknown", "validation")
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for capture in planned:
        path = out / f"{capture.name}.csv"
        simulated = simulate(
            vehicles[capture.vehicle], capture.attack, duration_s, rng_for(seed, path.name)
        )
        paths.append(write_capture(path, simulated))
    return paths
