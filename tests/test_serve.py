"""`ndg serve` in a real browser (Debian's chromium, headless, driven by playwright): the page shows
the plant with the stats and bytes `ndg run` gives, a parameter control re-runs it, saving the file
updates it, a mistake shows the CLI's diagnostic over the last picture; foreign requests are refused."""

import base64
import hashlib
import http.client
import io
import json
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from served_page import CHROMIUM, NDG, served_page

from ndg.serve import allowed_hosts

PLANT = """\
param length: float = 6 in 0..10
param amount: integer = 3 in 1..8
stems = stem(amount: amount, length: length, thickness: 0.2)
wavy = noise(plant: stems, strength: 2, scale: 1.5)
branches = branch(plant: wavy, amount: 12, length: 1.4)
output(input: gravity(plant: branches, strength: 0.3))
"""
pytestmark = [pytest.mark.toolchain,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make setup installs it)")]


def ndg_json(*args: str) -> dict:
    done = subprocess.run([NDG, "run", *args, "--json"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def ndg_words_sha256(graph: Path, tmp: Path, *sets: str) -> str:
    out = tmp / "words.bin"
    subprocess.run([NDG, "run", str(graph), "-o", str(out), "-q", *(f"--set={s}" for s in sets)], check=True)
    return hashlib.sha256(out.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "plant.ndg"
    path.write_text(PLANT)
    return path


@pytest.fixture(scope="module")
def served(graph):
    with served_page(graph) as page_and_url:
        yield page_and_url


@pytest.fixture(scope="module")
def page(served):
    return served[0]


@pytest.fixture(scope="module")
def server(served):
    return served[1]


def runs(page) -> int:
    return page.evaluate("ndgPage.state.runs")


def canvas_pixels(page) -> np.ndarray:
    """What the canvas holds (without the panels drawn over it)."""
    url = page.evaluate("document.getElementById('view').toDataURL('image/png')")
    data = base64.b64decode(url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def plant_pixels(pixels: np.ndarray) -> int:
    """Pixels of the plant's green, which neither the background nor the grid has."""
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return int(((green > red + 20) & (green > blue + 20)).sum())


def test_the_page_shows_the_plant_with_the_stats_of_ndg_run(page, graph, tmp_path):
    expected = ndg_json(str(graph))
    counts = page.evaluate("ndgPage.state.counts")
    assert counts == {key: expected["result"][key] for key in counts}
    stats = {row.get_attribute("data-stat"): row.locator("td").inner_text() for row in page.locator("#stats tr").all()}
    assert stats["nodes"] == str(expected["nodes"])
    assert stats["memory"] == f"{expected['memory_bytes'] // 1024:,} KiB"
    assert stats["vertices"] == f"{expected['result']['vertices']:,}"
    assert stats["triangles"] == f"{expected['result']['triangles']:,}"
    assert page.evaluate("ndgPage.resultSha256()") == ndg_words_sha256(graph, tmp_path)
    pixels = canvas_pixels(page)
    assert plant_pixels(pixels) > 0.01 * pixels.shape[0] * pixels.shape[1]
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200  # shaded, not flat


def test_a_parameter_control_reruns_the_plan_as_ndg_run_set_does(page, graph, tmp_path):
    before, pixels = runs(page), plant_pixels(canvas_pixels(page))
    page.locator("input[data-param=length]").fill("9.5")
    page.wait_for_function(f"ndgPage.state.runs > {before}")
    assert page.evaluate("ndgPage.resultSha256()") == ndg_words_sha256(graph, tmp_path, "length=9.5")
    assert plant_pixels(canvas_pixels(page)) != pixels  # redrawn: a longer plant
    before = runs(page)
    page.locator("input[data-param=amount]").fill("5")
    page.wait_for_function(f"ndgPage.state.runs > {before}")
    assert page.evaluate("ndgPage.resultSha256()") == ndg_words_sha256(graph, tmp_path, "length=9.5", "amount=5")
    assert page.evaluate("ndgPage.state.counts.paths") == 5 * 13


def test_saving_the_file_updates_the_page_and_a_mistake_shows_its_diagnostic(page, graph, tmp_path):
    version = page.evaluate("ndgPage.state.version")
    graph.write_text(PLANT.replace("amount: 12", "amount: 4"))
    page.wait_for_function(f"ndgPage.state.version > {version}", timeout=30000)
    # The parameter values set in the page are kept across the swap.
    assert page.locator("input[data-param=length]").input_value() == "9.5"
    assert page.evaluate("ndgPage.resultSha256()") == ndg_words_sha256(graph, tmp_path, "length=9.5", "amount=5")
    good, picture = page.evaluate("ndgPage.resultSha256()"), plant_pixels(canvas_pixels(page))

    graph.write_text(PLANT.replace("noise(", "nosie("))
    page.wait_for_selector("#diagnostics:not([hidden])", timeout=30000)
    cli = subprocess.run([NDG, "run", graph.name, "-q"], capture_output=True, text=True, cwd=graph.parent)
    shown = page.locator("#diagnostics").inner_text()
    assert shown.strip() == cli.stderr.strip()
    assert "error[E101]" in shown and "^^^^^" in shown and "did you mean `noise`" in shown
    assert page.evaluate("ndgPage.resultSha256()") == good and plant_pixels(canvas_pixels(page)) == picture

    version = page.evaluate("ndgPage.state.version")
    graph.write_text(PLANT)
    page.wait_for_function(f"ndgPage.state.version > {version}", timeout=30000)
    page.wait_for_selector("#diagnostics", state="hidden")
    assert page.evaluate("ndgPage.resultSha256()") == ndg_words_sha256(graph, tmp_path, "length=9.5", "amount=5")


def request(url: str, path: str, headers: dict) -> int:
    host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def test_foreign_hosts_and_origins_are_refused_and_nothing_else_is_served(server):
    own = server.removeprefix("http://").rstrip("/")
    assert request(server, "/", {"Host": own}) == 200
    assert request(server, "/plan.ndp", {"Host": own, "Origin": f"http://{own}"}) == 200
    assert request(server, "/", {"Host": "evil.example:80"}) == 403
    assert request(server, "/", {"Host": f"evil.example:{own.rsplit(':', 1)[1]}"}) == 403  # DNS rebinding
    assert request(server, "/plan.ndp", {"Host": own, "Origin": "http://evil.example"}) == 403
    assert request(server, "/", {"Host": own, "Origin": "null"}) == 403
    assert request(server, "/", {}) in (400, 403)  # no Host at all: HTTP/1.1 itself refuses it
    for path in ["/assets/../../pyproject.toml", "/assets/%2e%2e/serve.py", "/assets/..%2fserve.py", "/../pyproject.toml",
                 "/assets/index.html", "/etc/passwd", "/plan.ndp/..", "/web_assets/app.js"]:
        assert request(server, path, {"Host": own}) == 404, path


def test_allowed_hosts_are_this_machines_names_on_this_port():
    assert allowed_hosts("127.0.0.1", 8123) == {"127.0.0.1:8123", "localhost:8123", "[::1]:8123"}
    assert "[::]:80" in allowed_hosts("::", 80)


def test_the_downloads_are_the_result_as_glb_and_the_current_plan(page, graph, tmp_path, monkeypatch):
    import trimesh

    from ndg.serve import compile_plan

    with page.expect_download() as download:
        page.locator("#download-glb").click()
    glb = tmp_path / download.value.suggested_filename
    download.value.save_as(glb)
    assert glb.name == "plant.glb" and glb.read_bytes()[:4] == b"glTF"
    scene = trimesh.load(glb, force="scene")
    assert sum(len(g.faces) for g in scene.geometry.values()) == page.evaluate("ndgPage.state.counts.triangles")
    with page.expect_download() as download:
        page.locator("#download-plan").click()
    plan = tmp_path / "plant.ndp"
    download.value.save_as(plan)
    monkeypatch.chdir(graph.parent)  # the server was given the file's name
    assert plan.read_bytes() == compile_plan(Path(graph.name))


def test_open_starts_the_browser_on_the_printed_url(graph, tmp_path):
    opened = tmp_path / "opened"
    browser = f"sh -c 'echo \"$0\" > {opened}' %s"
    server = subprocess.Popen([NDG, "serve", str(graph), "--port", "0", "--open"], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "BROWSER": browser, "PYTHONUNBUFFERED": "1"})
    try:
        url = re.search(r"http://\S+", server.stdout.readline()).group(0)
        for _ in range(100):
            if opened.exists() and opened.read_text().strip():
                break
            time.sleep(0.05)
        assert opened.read_text().strip() == url
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0/")
    finally:
        server.terminate()
        server.wait(timeout=10)
