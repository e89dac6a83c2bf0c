"""`kdgat push` / `kdgat pull`: `dvc push` / `dvc pull` with one clear message on failure.

DVC reports a wrong key as "unexpected error - Forbidden" and a missing remote
across several lines; here the remote is checked first (nothing moves, the cache
is untouched) and any failure becomes one line naming the remote and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from kdgat.errors import RemoteError
from kdgat.workspace import preflight
from kdgat.workspace.dvc import run_dvc

Direction = Literal["push", "pull", "fetch"]


def transfer(
    root: Path,
    direction: Direction,
    remote: str | None = None,
    targets: Sequence[str] = (),
    jobs: int | None = None,
    force: bool = False,
) -> str:
    """Check the remote, then run ``dvc <direction>``; return DVC's summary line(s)."""
    checked = preflight.check(root, remote, need_data=direction != "push")
    args = [direction, "--remote", checked.name, *(["--jobs", str(jobs)] if jobs else [])]
    result = run_dvc([*args, *(["--force"] if force else []), *targets], root)
    output = f"{result.stdout}\n{result.stderr}".strip()
    if result.returncode != 0:
        raise failure(output, checked, direction)
    return result.stdout.strip() or f"{direction}: nothing to transfer"


def failure(output: str, remote: preflight.Remote, direction: Direction) -> RemoteError:
    """The one-line explanation of a failed transfer, from DVC's output."""
    where = f"remote {remote.name!r} ({remote.url})"
    failed = re.search(r"following targets:\s*\n(.*?)\n\s*Is your cache", output, re.DOTALL)
    if direction != "push" and (failed or "missing cache files" in output.lower()):
        outs = ", ".join(failed.group(1).split()) if failed else "some outputs"
        return RemoteError(
            f"{where} lacks data this revision needs ({outs}); fix: `kdgat push` on the "
            "machine that built it, or `dvc repro` to rebuild it here; `kdgat doctor` lists "
            "what is where"
        )
    if "without confirmation" in output:
        return RemoteError(
            f"{where}: outputs in the workspace differ from dvc.lock and would be overwritten; "
            "fix: `dvc commit` keeps them, `kdgat pull --force` replaces them (`kdgat doctor` "
            "lists them)"
        )
    last_error = next(
        (line for line in reversed(output.splitlines()) if line.startswith("ERROR")), output
    )
    return preflight.explain(RuntimeError(last_error), remote)
