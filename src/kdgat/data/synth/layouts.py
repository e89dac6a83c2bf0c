"""Payload layouts: the fields of each message and how they are drawn.

Payloads are laid out in fields: a rolling counter nibble, a checksum byte
(XOR or sum of the bytes before it), constant bytes, rarely changing status
flags, and physical signals of the simulated drive (see ``drive``), plus free
slow random walks. Many messages carry scaled copies of the same physical
signal, so payloads are correlated across ids as on a real bus.

Layouts are drawn in one style (big-endian signals, counter and checksum at the
end); ``conform`` moves them into another manufacturer's conventions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

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

FieldKind = Literal["const", "counter", "checksum", "signal", "flags"]
ByteOrder = Literal["big", "little"]
ChecksumMode = Literal["xor", "sum"]


@dataclass(frozen=True)
class Field:
    """One field of a message payload.

    ``signal`` fields encode ``raw = gain * value + bias`` (+ gaussian noise of
    ``noise`` raw units) over ``width`` bytes in byte ``order``. ``value`` is
    the byte of a ``const``, the fixed high nibble of a ``counter`` and the
    salt of a ``checksum``, which covers every other byte of the payload.
    """

    kind: FieldKind
    byte: int
    width: int = 1
    source: str = ""
    gain: float = 1.0
    bias: float = 0.0
    noise: float = 0.0
    value: int = 0
    mode: ChecksumMode = "xor"
    order: ByteOrder = "big"


class Pool:
    """Hands out names of free signals while layouts are drawn."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.walks = 0
        self.flags: list[np.ndarray] = []

    def walk(self) -> str:
        """A fresh random-walk signal name (``w0``, ``w1``, ...)."""
        self.walks += 1
        return f"w{self.walks - 1}"

    def flag(self) -> str:
        """A fresh status-flag signal (``f0``, ...), drawing the 2-4 byte values it can take."""
        states = self.rng.choice(256, size=int(self.rng.integers(2, 5)), replace=False)
        self.flags.append(states.astype(np.uint8))
        return f"f{len(self.flags) - 1}"


def _counter(rng: np.random.Generator, byte: int) -> Field:
    return Field("counter", byte, value=int(rng.integers(0, 16)))


def _checksum_field(rng: np.random.Generator, byte: int) -> Field:
    mode: ChecksumMode = "xor" if rng.random() < 0.5 else "sum"
    return Field("checksum", byte, value=int(rng.integers(0, 256)), mode=mode)


def _tail(rng: np.random.Generator, counter_byte: int, checksum_byte: int) -> list[Field]:
    return [_counter(rng, counter_byte), _checksum_field(rng, checksum_byte)]


def _const(rng: np.random.Generator, byte: int) -> Field:
    # Real constant bytes are mostly 0x00 or 0xFF, sometimes an arbitrary code.
    value = rng.choice([0x00, 0xFF, int(rng.integers(0, 256))], p=[0.5, 0.2, 0.3])
    return Field("const", byte, value=int(value))


def core_layout(rng: np.random.Generator, role: str) -> tuple[Field, ...]:
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


def generic_layout(rng: np.random.Generator, dlc: int, pool: Pool) -> tuple[Field, ...]:
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


def _signal_field(rng: np.random.Generator, byte: int, width: int, pool: Pool) -> Field:
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


def conform(
    layout: tuple[Field, ...], order: ByteOrder, tail_first: bool, checksum: ChecksumMode | None
) -> tuple[Field, ...]:
    """The layout in a manufacturer's conventions.

    Multi-byte signals go in byte ``order``; with ``tail_first`` the checksum
    moves to byte 0 and the counter right after it (as in AUTOSAR E2E), the
    other fields shifting back; ``checksum`` fixes every checksum's mode.
    Layouts are drawn with counter and checksum in their last bytes.
    """
    tail = [f.kind for f in layout if f.kind in ("counter", "checksum")]
    moved = []
    for f in layout:
        if f.kind == "signal" and f.width > 1:
            f = replace(f, order=order)
        if f.kind == "checksum" and checksum is not None:
            f = replace(f, mode=checksum)
        if tail_first:
            head = {"checksum": 0, "counter": int("checksum" in tail)}
            f = replace(f, byte=head.get(f.kind, f.byte + len(tail)))
        moved.append(f)
    return tuple(moved)
