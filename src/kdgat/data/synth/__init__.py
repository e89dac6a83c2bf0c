"""Synthetic in-vehicle CAN bus: the default dataset of the pipeline.

A *vehicle* is a set of ECUs drawn from a seed (``vehicle``) to its maker's
conventions (``Profile``; the unknown vehicle is another maker's), each sending
periodic messages whose payloads (``layouts``, ``payloads``) carry counters,
checksums, constants, status flags and the physical signals of one simulated
drive (``drive``). Frames are serialised on a shared bus (``bus``); attacks
inject, replay or silence frames during one to three intervals (``attacks``);
``capture`` puts these together into one labelled ``Capture`` and ``files``
writes captures as can_csv, named by the benchmark split-folder convention.

Every capture draws from its own generator seeded by (seed, file name), so
output is byte-identical for the same parameters and does not depend on which
other captures are made.
"""

from __future__ import annotations

from kdgat.data.synth.attacks import ATTACKS, FAST_CYCLE
from kdgat.data.synth.capture import EPOCH_S, NORMAL, Capture, simulate
from kdgat.data.synth.drive import Drive, make_drive
from kdgat.data.synth.files import Planned, capture_names, csv_rows, write_capture, write_dataset
from kdgat.data.synth.layouts import Field
from kdgat.data.synth.payloads import _checksum as _checksum  # checked by the tests
from kdgat.data.synth.vehicle import (
    HOME,
    ID_HIGH,
    ID_LOW,
    Profile,
    Vehicle,
    make_vehicle,
    rival_profile,
    rng_for,
)

__all__ = [
    "ATTACKS",
    "EPOCH_S",
    "FAST_CYCLE",
    "HOME",
    "ID_HIGH",
    "ID_LOW",
    "NORMAL",
    "Capture",
    "Drive",
    "Field",
    "Planned",
    "Profile",
    "Vehicle",
    "capture_names",
    "csv_rows",
    "make_drive",
    "make_vehicle",
    "rival_profile",
    "rng_for",
    "simulate",
    "write_capture",
    "write_dataset",
]
