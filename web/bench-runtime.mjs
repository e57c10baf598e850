// Time the JavaScript runtime on plan files under Node: `node web/bench-runtime.mjs REPEATS PLAN…`.
// Prints, per plan, the best and the median of REPEATS complete runs (every step) in milliseconds,
// after one warm-up run, as JSON.
import { readFileSync } from "node:fs";
import { loadPlan } from "./src/runtime.js";

const [repeats, ...paths] = process.argv.slice(2);
const report = [];
for (const path of paths) {
  const runner = await loadPlan(new Uint8Array(readFileSync(path)));
  runner.run({ full: true });
  const times = [];
  for (let i = 0; i < Number(repeats); i++) {
    const started = performance.now();
    runner.run({ full: true });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  report.push({ best: times[0], median: times[Math.floor(times.length / 2)] });
}
console.log(JSON.stringify(report));
