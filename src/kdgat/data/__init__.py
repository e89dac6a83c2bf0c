"""Datasets: catalog, sources, raw formats, validation, synthetic traffic, ingestion."""
