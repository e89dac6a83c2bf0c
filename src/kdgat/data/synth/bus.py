"""Legitimate traffic and the shared bus it travels on.

Frames of all messages are merged in time order and serialised on a
500 kbit/s bus (1 Mbit/s for vehicles whose traffic would fill more than a
third of it): a frame starts no earlier than the end of the previous one, so
floods delay legitimate traffic as they do on a real bus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from kdgat.data.synth.drive import Drive
from kdgat.data.synth.payloads import encode
from kdgat.data.synth.vehicle import FRAME_OVERHEAD_BITS, Vehicle


@dataclass(frozen=True, eq=False)
class Frames:
    """Frames under construction; ``t`` is seconds since capture start."""

    t: np.ndarray
    ids: np.ndarray
    dlc: np.ndarray
    payload: np.ndarray
    label: np.ndarray

    @staticmethod
    def empty() -> Frames:
        """No frames, with the dtypes and payload width of real ones (a neutral ``concat`` part)."""
        e = np.zeros(0, dtype=np.int64)
        return Frames(np.zeros(0), e, e, np.zeros((0, 8), np.uint8), e.astype(np.uint8))

    @staticmethod
    def injected(t: np.ndarray, ids: ArrayLike, dlc: ArrayLike, payload: ArrayLike) -> Frames:
        """Attack frames (label 1); ids, dlc and payload broadcast over ``t``."""
        n = len(t)
        return Frames(
            t,
            np.broadcast_to(ids, n).astype(np.int64),
            np.broadcast_to(dlc, n).astype(np.int64),
            np.broadcast_to(payload, (n, 8)).astype(np.uint8),
            np.ones(n, np.uint8),
        )

    @staticmethod
    def concat(parts: Sequence[Frames]) -> Frames:
        """The frames of all ``parts``, in the given order (not sorted by time)."""
        return Frames(
            np.concatenate([p.t for p in parts]),
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.dlc for p in parts]),
            np.concatenate([p.payload for p in parts]),
            np.concatenate([p.label for p in parts]),
        )

    def take(self, index: np.ndarray) -> Frames:
        """The frames at ``index`` (a mask or positions), every column alike."""
        return Frames(
            self.t[index], self.ids[index], self.dlc[index], self.payload[index], self.label[index]
        )


@dataclass(frozen=True, eq=False)
class Bus:
    """Legitimate traffic of a capture: frames plus each frame's message index."""

    frames: Frames
    msg: np.ndarray


def schedule(
    rng: np.random.Generator, vehicle: Vehicle, duration_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Send times of every message: (message index, slot index, seconds), unsorted."""
    period = vehicle.cycle * (1.0 + vehicle.drift[vehicle.ecu])
    phase = rng.uniform(0.0, period)
    counts = np.ceil((duration_s - phase) / period).clip(0).astype(np.int64)
    msg = np.repeat(np.arange(len(period)), counts)
    slot = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    sd = (vehicle.jitter * vehicle.cycle)[msg]
    t = phase[msg] + slot * period[msg] + sd * rng.standard_normal(len(msg))
    keep = (t >= 0.0) & (t < duration_s)
    return msg[keep], slot[keep], t[keep]


def legit_traffic(
    rng: np.random.Generator, vehicle: Vehicle, drive: Drive, duration_s: float
) -> Bus:
    """All frames the vehicle's ECUs send during the capture."""
    msg, slot, t = schedule(rng, vehicle, duration_s)
    payload = np.zeros((len(t), 8), dtype=np.uint8)
    for m in np.unique(msg):
        rows = np.flatnonzero(msg == m)
        payload[rows] = encode(vehicle.layouts[m], slot[rows], t[rows], drive, rng)
    ids, dlc = vehicle.ids[msg], vehicle.dlc[msg]
    return Bus(Frames(t, ids, dlc, payload, np.zeros(len(t), np.uint8)), msg)


def serialise(t: np.ndarray, dlc: np.ndarray, bitrate: int) -> np.ndarray:
    """Start times on a shared bus: no frame starts before the previous one ends.

    ``t`` must be sorted. Solves ``s[i] = max(t[i], s[i-1] + tx[i-1])`` in
    closed form: ``s[i] = S[i] + max_{j<=i}(t[j] - S[j])`` with ``S`` the
    cumulative transmission time before frame ``i``.
    """
    if len(t) == 0:
        return t
    tx = (FRAME_OVERHEAD_BITS + 8 * dlc) / bitrate
    before = np.concatenate([[0.0], np.cumsum(tx[:-1])])
    return before + np.maximum.accumulate(t - before)
