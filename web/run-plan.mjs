// Run plan files under Node with the JavaScript runtime: `node web/run-plan.mjs RUNS PLAN…`.
// RUNS is a JSON list of parameter sets, one run each on the same runner (`[{}]`: one run with
// none). Prints a JSON list with, per plan, either its runs (the steps each executed, its time,
// the SHA-256 of the result's bytes and what the result holds), the mistake that refused it
// (`error`), or the failure of a node while it ran (`failure`).
// Anything but a refusal (a bug) ends the process with a stack trace and exit code 1.
import { readFileSync } from "node:fs";
import { UserError } from "./src/plan.js";
import { decodeResult, resultCounts } from "./src/result.js";
import { RunError, loadPlan } from "./src/runtime.js";
import { sha256Hex } from "./src/sha256.js";

async function runPlan(path, parameterSets) {
  const runner = await loadPlan(new Uint8Array(readFileSync(path)));
  const runs = [];
  for (const values of parameterSets) {
    for (const [name, value] of Object.entries(values)) runner.setParam(name, value);
    const steps = runner.stepsToUpdate();
    const started = performance.now();
    const words = runner.run();
    const milliseconds = performance.now() - started;
    const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
    runs.push({ steps, milliseconds, sha256: sha256Hex(bytes), counts: resultCounts(words, decodeResult(words)) });
  }
  return { runs };
}

const [runsJson, ...paths] = process.argv.slice(2);
const report = [];
for (const path of paths) {
  try {
    report.push(await runPlan(path, JSON.parse(runsJson)));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    report.push({ [error instanceof RunError ? "failure" : "error"]: error.message, hint: error.hint });
  }
}
console.log(JSON.stringify(report));
