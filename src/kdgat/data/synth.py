"""Synthetic in-vehicle CAN bus: the default dataset of the pipeline.

A *vehicle* is a set of ECUs drawn from a seed. Each ECU sends one or more
periodic messages with a distinct 11-bit id, a nominal cycle (10 ms to 1 s,
round automotive values, fast messages getting the low, high-priority ids),
gaussian jitter of a few percent of the cycle, a per-ECU clock drift, and a
fixed DLC. Payloads are laid out in fields: a rolling counter nibble, a
checksum byte (XOR or sum of the bytes before it), constant bytes, rarely
changing status flags, and physical signals of one simulated drive: speed (a
bounded random walk with stops), gear (step-wise, with hysteresis), RPM (from
speed and gear), throttle, brake, steering angle and coolant temperature, plus
free slow random walks. Many messages carry scaled copies of the same
physical signal, so payloads are correlated across ids as on a real bus.

Frames of all messages are merged in time order and serialised on a
500 kbit/s bus (1 Mbit/s for vehicles whose traffic would fill more than a
third of it): a frame starts no earlier than the end of the previous one, so
floods delay legitimate traffic as they do on a real bus. Floods are slowed
down where the bus could not carry them (see ``_flood_period``). Timestamps are
whole microseconds after ``EPOCH_S`` plus a seeded per-capture offset.

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

Files follow the benchmark split-folder naming (see ``capture_names``) in the
``can_csv`` layout. Every capture draws from its own generator seeded by
(seed, file name), so output is byte-identical for the same parameters and
does not depend on which other captures are made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from kdgat.io import atomic_path

ATTACKS = ("dos", "fuzzing", "spoofing", "replay", "suppression", "masquerade")
NORMAL = "normal"
EPOCH_S = 1_672_531_200  # 2023-01-01T00:00:00Z
BITRATES = (500_000, 1_000_000)  # bit/s of high-speed CAN; the faster one for busy vehicles
MAX_LEGIT_LOAD = 0.35  # a vehicle busier than this at 500 kbit/s runs at 1 Mbit/s
MAX_LOAD = 0.95  # floods are slowed down to keep the bus below this (else queues grow forever)
FRAME_OVERHEAD_BITS = 47  # SOF, 11-bit id, control, CRC, ACK, EOF, interframe space
ID_LOW, ID_HIGH = 0x0A0, 0x6FF
# Round periods as ECU schedulers use them; weights favour fast and 100 ms messages.
CYCLES_MS = np.array([10, 12.5, 20, 25, 30, 40, 50, 100, 200, 250, 500, 1000], dtype=np.float64)
CYCLE_WEIGHTS = np.array([1.0, 0.4, 1.0, 0.6, 0.3, 0.4, 0.9, 1.5, 0.6, 0.4, 0.6, 1.0])
SHARED_CYCLE = 0.4  # chance that a message runs in the same task (period) as its ECU's first
DLC_WEIGHTS = np.array([0.03, 0.03, 0.04, 0.04, 0.06, 0.05, 0.08, 0.04, 0.63])
GRID_DT = 0.1  # seconds between samples of the simulated drive
FAST_CYCLE = 0.1  # replay and masquerade prefer ids at least this fast, so they leave a trace
SCENARIO_NUMBERS = {
    "known_vehicle_known_attack": 1,
    "unknown_vehicle_known_attack": 2,
    "known_vehicle_unknown_attack": 3,
    "unknown_vehicle_unknown_attack": 4,
}
HEADER = b"timestamp,arbitration_id,data_field,attack\n"

# Physical range of each drive signal; free random walks "w<i>" live in 0..1.
RANGES = {
    "speed": (0.0, 180.0),  # km/h
    "rpm": (0.0, 7000.0),
    "gear": (1.0, 6.0),
    "throttle": (0.0, 100.0),  # %
    "brake": (0.0, 100.0),  # %
    "steer": (-450.0, 450.0),  # degrees
    "coolant": (-40.0, 130.0),  # deg C
}
SHIFT_UP_KMH = np.array([15.0, 30.0, 50.0, 70.0, 90.0])  # to gears 2..6
SHIFT_HYSTERESIS_KMH = 6.0
RPM_PER_KMH = np.array([0.0, 125.0, 70.0, 48.0, 36.0, 29.0, 24.0])  # by gear
IDLE_RPM = 780.0

FieldKind = Literal["const", "counter", "checksum", "signal", "flags"]


@dataclass(frozen=True)
class Field:
    """One field of a message payload.

    ``signal`` fields encode ``raw = gain * value + bias`` (+ gaussian noise of
    ``noise`` raw units) big-endian over ``width`` bytes. ``value`` is the
    byte of a ``const``, the fixed high nibble of a ``counter`` and the salt
    of a ``checksum``.
    """

    kind: FieldKind
    byte: int
    width: int = 1
    source: str = ""
    gain: float = 1.0
    bias: float = 0.0
    noise: float = 0.0
    value: int = 0
    mode: Literal["xor", "sum"] = "xor"


@dataclass(frozen=True, eq=False)
class Vehicle:
    """The static description of a simulated bus: one row per message.

    Attributes:
        ids: Distinct 11-bit arbitration ids.
        ecu: Index of the ECU sending each message.
        cycle: Nominal period of each message, seconds.
        jitter: Standard deviation of each message's send time, fraction of its cycle.
        dlc: Fixed data length of each message.
        layouts: Payload fields of each message; a checksum comes last.
        drift: Relative clock error of each ECU (its messages run that much slow).
        roles: Message index of the core messages "engine", "gear", "speed", "steering".
        walks: Number of free random-walk signals "w0", "w1", ...
        flags: Byte values each status-flag signal "f0", "f1", ... can take.
        flag_rates: Mean state changes per second of each flag signal.
        bitrate: Bus speed in bit/s.
    """

    ids: np.ndarray
    ecu: np.ndarray
    cycle: np.ndarray
    jitter: np.ndarray
    dlc: np.ndarray
    layouts: tuple[tuple[Field, ...], ...]
    drift: np.ndarray
    roles: Mapping[str, int]
    walks: int
    flags: tuple[np.ndarray, ...]
    flag_rates: np.ndarray
    bitrate: int

    @property
    def ecus(self) -> int:
        return len(self.drift)

    @property
    def load(self) -> float:
        """Fraction of the bus time the legitimate traffic occupies."""
        return bus_load(self.dlc, self.cycle, self.bitrate)


def bus_load(dlc: np.ndarray, cycle: np.ndarray, bitrate: int) -> float:
    """Fraction of the time a bus is busy with periodic messages of these DLCs and cycles."""
    return float(np.sum((FRAME_OVERHEAD_BITS + 8 * dlc) / bitrate / cycle))


@dataclass(frozen=True, eq=False)
class Capture:
    """One simulated capture, frames sorted by time.

    Attributes:
        timestamp: Seconds since the Unix epoch, whole microseconds (float64).
        arbitration_id: 11-bit ids (uint32).
        dlc: Data length of each frame (uint8).
        payload: ``(n, 8)`` uint8; bytes past the DLC are zero.
        label: 1 for attack frames (see the module docstring for suppression).
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


# ---------------------------------------------------------------------------- seeds


def rng_for(seed: int, name: str) -> np.random.Generator:
    """A generator that depends only on ``seed`` and ``name`` (e.g. a file name)."""
    words = np.frombuffer(hashlib.sha256(name.encode()).digest(), dtype="<u4")
    return np.random.default_rng(np.random.SeedSequence([seed % 2**64, *words.tolist()]))


# ---------------------------------------------------------------------------- vehicle


class _Pool:
    """Hands out names of free signals while layouts are drawn."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.walks = 0
        self.flags: list[np.ndarray] = []

    def walk(self) -> str:
        self.walks += 1
        return f"w{self.walks - 1}"

    def flag(self) -> str:
        states = self.rng.choice(256, size=int(self.rng.integers(2, 5)), replace=False)
        self.flags.append(states.astype(np.uint8))
        return f"f{len(self.flags) - 1}"


def make_vehicle(rng: np.random.Generator, ecus: int) -> Vehicle:
    """Draw a vehicle with ``ecus`` ECUs (at least one message each)."""
    if ecus < 1:
        raise ValueError(f"a vehicle needs at least one ECU, got ecus={ecus}")
    core = {"engine": 0, "gear": 1 % ecus, "speed": 2 % ecus, "steering": 3 % ecus}
    per_ecu = 1 + rng.binomial(5, 0.5, size=ecus)
    # Core messages sit on fixed ECUs; make room when few ECUs share them.
    per_ecu = np.maximum(per_ecu, np.bincount(list(core.values()), minlength=ecus))
    ecu = np.repeat(np.arange(ecus), per_ecu)
    first = np.cumsum(per_ecu) - per_ecu
    roles, used = {}, np.zeros(ecus, dtype=np.int64)
    for role, owner in core.items():
        roles[role] = int(first[owner] + used[owner])
        used[owner] += 1
    pool = _Pool(rng)
    dlc, cycle, layouts = _messages(rng, ecu, roles, pool)
    return Vehicle(
        ids=_assign_ids(rng, cycle),
        ecu=ecu,
        cycle=cycle,
        jitter=rng.uniform(0.005, 0.03, size=len(ecu)),
        dlc=dlc,
        layouts=layouts,
        drift=rng.normal(0.0, 40e-6, size=ecus),
        roles=roles,
        walks=pool.walks,
        flags=tuple(pool.flags),
        flag_rates=10 ** rng.uniform(-2.0, -0.7, size=len(pool.flags)),
        bitrate=next(
            (b for b in BITRATES if bus_load(dlc, cycle, b) <= MAX_LEGIT_LOAD), BITRATES[-1]
        ),
    )


def _messages(
    rng: np.random.Generator, ecu: np.ndarray, roles: Mapping[str, int], pool: _Pool
) -> tuple[np.ndarray, np.ndarray, tuple[tuple[Field, ...], ...]]:
    """DLC, cycle (s) and payload layout of every message (``ecu``: sender of each)."""
    core_cycles = {
        "engine": [10, 20],
        "gear": [10, 20, 50],
        "speed": [10, 20],
        "steering": [10, 20],
    }
    by_index = {index: role for role, index in roles.items()}
    dlc = np.empty(len(ecu), dtype=np.int64)
    cycle_ms = np.empty(len(ecu), dtype=np.float64)
    task: dict[int, float] = {}  # period of each ECU's first message
    layouts = []
    for m in range(len(ecu)):
        role = by_index.get(m)
        if role is None:
            dlc[m] = rng.choice(9, p=DLC_WEIGHTS)
            cycle_ms[m] = rng.choice(CYCLES_MS, p=CYCLE_WEIGHTS / CYCLE_WEIGHTS.sum())
            if int(ecu[m]) in task and rng.random() < SHARED_CYCLE:
                cycle_ms[m] = task[int(ecu[m])]
            layout = _generic_layout(rng, int(dlc[m]), pool)
        else:
            cycle_ms[m] = rng.choice(core_cycles[role])
            layout = _core_layout(rng, role)
            dlc[m] = 1 + max(f.byte + f.width - 1 for f in layout)
        task.setdefault(int(ecu[m]), float(cycle_ms[m]))
        layouts.append(layout)
    return dlc, cycle_ms / 1000.0, tuple(layouts)


def _assign_ids(rng: np.random.Generator, cycle: np.ndarray) -> np.ndarray:
    """Distinct ids; faster messages tend to get lower (higher-priority) ids."""
    ids = np.sort(rng.choice(np.arange(ID_LOW, ID_HIGH + 1), size=len(cycle), replace=False))
    rank = np.argsort(np.argsort(np.log(cycle) + rng.normal(0.0, 0.8, size=len(cycle))))
    return ids[rank].astype(np.int64)


def _counter(rng: np.random.Generator, byte: int) -> Field:
    return Field("counter", byte, value=int(rng.integers(0, 16)))


def _checksum_field(rng: np.random.Generator, byte: int) -> Field:
    mode: Literal["xor", "sum"] = "xor" if rng.random() < 0.5 else "sum"
    return Field("checksum", byte, value=int(rng.integers(0, 256)), mode=mode)


def _tail(rng: np.random.Generator, counter_byte: int, checksum_byte: int) -> list[Field]:
    return [_counter(rng, counter_byte), _checksum_field(rng, checksum_byte)]


def _const(rng: np.random.Generator, byte: int) -> Field:
    # Real constant bytes are mostly 0x00 or 0xFF, sometimes an arbitrary code.
    value = rng.choice([0x00, 0xFF, int(rng.integers(0, 256))], p=[0.5, 0.2, 0.3])
    return Field("const", byte, value=int(value))


def _core_layout(rng: np.random.Generator, role: str) -> tuple[Field, ...]:
    """Fixed, realistic encodings of the powertrain and chassis messages."""
    if role == "engine":
        fields = [
            Field("signal", 0, 2, "rpm", gain=4.0),  # 0.25 rpm/bit
            Field("signal", 2, 1, "throttle", gain=2.5),  # 0.4 %/bit
            Field("signal", 3, 1, "coolant", bias=40.0),
            _const(rng, 4),
            _const(rng, 5),
        ]
        return (*fields, *_tail(rng, 6, 7))
    if role == "gear":
        fields = [
            Field("signal", 0, 1, "gear"),
            Field("signal", 1, 1, "speed"),
            Field("signal", 2, 1, "rpm", gain=1 / 32),
            _const(rng, 3),
            _const(rng, 4),
            _const(rng, 5),
        ]
        return (*fields, *_tail(rng, 6, 7))
    if role == "speed":
        fields = [
            Field("signal", 0, 2, "speed", gain=100.0),  # 0.01 km/h
            Field("signal", 2, 2, "speed", gain=100.0, noise=6.0),  # one wheel, noisier
            Field("signal", 4, 1, "brake", gain=2.55),
            _const(rng, 5),
        ]
        return (*fields, *_tail(rng, 6, 7))
    fields = [
        Field("signal", 0, 2, "steer", gain=10.0, bias=32768.0),
        _const(rng, 2),
        _const(rng, 3),
    ]
    return (*fields, *_tail(rng, 4, 5))


def _generic_layout(rng: np.random.Generator, dlc: int, pool: _Pool) -> tuple[Field, ...]:
    """A random mix of signals, flags and constants, often with counter and checksum."""
    checksum = dlc >= 3 and rng.random() < 0.6
    counter = dlc >= 2 and rng.random() < 0.7
    end = dlc - int(checksum) - int(counter)
    fields: list[Field] = []
    byte = 0
    while byte < end:
        draw = rng.random()
        if draw < 0.25 and byte + 1 < end:
            fields.append(_signal_field(rng, byte, 2, pool))
            byte += 2
            continue
        if draw < 0.6:
            fields.append(_signal_field(rng, byte, 1, pool))
        elif draw < 0.7:
            fields.append(Field("flags", byte, source=pool.flag()))
        else:
            fields.append(_const(rng, byte))
        byte += 1
    if counter:
        fields.append(_counter(rng, end))
    if checksum:  # last: it covers every byte before it
        fields.append(_checksum_field(rng, dlc - 1))
    return tuple(fields)


def _signal_field(rng: np.random.Generator, byte: int, width: int, pool: _Pool) -> Field:
    """A signal scaled into a random part of the raw range of ``width`` bytes."""
    if rng.random() < 0.45:
        source = str(rng.choice(["speed", "rpm", "throttle", "brake", "steer", "coolant"]))
        low, high = RANGES[source]
    else:
        source, low, high = pool.walk(), 0.0, 1.0
    top = 256.0**width - 1
    span = top * rng.uniform(0.3, 1.0)
    start = rng.uniform(0.0, top - span)
    gain = span / (high - low)
    noise = rng.uniform(0.0, 1.5) * (8.0 if width == 2 else 1.0) if rng.random() < 0.5 else 0.0
    return Field("signal", byte, width, source, gain=gain, bias=start - low * gain, noise=noise)


# ---------------------------------------------------------------------------- drive


@dataclass(frozen=True)
class Drive:
    """Signals of one simulated drive on a grid of ``GRID_DT`` seconds.

    ``smooth`` signals are interpolated between grid points, ``step`` signals
    (gear, flags) hold their value.
    """

    smooth: Mapping[str, np.ndarray]
    step: Mapping[str, np.ndarray]

    def at(self, name: str, t: np.ndarray) -> np.ndarray:
        """Values of signal ``name`` at times ``t`` (seconds since capture start)."""
        x = np.maximum(t, 0.0) / GRID_DT
        index = x.astype(np.int64)
        if name in self.step:
            grid = self.step[name]
            return grid[np.minimum(index, len(grid) - 1)]
        grid = self.smooth[name]
        index = np.minimum(index, len(grid) - 2)
        weight = x - index
        return grid[index] * (1.0 - weight) + grid[index + 1] * weight

    def forged(self, values: Mapping[str, float]) -> Drive:
        """A copy in which the named signals are frozen at the given values."""
        smooth = {
            k: np.full_like(v, values[k]) if k in values else v for k, v in self.smooth.items()
        }
        step = {k: np.full_like(v, values[k]) if k in values else v for k, v in self.step.items()}
        return Drive(smooth, step)


def _smooth_noise(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Zero-mean, unit-variance gaussian noise correlated over ``sigma`` samples."""
    half = int(3 * sigma) + 1
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    kernel /= np.sqrt(np.sum(kernel**2))
    return np.convolve(rng.standard_normal(n + 2 * half), kernel, mode="valid")


def _fold(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Reflect ``x`` into [low, high]: a random walk bouncing off both bounds."""
    span = high - low
    return low + span - np.abs(np.mod(x - low, 2 * span) - span)


def _hysteresis(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """1 once ``x`` has risen to ``high``, 0 once it has fallen to ``low`` (vectorised)."""
    state = np.where(x >= high, 1, np.where(x <= low, 0, -1))
    if state[0] < 0:
        state[0] = int(x[0] >= (low + high) / 2)
    known = np.where(state >= 0, np.arange(len(x)), 0)
    return state[np.maximum.accumulate(known)]


def make_drive(rng: np.random.Generator, vehicle: Vehicle, duration_s: float) -> Drive:
    """Simulate speed, gear, RPM and the other signals of one drive."""
    n = int(np.ceil(duration_s / GRID_DT)) + 2
    accel = 0.55 * _smooth_noise(rng, n, 20.0) + 0.2 * _smooth_noise(rng, n, 100.0)  # m/s^2
    # Speed bounces off -3 m/s and is clipped at 0: the car stops now and then.
    raw = rng.uniform(0.0, 30.0) + np.cumsum(accel) * GRID_DT
    speed = np.maximum(_fold(raw, -3.0, 50.0), 0.0) * 3.6  # km/h
    accel = np.gradient(speed / 3.6, GRID_DT)
    shifts = [_hysteresis(speed, up - SHIFT_HYSTERESIS_KMH, up) for up in SHIFT_UP_KMH]
    gear = 1 + np.sum(shifts, axis=0)  # one upshift threshold passed per gear above first
    throttle = np.clip(12.0 + 30.0 * accel + 0.15 * speed, 0.0, 100.0) * (accel > -0.3)
    brake = np.where(speed == 0.0, 15.0, np.clip(-40.0 * (accel + 0.3), 0.0, 100.0))
    rpm = np.maximum(IDLE_RPM, speed * RPM_PER_KMH[gear]) + 4.0 * throttle
    rpm = np.clip(rpm + 25.0 * _smooth_noise(rng, n, 3.0), 600.0, 6800.0)
    # Drivers steer more at low speed.
    steer = 200.0 * _smooth_noise(rng, n, 15.0) / (1.0 + speed / 20.0)
    start_temp = rng.uniform(20.0, 90.0)
    elapsed = np.arange(n) * GRID_DT
    coolant = 90.0 - (90.0 - start_temp) * np.exp(-elapsed / 400.0) + _smooth_noise(rng, n, 50.0)
    smooth = {
        "speed": speed,
        "rpm": rpm,
        "throttle": throttle,
        "brake": brake,
        "steer": np.clip(steer, -450.0, 450.0),
        "coolant": coolant,
    }
    for w in range(vehicle.walks):
        step = rng.uniform(0.005, 0.04) * _smooth_noise(rng, n, rng.uniform(5.0, 50.0))
        smooth[f"w{w}"] = _fold(rng.uniform() + np.cumsum(step), 0.0, 1.0)
    steps = {"gear": gear.astype(np.float64)}
    for f, states in enumerate(vehicle.flags):
        changes = np.cumsum(rng.random(n) < vehicle.flag_rates[f] * GRID_DT)
        picks = rng.integers(0, len(states), size=int(changes[-1]) + 1)
        steps[f"f{f}"] = states[picks[changes]].astype(np.float64)
    return Drive(smooth, steps)


# ---------------------------------------------------------------------------- payloads


def encode(
    layout: Sequence[Field],
    counter: np.ndarray,
    t: np.ndarray,
    drive: Drive,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Payloads ``(n, 8)`` of one message at times ``t``; noise only when ``rng`` is given."""
    out = np.zeros((len(t), 8), dtype=np.uint8)
    for f in layout:
        if f.kind == "const":
            out[:, f.byte] = f.value
        elif f.kind == "counter":
            out[:, f.byte] = (f.value << 4) | (counter & 0xF)
        elif f.kind == "flags":
            out[:, f.byte] = drive.at(f.source, t)
        elif f.kind == "signal":
            _put_signal(out, f, drive.at(f.source, t), rng)
    for f in layout:  # after everything it covers
        if f.kind == "checksum":
            out[:, f.byte] = _checksum(out[:, : f.byte], f)
    return out


def _put_signal(
    out: np.ndarray, f: Field, value: np.ndarray, rng: np.random.Generator | None
) -> None:
    raw = f.gain * value + f.bias
    if rng is not None and f.noise > 0:
        raw = raw + rng.normal(0.0, f.noise, size=len(raw))
    raw_int = np.clip(np.rint(raw), 0, 256**f.width - 1).astype(np.int64)
    for i in range(f.width):  # big-endian
        out[:, f.byte + i] = (raw_int >> (8 * (f.width - 1 - i))) & 0xFF


def _checksum(covered: np.ndarray, f: Field) -> np.ndarray:
    if f.mode == "xor":
        return np.bitwise_xor.reduce(covered, axis=1) ^ np.uint8(f.value)
    return ((covered.sum(axis=1, dtype=np.int64) + f.value) & 0xFF).astype(np.uint8)


def _sources(layout: Sequence[Field]) -> set[str]:
    return {f.source for f in layout if f.kind in ("signal", "flags")}


def forge_values(vehicle: Vehicle, sources: set[str], rng: np.random.Generator) -> dict[str, float]:
    """A plausible-looking but wrong constant for each signal an attacker forges."""
    values = {}
    for name in sorted(sources):
        if name == "gear":
            values[name] = float(rng.integers(1, 7))
        elif name.startswith("f"):
            values[name] = float(rng.choice(vehicle.flags[int(name[1:])]))
        else:
            low, high = RANGES.get(name, (0.0, 1.0))
            values[name] = float(rng.uniform(low, high))
    return values


# ---------------------------------------------------------------------------- frames


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
        return Frames(
            np.concatenate([p.t for p in parts]),
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.dlc for p in parts]),
            np.concatenate([p.payload for p in parts]),
            np.concatenate([p.label for p in parts]),
        )

    def take(self, index: np.ndarray) -> Frames:
        return Frames(
            self.t[index], self.ids[index], self.dlc[index], self.payload[index], self.label[index]
        )


@dataclass(frozen=True, eq=False)
class Bus:
    """Legitimate traffic of a capture: frames plus each frame's message and slot index."""

    frames: Frames
    msg: np.ndarray
    slot: np.ndarray


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
    return Bus(Frames(t, ids, dlc, payload, np.zeros(len(t), np.uint8)), msg, slot)


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


# ---------------------------------------------------------------------------- attacks


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


def _inside(t: np.ndarray, intervals: np.ndarray) -> np.ndarray:
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
    drive = scene.drive.forged(forge_values(vehicle, _sources(layout), rng))
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
    return of_ecu & _inside(scene.bus.frames.t, scene.intervals)


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
        if vehicle.cycle[m] <= FAST_CYCLE and _sources(vehicle.layouts[m])
    ]
    candidates = sorted({int(vehicle.ecu[m]) for m in lively} - {0}) or list(range(vehicle.ecus))
    return int(rng.choice(candidates))


def _masquerade(scene: Scene) -> Injection:
    vehicle, rng = scene.vehicle, scene.rng
    ecu = _masquerade_victim(vehicle, rng)
    messages = _ecu_messages(vehicle, ecu)
    drop = _silence(scene, ecu)
    sources = set().union(*(_sources(vehicle.layouts[m]) for m in messages))
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


# ---------------------------------------------------------------------------- capture


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
        label = _inside(us / 1e6, intervals).astype(np.uint8)
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


# ---------------------------------------------------------------------------- CSV

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
        tmp.chmod(0o644)  # the temporary file is private (0600); a dataset is for reading
    return path


# ---------------------------------------------------------------------------- dataset


@dataclass(frozen=True)
class Planned:
    """One capture of the dataset: file stem, attack, and which vehicle it runs on."""

    name: str
    attack: str
    unknown_vehicle: bool


def capture_names(
    attack_free_captures: int,
    train_attacks: Sequence[str],
    test_scenarios: Mapping[str, Sequence[str]],
) -> list[Planned]:
    """The captures of a dataset, named by the benchmark split-folder convention.

    ``train_01_attack_free__normal-<i>``, ``train_02_with_attacks__<attack>-<k>``
    and ``test_<NN>_<scenario>__<attack>-<k>``, where ``k`` counts repeats of an
    attack within a folder and ``NN`` is the benchmark number of the scenario
    (01-04), or the next free number from 05 for other scenarios in the order given.
    """
    planned = [
        Planned(f"train_01_attack_free__{NORMAL}-{i}", NORMAL, False)
        for i in range(1, attack_free_captures + 1)
    ]
    planned += _folder("train_02_with_attacks", train_attacks, unknown_vehicle=False)
    extra = iter(range(max(SCENARIO_NUMBERS.values()) + 1, 10**6))
    for scenario, attacks in test_scenarios.items():
        if not scenario.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"test scenario {scenario!r}: use letters, digits, '_' and '-' only")
        number = SCENARIO_NUMBERS.get(scenario) or next(extra)
        unknown = "unknown_vehicle" in scenario
        planned += _folder(f"test_{number:02d}_{scenario}", attacks, unknown_vehicle=unknown)
    return planned


def _folder(prefix: str, attacks: Sequence[str], *, unknown_vehicle: bool) -> list[Planned]:
    seen: dict[str, int] = {}
    planned = []
    for attack in attacks:
        if attack not in ATTACK_MODELS:
            raise ValueError(f"{prefix}: unknown attack {attack!r}; known: {', '.join(ATTACKS)}")
        seen[attack] = seen.get(attack, 0) + 1
        planned.append(Planned(f"{prefix}__{attack}-{seen[attack]}", attack, unknown_vehicle))
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
) -> list[Path]:
    """Simulate every capture of the dataset and write it to ``out`` as can_csv.

    Args:
        out: Folder for the ``.csv`` files (created if needed).
        seed: Master seed; each vehicle and each file has a sub-seed derived from it.
        ecus: Number of ECUs of each vehicle.
        duration_s: Length of every capture in seconds.
        attack_free_captures: Number of attack-free training captures.
        train_attacks: Attack of each training capture with attacks.
        test_scenarios: Attacks of each test scenario; a scenario whose name
            contains "unknown_vehicle" runs on a second, differently drawn vehicle.

    Returns:
        The paths written, in plan order.
    """
    planned = capture_names(attack_free_captures, train_attacks, test_scenarios)
    vehicles = {
        unknown: make_vehicle(rng_for(seed, f"vehicle:{'unknown' if unknown else 'known'}"), ecus)
        for unknown in (False, True)
    }
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for capture in planned:
        path = out / f"{capture.name}.csv"
        simulated = simulate(
            vehicles[capture.unknown_vehicle], capture.attack, duration_s, rng_for(seed, path.name)
        )
        paths.append(write_capture(path, simulated))
    return paths
