"""`kdgat cluster-config`: one DVC cache shared by many jobs and clones on a cluster.

Two `dvc repro` in one workspace collide on DVC's locks, so each SLURM job
works in its own clone or git worktree. With one cache on shared storage those
clones reuse each other's finished stages through DVC's run-cache, and nothing
is stored twice. The settings (see DVC's "shared cache" guide):

- ``cache.dir``: the shared folder (absolute: every clone sits elsewhere);
- ``cache.shared group``: files group-writable, so the whole group reuses them;
- ``cache.type hardlink,symlink``: workspaces link into the cache, no copies;
- ``core.hardlink_lock true``: NFS does not honour the default lock files;
- ``core.site_cache_dir``: DVC's state and index databases (SQLite) on
  node-local disk; SQLite on NFS locks badly and is slow.

They are machine-specific, so they go to ``.dvc/config.local`` of the clone.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from kdgat.errors import WorkspaceError
from kdgat.workspace.dvc import edit_config

SITE_CACHE_ROOT = Path("/var/tmp")  # node-local on clusters; DVC's own default lives here too


def default_site_cache_dir() -> Path:
    """Per user: DVC's default /var/tmp/dvc is created by whoever runs first, for them only."""
    return SITE_CACHE_ROOT / f"dvc-{getpass.getuser()}"


def cluster_config(
    root: Path, cache_dir: Path, site_cache_dir: Path | None = None
) -> dict[str, str]:
    """Point this clone at a shared cache; return the settings written to config.local."""
    cache_dir = cache_dir.expanduser().resolve()
    site = (site_cache_dir or default_site_cache_dir()).expanduser().resolve()
    _make_shared_dir(cache_dir)
    settings = {
        "cache.dir": str(cache_dir),
        "cache.shared": "group",
        "cache.type": "hardlink,symlink",
        "core.hardlink_lock": "true",
        "core.site_cache_dir": str(site),
    }
    with edit_config(root, "local") as conf:
        for key, value in settings.items():
            section, option = key.split(".")
            conf[section][option] = value
    return settings


def _make_shared_dir(folder: Path) -> None:
    """Create the cache folder group-writable, set-gid: new files keep its group."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if folder.stat().st_uid == os.getuid():
            folder.chmod(0o2775)
    except OSError as err:
        raise WorkspaceError(
            f"--cache-dir {folder}: cannot create or share it ({err.strerror}); fix: pick a "
            "folder on shared storage that your group can write (e.g. project space)"
        ) from err


def old_cache_files(root: Path, cache_dir: Path) -> int:
    """Objects left in the clone's own cache after moving to ``cache_dir`` (0 if the same)."""
    own = root / ".dvc" / "cache"
    if not own.is_dir() or own.resolve() == cache_dir.resolve():
        return 0
    return sum(len(files) for _, _, files in os.walk(own))
