"""Attack models: what each attack adds to or removes from the bus.

Attacks are active during one to three intervals covering roughly 10-30 % of
a capture (``Capture.intervals``); injected frames have label 1:

- ``dos``: id 0x000 with an all-zero payload every ~0.3 ms (floods are
  stretched on a bus too busy to carry them: ``_flood_period``).
- ``fuzzing``: random ids (0..0x7FF) and random 8-byte payloads every 0.5-1 ms.
- ``spoofing``: the gear or engine (RPM) message injected every ~1 ms with a
  forged constant payload; the real ECU keeps sending.
- ``replay``: frames of a few fast ids recorded earlier in the capture are
  re-sent (same ids and payloads, shifted timestamps, looped if the recording
  is shorter than the interval); the real ECUs keep sending.
- ``suppression``: one ECU is silent during the intervals. Nothing is
  injected, so there is no attack frame to label; by the convention this
  dataset follows, every frame that *arrives during* a suppression interval is
  labelled 1 (the attack is a state of the bus, not a frame), all others 0.
  Detectors thus learn to flag the window, from what is missing in it.
- ``masquerade``: one ECU is silenced and the attacker sends all its ids at
  the original cycle (own clock, slightly larger jitter, own counter) with
  forged, frozen signal values and valid checksums; those frames are labelled 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kdgat.data.synth.bus import Bus, Frames
from kdgat.data.synth.drive import Drive
from kdgat.data.synth.payloads import encode, forge_values, signal_sources
from kdgat.data.synth.vehicle import FRAME_OVERHEAD_BITS, Vehicle

MAX_LOAD = 0.95  # floods are slowed down to keep the bus below this (else queues grow forever)
FAST_CYCLE = 0.1  # replay and masquerade prefer ids at least this fast, so they leave a trace


@dataclass(frozen=True, eq=False)
class Scene:
    """What an attack needs to know about the capture it is injected into."""

    vehicle: Vehicle
    bus: Bus
    drive: Drive
    intervals: np.ndarray  # (k, 2) seconds since capture start
    rng: np.random.Generator


@dataclass(frozen=True, eq=False)
class Injection:
    """An attack's effect: frames to add, legit frames to drop, ids involved."""

    frames: Frames
    drop: np.ndarray  # bool mask over the legit frames
    targets: tuple[int, ...]


def attack_intervals(rng: np.random.Generator, duration_s: float) -> np.ndarray:
    """One to three disjoint windows covering 12-28 % of the capture, after a warm-up.

    Bounds are whole microseconds, like the timestamps, so "inside a window"
    means the same before and after the timestamps are written.
    """
    k = int(rng.integers(1, 4))
    weights = rng.uniform(0.7, 1.3, size=k)
    lengths = rng.uniform(0.12, 0.28) * duration_s * weights / weights.sum()
    slot = 0.85 * duration_s / k
    starts = 0.1 * duration_s + np.arange(k) * slot + rng.uniform(size=k) * (slot - lengths)
    return np.rint(np.column_stack([starts, starts + lengths]) * 1e6) / 1e6


def inside(t: np.ndarray, intervals: np.ndarray) -> np.ndarray:
    """Mask of the times in any ``[start, end)`` interval (end excluded, like the labels)."""
    mask = np.zeros(len(t), dtype=bool)
    for start, end in intervals:
        mask |= (t >= start) & (t < end)
    return mask


def _ticks(
    rng: np.random.Generator, intervals: np.ndarray, period: float, spread: float
) -> np.ndarray:
    """Times inside the intervals with gaps uniform in ``period * (1 +- spread)``."""
    parts = []
    for start, end in intervals:
        n = int((end - start) / (period * (1 - spread))) + 2
        gaps = period * rng.uniform(1 - spread, 1 + spread, size=n)
        t = start + np.cumsum(gaps) - gaps[0]
        parts.append(t[t < end])
    return np.concatenate(parts)


def _flood_period(vehicle: Vehicle, nominal: float) -> float:
    """The flood period, stretched where the bus could not carry it on top of normal traffic.

    An 8-byte flood frame takes 0.22 ms at 500 kbit/s, so a 0.3 ms DoS alone
    fills 74 % of the bus; beyond ``MAX_LOAD`` the serialised timestamps would
    drift further behind with every frame.
    """
    tx = (FRAME_OVERHEAD_BITS + 64) / vehicle.bitrate
    return max(nominal, tx / max(MAX_LOAD - vehicle.load, 0.05))


def _no_drop(scene: Scene) -> np.ndarray:
    return np.zeros(len(scene.bus.msg), dtype=bool)


def _dos(scene: Scene) -> Injection:
    t = _ticks(scene.rng, scene.intervals, _flood_period(scene.vehicle, 0.3e-3), 0.1)
    return Injection(
        Frames.injected(t, np.int64(0), np.int64(8), np.uint8(0)), _no_drop(scene), (0,)
    )


def _fuzzing(scene: Scene) -> Injection:
    t = _ticks(scene.rng, scene.intervals, _flood_period(scene.vehicle, 0.75e-3), 1 / 3)
    ids = scene.rng.integers(0, 0x800, size=len(t))
    payload = scene.rng.integers(0, 256, size=(len(t), 8), dtype=np.uint8)
    return Injection(Frames.injected(t, ids, np.int64(8), payload), _no_drop(scene), ())


def _spoofing(scene: Scene) -> Injection:
    vehicle, rng = scene.vehicle, scene.rng
    m = vehicle.roles["gear" if rng.random() < 0.5 else "engine"]
    layout = vehicle.layouts[m]
    drive = scene.drive.forged(forge_values(vehicle, signal_sources(layout), rng))
    counter = np.array([rng.integers(0, 16)])
    payload = encode(layout, counter, scene.intervals[:1, 0], drive)  # noiseless: constant
    t = _ticks(rng, scene.intervals, _flood_period(vehicle, 1e-3), 0.1)
    frames = Frames.injected(t, vehicle.ids[m], vehicle.dlc[m], payload[0])
    return Injection(frames, _no_drop(scene), (int(vehicle.ids[m]),))


def _replay(scene: Scene) -> Injection:
    vehicle, rng, legit = scene.vehicle, scene.rng, scene.bus.frames
    fast = np.flatnonzero(vehicle.cycle <= FAST_CYCLE)
    chosen = rng.choice(fast, size=min(len(fast), int(rng.integers(2, 5))), replace=False)
    of_chosen = np.isin(scene.bus.msg, chosen)
    parts = []
    for start, end in scene.intervals:
        length = min(end - start, start)  # loop a shorter recording if needed
        origin = rng.uniform(0.0, start - length)
        recorded = np.flatnonzero(of_chosen & (legit.t >= origin) & (legit.t < origin + length))
        loops = int(np.ceil((end - start) / length))
        shifts = start - origin + length * np.arange(loops)
        t = (legit.t[recorded][None, :] + shifts[:, None]).ravel()
        rows = np.tile(recorded, loops)[t < end]
        copied = legit.take(rows)
        parts.append(Frames.injected(t[t < end], copied.ids, copied.dlc, copied.payload))
    targets = tuple(sorted(int(i) for i in vehicle.ids[chosen]))
    return Injection(Frames.concat(parts), _no_drop(scene), targets)


def _ecu_messages(vehicle: Vehicle, ecu: int) -> np.ndarray:
    return np.flatnonzero(vehicle.ecu == ecu)


def _silence(scene: Scene, ecu: int) -> np.ndarray:
    """Mask of the ECU's legit frames inside the attack intervals."""
    of_ecu = np.isin(scene.bus.msg, _ecu_messages(scene.vehicle, ecu))
    return of_ecu & inside(scene.bus.frames.t, scene.intervals)


def _suppression(scene: Scene) -> Injection:
    ecu = int(scene.rng.integers(scene.vehicle.ecus))
    targets = tuple(sorted(int(i) for i in scene.vehicle.ids[_ecu_messages(scene.vehicle, ecu)]))
    return Injection(Frames.empty(), _silence(scene, ecu), targets)


def _masquerade_victim(vehicle: Vehicle, rng: np.random.Generator) -> int:
    """An ECU with a fast, signal-carrying message: impersonating it leaves a trace.

    The engine ECU (0) is left to spoofing, so the two attacks stay distinct.
    """
    lively = [
        m
        for m in range(len(vehicle.ids))
        if vehicle.cycle[m] <= FAST_CYCLE and signal_sources(vehicle.layouts[m])
    ]
    candidates = sorted({int(vehicle.ecu[m]) for m in lively} - {0}) or list(range(vehicle.ecus))
    return int(rng.choice(candidates))


def _masquerade(scene: Scene) -> Injection:
    vehicle, rng = scene.vehicle, scene.rng
    ecu = _masquerade_victim(vehicle, rng)
    messages = _ecu_messages(vehicle, ecu)
    drop = _silence(scene, ecu)
    sources = set().union(*(signal_sources(vehicle.layouts[m]) for m in messages))
    drive = scene.drive.forged(forge_values(vehicle, sources, rng))
    # The attacker keeps the victim's schedule, but on its own (slightly different) clock.
    skew = 1.0 + vehicle.drift[ecu] + rng.normal(0.0, 150e-6)
    parts = [_impersonate(scene, int(m), drop, drive, skew) for m in messages]
    targets = tuple(sorted(int(i) for i in vehicle.ids[messages]))
    return Injection(Frames.concat(parts), drop, targets)


def _impersonate(scene: Scene, m: int, drop: np.ndarray, drive: Drive, skew: float) -> Frames:
    """Frames of message ``m`` sent by the attacker in every interval."""
    vehicle, rng, legit = scene.vehicle, scene.rng, scene.bus.frames
    period, sd = vehicle.cycle[m] * skew, 1.5 * vehicle.jitter[m] * vehicle.cycle[m]
    parts = [Frames.empty()]
    for start, end in scene.intervals:
        silenced = legit.t[drop & (scene.bus.msg == m) & (legit.t >= start) & (legit.t < end)]
        first = silenced.min() if len(silenced) else start + rng.uniform(0.0, period)
        slot = np.arange(max(int(np.ceil((end - first) / period)), 0))
        t = first + slot * period + sd * rng.standard_normal(len(slot))
        slot, t = slot[(t >= start) & (t < end)], t[(t >= start) & (t < end)]
        counter = slot + rng.integers(0, 16)  # the attacker's counter starts anywhere
        payload = encode(vehicle.layouts[m], counter, t, drive, rng)
        parts.append(Frames.injected(t, vehicle.ids[m], vehicle.dlc[m], payload))
    return Frames.concat(parts)


ATTACK_MODELS: dict[str, Callable[[Scene], Injection]] = {
    "dos": _dos,
    "fuzzing": _fuzzing,
    "spoofing": _spoofing,
    "replay": _replay,
    "suppression": _suppression,
    "masquerade": _masquerade,
}
ATTACKS = tuple(ATTACK_MODELS)
