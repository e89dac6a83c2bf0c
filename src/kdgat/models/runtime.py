"""How torch computes in a stage: a fixed number of CPU threads and deterministic kernels.

Graph windows are small (tens of nodes), so every operation is short and its
threads mostly synchronise: on a 2-core machine shared with another job, two
intra-op threads per process made training up to 40 times slower than one (a
descheduled thread holds every barrier). One thread is also what makes CPU time
predictable. The thread count also fixes how reductions are split, so it is part
of what makes two runs write identical bytes; a run records the count it used.
"""

from __future__ import annotations

import contextlib
import os

import torch


def configure_torch(threads: int) -> dict[str, int | bool | str]:
    """Use ``threads`` intra-op threads (0: torch's default) and deterministic algorithms.

    Deterministic algorithms are requested with ``warn_only``: on the CPU every kernel
    the models use has a deterministic implementation; on a GPU, PyG's scatter kernels
    have none, and they warn instead of stopping the run.

    Returns:
        What the process now uses: ``threads``, ``interop_threads``, ``deterministic``, and
        ``cpu_capability``, the vector instructions ATen's kernels use (``kdgat/__init__.py``
        pins them, so the same bytes need the same value).
    """
    if threads < 0:
        raise ValueError(f"threads must be >= 0, got {threads}")
    if threads:
        torch.set_num_threads(threads)
        # Settable once, before any inter-op work; a second call keeps the first.
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(threads)
    # cuBLAS is deterministic only with a fixed workspace (read when CUDA starts).
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    return {
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }
