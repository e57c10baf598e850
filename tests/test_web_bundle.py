"""The page bundle shipped in the Python package (ndg/web_assets) is what web/'s sources build to."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "ndg" / "web_assets"


def test_the_shipped_bundle_is_built_from_the_current_sources(tmp_path):
    assert (ROOT / "web" / "node_modules" / "esbuild").is_dir(), "run `make setup` (npm ci in web/)"
    subprocess.run(["node", str(ROOT / "web" / "build.mjs"), str(tmp_path)], check=True, timeout=120)
    built = sorted(path.name for path in tmp_path.iterdir())
    assert built == sorted(path.name for path in SHIPPED.iterdir())
    for name in built:
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), f"{name} is stale: run `make web`"


def test_the_page_loads_nothing_from_elsewhere():
    for name in ("index.html", "app.js", "app.css"):
        text = (SHIPPED / name).read_text()
        assert "://" not in text.replace("http://www.w3.org/", ""), name
