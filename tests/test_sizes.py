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


def _branch_levels_text(amounts) -> str:
    lines = [f"s0 = stem(amount: {max(amounts[0], 1)})"]
    lines += [f"s{i} = branch(plant: s{i - 1}, amount: {a})" for i, a in enumerate(amounts[1:], 1)]
    return "\n".join(lines) + f"\noutput(input: s{len(amounts) - 1})\n"


def _shapes(text: str):
    from ndg.compiler.passes import analyse
    from ndg.compiler.sizes import graph_shapes
    from ndg.compiler.syntax import parse
    graph, problems = analyse(parse(text, "g.ndg"), LIBRARY)
    assert not problems
    return graph_shapes(graph)


@settings(max_examples=25, deadline=None)
@given(amounts=st.lists(st.integers(0, 7), min_size=2, max_size=4))
def test_merging_alike_items_keeps_every_size_exact(amounts):
    """Past the limit alike items are merged: the same sizes as item by item, only the order lost."""
    from ndg.compiler import sizes
    text = _branch_levels_text(amounts)
    in_order = _shapes(text)
    limit = sizes.ORDERED_GROUPS_LIMIT
    sizes.ORDERED_GROUPS_LIMIT = 1
    try:
        merged = _shapes(text)
    finally:
        sizes.ORDERED_GROUPS_LIMIT = limit
    for name, shape in in_order.items():
        assert (merged[name].words, merged[name].exact) == (shape.words, shape.exact), name
        if len(shape.groups) > 1 and shape.items is not None and len(set(shape.items)) > 1:
            assert merged[name].items is None  # the order is not claimed once it is lost


def test_four_levels_of_64_branches_are_sized_without_enumerating_them():
    shapes = _shapes(_branch_levels_text([64, 64, 64, 64]))
    top = shapes["s3"]
    assert top.exact and not top.ordered and len(top.groups) <= 4
    # 64 stems, 64 branches on each, on each of those and again: each level's paths keep their parents.
    assert sum(g.count.lo for g in top.groups) == 64 + 64**2 + 64**3 + 64**4
