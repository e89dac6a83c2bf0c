"""What ``kdgat datasets`` prints: every catalog entry, its facts and its local state.

The state is read from the files the stages leave behind (through ``kdgat.layout``),
never from a record of its own, so it cannot disagree with the workspace:
a raw folder with files is *fetched*, ingest's ``manifest.json`` means *ingested*,
the graph build's ``meta.json`` (written last) means *graphs built*.
"""

from __future__ import annotations

from pathlib import Path

from kdgat.config import Catalog, DatasetEntry
from kdgat.errors import SourceError
from kdgat.io import MARKER
from kdgat.layout import Layout

NOT_FETCHED, FETCHED, INGESTED, GRAPHS = "not fetched", "fetched", "ingested", "graphs built"


def state(name: str, layout: Layout) -> str:
    """How far the pipeline got with dataset ``name`` in this workspace."""
    if layout.graphs(name).meta.is_file():
        return GRAPHS
    if layout.processed(name).manifest.is_file():
        return INGESTED
    raw = layout.raw(name)
    if raw.is_dir() and any(p.name != MARKER for p in raw.iterdir()):
        return FETCHED
    return NOT_FETCHED


def size_text(entry: DatasetEntry) -> str:
    """The entry's size as a person reads it ('?' when the catalog does not know it)."""
    if entry.size is None:
        return "?"
    if isinstance(entry.size, str):
        return entry.size
    value, units = float(entry.size), ["B", "kB", "MB", "GB", "TB"]
    while value >= 1000 and len(units) > 1:
        value, units = value / 1000, units[1:]
    return f"{value:.0f} B" if units[0] == "B" else f"{value:.1f} {units[0]}"


def table(catalog: Catalog, layout: Layout) -> str:
    """One line per catalog entry: name, domain, format, size, licence, state."""
    rows = [("name", "domain", "format", "size", "licence", "state")]
    for name, entry in sorted(catalog.datasets.items()):
        rows.append(
            (
                name,
                entry.domain,
                entry.format,
                size_text(entry),
                entry.licence or "?",
                state(name, layout),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def how_to_fetch(name: str, entry: DatasetEntry, layout: Layout) -> str:
    """The command, or the manual steps and where the files go."""
    if entry.source == "synth":
        return "`dvc repro synth` writes it (simulated, nothing to download)"
    if entry.manual is not None:
        return (
            f"by hand: {entry.manual}\n"
            f"Put the files in {layout.raw(name)}/ keeping the publisher's file names "
            f"(the split globs above must match them), then run `kdgat ingest {name}`."
        )
    return f"`kdgat fetch {name}` (from {entry.source})"


def show(name: str, entry: DatasetEntry, layout: Layout) -> str:
    """Everything the catalog says about one dataset, its citation and how to get it."""
    lines = [
        f"{name}: {entry.domain} / {entry.format}",
        f"  state:    {state(name, layout)} ({layout.raw(name)})",
        f"  size:     {size_text(entry)}",
        f"  licence:  {entry.licence or 'not stated in the catalog'}",
        f"  citation: {entry.citation or 'not stated in the catalog'}",
    ]
    if entry.page:
        lines.append(f"  page:     {entry.page}")
    lines.append(f"  source:   {entry.source if entry.manual is None else 'manual'}")
    lines.append(f"  checksums: {_checksums(entry)}")
    lines.append(f"  train:    {', '.join(entry.train)}")
    if entry.validation:
        lines.append(f"  validation: {', '.join(entry.validation)}")
    lines.extend(f"  test {split}: {', '.join(globs)}" for split, globs in entry.test.items())
    if entry.exclude:
        lines.append(f"  exclude:  {', '.join(entry.exclude)}")
    lines.append(f"How to fetch: {how_to_fetch(name, entry, layout)}")
    return "\n".join(lines)


def _checksums(entry: DatasetEntry) -> str:
    if entry.sha256:
        return f"{len(entry.sha256)} sha256 in the catalog"
    if entry.manual is not None or entry.source == "synth":
        return "none (files placed by hand or generated are not checked)"
    if entry.source.startswith(("https://", "http://", "hf://")):
        return "recorded in data/sources.lock at the first fetch"
    return "none (a local folder is linked as it is)"


def refuse_manual(name: str, entry: DatasetEntry, raw: Path) -> None:
    """``kdgat fetch`` of a source only a person can fetch: say how instead."""
    if entry.manual is None:
        return
    raise SourceError(
        f"{name}: the publisher requires a manual download, which kdgat cannot do for you.\n"
        f"Steps: {entry.manual}\n"
        f"Then put the files in {raw}/ (keep the publisher's file names) and run "
        f"`kdgat ingest {name}`; `kdgat datasets show {name}` repeats these steps."
    )
