// The V8 column of bench/bench_engines.py: `node bench/engines-v8.mjs PLAN…` loads each plan with
// the JavaScript runtime (web/src) and answers one command per line on stdin, one line each:
// `digest I` → the SHA-256 of plan I's result after a complete run;
// `time I N run` → the best of N complete runs of plan I (the runtime's `run`), in milliseconds;
// `time I N call` → the same for the module's ndg_run alone (the run's number in the flags, then
// one call for every step, as `run` makes it), without the runtime's work around the call;
// `time I N per-node` → the same with one call per step (seed 000's design: the host calls node
// by node).
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { CONTROL, FLAGS, RUN_SHIFT, WORD_BYTES } from "../web/src/abi.js";
import { loadPlan } from "../web/src/runtime.js";
import { sha256Hex } from "../web/src/sha256.js";

const runners = [];
for (const path of process.argv.slice(2)) runners.push(await loadPlan(new Uint8Array(readFileSync(path))));

function callOnly(runner, perNode) {
  runner.runs += 1;
  const run = (runner.runs % 2 ** (32 - RUN_SHIFT)) * 2 ** RUN_SHIFT;
  runner.u32[runner.control / WORD_BYTES + CONTROL.flags] = (runner.plan.compat ? FLAGS.compat : 0) + run;
  const steps = runner.plan.steps.length;
  if (!perNode) return runner.invoke(0, steps);
  for (let index = 0; index < steps; index++) runner.invoke(index, index + 1);
}

function answer(command, index, repeats, mode) {
  const runner = runners[Number(index)];
  if (command === "digest") {
    const words = runner.run({ full: true });
    return sha256Hex(new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
  }
  const once = mode === "run" ? () => runner.run({ full: true }) : () => callOnly(runner, mode === "per-node");
  let best = Infinity;
  for (let i = 0; i < Number(repeats); i++) {
    const started = performance.now();
    once();
    best = Math.min(best, performance.now() - started);
  }
  return String(best);
}

for await (const line of createInterface({ input: process.stdin })) {
  console.log(answer(...line.trim().split(" ")));
}
