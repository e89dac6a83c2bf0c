"""Which code produced an artifact: the workspace's git revision."""

from __future__ import annotations

import subprocess


def git_revision() -> str:
    """HEAD of the workspace, or "unknown" outside git (or without git installed)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    except OSError:
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"
