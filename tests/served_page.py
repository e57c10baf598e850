"""`ndg serve` on a graph file with its page open in headless chromium (Debian's, driven by
playwright): shared by the browser tests, the benchmark and the README's pictures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
NDG = str(Path(sys.executable).parent / "ndg")


@contextmanager
def served_page(graph: Path, width: int = 1000, height: int = 640) -> Iterator[tuple[object, str]]:
    """The page (once it has drawn its first result) and the server's URL. The server runs in the
    graph's folder and is given the file's name, so the page and its messages name it as `plant.ndg`."""
    from playwright.sync_api import sync_playwright

    server = subprocess.Popen([NDG, "serve", graph.name, "--port", "0"], cwd=graph.parent, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = server.stdout.readline()
        url = re.search(r"http://\S+", line)
        if url is None:
            raise RuntimeError(f"ndg serve printed no URL: {line!r} {server.stderr.read() if server.poll() is not None else ''}")
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list = []
            page.on("pageerror", lambda error: errors.append(error))
            page.goto(url.group(0))
            page.wait_for_function("window.ndgPage && ndgPage.state.runs > 0", timeout=60000)
            yield page, url.group(0)
            browser.close()
            if errors:
                raise AssertionError(f"the page raised: {errors}")
    finally:
        server.terminate()
        server.wait(timeout=10)
