"""Stage ``ingest@<dataset>``: a catalog dataset's raw captures -> validated Parquet + report."""

from __future__ import annotations

from typing import Any

from kdgat import config
from kdgat.data import ingest as ingest_lib
from kdgat.layout import Layout
from kdgat.pipeline import entry


def ingest(dataset: str, p: config.Params, c: config.Catalog, layout: Layout) -> dict[str, Any]:
    """Validate ``data/raw/<dataset>`` into ``data/processed/<dataset>``; print the report."""
    report = ingest_lib.ingest_dataset(
        dataset,
        c.entry(dataset, layout.catalog),
        raw=layout.raw(dataset),
        out=layout.processed(dataset).dir,
        report_path=layout.metrics(dataset).ingest_report,
        row_group_size=p.ingest.row_group_size,
        max_bad_fraction=p.ingest.max_bad_fraction,
    )
    print(ingest_lib.format_report(report))
    return report


def run(dataset: str, p: config.Params, layout: Layout) -> None:
    """Ingest ``dataset`` as the catalog of the workspace describes it."""
    ingest(dataset, p, config.load_catalog(layout.catalog), layout)


def main(argv: list[str] | None = None) -> None:
    """``python stages/ingest.py DATASET``."""
    entry.main(run, argv)
