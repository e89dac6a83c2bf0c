"""`kdgat slurm status`: the last submission's jobs, one row per job or array task."""

from __future__ import annotations

from pathlib import Path

from kdgat.slurm import jobs

COLUMNS = ("id", "kind", "targets", "state", "exit_code", "elapsed", "restarts", "reason")


def collect(root: Path) -> list[dict[str, str]]:
    """Rows of the last submission: each job's SLURM state, its kind and what it runs."""
    submission = jobs.last(root)
    rows = []
    for job in submission["jobs"]:
        for row in jobs.states(job["id"]):
            targets = job["targets"]
            if job["kind"] == "chain" and "_" in row["id"]:
                index = row["id"].split("_", 1)[1]
                if index.isdigit() and int(index) < len(targets):
                    targets = [targets[int(index)]]  # array task i runs target i
            rows.append({**row, "kind": job["kind"], "targets": " ".join(targets)})
    return rows


def all_finished(rows: list[dict[str, str]]) -> bool:
    """Whether every job has ended (no pending, running or requeued one left)."""
    return all(row["state"] in jobs.FINISHED for row in rows)


def table(rows: list[dict[str, str]]) -> str:
    """Fixed-width text, one row per job."""
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in COLUMNS}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in COLUMNS)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in COLUMNS) for r in rows]
    return "\n".join(line.rstrip() for line in lines)
