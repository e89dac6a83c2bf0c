"""Resolve a catalog entry to the captures it names, one split each.

Every dataset's raw files live in ``data/raw/<dataset>/`` (written by the
``synth`` stage, or by ``kdgat fetch`` from the entry's ``source``). File
names follow the benchmark convention ``<split-folder>__<capture>.<ext>``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from kdgat.config import DatasetEntry
from kdgat.errors import CatalogError
from kdgat.io import MARKER

TRAIN, VAL = "train", "val"
SIDECAR_SUFFIXES = (".labels.yaml", ".labels.yml", ".sha256")


@dataclass(frozen=True)
class Capture:
    """One raw file and the split it belongs to."""

    path: Path
    name: str  # path below the raw folder, "__" for "/", no extension: unique in a dataset
    split: str  # "train", "val" (the catalog's `validation` captures) or a test scenario

    @property
    def attack_type(self) -> str:
        """Attack kind named by the file ("train_02_with_attacks__DoS-1" -> "DoS")."""
        base = self.name.split("__")[-1]
        return re.sub(r"[-_]\d+$", "", base) or "attack"


def resolve(entry: DatasetEntry, root: Path) -> list[Capture]:
    """The captures of a dataset, sorted by split then name.

    A file matched by both train and test globs is an error: it would leak
    test data into training.
    """
    if not root.is_dir():
        raise CatalogError(
            f"{root}: raw data folder not found; create it with `kdgat fetch {root.name}` "
            "(or `dvc repro synth` for the synthetic dataset)"
        )
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(SIDECAR_SUFFIXES) and p.name != MARKER
    )
    files = [p for p in files if not _matches(p, root, entry.exclude)]
    groups = {TRAIN: entry.train, VAL: entry.validation, **entry.test}
    assigned: dict[Path, str] = {}
    for split, globs in groups.items():
        for pattern in globs:
            hits = [p for p in files if _matches(p, root, [pattern])]
            if not hits:
                raise CatalogError(
                    f"{root}: glob {pattern!r} of split {split!r} matches no file; "
                    "fix the glob in data/catalog.yaml or fetch the data again"
                )
            for path in hits:
                if assigned.get(path, split) != split:
                    raise CatalogError(
                        f"{path}: matched by both {assigned[path]!r} and {split!r}; "
                        "narrow the globs or add it to `exclude`"
                    )
                assigned[path] = split
    captures = [Capture(p, _capture_name(p, root), s) for p, s in assigned.items()]
    _check_unique_names(captures)
    return sorted(captures, key=lambda c: (c.split != TRAIN, c.split, c.name))


def _check_unique_names(captures: list[Capture]) -> None:
    """Two files named alike (``a/x.csv``, ``b/x.csv``, ``x.v2.csv``) would merge into one."""
    seen: dict[str, Path] = {}
    for capture in sorted(captures, key=lambda c: c.path):
        if capture.name in seen:
            raise CatalogError(
                f"{seen[capture.name]} and {capture.path} both give the capture name "
                f"{capture.name!r}; one would overwrite the other. Fix: rename one of them, "
                "or add one to `exclude` in data/catalog.yaml"
            )
        seen[capture.name] = capture.path


def _capture_name(path: Path, root: Path) -> str:
    """``set_01/train_01__a.csv`` -> ``set_01__train_01__a``.

    Folders are part of the name, so one file name in two folders (two sets, or two
    split folders of one set) stays two captures.
    """
    parts = path.relative_to(root).parts
    return "__".join([*parts[:-1], parts[-1].split(".")[0]])


def _matches(path: Path, root: Path, patterns: list[str]) -> bool:
    relative = path.relative_to(root).as_posix()
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(path.name, p) for p in patterns)
