"""``dvc plots show`` that works offline: Vega from ``site/node_modules``, not from a CDN.

DVC's page loads Vega, Vega-Lite and Vega-Embed from cdn.jsdelivr.net, so on a compute
node or a plane every chart stays blank. Its ``--html-template`` replaces the page; a
template without the ``{scripts}`` placeholder drops DVC's CDN tags, and ours loads the
three libraries from ``vendor/`` beside the page instead, copied from the site's pinned
Node dependencies.

    offline_plots(SiteFiles(), Path("dvc_plots"))   # dvc_plots/index.html + vendor/
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from kdgat.site import SiteError, SiteFiles
from kdgat.site.build import install

# Package -> its browser build, in load order (Vega-Lite and Vega-Embed need Vega).
VENDOR = {
    "vega": "build/vega.min.js",
    "vega-lite": "build/vega-lite.min.js",
    "vega-embed": "build/vega-embed.min.js",
}

TEMPLATE = """<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>DVC plots (offline)</title>
  <link rel="icon" href="data:,">
  {vendor}
  <style>table {{ border-spacing: 15px; }}</style>
</head>
<body>
  {{plot_divs}}
</body>
</html>
"""


def template() -> str:
    """The page DVC fills: its plots, and the three libraries from ``vendor/``."""
    tags = "\n  ".join(f'<script src="vendor/{name}.min.js"></script>' for name in VENDOR)
    return TEMPLATE.format(vendor=tags)


def offline_plots(site: SiteFiles, out: Path, targets: list[str] | None = None) -> Path:
    """``dvc plots show`` into ``out`` with Vega bundled beside it; returns ``out/index.html``."""
    install(site)
    sources = {name: site.node_modules / name / build for name, build in VENDOR.items()}
    missing = [str(p) for p in sources.values() if not p.is_file()]
    if missing:
        raise SiteError(f"{missing[0]}: missing; run `npm ci` in {site.dir}")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "template.html"
        page.write_text(template())
        command = ["dvc", "plots", "show", "--html-template", str(page), "-o", str(out)]
        done = subprocess.run(
            [*command, *(targets or [])], capture_output=True, text=True, check=False
        )
    page = out / "index.html"
    if done.returncode or not page.is_file():  # DVC exits 0 when it could load no plot
        raise SiteError(f"`dvc plots show` wrote no page:\n{(done.stdout + done.stderr).strip()}")
    vendor = out / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    for name, source in sources.items():
        shutil.copy2(source, vendor / f"{name}.min.js")
    return page
