"""The README's pictures of `ndg serve`: the page with the plant (examples/plant.ndg with its stem
length made a parameter), and the same page showing a mistake over the last good picture.

Run: .venv/bin/python scripts/serve_pictures.py   (writes docs/images/serve.png, serve-diagnostic.png)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]
from bench_serve import graph_text  # noqa: E402
from test_serve import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as folder:
        graph = Path(folder) / "plant.ndg"
        text = graph_text("plant")
        graph.write_text(text)
        server = subprocess.Popen([str(Path(sys.executable).parent / "ndg"), "serve", graph.name, "--port", "0"],
                                  stdout=subprocess.PIPE, text=True, cwd=folder)
        try:
            url = re.search(r"http://\S+", server.stdout.readline()).group(0)
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1100, "height": 680})
                page.goto(url)
                page.wait_for_function("window.ndgPage && ndgPage.state.runs > 0", timeout=60000)
                page.locator("input[data-param=length]").fill("13")
                page.wait_for_function("ndgPage.state.runs > 1")
                page.screenshot(path=ROOT / "docs" / "images" / "serve.png")
                graph.write_text(text.replace("gravity(plant: wavy", "gravity(plant: wavvy"))
                page.wait_for_selector("#diagnostics:not([hidden])", timeout=60000)
                page.screenshot(path=ROOT / "docs" / "images" / "serve-diagnostic.png")
                browser.close()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
