"""The README's pictures of `ndg serve`: the page with the plant (examples/plant.ndg with its stem
length made a parameter), and the same page showing a mistake over the last good picture.

Run: .venv/bin/python scripts/serve_pictures.py   (writes docs/images/serve.png, serve-diagnostic.png)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]
from bench_serve import graph_text  # noqa: E402
from served_page import served_page  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as folder:
        graph = Path(folder) / "plant.ndg"
        text = graph_text("plant")
        graph.write_text(text)
        with served_page(graph, 1100, 680) as (page, _):
            page.locator("input[data-param=length]").fill("13")
            page.wait_for_function("ndgPage.state.runs > 1")
            page.screenshot(path=ROOT / "docs" / "images" / "serve.png")
            graph.write_text(text.replace("gravity(plant: wavy", "gravity(plant: wavvy"))
            page.wait_for_selector("#diagnostics:not([hidden])", timeout=60000)
            page.screenshot(path=ROOT / "docs" / "images" / "serve-diagnostic.png")


if __name__ == "__main__":
    main()
