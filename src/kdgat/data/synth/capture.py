"""One simulated capture: vehicle traffic, an attack, and bus timing together.

Timestamps are whole microseconds after ``EPOCH_S`` plus a seeded per-capture
offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kdgat.data.synth.attacks import (
    ATTACK_MODELS,
    ATTACKS,
    Injection,
    Scene,
    attack_intervals,
    inside,
)
from kdgat.data.synth.bus import Frames, legit_traffic, serialise
from kdgat.data.synth.drive import make_drive
from kdgat.data.synth.vehicle import Vehicle

NORMAL = "normal"
EPOCH_S = 1_672_531_200  # 2023-01-01T00:00:00Z


@dataclass(frozen=True, eq=False)
class Capture:
    """One simulated capture, frames sorted by time.

    Attributes:
        timestamp: Seconds since the Unix epoch, whole microseconds (float64).
        arbitration_id: 11-bit ids (uint32).
        dlc: Data length of each frame (uint8).
        payload: ``(n, 8)`` uint8; bytes past the DLC are zero.
        label: 1 for attack frames (see ``attacks`` for suppression).
        attack: The attack kind, or "normal".
        intervals: ``(k, 2)`` absolute [start, end) seconds of the attack windows.
        targets: Ids the attack forges, replays or silences (0 for dos, none for fuzzing).
    """

    timestamp: np.ndarray
    arbitration_id: np.ndarray
    dlc: np.ndarray
    payload: np.ndarray
    label: np.ndarray
    attack: str
    intervals: np.ndarray
    targets: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.timestamp)


def simulate(vehicle: Vehicle, attack: str, duration_s: float, rng: np.random.Generator) -> Capture:
    """Simulate one capture of ``duration_s`` seconds with ``attack`` (or "normal").

    Args:
        vehicle: The bus to simulate (see ``make_vehicle``).
        attack: One of ``ATTACKS``, or ``NORMAL`` for attack-free traffic.
        duration_s: Length of the capture in seconds.
        rng: The only source of randomness: same state, same capture.

    Returns:
        The capture, frames sorted by timestamp.
    """
    if attack != NORMAL and attack not in ATTACK_MODELS:
        raise ValueError(f"unknown attack {attack!r}; known: {', '.join(ATTACKS)}")
    if duration_s <= 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    offset_s = int(rng.integers(0, 365 * 86_400))  # captures of one dataset start apart
    start_us = (EPOCH_S + offset_s) * 10**6 + int(rng.integers(0, 10**6))
    drive = make_drive(rng, vehicle, duration_s)
    bus = legit_traffic(rng, vehicle, drive, duration_s)
    intervals = np.zeros((0, 2))
    injection = Injection(Frames.empty(), np.zeros(len(bus.msg), dtype=bool), ())
    if attack != NORMAL:
        intervals = attack_intervals(rng, duration_s)
        injection = ATTACK_MODELS[attack](Scene(vehicle, bus, drive, intervals, rng))
    frames = Frames.concat([bus.frames.take(~injection.drop), injection.frames])
    frames = frames.take(np.lexsort((frames.ids, frames.t)))
    us = np.rint(serialise(frames.t, frames.dlc, vehicle.bitrate) * 1e6).astype(np.int64)
    label = frames.label
    if attack == "suppression":
        label = inside(us / 1e6, intervals).astype(np.uint8)
    return Capture(
        timestamp=(start_us + us) / 1e6,
        arbitration_id=frames.ids.astype(np.uint32),
        dlc=frames.dlc.astype(np.uint8),
        payload=frames.payload,
        label=label,
        attack=attack,
        intervals=(start_us + np.rint(intervals * 1e6).astype(np.int64)) / 1e6,
        targets=injection.targets,
    )
