// Run a plan file under Node with the JavaScript runtime: `node web/run-plan.mjs PLAN [RUNS]`.
// RUNS is a JSON list of parameter sets, one run each on the same runner (default: one run with
// none). Prints, per run, the steps it executed, the SHA-256 of the result's bytes and what the
// result holds, as JSON; a mistake prints `error: …` and exits with 2, as the ndg command does.
import { readFileSync } from "node:fs";
import { decodeResult, resultCounts } from "./src/result.js";
import { UserError } from "./src/plan.js";
import { loadPlan } from "./src/runtime.js";
import { sha256Hex } from "./src/sha256.js";

const [planPath, runsJson = "[{}]"] = process.argv.slice(2);
try {
  const runner = await loadPlan(new Uint8Array(readFileSync(planPath)));
  const report = [];
  for (const values of JSON.parse(runsJson)) {
    for (const [name, value] of Object.entries(values)) runner.setParam(name, value);
    const steps = runner.stepsToUpdate();
    const started = performance.now();
    const words = runner.run();
    const milliseconds = performance.now() - started;
    const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
    report.push({ steps, milliseconds, sha256: sha256Hex(bytes), counts: resultCounts(words, decodeResult(words)) });
  }
  console.log(JSON.stringify(report));
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  console.error(`error: ${error.message}${error.hint ? `\n  = hint: ${error.hint}` : ""}`);
  process.exit(2);
}
