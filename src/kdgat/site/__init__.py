"""The static results site: lakehouse snapshots (snapshots), the build and a server (build).

Its paths (``SiteFiles``) and its error live here, not in kdgat.layout and kdgat.errors:
every pipeline stage depends on those two files, so editing them would re-run the whole
pipeline for a change no stage sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kdgat.errors import KdgatError


class SiteError(KdgatError):
    """The results site cannot be built or served (no lakehouse, no Node.js, a failed build)."""


@dataclass(frozen=True)
class SiteFiles:
    """``site/``: the results site's sources, its data snapshots and the built site."""

    dir: Path = Path("site")

    @property
    def data(self) -> Path:
        """``site/data/``: one Parquet snapshot per table the pages read (``kdgat site build``)."""
        return self.dir / "data"

    @property
    def config(self) -> Path:
        """``site/src/config.json``: build-time settings the pages read (the data URL)."""
        return self.dir / "src" / "config.json"

    @property
    def dist(self) -> Path:
        """``site/dist/``: the built static site."""
        return self.dir / "dist"

    @property
    def lockfile(self) -> Path:
        """``site/package-lock.json``: the pinned Node dependencies."""
        return self.dir / "package-lock.json"

    @property
    def node_modules(self) -> Path:
        """``site/node_modules/``: what ``npm ci`` installs from the lockfile."""
        return self.dir / "node_modules"
