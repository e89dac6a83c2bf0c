"""DuckDB over a local or S3 lakehouse.

Local files are read by DuckDB directly. On S3 the tables' files are fetched with boto3
(concurrently, one request per file) and handed to DuckDB as Arrow tables; an s3fs
filesystem is registered as well, so SQL can read other ``s3://`` paths. Neither needs a
DuckDB extension (DuckDB 2.x on PyPI ships no offline ``httpfs``).

    con = connect("lakehouse")                       # or "s3://bucket/prefix"
    con.sql("select * from leaderboard").df()
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.errors import LakehouseError
from kdgat.lakehouse import s3, views
from kdgat.lakehouse.store import Lakehouse, files_by_table, load_manifests, open_lakehouse
from kdgat.lakehouse.tables import PARTITION, SCHEMAS, empty

TABLES = tuple(SCHEMAS)


def connect(
    location: str | Path = "lakehouse",
    endpoint_url: str | None = None,
    region: str | None = None,
    tables: set[str] | None = None,
    register_s3fs: bool = True,
    sealed: bool = False,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lakehouse's tables and views (see ``views.VIEWS``).

    ``tables``: read only these tables (``tables_for(sql)``); the others are empty.
    ``register_s3fs``: on S3, register an s3fs filesystem so SQL may read other s3://
    paths; the lakehouse's own tables never need it (skipping it saves importing s3fs).
    ``sealed``: the tables are read into memory and then the SQL may touch no file at all
    (not even the lakehouse's: DuckDB's allowed folders are writable), nor lift that.
    """
    lake = open_lakehouse(location, endpoint_url, region)
    manifests = load_manifests(lake)
    if not manifests:
        hint = (
            "run `kdgat export` with lakehouse.uri set (or `kdgat export --upload-only`)"
            if lake.scheme
            else "run `kdgat export` (or `dvc repro export`)"
        )
        raise LakehouseError(f"{lake.uri}: no export found; {hint}")
    files = files_by_table(manifests)
    if tables is not None:
        files = {table: paths if table in tables else [] for table, paths in files.items()}
    con = attach(lake, files, register_s3fs and not sealed, in_memory=sealed)
    if sealed:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con


def tables_for(sql: str) -> set[str] | None:
    """The lakehouse tables ``sql`` reads, through the views; None when unsure (read all)."""
    try:
        names = {name.lower().split(".")[-1] for name in duckdb.connect().get_table_names(sql)}
    except duckdb.Error:
        return None
    if not names <= views.DEPENDS.keys():
        return None
    return set().union(*(views.DEPENDS[name] for name in names))


def attach(
    lake: Lakehouse,
    files: dict[str, list[str]],
    register_s3fs: bool = True,
    in_memory: bool = False,
) -> duckdb.DuckDBPyConnection:
    """A connection whose views read ``files`` (table -> relative paths) of ``lake``.

    On S3 (or ``in_memory``) the files are read once into Arrow tables; a local lakehouse
    is otherwise read by DuckDB itself, file by file, at each query.
    """
    con = duckdb.connect()
    if lake.scheme or in_memory:
        if lake.scheme and register_s3fs:  # so SQL can read other s3:// paths (no httpfs)
            con.register_filesystem(s3.filesystem(lake.endpoint_url, lake.region))
        try:
            fetched = fetch_tables(lake, files)
        except (OSError, pa.ArrowInvalid) as err:  # a file a manifest lists is gone or damaged
            raise LakehouseError(
                f"{lake.uri}: cannot read it ({err}); re-run `kdgat export`"
            ) from None
        for table, data in fetched.items():
            con.register(f"_raw_{table}", data)
    else:
        for table in TABLES:
            try:
                con.execute(_local_view(lake, table, files.get(table, [])))
            except duckdb.Error as err:  # a file a manifest lists is gone or damaged
                first = str(err).splitlines()[0]
                raise LakehouseError(
                    f"{lake.uri}: cannot read table {table} ({first}); re-run `kdgat export`"
                ) from None
    for table in TABLES:
        con.execute(views.dedup_sql(table))
    for sql in views.ANALYSIS:
        con.execute(sql)
    return con


def _local_view(lake: Lakehouse, table: str, paths: list[str]) -> str:
    if not paths:  # no file yet: an empty table of the right schema
        return f"CREATE VIEW _raw_{table} AS SELECT * FROM {_empty_sql(table)}"
    urls = ", ".join("'" + lake.url(p).replace("'", "''") + "'" for p in paths)
    return (
        f"CREATE VIEW _raw_{table} AS SELECT * FROM read_parquet([{urls}], "
        f"hive_partitioning = true, union_by_name = true, hive_types = {{'{PARTITION}': VARCHAR}})"
    )


def _empty_sql(table: str) -> str:
    """A zero-row SELECT with the table's columns and types."""
    con = duckdb.connect()
    con.register("t", empty(table))
    types = con.sql("SELECT * FROM t").types
    casts = ", ".join(
        f'CAST(NULL AS {t}) AS "{n}"' for n, t in zip(SCHEMAS[table].names, types, strict=True)
    )
    return f"(SELECT {casts} LIMIT 0)"


def fetch_tables(lake: Lakehouse, files: dict[str, list[str]]) -> dict[str, pa.Table]:
    """Every file of an S3 lakehouse, fetched concurrently in one go, as Arrow tables.

    DuckDB reading through the registered filesystem re-opens each file every time a
    view is bound (hundreds of requests per query); one concurrent fetch is one request
    per file, and the lakehouse's tables are small enough to hold in memory. The fetch
    uses boto3 in threads: measured 3-4x faster per request than s3fs's aiobotocore.
    """
    blobs = lake.read(sorted({p for paths in files.values() for p in paths}))
    tables = {}
    for table in TABLES:
        parts = [_with_partition(blobs[p], p) for p in files.get(table, [])]
        tables[table] = (
            pa.concat_tables(parts, promote_options="default") if parts else empty(table)
        )
    return tables


def _with_partition(blob: bytes, rel: str) -> pa.Table:
    """A file's rows plus the ``dataset`` column its hive path (``<table>/dataset=x/...``) gives."""
    # In memory already: pre-buffering (meant for slow storage) only doubles the work.
    data = pq.read_table(pa.BufferReader(blob), use_threads=False, pre_buffer=False)
    value = rel.split("/")[1].split("=", 1)[1]
    return data.append_column(PARTITION, pa.array([value] * data.num_rows, pa.string()))


def run(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of ``sql``; a SQL error names the tables and views there are."""
    try:
        relation = con.sql(sql)
    except duckdb.Error as err:
        raise LakehouseError(
            f"query failed: {err}\ntables: {', '.join(TABLES)}; views: {', '.join(views.VIEWS)}"
        ) from None
    if relation is None:  # a statement without a result (e.g. SET)
        return [], []
    return list(relation.columns), relation.fetchall()


def as_table(names: list[str], rows: list[tuple[Any, ...]]) -> str:
    """A plain aligned text table (numbers right-aligned, floats to 4 decimals)."""
    cells = [[_text(v) for v in row] for row in rows]
    widths = [max([len(n), *(len(r[i]) for r in cells)]) for i, n in enumerate(names)]
    numeric = [
        all(isinstance(row[i], int | float | Decimal) or row[i] is None for row in rows)
        for i in range(len(names))
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(names), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def as_csv(names: list[str], rows: list[tuple[Any, ...]]) -> str:
    """Query results as CSV text, a header row first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([[_plain(v) for v in row] for row in rows])
    return buffer.getvalue()


def as_json(names: list[str], rows: list[tuple[Any, ...]]) -> str:
    """Query results as a JSON list with one object per row (NaN as null)."""
    records = [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in rows]
    return json.dumps(records, indent=2, default=str)


def _plain(value: Any) -> Any:
    """JSON-able: NaN -> null, times -> ISO strings, decimals -> floats."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)
