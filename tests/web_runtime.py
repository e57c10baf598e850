"""The JavaScript plan runtime (web/src/runtime.js) run under Node, and the Python runtime doing the
same runs, reported alike so that tests compare them whole."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from ndg.errors import UserError
from ndg.runtime.engine import RunError, Runner
from ndg.runtime.plan import decode_plan

RUN_PLAN = Path(__file__).resolve().parent.parent / "web" / "run-plan.mjs"


def js_runs(paths: list[Path], runs: list[dict]) -> list[dict]:
    """Per plan file: {"runs": [{"steps", "sha256", "counts", "milliseconds"}…]}, {"error", "hint"} for a
    refused plan or parameter, or {"failure", "hint"} for a node that failed while it ran."""
    done = subprocess.run(["node", str(RUN_PLAN), json.dumps(runs), *map(str, paths)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"the JavaScript runtime failed (a bug, not a refusal):\n{done.stderr}")
    return json.loads(done.stdout)


def python_runs(data: bytes, runs: list[dict]) -> dict:
    """The same report from the Python runtime (steps and digests; no counts or times)."""
    try:
        runner = Runner(*decode_plan(data))
        report = []
        for values in runs:
            for name, value in values.items():
                runner.set_param(name, value)
            steps = runner.steps_to_update()
            words = runner.run()
            report.append({"steps": steps, "sha256": hashlib.sha256(words.tobytes()).hexdigest()})
        return {"runs": report}
    except RunError as error:
        return {"failure": error.message, "hint": error.hint}
    except UserError as error:
        return {"error": error.message, "hint": error.hint}


def comparable(report: dict) -> dict:
    """A report without what only the JavaScript side measures, nor the wording of a refusal
    (the runtimes quote the fields they name differently); a node's failure is kept whole."""
    if "error" in report:
        return {"error": True}
    if "failure" in report:
        return report
    return {"runs": [{"steps": run["steps"], "sha256": run["sha256"]} for run in report["runs"]]}
