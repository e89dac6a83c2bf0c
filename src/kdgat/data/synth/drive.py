"""The simulated drive: physical signals the payloads carry.

Speed is a bounded random walk with stops, gear is step-wise with hysteresis,
RPM follows from speed and gear; throttle, brake, steering angle and coolant
temperature follow, plus the vehicle's free random walks and status flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from kdgat.data.synth.vehicle import Vehicle

GRID_DT = 0.1  # seconds between samples of the simulated drive
SHIFT_UP_KMH = np.array([15.0, 30.0, 50.0, 70.0, 90.0])  # to gears 2..6
SHIFT_HYSTERESIS_KMH = 6.0
RPM_PER_KMH = np.array([0.0, 125.0, 70.0, 48.0, 36.0, 29.0, 24.0])  # by gear
IDLE_RPM = 780.0


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
