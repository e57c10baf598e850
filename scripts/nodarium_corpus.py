"""Regenerate tests/fixtures/nodarium_corpus.json.gz: the differential corpus against Nodarium.

Every case is a Nodarium graph (JSON, as Nodarium saves it) and a run seed; real Nodarium (the
oracle in ../shared/oracle/nodarium, `run.mjs`) runs it and its result words are kept, whole for
small results, as a length and a SHA-256 beside per-item counts for large ones, with the node
types in the order Nodarium called them (its `--trace`); a graph on which Nodarium's run stops
keeps its error instead. tests/test_nodarium_corpus.py imports each graph with `ndg import` (with and without `--compat`),
runs it with the same seed and compares.

    .venv/bin/python scripts/nodarium_corpus.py [ORACLE_DIR]

The generated DAGs come from hypothesis, derandomized: another hypothesis version may draw others.
"""

import gzip
import hashlib
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from ndg.compiler.definitions import NodeLibrary

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "nodarium_corpus.json.gz"
# Results longer than this are kept as a digest and counts rather than word by word.
WHOLE_WORDS = 40_000
P = "max/plantarium/"


class Graph:
    """A Nodarium graph under construction: `add` returns the new node's id."""

    def __init__(self, curve=5, circle=3):
        self.data = {"settings": {"resolution.curve": curve, "resolution.circle": circle}, "nodes": [], "edges": []}

    def add(self, node_type, **inputs):
        node_id = len(self.data["nodes"])
        props = {}
        # Edges in the order of the node's inputs, the order ndg's compatibility mode assumes
        # (Nodarium's depth-first walk takes a node's parents in the order of its edges).
        order = [i.name for i in NodeLibrary.load(()).by_id(P + node_type).inputs]
        for name, value in sorted(inputs.items(), key=lambda item: order.index(item[0])):
            if isinstance(value, Ref):
                self.data["edges"].append([value.id, 0, node_id, name])
            else:
                props[name] = value
        self.data["nodes"].append({"id": node_id, "type": P + node_type, "position": [node_id * 30, 0], "props": props})
        return Ref(node_id)

    def output(self, plant):
        self.add("output", input=plant)
        return self.data


class Ref:
    def __init__(self, node_id):
        self.id = node_id


def stems(g, **inputs):
    return g.add("stem", **{"amount": 2, "length": 4, "thickness": 0.2, **inputs})


def wavy(g, seed_scale=2.2, **inputs):
    return g.add("noise", plant=stems(g, **inputs), scale=seed_scale, strength=3)


def random_node(g, low, high):
    return g.add("random", min=low, max=high)


def single_nodes():
    """Every node alone in front of the output (with what it needs), at ordinary and edge values."""
    cases = {}
    for name, inputs in {
        "stem_default": {}, "stem_one": {"amount": 1}, "stem_five": {"amount": 5, "length": 11, "thickness": 0.1},
        "stem_zero_length": {"length": 0}, "stem_negative_length": {"length": -3},
        "stem_zero_thickness": {"thickness": 0}, "stem_negative_thickness": {"thickness": -0.5},
        "stem_origin": {"origin": [1, -2, 0.5]}, "stem_amount_max": {"amount": 64, "length": 1},
    }.items():
        g = Graph()
        cases[name] = (0, g.output(stems(g, **inputs)), [])
    for curve in (3, 64):
        g = Graph(curve=curve)
        cases[f"stem_resolution_{curve}"] = (0, g.output(stems(g)), [])
    for op in range(4):
        g = Graph()
        length = g.add("math", op_type=op, a=3, b=g.add("float", value=1.5))
        cases[f"math_op_{op}"] = (0, g.output(stems(g, length=length)), [])
    for name, (a, b) in {"nan": (0, 0), "infinity": (1, 0), "negative_zero": (-0.0, 5)}.items():
        g = Graph()
        cases[f"math_divide_{name}"] = (0, g.output(stems(g, length=g.add("math", op_type=3, a=a, b=b))), [])
    for seed, octaves, extra in [(0, 1, {}), (5, 3, {}), (77, 5, {}), (2024, 2, {"fixBottom": 0}),
                                 (3, 2, {"fixBottom": 0.5, "directionalStrength": [1, 0.5, 2]}),
                                 (9, 1, {"scale": 0.1, "strength": 0.1}), (10, 1, {"scale": 10, "strength": 10}),
                                 (11, 1, {"depth": 2})]:
        g = Graph()
        noise = g.add("noise", plant=stems(g, amount=3), **{"scale": 2.2, "strength": 4.9, "octaves": octaves, **extra})
        cases[f"noise_{seed}_{octaves}_{len(extra)}"] = (seed, g.output(noise), [])
    for strength, curviness in [(0.38, 1), (0, 0.5), (1, 0), (0.2, 0.5), (1, 1), (0.5, 0.001)]:
        g = Graph()
        bent = g.add("gravity", plant=wavy(g), strength=strength, curviness=curviness)
        cases[f"gravity_{strength}_{curviness}"] = (1, g.output(bent), ["gravity_late"])
    for name, inputs in {
        "default": {}, "one": {"amount": 1}, "zero": {"amount": 0}, "many": {"amount": 36, "length": 1.6},
        "template_like": {"amount": 7, "length": 1.6, "lowestBranch": 0.46, "offsetSingle": 0.5, "rotation": 30},
        "offset_ends": {"amount": 4, "offsetSingle": 1, "lowestBranch": 0, "highestBranch": 1},
        "lowest_above_highest": {"amount": 5, "lowestBranch": 0.9, "highestBranch": 0.1},
        "rotation_360": {"amount": 5, "rotation": 360}, "thick": {"amount": 3, "thickness": 1, "length": 3},
        "zero_length": {"amount": 3, "length": 0}, "longest": {"amount": 2, "length": 3, "thickness": 0},
    }.items():
        g = Graph()
        cases[f"branch_{name}"] = (2, g.output(g.add("branch", plant=wavy(g), **inputs)), [])
    g = Graph()
    cases["branch_on_straight_stems"] = (0, g.output(g.add("branch", plant=stems(g), amount=3)), ["branch_parallel_to_y"])
    for axis in range(3):
        for spread in (True, False):
            g = Graph()
            rotated = g.add("rotate", plant=wavy(g), axis=axis, angle=0.8, spread=spread)
            cases[f"rotate_{axis}_{int(spread)}"] = (4, g.output(rotated), [])
    g = Graph()
    cases["rotate_full_turn"] = (4, g.output(g.add("rotate", plant=wavy(g), axis=1, angle=6.28318530718, spread=True)), [])
    for shape, size in [("box", 1.5), ("box", -2), ("box", 0), ("triangle", 1), ("triangle", 0), ("triangle", -1)]:
        g = Graph()
        geometry = g.add(shape, size=size)
        fixes = ["box_zero_normals"] if shape == "box" and size == 0 else []
        cases[f"{shape}_{size}"] = (0, g.output(g.add("instance", plant=stems(g, amount=1), geometry=geometry, amount=2)), fixes)
    for name, inputs in {"few": {"amount": 1}, "many": {"amount": 9}, "range_ends": {"amount": 4, "lowestInstance": 0,
                         "highestInstance": 1}, "depth_two": {"amount": 3, "depth": 2}}.items():
        g = Graph()
        plant = g.add("branch", plant=wavy(g), amount=3)
        leaves = g.add("instance", plant=plant, geometry=g.add("triangle", size=0.3), **inputs)
        cases[f"instance_{name}"] = (5, g.output(leaves), [])
    return cases


def per_use_cases():
    """Scalars fed by `random`, directly or through math and vec3: evaluated per use, counters and all."""
    cases = {}
    for seed in (0, 1, 7, 99999):
        g = Graph()
        r = random_node(g, 0.5, 2)
        origin = g.add("vec3", **{"0": r, "1": 0, "2": r})
        cases[f"random_stem_{seed}"] = (seed, g.output(stems(g, amount=4, length=r, thickness=random_node(g, 0.1, 0.3),
                                                             origin=origin)), [])
    g = Graph()
    length = g.add("math", op_type=2, a=random_node(g, 1, 3), b=g.add("math", op_type=0, a=random_node(g, 0, 1), b=2))
    cases["random_through_math"] = (3, g.output(stems(g, amount=3, length=length)), [])
    g = Graph()
    nested = random_node(g, random_node(g, -1, 0), g.add("math", op_type=1, a=5, b=random_node(g, 0, 2)))
    cases["random_of_randoms"] = (6, g.output(stems(g, amount=3, length=nested)), [])
    g = Graph()
    noise = g.add("noise", plant=stems(g, amount=3), scale=random_node(g, 1, 3), strength=random_node(g, 2, 5),
                  directionalStrength=g.add("vec3", **{"0": random_node(g, 0, 1), "1": 1, "2": 1}))
    cases["random_noise"] = (8, g.output(noise), [])
    g = Graph()
    bent = g.add("gravity", plant=wavy(g), strength=random_node(g, 0.1, 0.6), curviness=random_node(g, 0.2, 1))
    cases["random_gravity"] = (9, g.output(bent), ["gravity_late"])
    g = Graph()
    r = random_node(g, 0.2, 0.9)
    branches = g.add("branch", plant=wavy(g), amount=5, length=r, thickness=r, offsetSingle=r,
                     lowestBranch=random_node(g, 0.1, 0.3), rotation=random_node(g, 0, 90))
    cases["random_branch"] = (10, g.output(branches), [])
    g = Graph()
    first = g.add("branch", plant=wavy(g), amount=3, length=random_node(g, 0.5, 1.5))
    second = g.add("branch", plant=first, amount=2, depth=1, length=random_node(g, 0.2, 0.4))
    cases["random_two_branch_nodes"] = (11, g.output(second), ["branch_depth_tag"])
    g = Graph()
    leaves = g.add("instance", plant=stems(g, amount=2), geometry=g.add("box", size=random_node(g, 0.1, 0.5)), amount=3)
    cases["random_box"] = (12, g.output(leaves), [])
    g = Graph()
    twigs = g.add("branch", plant=wavy(g), amount=2)
    leaves = g.add("instance", plant=twigs, geometry=g.add("triangle", size=random_node(g, 0.1, 0.5)), amount=3,
                   lowestInstance=random_node(g, 0, 0.5), highestInstance=random_node(g, 0.6, 1), depth=2)
    cases["random_instance"] = (14, g.output(leaves), [])
    g = Graph()
    rotated = g.add("rotate", plant=wavy(g), axis=2, angle=random_node(g, 0, 3), spread=True)
    cases["random_rotate"] = (13, g.output(rotated), [])
    return cases


def chains():
    cases = {}
    g = Graph(curve=8, circle=4)
    plant = g.add("gravity", plant=g.add("branch", plant=wavy(g, amount=3), amount=4), strength=0.3, curviness=0.8)
    cases["chain_stem_noise_branch_gravity"] = (14, g.output(plant), ["gravity_late"])
    g = Graph(curve=8, circle=4)
    plant = g.add("rotate", plant=g.add("branch", plant=wavy(g), amount=3), axis=1, angle=1, spread=True)
    cases["chain_branch_rotate"] = (15, g.output(plant), [])
    g = Graph(curve=6, circle=3)
    twigs = g.add("branch", plant=g.add("branch", plant=wavy(g), amount=3, length=2), amount=2, depth=1, length=0.5)
    cases["chain_two_branch_levels"] = (16, g.output(twigs), ["branch_depth_tag"])
    g = Graph(curve=6, circle=3)
    twigs = g.add("branch", plant=wavy(g), amount=4)
    plant = g.add("instance", plant=g.add("gravity", plant=twigs, strength=0.2, curviness=1),
                  geometry=g.add("box", size=0.1), amount=2)
    cases["chain_leaves_on_bent_branches"] = (17, g.output(plant), ["gravity_late"])
    g = Graph(curve=6, circle=3)
    plant = g.add("noise", plant=g.add("noise", plant=stems(g), scale=1, strength=1), scale=3, strength=2, octaves=2)
    cases["chain_noise_twice"] = (18, g.output(plant), [])
    return cases


def run_order_cases():
    """Nodarium's execution order and repeated runs (reference/nodarium.md §4.2): a node runs once
    per path by which it reaches the output, in the order of a last-write-wins depth, and fails
    with "missing input" where that depth puts it before a node it reads. Each node's edges go in
    its inputs' order, the order compatibility mode assumes."""
    cases = {}
    g = Graph()
    # The box is written first, so a topological order that breaks ties by the file's order runs it
    # before the stems; Nodarium runs it after them, at the instance's depth.
    box = g.add("box", size=random_node(g, 0.1, 0.3))
    leaves = g.add("instance", plant=g.add("branch", plant=wavy(g), amount=2), geometry=box, amount=2)
    cases["run_order_box_written_first"] = (21, g.output(leaves), ["branch_depth_tag"])
    for paths in (2, 3):
        g = Graph()
        # An eager scalar (no random in it) reached along `paths` paths: Nodarium runs it that often.
        shared = g.add("math", op_type=2, a=g.add("float", value=1.5), b=2)
        origin = g.add("vec3", **{"0": shared, "1": 0, "2": shared if paths == 3 else 1})
        cases[f"run_order_scalar_reached_{paths}_times"] = (
            22 + paths, g.output(stems(g, amount=2, origin=origin, length=shared)), [])
    g = Graph()
    r = random_node(g, 0.2, 2)
    origin = g.add("vec3", **{"0": r, "1": r, "2": r})
    cases["run_order_random_reached_4_times"] = (26, g.output(stems(g, amount=3, origin=origin, length=r)), [])
    return cases


def last_depth_wins():
    """The P, Q, A, R, S example of reference/nodarium.md §4.2, with math nodes: the stem's edges
    from P (length), then Q (thickness)."""
    g = Graph()
    a = g.add("float", value=2)
    s = g.add("math", op_type=0, a=a, b=1)
    r = g.add("math", op_type=0, a=s, b=1)
    q = g.add("math", op_type=0, a=r, b=1)
    p = g.add("math", op_type=0, a=a, b=1)
    return g.output(stems(g, amount=1, length=p, thickness=q))


def failing_cases():
    """Graphs on which Nodarium's run stops: its depth puts a node before one it reads."""
    return {"missing_input_last_depth_wins": (0, last_depth_wins(), [])}


def edge_order_cases():
    """The same graph with the stem's edges in the other order in the file: Nodarium walks the
    parents the other way and runs it (ndg import keeps the order, compatibility mode follows it)."""
    graph = last_depth_wins()
    stem_edges = [edge for edge in graph["edges"] if edge[3] in ("length", "thickness")]
    others = [edge for edge in graph["edges"] if edge not in stem_edges]
    return {"run_order_edges_in_file_order": (0, {**graph, "edges": stem_edges[::-1] + others}, [])}


def default_template():
    """Nodarium's default template (app/src/lib/graph-templates/default.json)."""
    g = Graph(curve=39, circle=26)
    r = random_node(g, -2, 2)
    origin = g.add("vec3", **{"0": r, "1": 0, "2": r})
    plant = g.add("stem", origin=origin, amount=5, length=11, thickness=random_node(g, 0.073, 0.15))
    plant = g.add("noise", plant=plant, strength=4.9, scale=2.2, fixBottom=1, directionalStrength=[1, 1, 1], depth=1,
                  octaves=1)
    plant = g.add("gravity", plant=plant, strength=0.38, curviness=1, depth=1)
    plant = g.add("branch", plant=plant, length=1.6, thickness=0.69, amount=36, offsetSingle=0.5, lowestBranch=0.46,
                  highestBranch=1, depth=1, rotation=180)
    plant = g.add("gravity", plant=plant, strength=0.38, curviness=1, depth=1)
    return g.output(plant)


def generated(count=12, seed=2026):
    """Random chains of the path nodes over random stems, with random values inside their ranges
    (drawn once, here, so the corpus is fixed)."""
    rng = random.Random(seed)
    cases = {}
    for index in range(count):
        g = Graph(curve=rng.randint(3, 9), circle=rng.randint(3, 6))
        length = random_node(g, 0.5, 4) if rng.random() < 0.3 else round(rng.uniform(0.5, 8), 2)
        plant = stems(g, amount=rng.randint(1, 4), length=length, thickness=round(rng.uniform(0.05, 0.5), 3))
        fixes = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(["noise", "gravity", "branch", "rotate"])
            if kind == "noise":
                plant = g.add("noise", plant=plant, scale=round(rng.uniform(0.1, 10), 2),
                              strength=round(rng.uniform(0.1, 10), 2), octaves=rng.randint(1, 5))
            elif kind == "gravity":
                plant = g.add("gravity", plant=plant, strength=round(rng.uniform(0, 1), 2),
                              curviness=round(rng.uniform(0, 1), 2))
                fixes.append("gravity_late")
            elif kind == "branch":
                plant = g.add("branch", plant=plant, amount=rng.randint(0, 6), length=round(rng.uniform(0, 3), 2),
                              offsetSingle=round(rng.uniform(0, 1), 2), rotation=round(rng.uniform(0, 360), 1))
                fixes.append("branch_parallel_to_y")
                fixes.append("branch_depth_tag")
            else:
                plant = g.add("rotate", plant=plant, axis=rng.randint(0, 2), angle=round(rng.uniform(0, 6.28), 2),
                              spread=rng.random() < 0.5)
        cases[f"generated_{index}"] = (rng.randint(0, 10**6), g.output(plant), sorted(set(fixes)))
    return cases


def generated_dags(count=20):
    """Hypothesis-generated graphs whose scalar nodes are shared: `float`, `math`, `random` and
    `vec3` nodes feeding several inputs of several nodes (so Nodarium runs them once per path, and
    its depth order sometimes runs one before a node it reads), a chain of path nodes, perhaps
    leaves, and the nodes and the edges listed in a shuffled order."""
    @settings(derandomize=True, database=None, max_examples=10 * count, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(st.data())
    def draw(data):
        g = Graph(curve=data.draw(st.integers(3, 7)), circle=data.draw(st.integers(3, 5)))
        numbers = st.floats(-2, 3, allow_nan=False).map(lambda v: round(v, 2))
        scalars: list = []

        def scalar(low=0.1, high=2.0):
            """A constant or a shared scalar node (new or one made before)."""
            choice = data.draw(st.integers(0, 4 if scalars else 2))
            if choice == 0:
                return round(data.draw(st.floats(low, high)), 2)
            if choice == 1:
                scalars.append(random_node(g, low, round(low + data.draw(st.floats(0, high - low)), 2)))
            elif choice == 2:
                scalars.append(g.add("math", op_type=data.draw(st.integers(0, 2)), a=data.draw(numbers),
                                     b=scalars[-1] if scalars else data.draw(numbers)))
            elif choice == 3:
                a, b = (data.draw(st.sampled_from(scalars)) for _ in range(2))
                scalars.append(g.add("math", op_type=data.draw(st.integers(0, 2)), a=a, b=b))
            return data.draw(st.sampled_from(scalars))

        def vector():
            if data.draw(st.booleans()):
                return [data.draw(numbers) for _ in range(3)]
            return g.add("vec3", **{k: scalar(-1, 1) for k in ("0", "1", "2")})

        plant = g.add("stem", origin=vector(), amount=data.draw(st.integers(1, 3)), length=scalar(0.5, 4),
                      thickness=scalar(0.05, 0.4))
        for kind in data.draw(st.lists(st.sampled_from(["noise", "gravity", "branch", "rotate"]), min_size=1, max_size=3)):
            if kind == "noise":
                plant = g.add("noise", plant=plant, scale=scalar(0.1, 5), strength=scalar(0.1, 5),
                              directionalStrength=vector())
            elif kind == "gravity":
                plant = g.add("gravity", plant=plant, strength=scalar(0, 1), curviness=scalar(0, 1))
            elif kind == "branch":
                plant = g.add("branch", plant=plant, amount=data.draw(st.integers(0, 4)), length=scalar(0, 2),
                              thickness=scalar(0.1, 1), offsetSingle=scalar(0, 1), rotation=scalar(0, 360))
            else:
                plant = g.add("rotate", plant=plant, axis=data.draw(st.integers(0, 2)), angle=scalar(0, 6))
        if data.draw(st.booleans()):
            shape = data.draw(st.sampled_from(["box", "triangle"]))
            plant = g.add("instance", plant=plant, geometry=g.add(shape, size=scalar(0.1, 0.5)), amount=2)
        graph = g.output(plant)
        feeds = [edge[0] for edge in graph["edges"]]
        assume(any(feeds.count(node) > 1 for node in feeds))  # a node shared by two inputs at least
        key = json.dumps(graph)
        graph["nodes"] = data.draw(st.permutations(graph["nodes"]))
        graph["edges"] = data.draw(st.permutations(graph["edges"]))  # Nodarium walks parents in this order
        fixes = {"gravity": ["gravity_late"], "branch": ["branch_parallel_to_y", "branch_depth_tag"]}
        applying = sorted({fix for n in graph["nodes"] for fix in fixes.get(n["type"].rsplit("/", 1)[1], [])})
        drawn.setdefault(key, (data.draw(st.integers(0, 10**6)), graph, applying))

    drawn: dict[str, tuple] = {}
    draw()  # hypothesis repeats some examples: draw more than needed, keep the distinct ones
    return {f"generated_dag_{index}": case for index, case in enumerate(list(drawn.values())[:count])}


def all_cases():
    cases = {**single_nodes(), **per_use_cases(), **chains(), **run_order_cases(), **edge_order_cases(),
             **failing_cases(), **generated(), **generated_dags()}
    for seed in (0, 3, 12345):
        cases[f"default_template_{seed}"] = (seed, default_template(), ["gravity_late"])
    return cases


def run_oracle(oracle: Path, graph: dict, seed: int) -> tuple[bytes, list[str]] | str:
    """Nodarium's result words and the node types it called, in order; or the error that stopped its run."""
    with tempfile.TemporaryDirectory() as tmp:
        source, result, trace = Path(tmp) / "graph.json", Path(tmp) / "words.bin", Path(tmp) / "trace"
        source.write_text(json.dumps(graph))
        done = subprocess.run(["node", str(oracle / "js" / "run.mjs"), str(source), "--seed", str(seed), "--out",
                               str(result), "--trace", str(trace)], capture_output=True, text=True)
        if done.returncode != 0:
            return next(line for line in done.stderr.splitlines() if line.startswith("Error: "))[len("Error: "):]
        errors = json.loads(done.stdout.splitlines()[-1])["errors"]
        if errors:
            raise SystemExit(f"Nodarium failed: {errors}")
        calls = [call["id"].rsplit("/", 1)[1] for call in json.loads((trace / "calls.json").read_text())]
        return result.read_bytes(), calls


def main():
    oracle = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "oracle" / "nodarium"
    fixtures = {}
    for name, (seed, graph, fixes) in all_cases().items():
        entry = {"seed": seed, "graph": graph, "fixes": fixes}
        ran = run_oracle(oracle, graph, seed)
        if isinstance(ran, str):
            entry["fails"] = ran
            print(f"{name}: Nodarium fails: {ran}")
        else:
            words, entry["calls"] = ran
            entry.update(length=len(words) // 4, sha256=hashlib.sha256(words).hexdigest())
            if len(words) // 4 <= WHOLE_WORDS:
                entry["words"] = list(memoryview(words).cast("i"))
            print(f"{name}: {len(words) // 4} words")
        fixtures[name] = entry
    FIXTURE.write_bytes(gzip.compress(json.dumps(fixtures, separators=(",", ":")).encode(), mtime=0))
    print(f"{len(fixtures)} cases -> {FIXTURE.relative_to(ROOT)} ({FIXTURE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
