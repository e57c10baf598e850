"""The size-rule language: shapes evaluated exactly, mistakes in rules reported clearly."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.sizes import BulkValue, ItemShape, output_shape
from ndg.errors import UserError
from ndg.runtime.format import GEOMETRY, INSTANCES, PATH

LIBRARY = NodeLibrary.load()


def node(name: str):
    return LIBRARY.by_id(f"max/plantarium/{name}")


def paths(*pairs) -> BulkValue:
    """A list of paths given as (points, depth) pairs."""
    return BulkValue.of_items(tuple(ItemShape(PATH, points=p, depth=d) for p, d in pairs), "list")


@settings(max_examples=50, deadline=None)
@given(amount=st.integers(1, 64), resolution=st.integers(3, 64))
def test_stem_size_is_amount_times_4r_plus_6_plus_4(amount, resolution):
    shape = output_shape(node("stem"), {"amount": amount, "resolution_curve": resolution}, "stem")
    assert shape.words == amount * (4 * resolution + 6) + 4
    assert set(shape.items) == {ItemShape(PATH, points=resolution, depth=1)}


def test_fixed_geometry_sizes():
    assert output_shape(node("box"), {}, "box").words == 91
    assert output_shape(node("triangle"), {}, "triangle").words == 28


def test_branch_grows_only_the_deepest_paths_and_tags_branches_one_deeper():
    plant = paths((5, 1), (7, 2), (9, 2))
    shape = output_shape(node("branch"), {"plant": plant, "amount": 2, "resolution_curve": 3, "depth": 1}, "b")
    branch = ItemShape(PATH, points=4, depth=3)  # resolution raised to 4
    assert shape.items == (plant.items[0], branch, branch, plant.items[1], branch, branch, plant.items[2])
    both_levels = output_shape(node("branch"), {"plant": plant, "amount": 0, "resolution_curve": 8, "depth": 2}, "b")
    assert [i.depth for i in both_levels.items] == [2, 1, 3, 2, 3, 2]  # amount 0 still grows one, as in Nodarium


def test_instance_counts_selected_paths_and_takes_the_geometrys_size():
    plant = paths((5, 1), (7, 2), (9, 2))
    box = output_shape(node("box"), {}, "box")
    shape = output_shape(node("instance"), {"plant": plant, "geometry": box, "amount": 3, "depth": 1}, "i")
    assert shape.items == (*plant.items, ItemShape(INSTANCES, vertices=8, faces=12, instances=6))
    assert shape.words == plant.words + 9 + 16 * 6 + 6 * 8 + 3 * 12


def test_output_adds_a_tube_after_each_path():
    plant = paths((39, 1), (2, 2))
    shape = output_shape(node("output"), {"input": plant, "resolution_circle": 26}, "output")
    assert shape.items[1] == ItemShape(GEOMETRY, vertices=39 * 26, faces=2 * 38 * 26)
    assert shape.words == 4 + sum(4 * p + 6 + 7 + 6 * p * 26 + 6 * (p - 1) * 26 for p in (39, 2))


def test_noise_gravity_rotate_keep_the_shape():
    plant = paths((5, 1), (7, 2))
    for name in ("noise", "gravity", "rotate"):
        assert output_shape(node(name), {"plant": plant}, name) == plant


def rule(size: str, inputs=("plant", "amount")):
    definition = node("branch")
    return replace(definition, size=size, inputs=tuple(i for i in definition.inputs if i.name in inputs))


@pytest.mark.parametrize("size, message", [
    ("paths(amount, 3", "does not parse"),
    ("paths(count, 3, 1)", "names `count`, which is not one of its inputs"),
    ("tubes(plant)", "calls unknown function `tubes`"),
    ("each(plant, item.colour)", "reads unknown attribute `.colour`"),
    ("paths(1, 2)", "with 2 arguments instead of 3"),
    ("plant + 1", "uses items or a condition where it needs a number"),
    ("amount ++ plant", "uses a number where it needs items"),
    ("when(amount, plant)", "needs a condition"),
    ("item", "uses `item` outside each"),
    ("amount > 1", "gives a condition, not a size"),
])
def test_mistakes_in_rules_are_explained(size, message):
    with pytest.raises(UserError) as error:
        output_shape(rule(size), {"plant": paths((3, 1)), "amount": 2}, "b")
    assert message in error.value.message


def test_sizes_that_cannot_be_known_are_refused_with_the_node_named():
    with pytest.raises(UserError, match="depends on `amount`, which is only known when the graph runs"):
        output_shape(node("stem"), {"resolution_curve": 3}, "stems")
    with pytest.raises(UserError, match="has -1 paths"):
        output_shape(node("stem"), {"amount": -1, "resolution_curve": 3}, "stems")
    with pytest.raises(UserError, match="holds 2 items, not one"):
        output_shape(node("instance"), {"plant": paths(), "geometry": paths((2, 1), (2, 1)), "amount": 1, "depth": 1}, "i")
    opaque = BulkValue(10, "list")
    with pytest.raises(UserError, match="declares only a word count"):
        output_shape(node("noise"), {"plant": opaque}, "n")


def test_a_plain_number_is_a_word_count_without_items():
    assert output_shape(rule("4 * amount + 6"), {"amount": 3}, "b") == BulkValue(18, "list")
