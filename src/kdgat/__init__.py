"""kdgat: graph-based intrusion detection for CAN buses and network flows."""

import os
import platform

__version__ = "0.1.0"

# Float rounding depends on the vector instructions a kernel uses, and MKL, oneDNN and
# ATen each pick theirs by CPU: on one machine a VGAE trained three times under three
# instruction sets gave three different checkpoints. Pinned to AVX2, which every x86
# cluster node of the last decade has, a stage writes the same bytes on any of them
# (measured cost: within noise). Each library reads its variable when torch loads, so
# it is set on kdgat's import, before torch's; a value already in the environment wins.
if platform.machine().lower() in {"x86_64", "amd64"}:
    for _name, _value in (
        ("MKL_CBWR", "AVX2"),
        ("ATEN_CPU_CAPABILITY", "avx2"),
        ("ONEDNN_MAX_CPU_ISA", "AVX2"),
    ):
        os.environ.setdefault(_name, _value)
