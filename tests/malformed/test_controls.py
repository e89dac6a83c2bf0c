"""Controls, not cases: each table's generator without its bad record ingests clean.

So a row quarantined (or an error raised) in a case is due to the bad input the case
added, not to the good records around it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .cases import Case, Quarantine, run_ingest_case, table
from .test_benchmark_logs import mirgu_with, road_with
from .test_can_text import candump_with, csv_with, hcrl_with
from .test_netflow import cic_with, unsw_with
from .test_parquet import with_columns
from .test_vehicle_logs import asc_with, blf, few

CONTROLS = [
    Case("can_csv", csv_with(), Quarantine(())),
    Case("parquet", with_columns(lambda data: None), Quarantine(())),
    Case("hcrl_csv_layout", hcrl_with(), Quarantine(())),
    Case("hcrl_text_layout", hcrl_with(text_layout=True), Quarantine(())),
    Case("candump", candump_with(), Quarantine(())),
    Case("asc", asc_with(), Quarantine(())),
    Case("blf", blf(few), Quarantine(())),
    Case("netflow_cicids", cic_with(), Quarantine(())),
    Case("netflow_unsw", unsw_with(), Quarantine(())),
    Case("road", road_with(), Quarantine(())),
    Case("can_mirgu", mirgu_with(), Quarantine(())),
]


@pytest.mark.parametrize("case", table(CONTROLS))
def test_control(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)
