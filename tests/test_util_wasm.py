"""ndg_util's random numbers and noise give the same bits in a wasm32 node as in the native unit
tests (nodes/ndg_util/src/rng.rs and noise.rs pin the values there)."""

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import f32_bits

from ndg.cli import main

pytestmark = pytest.mark.toolchain

# The first xorshift draw for the state (1, 2, 2, 2), pinned in rng.rs: exact as an f32.
FIRST_DRAW = 2059
SEED_BYTES = "[1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]"
# random_value(-1, 3, 7, counter 0): Nodarium's own value, pinned in noise.rs.
NOISE_BITS = 0x3F98858A


def test_rng_and_noise_bits_match_the_native_ones(tmp_path):
    assert CliRunner().invoke(main, ["nodes", "new", "me/check/draws", "--dir", str(tmp_path / "nodes")]).exit_code == 0
    source = tmp_path / "nodes" / "draws" / "src" / "lib.rs"
    text = source.read_text()
    old_point = "out.push_vec3([0.0, along * length, 0.0])?;"
    old_thickness = "out.push_f32(THICKNESS * (1.0 - along))?;"
    assert old_point in text and old_thickness in text
    text = text.replace(old_point, f"out.push_vec3([ndg_util::rng::XorShift::from_seed({SEED_BYTES}).next_u32() as f32, along, length])?;")
    text = text.replace(old_thickness, "out.push_f32(ndg_util::noise::random_value(-1.0, 3.0, 7, &mut 0))?;")
    source.write_text(text)
    (tmp_path / "draws.ndg").write_text("output(input: draws(length: 2, points: 2))\n")

    done = CliRunner().invoke(main, ["run", str(tmp_path / "draws.ndg"), "--nodes", str(tmp_path / "nodes"),
                                     "-o", str(tmp_path / "out.bin")], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    words = np.fromfile(tmp_path / "out.bin", dtype="<i4").tolist()
    # After the list and path headers: two points (draw, along, length, noise).
    assert words[6:14] == [f32_bits(float(FIRST_DRAW)), f32_bits(0.0), f32_bits(2.0), NOISE_BITS,
                           f32_bits(float(FIRST_DRAW)), f32_bits(1.0), f32_bits(2.0), NOISE_BITS]
