"""The lakehouse: every run's metrics as hive-partitioned Parquet, locally and on S3/R2.

``collect`` reads a workspace (evaluation.json, model cards, dvclive curves, data reports)
into rows; ``export`` writes them as Parquet tables plus a manifest; ``upload`` copies an
export to S3 (manifest last); ``compact`` merges many exports into one file per partition;
``query`` opens a local or S3 lakehouse in DuckDB with deduplicated tables and views.
"""
