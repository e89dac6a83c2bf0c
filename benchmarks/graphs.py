"""Graph construction speed and memory on the shared real captures; prints one JSON object.

- ``frames_per_s``: all unique set_01 captures (1.6 M frames) from ingested tables to
  graph arrays (window 100, stride 100, every feature), captures built in parallel
  threads in one process, as the graphs stage does; best of 5 (a shared VM is noisy:
  the fastest repeat is the least disturbed). Also single-threaded.
- ``peak_build_mb``: extra memory (tracemalloc) while building the largest capture,
  beside its input and output sizes: the target is peak <= 2 * (input + output).
- ``loader_speedup_vs_pyg``: one epoch of batches of the training graphs from our
  loader against torch_geometric's DataLoader over the same graphs as ``Data`` objects.

Run: ``python benchmarks/graphs.py`` (or ``make bench``).
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from loader import loader_speedup

from kdgat.data.ingest import ingest_files
from kdgat.graphs.arrays import CanFrames, GraphArrays, concat
from kdgat.graphs.can import build_can_graphs
from kdgat.graphs.domains import CAN, WindowSpec
from kdgat.graphs.frames import can_frames
from kdgat.graphs.vocab import Vocabulary

SHARED = Path(__file__).resolve().parents[2] / "shared/data/can-train-and-test-set_01"
WINDOW = STRIDE = 100
SPEC = WindowSpec(window=WINDOW, stride=STRIDE, window_seconds=60.0, min_attack_frames=1)


def load_captures(folder: Path) -> list[pa.Table]:
    """Ingest the shared sample (duplicates dropped) and read the clean tables."""
    ingest_files(sorted(SHARED.glob("*.parquet")), "parquet", folder, "bench", max_bad_fraction=0)
    return [pq.read_table(p) for p in sorted((folder / "captures").glob("*.parquet"))]


def to_graphs(table: pa.Table, vocab: Vocabulary) -> GraphArrays:
    """One capture's graphs, as the graphs stage builds them (frames, then windows)."""
    return CAN.graphs(table, vocab.encode, {}, SPEC)


def timed_build(
    tables: list[pa.Table], vocab: Vocabulary, threads: int
) -> tuple[float, GraphArrays]:
    """Best-of-5 seconds to build every capture, and the graphs."""
    best, graphs = np.inf, None
    for _ in range(5):
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            # largest first, as the graphs stage schedules them: no thread idles at the end
            parts = list(pool.map(lambda t: to_graphs(t, vocab), largest_first(tables)))
        best = min(best, time.perf_counter() - start)
        graphs = concat(parts)
    assert graphs is not None
    return best, graphs


def largest_first(tables: list[pa.Table]) -> list[pa.Table]:
    return sorted(tables, key=lambda t: -t.num_rows)


def nbytes(obj: CanFrames | GraphArrays) -> int:
    return sum(v.nbytes for v in vars(obj).values() if isinstance(v, np.ndarray))


def build_memory(table: pa.Table, vocab: Vocabulary) -> dict[str, float]:
    """Extra memory while building one capture, against its input and output."""
    frames = can_frames(table, vocab.encode(table["arbitration_id"].to_numpy()), {})
    tracemalloc.start()
    graphs = build_can_graphs(frames, WINDOW, STRIDE)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mb = 2**20
    return {
        "frames": len(frames),
        "input_mb": round(nbytes(frames) / mb, 1),
        "output_mb": round(nbytes(graphs) / mb, 1),
        "peak_build_mb": round(peak / mb, 1),
    }


def main() -> None:
    if not SHARED.is_dir():
        print(json.dumps({"benchmark": "graphs", "skipped": f"{SHARED} not found"}))
        return
    with tempfile.TemporaryDirectory() as folder:
        tables = load_captures(Path(folder))
    frames = sum(t.num_rows for t in tables)
    vocab = Vocabulary.fit(
        np.concatenate([t["arbitration_id"].to_numpy() for t in tables]), "lookup", 0
    )
    threads = os.cpu_count() or 1
    seconds, graphs = timed_build(tables, vocab, threads)
    single, _ = timed_build(tables, vocab, 1)
    largest = max(tables, key=lambda t: t.num_rows)
    result = {
        "benchmark": "graphs",
        "frames": frames,
        "graphs": graphs.num_graphs,
        "threads": threads,
        "frames_per_s": round(frames / seconds),
        "frames_per_s_single_thread": round(frames / single),
        "target_frames_per_s": 3_000_000,
        "memory_largest_capture": build_memory(largest, vocab),
        **loader_speedup(graphs, batch_size=64),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
