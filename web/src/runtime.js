// Replay a plan on one WebAssembly.Memory shared with its module, in Node or a browser: the
// JavaScript twin of runtime/engine.py, byte for byte the same results.
//
// Loading validates the plan, creates the memory and the instance, and writes the tables and
// constants once. A run is one call of the module's `ndg_run` over consecutive steps; after a
// parameter change on a `keep` plan only the steps that depend on it run again.
//
// Differences from the Python runtime, on purpose: no fuel budget (V8 has no instruction metering;
// a page stops a runaway script itself), and plans with per-node modules are refused by the
// validator with a message that says to compile them with `--modules single`.

import {
  ABI_VERSION, CONTROL, CONTROL_FIELDS, FLAGS, GUARD_WORD, MESSAGE_BYTES, RUN_SHIFT, STATUS, VALUE_ENTRY, VALUE_ENTRY_WORDS,
  WORD_BYTES,
} from "./abi.js";
import { UserError, decodePlan, region, stepRecords, validatePlan } from "./plan.js";
import { encodeScalar, rangeProblem, scalarProblem } from "./scalars.js";
import { sha256Hex } from "./sha256.js";

const PROVIDED_IMPORTS = ["env.memory", "env.ndg_panic"];
const FIXED_KINDS = ["constants", "params", "steps", "records", "guard"];
// Node ids of ndg's own library: a fault in one of these is ndg's to fix, in any other its author's.
const BUILT_IN = ["max/plantarium/", "ndg/core/"];

/** A node failed while the plan ran; the message names the node as the user wrote it. */
export class RunError extends UserError {
  constructor(message, hint = null) {
    super(message, hint);
    this.name = "RunError";
  }
}

/** A Runner for a plan file's bytes (a Uint8Array), checked completely before anything runs. */
export async function loadPlan(bytes) {
  const { plan, module } = decodePlan(bytes);
  validatePlan(plan);
  if (sha256Hex(module) !== plan.module.sha256) {
    throw new UserError("the plan's module does not match the SHA-256 recorded in the plan",
      "the module was changed or swapped; compile the graph again");
  }
  let compiled;
  try {
    compiled = await WebAssembly.compile(module);
  } catch (error) {
    throw new UserError(`the plan's module does not load: ${error.message}`);
  }
  const kinds = moduleKinds(compiled);
  if (kinds.length !== plan.kinds.length || kinds.some((kind, i) => kind !== plan.kinds[i])) {
    throw new UserError("the plan is invalid: its node kinds do not match the module's",
      "compile the graph again with `ndg compile`; a plan is not meant to be edited by hand");
  }
  for (const wanted of WebAssembly.Module.imports(compiled)) {
    if (!PROVIDED_IMPORTS.includes(`${wanted.module}.${wanted.name}`)) {
      throw new UserError(`the module imports ${wanted.module}.${wanted.name}, which ndg does not provide`,
        "a node module may import only env.memory and env.ndg_panic");
    }
  }
  return new Runner(plan, compiled);
}

function moduleKinds(compiled) {
  const sections = WebAssembly.Module.customSections(compiled, "ndg_kinds");
  if (!sections.length) {
    throw new UserError("the module has no ndg_kinds section, so it was not built by ndg for this runtime");
  }
  let kinds;
  try {
    kinds = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(sections[0]));
  } catch {
    kinds = null;
  }
  if (!Array.isArray(kinds) || !kinds.every((k) => typeof k === "string")) {
    throw new UserError("the module's ndg_kinds section is damaged");
  }
  return kinds;
}

function describeRange(param) {
  if (param.min === null && param.max === null) return "";
  return ` from ${param.min === null ? "-∞" : param.min} to ${param.max === null ? "∞" : param.max}`;
}

export class Runner {
  constructor(plan, compiled) {
    this.plan = plan;
    this.compiled = compiled;
    this.control = region(plan, "control").offset;
    this.guards = plan.regions.filter((r) => r.kind === "guard");
    this.fixedRegions = plan.regions.filter((r) => FIXED_KINDS.includes(r.kind));
    this.params = new Map(plan.params.map((p) => [p.name, p]));
    this.paramWords = new Map();
    this.records = stepRecords(plan);
    // Only when every output survives the whole run can a partial run reuse the others' values.
    this.canRerunPart = plan.layout === "keep";
    // A per-use expression may read any parameter, and the steps that evaluate them draw with call
    // counters that a run starts at 0: after any change, every expression counts as changed (the
    // Python runtime's Runner does the same).
    this.expressions = plan.values.flatMap((value, index) => (value.type === "expression" ? [index] : []));
    this.runs = 0;
    this.dirty = new Set();
    this.current = false;
    this.instantiate();
    this.writeTables();
  }

  instantiate() {
    const pages = this.plan.memory_pages;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.bytes = new Uint8Array(this.memory.buffer);
    this.words = new Int32Array(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
    const panic = (ptr, length) => {
      if (ptr >= 0 && ptr < this.bytes.length) {
        const text = this.bytes.subarray(ptr, Math.min(ptr + Math.min(length, 4096), this.bytes.length));
        this.panicMessage = new TextDecoder().decode(text);
      }
    };
    let instance;
    try {
      instance = new WebAssembly.Instance(this.compiled, { env: { memory: this.memory, ndg_panic: panic } });
    } catch (error) {
      throw new UserError(`the plan is invalid: the module does not fit the plan's memory (${error.message})`,
        "compile the graph again with `ndg compile`");
    }
    const { ndg_run: run, __heap_base: heapBase } = instance.exports;
    const staticEnd = region(this.plan, "static").offset + region(this.plan, "static").size;
    if (!(heapBase instanceof WebAssembly.Global) || !(heapBase.value >= 0 && heapBase.value <= staticEnd)) {
      throw new UserError("the plan is invalid: the module's static data does not fit the plan's static region",
        "compile the graph again with `ndg compile`");
    }
    if (typeof run !== "function" || run.length !== 3) {
      throw new UserError("the plan is invalid: the module's ndg_run dispatcher is missing or has the wrong signature",
        "compile the graph again with `ndg compile`");
    }
    this.runExport = run;
    this.current = false;
  }

  writeWords(offset, words) {
    this.words.set(words, offset / 4);
  }

  writeTables() {
    const { plan } = this;
    const values = region(plan, "values");
    const steps = region(plan, "steps");
    const records = region(plan, "records");
    const control = new Array(CONTROL_FIELDS).fill(0);
    control[CONTROL.abi_version] = ABI_VERSION;
    [control[CONTROL.values], control[CONTROL.n_values]] = [values.offset, plan.values.length];
    [control[CONTROL.steps], control[CONTROL.n_steps]] = [steps.offset, plan.steps.length];
    control[CONTROL.flags] = plan.compat ? FLAGS.compat : 0;
    this.writeWords(this.control, control);
    const table = new Array(VALUE_ENTRY_WORDS * plan.values.length).fill(0);
    plan.values.forEach((value, index) => {
      const entry = VALUE_ENTRY_WORDS * index;
      table[entry + VALUE_ENTRY.ptr] = value.offset;
      table[entry + VALUE_ENTRY.capacity] = value.capacity;
      table[entry + VALUE_ENTRY.len] = value.words !== null ? value.capacity : 0;
    });
    this.writeWords(values.offset, table);
    const addresses = [];
    let at = records.offset;
    for (const record of this.records) {
      addresses.push(at);
      this.writeWords(at, record);
      at += 4 * record.length;
    }
    this.writeWords(steps.offset, addresses);
    plan.values.forEach((value, index) => {
      if (value.words !== null && value.words.length) this.writeWords(value.offset, this.paramWords.get(index) || value.words);
    });
    for (const guard of this.guards) this.u32.fill(GUARD_WORD, guard.offset / 4, (guard.offset + guard.size) / 4);
    this.rememberFixedBytes();
  }

  rememberFixedBytes() {
    // Regions start 16-byte aligned and hold whole words: compared word by word after each run.
    this.fixedWords = this.fixedRegions.map((r) => this.u32.slice(r.offset / 4, (r.offset + r.size) / 4));
  }

  /** Give parameter `name` a new value for the following runs (type- and range-checked). */
  setParam(name, value) {
    const param = this.params.get(name);
    if (param === undefined) {
      const known = [...this.params.keys()].map((p) => `\`${p}\``).join(", ") || "none";
      throw new UserError(`the plan has no parameter \`${name}\``, `its parameters are: ${known}`);
    }
    const problem = scalarProblem(param.type, value) || rangeProblem(param, value);
    if (problem) {
      throw new UserError(`parameter \`${name}\` (${param.type}${describeRange(param)}) cannot be ${JSON.stringify(value)}: ${problem}`,
        `give \`${name}\` a value of type ${param.type}${describeRange(param)}`);
    }
    const words = encodeScalar(param.type, value);
    const offset = this.plan.values[param.value].offset / 4;
    if (words.every((word, i) => this.words[offset + i] === (word | 0))) return;
    this.paramWords.set(param.value, words);
    this.writeWords(offset * 4, words);
    this.rememberFixedBytes();
    this.dirty.add(param.value);
  }

  /** The steps the next run executes: all, or on a `keep` plan only those a changed parameter reaches. */
  stepsToUpdate() {
    if (!(this.current && this.canRerunPart)) return this.plan.steps.map((_, index) => index);
    const reached = new Set(this.dirty.size ? [...this.dirty, ...this.expressions] : []);
    const chosen = [];
    this.plan.steps.forEach((step, index) => { // steps are in dependency order
      if (step.inputs.some((input) => reached.has(input))) {
        chosen.push(index);
        reached.add(step.output);
      }
    });
    return chosen;
  }

  /** Run the plan (only what changed, unless `full`) and return a view of the output's words. */
  run({ full = false } = {}) {
    const steps = full ? this.plan.steps.map((_, index) => index) : this.stepsToUpdate();
    this.current = false;
    // Each run has its own number in the control block's flags (above the compatibility bit).
    this.runs += 1;
    const run = (this.runs % 2 ** (32 - RUN_SHIFT)) * 2 ** RUN_SHIFT;
    this.u32[this.control / WORD_BYTES + CONTROL.flags] = (this.plan.compat ? FLAGS.compat : 0) + run;
    for (const [first, end] of consecutiveRanges(steps)) this.invoke(first, end);
    this.checkFixedBytes();
    this.dirty.clear();
    this.current = true;
    return this.value(this.plan.output);
  }

  invoke(first, end) {
    this.panicMessage = null;
    let status;
    try {
      status = this.runExport(this.control, first, end);
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError || error instanceof RangeError)) throw error;
      const state = this.readControl();
      // The instance is in an unknown state after a trap; start a fresh one on the same plan.
      this.instantiate();
      this.writeTables();
      throw this.failure(state, error);
    }
    if (status !== STATUS.ok) throw this.failure(this.readControl(), null);
  }

  readControl() {
    const at = this.control / 4;
    const field = (name) => this.u32[at + CONTROL[name]];
    const messageAt = this.control + WORD_BYTES * CONTROL_FIELDS;
    const message = this.bytes.subarray(messageAt, messageAt + Math.min(field("message_len"), MESSAGE_BYTES));
    return { step: field("current_step"), status: field("status"), detail: field("detail"),
      message: new TextDecoder().decode(message) };
  }

  where(index) {
    const step = this.plan.steps[index];
    return `node \`${step.node}\` (${this.plan.source}:${step.line})`;
  }

  failure(state, trap) {
    if (!(state.step >= 0 && state.step < this.plan.steps.length)) {
      return new RunError(`the module failed outside any step (${trap ? trap.message : state.message})`);
    }
    const step = this.plan.steps[state.step];
    const where = this.where(state.step);
    if (trap !== null && state.status === STATUS.scratch_exhausted) {
      return new RunError(`${where} ran out of its ${Math.floor(state.detail / 1024)} KiB scratch heap`,
        "the node allocates too much while it runs; lower the amounts it works on");
    }
    if (trap !== null) {
      const detail = this.panicMessage || trap.message.split("\n")[0];
      return new RunError(`${where} ${this.panicMessage ? "panicked" : "trapped"}: ${detail}`, "check the values given to this node");
    }
    if (state.status === STATUS.capacity) {
      const kind = this.plan.kinds[step.kind];
      const blame = BUILT_IN.some((prefix) => kind.startsWith(prefix))
        ? "its size rule under-counts for these inputs; report this with the graph"
        : `the node \`${kind}\` is at fault: its size rule (\`size\` in its definition.json) under-counts `
          + "what its code writes for these inputs; fix the rule or the code";
      return new RunError(`${where} needs more than its ${state.detail}-word output slot and was stopped before overrunning it`,
        blame);
    }
    if (state.status === STATUS.bad_input) {
      const name = state.detail < step.input_names.length ? step.input_names[state.detail] : `#${state.detail}`;
      return new RunError(`${where} got a malformed value on its input \`${name}\``,
        "the node that produced it wrote words its type does not allow");
    }
    if (state.status === STATUS.invalid) {
      return new RunError(`${where} refused its inputs: ${state.message}`, "check the values given to this node");
    }
    return new RunError(`${where}: the plan does not match the module (${state.message})`,
      "compile the graph again with `ndg compile`");
  }

  // After every run: the constants, parameters, tables and guard words are as written.
  // A plain loop over words: a closure per byte cost a 10,000-step chain 5 ms a run.
  checkFixedBytes() {
    const u32 = this.u32;
    for (let i = 0; i < this.fixedRegions.length; i++) {
      const expected = this.fixedWords[i];
      const start = this.fixedRegions[i].offset / 4;
      for (let at = 0; at < expected.length; at++) {
        if (u32[start + at] !== expected[at]) this.fixedWordChanged(this.fixedRegions[i], 4 * (start + at));
      }
    }
  }

  fixedWordChanged(r, changed) {
    // The next run starts from the plan's tables and constants again, and runs every step.
    this.writeTables();
    this.current = false;
    const hint = "run with --check to find which node; report this with the graph";
    const index = this.plan.values.findIndex((v) => v.words !== null && v.offset <= changed && changed < v.offset + 4 * v.capacity);
    if (index >= 0) throw new RunError(`a node wrote over ${this.describeSlot(index)} during the run`, hint);
    const what = r.kind === "guard" ? "the guard words" : `the plan's ${r.kind} table`;
    throw new RunError(`a node wrote outside its output slot (over ${what} at ${changed})`, hint);
  }

  describeSlot(index) {
    const value = this.plan.values[index];
    if (value.producer !== null) return `the output of ${this.where(value.producer)}`;
    const kind = this.plan.params.some((p) => p.value === index) ? "parameter" : "constant";
    return `a ${kind} (${value.type} at ${value.offset})`;
  }

  /** The words value `index` holds now: a view of the memory, valid until the next run. */
  value(index) {
    const value = this.plan.values[index];
    const length = this.u32[region(this.plan, "values").offset / WORD_BYTES + VALUE_ENTRY_WORDS * index + VALUE_ENTRY.len];
    const start = value.offset / 4;
    return this.words.subarray(start, start + Math.min(length, value.capacity));
  }

  nodeValue(node) {
    const step = this.plan.steps.find((s) => s.node === node);
    if (step === undefined) throw new UserError(`the plan has no node named \`${node}\``);
    return this.value(step.output);
  }
}

/** Sorted step indices as [first, end) ranges: one module call per range. */
function consecutiveRanges(steps) {
  const ranges = [];
  for (const index of steps) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === index) last[1] = index + 1;
    else ranges.push([index, index + 1]);
  }
  return ranges;
}
