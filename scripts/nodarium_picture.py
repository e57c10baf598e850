"""Draw a plant as ndg grows it (default mode) next to the same graph as Nodarium grows it (the
oracle's words), both with ndg's own renderer, into one picture.

    .venv/bin/python scripts/nodarium_picture.py [--graph GRAPH.json] [--seed N] [-o PNG]

Without --graph: Nodarium's default template with its randoms made constants, as
tests/fixtures/nodarium_nodes.json.gz holds it. Needs the oracle (../shared/oracle/nodarium).
"""

import argparse
import gzip
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import check, compile_text
from ndg.compiler.nodarium.interchange import export_graph, import_graph
from ndg.render import View, render
from ndg.runtime.engine import Runner
from ndg.runtime.format import repair_geometry_counts
from ndg.runtime.meshes import decode

ROOT = Path(__file__).resolve().parent.parent
ORACLE = ROOT.parent / "shared" / "oracle" / "nodarium" / "js" / "run.mjs"


def nodarium_words(graph: dict, seed: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "graph.json").write_text(json.dumps(graph))
        subprocess.run(["node", str(ORACLE), str(Path(tmp) / "graph.json"), "--seed", str(seed),
                        "--out", str(Path(tmp) / "result.bin")], check=True, capture_output=True)
        return np.fromfile(Path(tmp) / "result.bin", dtype="<i4")


def labelled(image: Image.Image, label: str) -> Image.Image:
    ImageDraw.Draw(image).text((12, 10), label, fill=(30, 30, 30))
    return image


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "images" / "nodarium_default_plant.png")
    args = parser.parse_args()
    library = NodeLibrary.load(())
    if args.graph:
        graph = json.loads(args.graph.read_text())
        text = import_graph(graph, library, str(args.graph)).text
    else:
        plants = json.loads(gzip.decompress((ROOT / "tests" / "fixtures" / "nodarium_nodes.json.gz").read_bytes()))["plants"]
        text = plants[f"default_plant_{args.seed}"]["ndg"] if f"default_plant_{args.seed}" in plants else None
        if text is None:
            raise SystemExit(f"no fixture plant for seed {args.seed}: give --graph")
        graph, _ = export_graph(check(text, "plant.ndg", library))
    compiled = compile_text(text, "plant.ndg", ())
    runner = Runner(compiled.plan, compiled.module.wasm)
    if any(p.name == "seed" for p in compiled.plan.params):
        runner.set_param("seed", args.seed)  # the run's seed, which Nodarium's seed inputs receive too
    ours = runner.run()
    theirs = repair_geometry_counts(nodarium_words(graph, args.seed))
    view = View(640, 560)
    pictures = [labelled(render(decode(ours), view), "ndg (default mode)"),
                labelled(render(decode(theirs), view), "Nodarium (its own words)")]
    side_by_side = Image.new("RGB", (2 * view.width, view.height))
    for at, picture in enumerate(pictures):
        side_by_side.paste(picture, (at * view.width, 0))
    side_by_side.save(args.output, optimize=True)
    print(args.output)


if __name__ == "__main__":
    main()
