"""The catalog schema and the format registry name the same formats and domains."""

from __future__ import annotations

from typing import get_args

from kdgat.config import DatasetEntry
from kdgat.data.formats import FORMATS, Domain


def test_the_catalog_accepts_exactly_the_registered_formats() -> None:
    accepted = set(get_args(DatasetEntry.model_fields["format"].annotation))
    assert accepted == set(FORMATS), "add a new format to both FORMATS and DatasetEntry.format"


def test_every_format_reads_a_domain_the_catalog_knows() -> None:
    domains = set(get_args(DatasetEntry.model_fields["domain"].annotation))
    assert domains == set(get_args(Domain))
    assert {f.domain for f in FORMATS.values()} <= domains


def test_every_registered_reader_exists() -> None:
    for fmt in FORMATS.values():
        assert callable(fmt.read), fmt.name
