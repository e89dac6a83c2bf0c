"""Reading a requeued training job's log: which epochs each run of the job trained."""

from __future__ import annotations

import itertools
import re
import subprocess
import threading
import time
from pathlib import Path

# Far more than fit in the 2-minute limit even on an idle machine (about 0.3 s each):
# only requeues get through them.
EPOCHS = 5000
RUN_START = re.compile(r"\] job \S+ \(restart (\d+)\)")
EPOCH = re.compile(rf"epoch (\d+)/{EPOCHS} ")


def runs_of(log: str) -> list[list[int]]:
    """The epochs each run of the job logged, run by run."""
    runs: list[list[int]] = []
    for line in log.splitlines():
        if RUN_START.search(line):
            runs.append([])
        elif (match := EPOCH.search(line)) and runs:
            runs[-1].append(int(match[1]))
    return runs


def handovers(runs: list[list[int]]) -> list[tuple[list[int], list[int]]]:
    """(epochs of a run, epochs of the requeued run after it), where both trained."""
    return [(before, after) for before, after in itertools.pairwise(runs) if before and after]


def resumed(runs: list[list[int]]) -> bool:
    """A requeued run that carried on from a trained epoch instead of starting at epoch 1.

    A run stopped inside an epoch saved that epoch's checkpoint mid-way; the next run
    redoes the rest of it, so it starts at that epoch or the one after.
    """
    return any(after[0] >= max(2, before[-1]) for before, after in handovers(runs))


def cancel_once_resumed(job_id: str, log: Path, timeout: float) -> threading.Thread:
    """A thread that cancels the job as soon as its log shows a resumed run (or at timeout):
    the requeued runs would otherwise go on training, taking CPU from the other tests."""

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if log.exists() and resumed(runs_of(log.read_text())):
                break
            time.sleep(1)
        subprocess.run(["scancel", job_id], capture_output=True)

    thread = threading.Thread(target=watch, name=f"requeue-watch-{job_id}", daemon=True)
    thread.start()
    return thread
