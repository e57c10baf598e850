"""Regenerate tests/fixtures/nodarium_nodes.json.gz: Nodarium's own words for single node calls,
and for whole plants.

Each case is a small .ndg graph with one node of interest, `subject`, whose node type occurs once
in the graph. The graph is exported to Nodarium JSON, run by real Nodarium (the oracle in
../shared/oracle/nodarium, `run.mjs --trace`) with the case's run seed, and the words that type's
call returned are kept. Each plant is Nodarium's default template with its two `random` nodes
replaced by constants; its result (2,253,489 words) is kept as a length and a SHA-256.
tests/test_nodarium_nodes.py runs the same .ndg through ndg and compares.

    .venv/bin/python scripts/nodarium_node_fixtures.py [ORACLE_DIR]
"""

import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import check
from ndg.compiler.nodarium.interchange import export_graph

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "nodarium_nodes.json.gz"

# Nodarium gives resolution inputs the graph settings whatever the node says, so cases set those.
SMALL = "settings {\n    resolution.curve: 6,\n    resolution.circle: 5,\n}\n"
WAVY = SMALL + "stems = stem(amount: 3, length: 4, thickness: 0.2)\n"


def noise(seed, octaves=1, extra=""):
    return f"{WAVY}subject = noise(plant: stems, scale: 2.2, strength: 4.9, seed: {seed}, octaves: {octaves}{extra})\n"


# name: (run seed, .ndg text, the fixes that make default mode differ from Nodarium here)
CASES = {
    **{f"random_{seed}_{low}_{high}": (seed, SMALL + f"subject = stem(amount: 1, length: random(min: {low}, max: {high}, seed: {seed}))\n"
                                              "output(input: subject)\n", [])
       for seed, low, high in [(0, 0, 1), (1, 0, 1), (42, -2, 3), (99999, 1, 1.5), (123456, 0.5, 8), (-7, 0, 1)]},
    "stem_nan_length": (0, SMALL + "subject = stem(amount: 2, length: math(op_type: divide, a: 0, b: 0))\n"
                           "output(input: subject)\n", []),
    **{f"noise_{seed}_{octaves}": (seed, noise(seed, octaves) + "output(input: subject)\n", [])
       for seed, octaves in [(0, 1), (5, 3), (77, 5), (2024, 2)]},
    "noise_fix_bottom_and_directions": (3, noise(3, 2, ", fixBottom: 0.5, directionalStrength: [1, 0.5, 2]")
                                        + "output(input: subject)\n", []),
    "branch_on_wavy_stems": (4, noise(4).replace("subject", "wavy")
                             + "subject = branch(plant: wavy, amount: 7, length: 1.6, lowestBranch: 0.46, offsetSingle: 0.5, "
                               "rotation: 30)\noutput(input: subject)\n", []),
    "branch_on_straight_stems": (0, SMALL + "subject = branch(plant: stem(amount: 2, length: 3), amount: 3)\n"
                                    "output(input: subject)\n", ["branch_parallel_to_y"]),
    "gravity_on_wavy_stems": (8, noise(8).replace("subject", "wavy")
                              + "subject = gravity(plant: wavy, strength: 0.38, curviness: 1)\noutput(input: subject)\n",
                              ["gravity_late"]),
    "output_of_wavy_stems": (6, noise(6).replace("subject", "wavy") + "output(input: wavy)\n",
                             ["tube_circles", "opening_count"]),
    "output_of_straight_stems": (0, SMALL + "output(input: stem(amount: 2, length: 3))\n",
                                 ["opening_count"]),
    "output_of_a_stem_growing_down": (0, SMALL + "output(input: stem(amount: 1, length: -3, thickness: 0.4))\n",
                                      ["tube_mirrored", "opening_count"]),
    **{f"rotate_{axis}_{spread}": (9, noise(9).replace("subject", "wavy")
                                   + f"subject = rotate(plant: wavy, axis: {axis}, angle: 0.7, spread: {spread})\n"
                                     "output(input: subject)\n", [])
       for axis, spread in [(0, "false"), (1, "true"), (2, "true")]},
    "instance_on_wavy_stems": (10, noise(10).replace("subject", "wavy")
                               + "subject = instance(plant: wavy, geometry: triangle(size: 0.3), amount: 4, "
                                 "lowestInstance: 0.1, highestInstance: 0.9)\noutput(input: subject)\n", []),
    **{f"box_{name}": (0, SMALL + f"stems = stem(amount: 1, length: 2)\nsubject = box(size: {size})\n"
                          "output(input: instance(plant: stems, geometry: subject, amount: 1))\n", fixes)
       for name, size, fixes in [("positive", 1.5, []), ("negative", -2, []), ("zero", 0, ["box_zero_normals"])]},
}



def default_plant(seed: int) -> str:
    """Nodarium's default template (app/src/lib/graph-templates/default.json), its random origin
    and thickness replaced by constants."""
    return f"""settings {{
    resolution.circle: 26,
    resolution.curve: 39,
}}

stems = stem(origin: vec3(0: 0.7, 1: 0, 2: -1.3), amount: 5, length: 11, thickness: 0.11)
wavy = noise(plant: stems, scale: 2.2, strength: 4.9, fixBottom: 1, seed: {seed})
branches = branch(plant: gravity(plant: wavy, strength: 0.38, curviness: 1), length: 1.6, thickness: 0.69,
                  offsetSingle: 0.5, lowestBranch: 0.46, highestBranch: 1, amount: 36, rotation: 180)
output(input: gravity(plant: branches, strength: 0.38, curviness: 1))
"""


PLANT_SEEDS = [0, 3, 12345]


def subject_type(text: str) -> str:
    graph = check(text, "case.ndg", NodeLibrary.load(()))
    name = "subject" if "subject" in graph.nodes else "output"
    return graph.nodes[name].definition.id


def run_oracle(oracle: Path, text: str, seed: int) -> dict[str, list[int]]:
    graph = check(text, "case.ndg", NodeLibrary.load(()))
    data, _ = export_graph(graph)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "graph.json"
        source.write_text(json.dumps(data))
        done = subprocess.run(["node", str(oracle / "js" / "run.mjs"), str(source), "--seed", str(seed),
                               "--trace", str(Path(tmp) / "trace")], capture_output=True, text=True, check=True)
        if json.loads(done.stdout.splitlines()[-1])["errors"]:
            raise SystemExit(f"Nodarium failed: {done.stdout}")
        calls = json.loads((Path(tmp) / "trace" / "calls.json").read_text())
        return {call["id"]: Path(tmp, "trace", call["base"] + ".out.bin").read_bytes() for call in calls}


def plant_fixture(oracle: Path, seed: int) -> dict:
    words = run_oracle(oracle, default_plant(seed), seed)["max/plantarium/output"]
    return {"seed": seed, "ndg": default_plant(seed), "length": len(words) // 4,
            "sha256": hashlib.sha256(words).hexdigest()}


def main():
    oracle = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "oracle" / "nodarium"
    fixtures = {}
    for name, (seed, text, fixes) in CASES.items():
        node = subject_type(text)
        words = run_oracle(oracle, text, seed)[node]
        fixtures[name] = {"seed": seed, "ndg": text, "node": node, "fixes": fixes,
                          "words": list(memoryview(words).cast("i"))}
        print(f"{name}: {node}, {len(words) // 4} words")
    plants = {f"default_plant_{seed}": plant_fixture(oracle, seed) for seed in PLANT_SEEDS}
    FIXTURE.write_bytes(gzip.compress(json.dumps({"nodes": fixtures, "plants": plants}, indent=0).encode(), mtime=0))


if __name__ == "__main__":
    main()
