"""USD (.usda, .usdc, .usdz) through Pixar's usd-core (the `usd` extra): film and VFX pipelines' format.

Under one `/ndg` Xform (y up, metres): each geometry item a Mesh, each instance block a
PointInstancer whose one prototype is the block's mesh (positions, orientations, scales per
instance; a shearing placement, which those cannot hold, is written out as a Mesh, and one that
flattens the mesh to nothing is left out), each path a linear BasisCurves with its thickness as
width. Prims are named after the graph's nodes (ndg.item_names), made into valid identifiers.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np

from ndg.errors import UserError
from ndg.gltf import placements
from ndg.runtime.meshes import Instances, Mesh, Shapes

USD_FORMATS = (".usda", ".usdc", ".usdz")


def _pxr():
    try:
        from pxr import Gf, Sdf, Usd, UsdGeom, UsdUtils, Vt
    except ImportError:
        raise UserError("writing USD needs Pixar's usd-core, which is not installed",
                        "install it with `pip install 'ndg[usd]'` (or `pip install usd-core`)") from None
    return Gf, Sdf, Usd, UsdGeom, UsdUtils, Vt


def encode(shapes: Shapes, names: dict[str, list[str]], suffix: str) -> bytes:
    """The file's bytes for `suffix` (.usda, .usdc or .usdz)."""
    _, _, Usd, UsdGeom, UsdUtils, _ = _pxr()
    with tempfile.TemporaryDirectory(prefix="ndg-usd-") as folder:
        layer = Path(folder) / ("scene.usda" if suffix == ".usda" else "scene.usdc")
        stage = Usd.Stage.CreateNew(str(layer))
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)
        root = UsdGeom.Xform.Define(stage, "/ndg")
        stage.SetDefaultPrim(root.GetPrim())
        taken: set[str] = set()
        for mesh, name in zip(shapes.meshes, names["geometry"]):
            if len(mesh.faces):
                _mesh(stage, f"/ndg/{_identifier(name, taken)}", mesh)
        for block, name in zip(shapes.instances, names["instances"]):
            if len(block.mesh.faces):
                _instancer(stage, f"/ndg/{_identifier(name, taken)}", block)
        for path, name in zip(shapes.paths, names["paths"]):
            if len(path.points) >= 2:
                _curve(stage, f"/ndg/{_identifier(name, taken)}", path.points, path.thickness)
        stage.GetRootLayer().Save()
        if suffix != ".usdz":
            return layer.read_bytes()
        package = Path(folder) / "scene.usdz"
        if not UsdUtils.CreateNewUsdzPackage(str(layer), str(package)):
            raise RuntimeError("usd-core could not package the stage as .usdz")
        return package.read_bytes()


def _identifier(name: str, taken: set[str]) -> str:
    """A prim name from a node name: letters, digits and _, not starting with a digit, unique."""
    base = re.sub(r"\W", "_", name, flags=re.ASCII) or "item"
    if base[0].isdigit():
        base = "_" + base
    candidate, number = base, 1
    while candidate in taken:
        candidate, number = f"{base}_{number}", number + 1
    taken.add(candidate)
    return candidate


def _mesh(stage, path: str, mesh: Mesh):
    _, _, _, UsdGeom, _, Vt = _pxr()
    prim = UsdGeom.Mesh.Define(stage, path)
    positions = np.ascontiguousarray(mesh.positions, np.float32)
    prim.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(positions))
    prim.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(mesh.normals, np.float32)))
    prim.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    prim.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(mesh.faces), 3, np.int32)))
    prim.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(np.ascontiguousarray(mesh.faces, np.int32).ravel()))
    prim.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    # three.js and Nodarium wind triangles counter-clockwise, as USD's default right-handed orientation.
    prim.CreateExtentAttr(Vt.Vec3fArray.FromNumpy(np.stack([positions.min(axis=0), positions.max(axis=0)])))
    return prim


def _instancer(stage, path: str, block: Instances) -> None:
    _, _, _, UsdGeom, _, Vt = _pxr()
    split = placements(block.matrices)
    if len(split.translation):
        instancer = UsdGeom.PointInstancer.Define(stage, path)
        prototype = _mesh(stage, f"{path}/prototype", block.mesh)
        instancer.CreatePrototypesRel().SetTargets([prototype.GetPath()])
        instancer.CreateProtoIndicesAttr(Vt.IntArray.FromNumpy(np.zeros(len(split.translation), np.int32)))
        instancer.CreatePositionsAttr(Vt.Vec3fArray.FromNumpy(split.translation))
        # Full-precision orientations (orientationsf); Gf quaternions lie in memory as x, y, z, w too.
        instancer.CreateOrientationsfAttr(Vt.QuatfArray.FromNumpy(np.ascontiguousarray(split.rotation)))
        instancer.CreateScalesAttr(Vt.Vec3fArray.FromNumpy(split.scale))
    if len(split.sheared):
        _mesh(stage, f"{path}_sheared", Instances(block.mesh, split.sheared.astype(np.float32), block.depth).expanded())


def _curve(stage, path: str, points: np.ndarray, thickness: np.ndarray) -> None:
    _, _, _, UsdGeom, _, Vt = _pxr()
    curve = UsdGeom.BasisCurves.Define(stage, path)
    curve.CreateTypeAttr(UsdGeom.Tokens.linear)
    points = np.ascontiguousarray(points, np.float32)
    curve.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
    curve.CreateCurveVertexCountsAttr(Vt.IntArray.FromNumpy(np.array([len(points)], np.int32)))
    curve.CreateWidthsAttr(Vt.FloatArray.FromNumpy(np.ascontiguousarray(2 * np.abs(thickness), np.float32)))
    curve.SetWidthsInterpolation(UsdGeom.Tokens.vertex)
