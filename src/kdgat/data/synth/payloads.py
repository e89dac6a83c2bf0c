"""Payload encoding: drive signals into the bytes of each message's layout."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kdgat.data.synth.drive import Drive
from kdgat.data.synth.layouts import RANGES, Field
from kdgat.data.synth.vehicle import Vehicle


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
            out[:, f.byte] = _checksum(out, f)
    return out


def _put_signal(
    out: np.ndarray, f: Field, value: np.ndarray, rng: np.random.Generator | None
) -> None:
    raw = f.gain * value + f.bias
    if rng is not None and f.noise > 0:
        raw = raw + rng.normal(0.0, f.noise, size=len(raw))
    raw_int = np.clip(np.rint(raw), 0, 256**f.width - 1).astype(np.int64)
    for i in range(f.width):
        shift = 8 * (i if f.order == "little" else f.width - 1 - i)
        out[:, f.byte + i] = (raw_int >> shift) & 0xFF


def _checksum(payload: np.ndarray, f: Field) -> np.ndarray:
    """Checksum ``f`` of ``(n, 8)`` payloads: every byte but its own (bytes past the DLC are 0)."""
    covered = np.delete(payload, f.byte, axis=1)
    if f.mode == "xor":
        return np.bitwise_xor.reduce(covered, axis=1) ^ np.uint8(f.value)
    return ((covered.sum(axis=1, dtype=np.int64) + f.value) & 0xFF).astype(np.uint8)


def signal_sources(layout: Sequence[Field]) -> set[str]:
    """The signals a payload layout carries: what an attacker must forge to spoof it."""
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
