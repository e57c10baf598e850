"""Khronos' glTF validator and three.js's GLTFLoader, run under Node from tests/js (`make setup`
installs them there with `npm ci`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

JS = Path(__file__).resolve().parent / "js"


def _node(script: str, files: list[Path]) -> list[dict]:
    if not (JS / "node_modules").is_dir():
        raise RuntimeError(f"the test's JavaScript tools are not installed: run `make setup` (npm ci in {JS})")
    done = subprocess.run(["node", str(JS / script), *map(str, files)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"node {script} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def validate(files: list[Path]) -> dict[str, dict]:
    """Per file: {errors, warnings, messages} from gltf-validator (messages: errors and warnings)."""
    return {report["file"]: report for report in _node("validate.mjs", files)}


def three_js_scenes(files: list[Path]) -> dict[str, dict]:
    """Per file: the bounds three.js computes (min, max, empty), the objects it made, their names."""
    return {scene["file"]: scene for scene in _node("bounds.mjs", files)}
