"""The figures stage's files: all written, fonts embedded, valid SVG, the same bytes again."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kdgat.figures.tables import SPECS
from kdgat.figures.write import FIGURES, write

SRC = Path(__file__).resolve().parents[2] / "src"

pytestmark = pytest.mark.slow  # every figure of the lakehouse, twice: about 15 s


@pytest.fixture(scope="module")
def written(lakehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    write(lakehouse, out / "figures", out / "tables")
    return out


def test_every_figure_and_table_is_written_and_not_empty(written: Path) -> None:
    figures = {f"{stem}_synth.{fmt}" for stem in FIGURES for fmt in ("pdf", "svg")}
    tables = {f"{name}{suffix}" for name in SPECS for suffix in (".tex", ".md")}
    assert {p.name for p in (written / "figures").iterdir()} == figures | {".kdgat-output"}
    assert {p.name for p in (written / "tables").iterdir()} == tables | {".kdgat-output"}
    assert all(p.stat().st_size > 500 for p in (written / "figures").glob("*_synth.*"))
    assert all(p.stat().st_size > 100 for p in (written / "tables").glob("*.[tm][ed]*"))


def test_pdfs_embed_truetype_fonts_and_no_type3(written: Path) -> None:
    for pdf in (written / "figures").glob("*.pdf"):
        content = pdf.read_bytes()
        assert b"/FontFile2" in content, pdf.name
        assert b"/Type3" not in content, pdf.name
        assert b"/CreationDate" not in content, pdf.name
        assert b"Matplotlib" not in content, pdf.name


def test_svgs_are_xml_with_text_as_paths_and_no_date(written: Path) -> None:
    for svg in (written / "figures").glob("*.svg"):
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg"), svg.name
        assert b"<dc:date>" not in svg.read_bytes(), svg.name


def test_a_second_run_in_a_fresh_process_writes_the_same_bytes(
    lakehouse: Path, written: Path, tmp_path: Path
) -> None:
    code = (
        "import sys; from pathlib import Path; from kdgat.figures.write import write; "
        "out = Path(sys.argv[2]); write(Path(sys.argv[1]), out / 'figures', out / 'tables')"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(lakehouse), str(tmp_path)],
        check=True,
        timeout=300,
        env={"PYTHONPATH": str(SRC), "PYTHONHASHSEED": "123"},
    )
    for folder in ("figures", "tables"):
        first = sorted((written / folder).iterdir())
        again = sorted((tmp_path / folder).iterdir())
        assert [p.name for p in first] == [p.name for p in again]
        changed = [
            a.name for a, b in zip(first, again, strict=True) if a.read_bytes() != b.read_bytes()
        ]
        assert not changed
