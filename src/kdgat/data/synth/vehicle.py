"""Vehicles: the static description of a simulated bus, drawn from a seed.

A *vehicle* is a set of ECUs. Each ECU sends one or more periodic messages
with a distinct 11-bit id, a nominal cycle (10 ms to 1 s, round automotive
values, fast messages getting the low, high-priority ids), gaussian jitter of
a few percent of the cycle, a per-ECU clock drift, a fixed DLC and a payload
layout (see ``layouts``).

What ids, periods, lengths and payload conventions a vehicle uses comes from
its manufacturer's ``Profile``: the training vehicle is built to ``HOME``, the
"unknown vehicle" to a ``rival_profile`` drawn from the seed, which differs
the way vehicles of two makers do (own id range, period menu, DLC mix, byte
order and counter/checksum placement).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from kdgat.data.synth.layouts import (
    ByteOrder,
    ChecksumMode,
    Field,
    Pool,
    conform,
    core_layout,
    generic_layout,
)

BITRATES = (500_000, 1_000_000)  # bit/s of high-speed CAN; the faster one for busy vehicles
MAX_LEGIT_LOAD = 0.35  # a vehicle busier than this at 500 kbit/s runs at 1 Mbit/s
FRAME_OVERHEAD_BITS = 47  # SOF, 11-bit id, control, CRC, ACK, EOF, interframe space
ID_LOW, ID_HIGH = 0x0A0, 0x6FF
# Round periods as ECU schedulers use them; weights favour fast and 100 ms messages.
CYCLES_MS = np.array([10, 12.5, 20, 25, 30, 40, 50, 100, 200, 250, 500, 1000], dtype=np.float64)
CYCLE_WEIGHTS = np.array([1.0, 0.4, 1.0, 0.6, 0.3, 0.4, 0.9, 1.5, 0.6, 0.4, 0.6, 1.0])
SHARED_CYCLE = 0.4  # chance that a message runs in the same task (period) as its ECU's first
DLC_WEIGHTS = np.array([0.03, 0.03, 0.04, 0.04, 0.06, 0.05, 0.08, 0.04, 0.63])
# Periods other makers choose from (each uses a few of them).
ROUND_CYCLES_MS = (10, 12.5, 15, 20, 25, 30, 40, 50, 80, 100, 150, 200, 250, 300, 500, 1000)


@dataclass(frozen=True, eq=False)
class Profile:
    """A manufacturer's conventions, shared by all its vehicles.

    Attributes:
        id_range: Lowest and highest id its messages use.
        cycles_ms: The periods its ECUs are scheduled at, and ``cycle_weights`` how often.
        dlc_weights: Share of the non-core messages with DLC 0..8 (sums to 1).
        order: Byte order of multi-byte signals.
        tail_first: Checksum and counter open the payload (else they close it).
        checksum: The one checksum kind it uses, or None for a mix.
    """

    id_range: tuple[int, int]
    cycles_ms: np.ndarray
    cycle_weights: np.ndarray
    dlc_weights: np.ndarray
    order: ByteOrder = "big"
    tail_first: bool = False
    checksum: ChecksumMode | None = None


HOME = Profile((ID_LOW, ID_HIGH), CYCLES_MS, CYCLE_WEIGHTS, DLC_WEIGHTS)


def rival_profile(rng: np.random.Generator, home: Profile = HOME) -> Profile:
    """Another manufacturer than ``home``, as real ones differ.

    Its ids lie in a range of its own (from 0x001-0x03F up to 0x400-0x7EF),
    denser in low ids, and overlap ``home``'s only by chance; it schedules 5-8
    round periods with its own weights; its DLC 8 share is clearly lower or
    higher; it uses the other byte order and the other counter/checksum
    placement, and one checksum kind.
    """
    low, high = int(rng.integers(0x001, 0x040)), int(rng.integers(0x400, 0x7F0))
    menu = np.sort(rng.choice(ROUND_CYCLES_MS, size=int(rng.integers(5, 9)), replace=False))
    full = rng.uniform(0.3, 0.45) if rng.random() < 0.5 else rng.uniform(0.8, 0.95)
    dlc_weights = np.append(rng.dirichlet(np.ones(8)) * (1.0 - full), full)
    return Profile(
        id_range=(low, high),
        cycles_ms=menu.astype(np.float64),
        cycle_weights=rng.dirichlet(np.full(len(menu), 2.0)),
        dlc_weights=dlc_weights,
        order="little" if home.order == "big" else "big",
        tail_first=not home.tail_first,
        checksum="xor" if rng.random() < 0.5 else "sum",
    )


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
        """Number of ECUs (one clock drift each)."""
        return len(self.drift)

    @property
    def load(self) -> float:
        """Fraction of the bus time the legitimate traffic occupies."""
        return bus_load(self.dlc, self.cycle, self.bitrate)


def bus_load(dlc: np.ndarray, cycle: np.ndarray, bitrate: int) -> float:
    """Fraction of the time a bus is busy with periodic messages of these DLCs and cycles."""
    return float(np.sum((FRAME_OVERHEAD_BITS + 8 * dlc) / bitrate / cycle))


def rng_for(seed: int, name: str) -> np.random.Generator:
    """A generator that depends only on ``seed`` and ``name`` (e.g. a file name)."""
    words = np.frombuffer(hashlib.sha256(name.encode()).digest(), dtype="<u4")
    return np.random.default_rng(np.random.SeedSequence([seed % 2**64, *words.tolist()]))


def make_vehicle(rng: np.random.Generator, ecus: int, profile: Profile = HOME) -> Vehicle:
    """Draw a vehicle of ``profile``'s maker with ``ecus`` ECUs (at least one message each)."""
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
    pool = Pool(rng)
    dlc, cycle, layouts = _messages(rng, ecu, roles, pool, profile)
    return Vehicle(
        ids=_assign_ids(rng, cycle, profile.id_range),
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
    rng: np.random.Generator,
    ecu: np.ndarray,
    roles: Mapping[str, int],
    pool: Pool,
    profile: Profile,
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
    cycle_p = profile.cycle_weights / profile.cycle_weights.sum()
    for m in range(len(ecu)):
        role = by_index.get(m)
        if role is None:
            dlc[m] = rng.choice(9, p=profile.dlc_weights)
            cycle_ms[m] = rng.choice(profile.cycles_ms, p=cycle_p)
            if int(ecu[m]) in task and rng.random() < SHARED_CYCLE:
                cycle_ms[m] = task[int(ecu[m])]
            layout = generic_layout(rng, int(dlc[m]), pool)
        else:
            cycle_ms[m] = rng.choice(core_cycles[role])
            layout = core_layout(rng, role)
            dlc[m] = 1 + max(f.byte + f.width - 1 for f in layout)
        task.setdefault(int(ecu[m]), float(cycle_ms[m]))
        layouts.append(conform(layout, profile.order, profile.tail_first, profile.checksum))
    return dlc, cycle_ms / 1000.0, tuple(layouts)


def _assign_ids(
    rng: np.random.Generator, cycle: np.ndarray, id_range: tuple[int, int]
) -> np.ndarray:
    """Distinct ids in ``id_range``; faster messages tend to get lower (higher-priority) ids."""
    low, high = id_range
    ids = np.sort(rng.choice(np.arange(low, high + 1), size=len(cycle), replace=False))
    rank = np.argsort(np.argsort(np.log(cycle) + rng.normal(0.0, 0.8, size=len(cycle))))
    return ids[rank].astype(np.int64)
