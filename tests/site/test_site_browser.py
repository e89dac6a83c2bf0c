"""The results site in a real browser: headless Chromium (Debian's) driven by Playwright.

The site is built (``kdgat site build``: snapshots, ``npm ci`` from the lockfile, Observable
Framework) from a lakehouse exported from the fake workspace of tests/lakehouse (two datasets,
two seeds), served on a free localhost port, and every page is opened: no console error, no
request to any host but localhost, the leaderboard's cells equal ``kdgat query``'s numbers on
that lakehouse, the filters change the rows, and every chart has drawn marks. A screenshot of
each page goes to $KDGAT_ARTIFACTS/site (default tests/artifacts/site).

KDGAT_SITE_LAKEHOUSE=<folder> builds from that lakehouse instead (e.g. the default pipeline's).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from typer.testing import CliRunner

from kdgat.cli import app
from kdgat.lakehouse.collect import collect
from kdgat.lakehouse.export import write_export
from kdgat.layout import Layout
from kdgat.site import SiteError, SiteFiles
from kdgat.site.build import build, install, server
from kdgat.site.plots import offline_plots
from kdgat.site.snapshots import write_snapshots

from ..lakehouse.workspace import REPO, make_repo

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("KDGAT_CHROMIUM", "/usr/bin/chromium"))
PAGES = ("index", "attacks", "kd", "fusion", "training", "datasets")
CHARTS = {
    "index": ["leaderboard"],
    "attacks": ["attacks", "time_to_detect"],
    "kd": ["kd_pairs", "kd_gap"],
    "fusion": ["fusion_f1", "fusion_gain"],
    "training": ["curves"],
    "datasets": ["graphs", "attack_share"],
}


def number(value: float | None) -> str:
    """How the page writes a metric: 3 decimals, nothing for a missing value."""
    return "" if value is None else f"{value:.3f}"


def interval(low: float | None, high: float | None) -> str:
    return "" if low is None else f"[{number(low)}, {number(high)}]"


# The leaderboard table's columns: query column -> how the page writes it.
LEADERBOARD: dict[str, Callable[[Any], str]] = {
    "dataset": str,
    "scenario": str,
    "rank": str,
    "model": str,
    "seeds": str,
    "f1": number,
    "auroc": number,
    "mcc": number,
    "mark": str,
}
SEEDS = (42, 43)
LOCAL = {"127.0.0.1", "localhost"}
# The data marks of a chart (Plot labels each mark's <g>; axes and grids are others).
MARKS = ", ".join(
    f"figure[data-chart={{chart}}] svg g[aria-label={mark}] > *"
    for mark in ("dot", "bar", "line", "link")
)
ROWS_JS = (
    "rows => rows.map(r => Object.fromEntries([...r.cells]"
    ".map(c => [c.dataset.col, c.textContent])))"
)


def _requirements() -> str | None:
    """Why the test cannot run here, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return (
            "Node.js and npm are not installed (.ci/run installs them; apt-get install nodejs npm)"
        )
    if not CHROMIUM.is_file():
        return f"{CHROMIUM}: no Chromium (.ci/run installs it: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake workspace's lakehouse: two datasets, two seeds, attacks and delays too."""
    if os.environ.get("KDGAT_SITE_LAKEHOUSE"):
        return Path(os.environ["KDGAT_SITE_LAKEHOUSE"])
    datasets = ["synth", "can_sample"]
    root = make_repo(tmp_path_factory.mktemp("site") / "ws", datasets, seeds=SEEDS)
    for seed in SEEDS:  # what evaluate adds on scenarios with attack episodes
        for name in datasets:
            path = Layout(root, seed).evaluation(name).evaluation
            evaluation = json.loads(path.read_text())
            for i, model in enumerate(evaluation):
                for scenario in evaluation[model].values():
                    scenario.update(
                        attacks=4.0,
                        detected_share=(i % 4 + 1) / 4,
                        median_delay_s=0.01 * (i + seed % 3),
                        max_delay_s=0.05 * (i + 1),
                        false_alarms_per_hour=float(i),
                    )
            path.write_text(json.dumps(evaluation))
    info = {"domain": "can", "format": "can_csv", "source": "synth"}
    rows = collect(Layout(root), dict.fromkeys(datasets, info), "r1", {"lr": 1e-3}, seeds=SEEDS)
    write_export(rows, root / "lakehouse", "r1")
    return root / "lakehouse"


def _built(lakehouse: Path, folder: Path, data_url: str = "") -> SiteFiles:
    """The site built from ``lakehouse`` in a copy of site/ (node_modules linked).

    A scratch copy: site/data and site/dist of the checkout stay as they are.
    """
    repo_site = SiteFiles(REPO / "site")
    copy = SiteFiles(folder / "site")
    ignore = shutil.ignore_patterns("node_modules", "dist", "data", ".observablehq", "config.json")
    shutil.copytree(repo_site.dir, copy.dir, ignore=ignore)
    install(repo_site)  # npm ci from the committed lockfile, cached in site/node_modules
    copy.node_modules.symlink_to(repo_site.node_modules.resolve())
    write_snapshots(lakehouse, copy.data, Layout(REPO).catalog)
    build(copy, data_url)
    return copy


@contextmanager
def serving(httpd: http.server.ThreadingHTTPServer) -> Iterator[int]:
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def site(lakehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built site with its data bundled, served on a free localhost port."""
    reason = _requirements()
    if reason:
        pytest.skip(reason)
    built = _built(lakehouse, tmp_path_factory.mktemp("site"))
    with serving(server(built.dist)) as port:
        yield f"http://127.0.0.1:{port}"


class _Bucket(http.server.SimpleHTTPRequestHandler):
    """A public bucket: static files with a CORS header for any origin."""

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("KDGAT_ARTIFACTS", REPO / "tests" / "artifacts")) / "site"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Page:
    """A browser page that records console errors and every requested URL."""

    def __init__(self, browser: Any, url: str, width: int = 1280) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(url)
        # Framework shows a cell's failure as an .observablehq--error block.
        self.page.wait_for_function(
            "document.querySelectorAll('figure[data-chart], .observablehq--error').length > 0",
            timeout=60_000,
        )

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def rows(self, table: str) -> list[dict[str, str]]:
        return self.page.eval_on_selector_all(
            f"#{table} tbody tr",
            ROWS_JS,
        )

    def draw(self, charts: list[str]) -> None:
        """Wait until every chart has its SVG and the page is idle."""
        for chart in charts:
            self.page.wait_for_selector(f"figure[data-chart={chart}] svg", timeout=30_000)
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(300)


def query(lakehouse: Path, sql: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["query", "--json", "--uri", str(lakehouse), sql])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def foreign(requests: list[str]) -> list[str]:
    return [
        url
        for url in requests
        if urlparse(url).scheme != "data" and urlparse(url).hostname not in LOCAL
    ]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_offline_and_draws_its_charts(
    name: str, browser: Any, site: str, artifacts: Path
) -> None:
    page = Page(browser, f"{site}/{name}.html")
    page.draw(CHARTS[name])
    shot = artifacts / f"{name}.png"
    page.page.screenshot(path=str(shot), full_page=True)
    _copy_for_review(shot)
    assert not page.page.query_selector(".observablehq--error"), page.page.inner_text("main")
    assert page.errors == []
    assert foreign(page.requests) == []
    for chart in CHARTS[name]:
        marks = len(page.page.query_selector_all(MARKS.format(chart=chart)))
        assert marks > 0, f"{name}: chart {chart} drew no marks"
    page.page.close()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_draws_on_a_phone_screen_without_errors(
    name: str, browser: Any, site: str
) -> None:
    """Narrower than a chart's margins (CI saw Framework's width at 0 once): no negative rects."""
    page = Page(browser, f"{site}/{name}.html", width=320)
    page.draw(CHARTS[name])
    assert page.errors == []
    page.page.close()


def test_leaderboard_shows_the_query_numbers_and_filters_change_them(
    browser: Any, site: str, lakehouse: Path
) -> None:
    expected = query(lakehouse, "select * from leaderboard")
    page = Page(browser, f"{site}/index.html")
    page.settle()
    shown = page.rows("leaderboard")
    assert len(shown) == len(expected)
    for row, want in zip(shown, expected, strict=True):
        assert {k: row[k] for k in LEADERBOARD} == {k: f(want[k]) for k, f in LEADERBOARD.items()}
        assert row["f1_ci"] == interval(want["f1_low"], want["f1_high"])
        assert row["auroc_ci"] == interval(want["auroc_low"], want["auroc_high"])

    scenario = expected[-1]["scenario"]
    page.page.select_option("form[data-filter=scenario] select", label=scenario)
    page.settle()
    rows = page.rows("leaderboard")
    assert 0 < len(rows) < len(shown)
    assert {r["scenario"] for r in rows} == {scenario}

    seed = query(lakehouse, "select max(seed) as seed from runs")[0]["seed"]
    dataset = expected[-1]["dataset"]
    page.page.select_option("form[data-filter=seed] select", label=str(seed))
    page.settle()
    per_seed = query(
        lakehouse,
        "select s.model, s.f1 from scores s join runs r using (run_id) where "
        f"r.seed = {seed} and s.dataset = '{dataset}' and s.scenario = '{scenario}' order by all",
    )
    rows = page.rows("leaderboard")
    assert {r["seeds"] for r in rows} == {"1"}
    assert sorted((r["model"], r["f1"]) for r in rows if r["dataset"] == dataset) == [
        (d["model"], number(d["f1"])) for d in per_seed
    ]
    page.page.close()


def _copy_for_review(shot: Path) -> None:
    review = os.environ.get("KDGAT_SITE_SHOTS")
    if review:
        Path(review).mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, Path(review) / shot.name)


def test_the_site_can_read_its_data_from_a_public_bucket(
    browser: Any, lakehouse: Path, tmp_path: Path
) -> None:
    """Built with a data URL (another origin, as a bucket is), dist holds no data."""
    data = tmp_path / "bucket"
    write_snapshots(lakehouse, data, Layout(REPO).catalog)
    bucket = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Bucket, directory=str(data))
    )
    with serving(bucket) as bucket_port:
        url = f"http://localhost:{bucket_port}"  # localhost, not 127.0.0.1: a cross-origin read
        built = _built(lakehouse, tmp_path, url)
        assert not (built.dist / "data").exists()
        with serving(server(built.dist)) as port:
            page = Page(browser, f"http://127.0.0.1:{port}/index.html")
            page.settle()
            rows = page.rows("leaderboard")
            assert len(rows) == len(query(lakehouse, "select * from leaderboard"))
            assert f"{url}/leaderboard.parquet" in page.requests
            assert page.errors == []
            page.page.close()


def test_dvc_plots_render_offline_with_the_bundled_vega(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kdgat site plots`: DVC's page, drawn by Vega from vendor/, with no CDN request."""
    monkeypatch.chdir(tmp_path)
    subprocess.run(["dvc", "init", "--no-scm", "-q"], check=True)
    Path("roc.csv").write_text("fpr,tpr\n0,0\n0.1,0.7\n0.4,0.9\n1,1\n")
    Path("dvc.yaml").write_text("plots:\n  - roc.csv:\n      x: fpr\n      y: tpr\n")
    index = offline_plots(SiteFiles(REPO / "site"), tmp_path / "dvc_plots")
    assert "cdn.jsdelivr.net" not in index.read_text()
    with serving(server(index.parent)) as port:
        page = browser.new_page()
        errors: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"http://127.0.0.1:{port}/index.html")
        page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=30_000)
        assert errors == []
        assert foreign(requests) == []
        page.close()


def test_a_workspace_without_plots_is_an_error_not_an_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = _requirements()
    if reason:
        pytest.skip(reason)
    monkeypatch.chdir(tmp_path)
    subprocess.run(["dvc", "init", "--no-scm", "-q"], check=True)
    with pytest.raises(SiteError, match="wrote no page"):
        offline_plots(SiteFiles(REPO / "site"), tmp_path / "dvc_plots")
