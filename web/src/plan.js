// Reading a plan file and checking it completely before any of it runs, exactly as
// runtime/plan.py and runtime/validate.py do: a plan may come from anywhere.

import {
  ABI_VERSION, ALIGN, CONTROL_BYTES, DIGEST_BYTES, GUARD_BYTES, MAGIC, MAX_PAGES, PAGE_BYTES,
  PLAN_VERSION, RECORD_HEADER_WORDS, RECORD_INPUT_WORDS, REGION_KINDS, SCALAR_WORDS, SLOT_POLICIES,
  VALUE_ENTRY, VALUE_ENTRY_BYTES, VALUE_TYPES, WORD_BYTES,
} from "./abi.js";
import { sha256Hex } from "./sha256.js";
import { decodeScalar, rangeProblem } from "./scalars.js";

// Records point straight at the `len` word of a value's table entry.
const LEN_FIELD_BYTES = VALUE_ENTRY.len * WORD_BYTES;
// Far above any graph a .ndg file can hold: a crafted plan cannot make validation the attack.
const MAX_STEPS = 1_000_000;
const TABLE_KINDS = ["static", "control", "values", "steps", "records", "constants", "params"];
const I32_MIN = -(2 ** 31);
const U32_MAX = 2 ** 32 - 1;

/** A mistake in what the user gave (a plan, a parameter value): message and how to fix it. */
export class UserError extends Error {
  constructor(message, hint = null) {
    super(message);
    this.name = "UserError";
    this.hint = hint;
  }
}

function corrupt(why) {
  return new UserError(`the plan file is damaged or not a plan: ${why}`,
    "compile it again with `ndg compile FILE.ndg -o FILE.ndp`");
}

function invalid(problem) {
  return new UserError(`the plan is invalid: ${problem}`,
    "compile the graph again with `ndg compile`; a plan is not meant to be edited by hand");
}

function require(condition, problem) {
  if (!condition) throw invalid(problem);
}

// Each record of the header: its fields, and the defaults of those a header may leave out.
const RECORDS = {
  Plan: { fields: ["source", "module", "kinds", "memory_pages", "regions", "values", "steps", "output"],
    defaults: { params: [], layout: "keep", peak_live_bytes: 0, modules: [], version: PLAN_VERSION,
      abi_version: ABI_VERSION, compat: false } },
  Module: { fields: ["sha256", "size"], defaults: { path: null } },
  Region: { fields: ["kind", "name", "offset", "size"], defaults: {} },
  Value: { fields: ["type", "offset", "capacity"], defaults: { words: null, producer: null, live_until: null } },
  Param: { fields: ["name", "type", "value"], defaults: { min: null, max: null } },
  Step: { fields: ["node", "kind", "output", "inputs", "input_names", "line", "col"], defaults: {} },
  NodeModule: { fields: ["node", "sha256", "size"], defaults: {} },
};

function build(name, data) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw corrupt(`${name} is not an object`);
  const { fields, defaults } = RECORDS[name];
  for (const key of Object.keys(data)) {
    if (!fields.includes(key) && !(key in defaults)) throw corrupt(`${name}: unexpected field '${key}'`);
  }
  const missing = fields.filter((key) => !(key in data));
  if (missing.length) throw corrupt(`${name}: missing ${missing.map((key) => `'${key}'`).join(", ")}`);
  return { ...defaults, ...data };
}

function list(name, data) {
  if (!data) return [];
  if (!Array.isArray(data)) throw corrupt(`the ${name} records are not a list`);
  return data.map((item) => build(name, item));
}

export function planFromHeader(header) {
  const plan = build("Plan", header);
  return {
    ...plan,
    module: build("Module", plan.module),
    kinds: plan.kinds || [],
    regions: list("Region", plan.regions),
    values: list("Value", plan.values),
    steps: list("Step", plan.steps),
    params: list("Param", plan.params),
    modules: list("NodeModule", plan.modules),
  };
}

/** The plan and its module bytes from a plan file's bytes (a Uint8Array). */
export function decodePlan(bytes) {
  const magic = new TextEncoder().encode(MAGIC);
  if (bytes.length < magic.length || magic.some((byte, i) => bytes[i] !== byte)) {
    throw corrupt("it does not start with the ndg plan signature");
  }
  if (bytes.length < magic.length + 8) throw corrupt("it is truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(magic.length, true);
  const headerLength = view.getUint32(magic.length + 4, true);
  if (version !== PLAN_VERSION) {
    throw new UserError(`the plan has format version ${version}; this ndg reads version ${PLAN_VERSION}`,
      "compile the graph again with this ndg");
  }
  const digestAt = magic.length + 8;
  const start = digestAt + DIGEST_BYTES;
  if (start + headerLength > bytes.length) throw corrupt("its header is truncated");
  const headerBytes = bytes.subarray(start, start + headerLength);
  const recorded = Array.from(bytes.subarray(digestAt, start), (b) => b.toString(16).padStart(2, "0")).join("");
  if (sha256Hex(headerBytes) !== recorded) throw corrupt("its header does not match its checksum");
  let header;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw corrupt(`its header is not JSON (${error.message})`);
  }
  const module = bytes.subarray(start + headerLength);
  if (!module.length) {
    throw new UserError("the plan does not embed its module", "compile it with the module embedded (the default)");
  }
  return { plan: planFromHeader(header), module };
}

// JSON.parse turns "-0.0" into -0, which Number.isInteger accepts; Python's reader sees a float and
// refuses it, and both runtimes must give the same verdict on the same plan.
const isInt = (value) => Number.isInteger(value) && !Object.is(value, -0);
const isString = (value) => typeof value === "string";
const end = (region) => region.offset + region.size;

export function recordWords(inputs) {
  return RECORD_HEADER_WORDS + RECORD_INPUT_WORDS * inputs;
}

/** Every step's record: `[kind, out_ptr, out_capacity, out_len_ptr, n_inputs, (ptr, len_ptr)…]`. */
export function stepRecords(plan) {
  const table = region(plan, "values").offset;
  const lengthAt = (index) => table + VALUE_ENTRY_BYTES * index + LEN_FIELD_BYTES;
  return plan.steps.map((step) => {
    const output = plan.values[step.output];
    const record = [step.kind, output.offset, output.capacity, lengthAt(step.output), step.inputs.length];
    for (const index of step.inputs) record.push(plan.values[index].offset, lengthAt(index));
    return record;
  });
}

export function region(plan, kind) {
  return plan.regions.find((r) => r.kind === kind);
}

function checkFields(plan) {
  require(plan.version === PLAN_VERSION, `format version ${plan.version} is not ${PLAN_VERSION}`);
  require(plan.abi_version === ABI_VERSION, `ABI version ${plan.abi_version} is not ${ABI_VERSION}`);
  require(isString(plan.source), "source is not a string");
  require(Array.isArray(plan.kinds) && plan.kinds.every(isString), "kinds are not strings");
  require(isInt(plan.memory_pages) && plan.memory_pages >= 1 && plan.memory_pages <= MAX_PAGES,
    `memory of ${plan.memory_pages} pages is not between 1 and ${MAX_PAGES}`);
  for (const r of plan.regions) {
    require(isString(r.kind) && isString(r.name), "a region has no kind or name");
    require(isInt(r.offset) && isInt(r.size), `region '${r.name}' has a non-integer bound`);
  }
  plan.values.forEach((value, index) => {
    require(VALUE_TYPES.includes(value.type), `value ${index} has unknown type '${value.type}'`);
    require(isInt(value.offset) && isInt(value.capacity) && value.capacity >= 0,
      `value ${index} has a bad offset or capacity`);
    require(!(value.type in SCALAR_WORDS) || value.capacity === SCALAR_WORDS[value.type],
      `value ${index} is a ${value.type} of ${value.capacity} words, not ${SCALAR_WORDS[value.type]}`);
    if (value.words !== null) {
      require(Array.isArray(value.words) && value.words.every((w) => isInt(w) && w >= I32_MIN && w <= U32_MAX)
        && value.words.length === value.capacity, `constant ${index} has bad words`);
      require(value.producer === null && value.live_until === null, `constant ${index} also names a producer`);
    } else {
      require(isInt(value.producer) && isInt(value.live_until), `slot ${index} names no producing step or lifetime`);
    }
  });
  plan.steps.forEach((step, index) => {
    require(isString(step.node) && isInt(step.kind) && isInt(step.output) && isInt(step.line) && isInt(step.col),
      `step ${index} has bad fields`);
    // Names are printed in summaries and messages: a .ndg name is never empty, nor spans lines.
    require(/^(?:[^\p{C}\p{Z}]| )+$/u.test(step.node), `step ${index} has an empty or unprintable name`);
    require(Array.isArray(step.inputs) && step.inputs.every(isInt), `step ${index} has bad inputs`);
    require(Array.isArray(step.input_names) && step.input_names.length === step.inputs.length
      && step.input_names.every(isString), `step ${index} has bad input names`);
  });
  require(isInt(plan.output), "output is not a value index");
  require(SLOT_POLICIES.includes(plan.layout), `layout '${plan.layout}' is not one of ${SLOT_POLICIES.join(", ")}`);
  require(isInt(plan.peak_live_bytes), "peak live bytes is not a number");
  require(typeof plan.compat === "boolean", "compat is not true or false");
  const names = new Set();
  for (const param of plan.params) {
    require(isString(param.name) && !names.has(param.name), `parameter '${param.name}' is unnamed or repeated`);
    names.add(param.name);
    require(param.type in SCALAR_WORDS, `parameter '${param.name}' has non-scalar type '${param.type}'`);
    const value = plan.values[param.value];
    require(isInt(param.value) && param.value >= 0 && param.value < plan.values.length
      && value.type === param.type && value.words !== null,
    `parameter '${param.name}' does not refer to a value of its type`);
    for (const bound of [param.min, param.max]) {
      require(bound === null || (typeof bound === "number" && Number.isFinite(bound)),
        `parameter '${param.name}' has a bad range`);
    }
    require(param.min === null || param.max === null || param.min <= param.max,
      `parameter '${param.name}' has min above max`);
    require(rangeProblem(param, decodeScalar(param.type, value.words)) === null,
      `parameter '${param.name}''s default is outside its range`);
  }
}

function checkRegions(plan) {
  const params = new Set(plan.params.map((p) => p.value));
  const memory = plan.memory_pages * PAGE_BYTES;
  const ordered = [...plan.regions].sort((a, b) => a.offset - b.offset);
  for (const r of ordered) {
    require(r.offset % ALIGN === 0, `region '${r.name}' is not ${ALIGN}-byte aligned`);
    require(r.offset >= 0 && r.size >= 0 && end(r) <= memory,
      `region '${r.name}' (${r.offset}+${r.size}) is outside the ${memory}-byte memory`);
  }
  for (let i = 1; i < ordered.length; i++) {
    require(end(ordered[i - 1]) <= ordered[i].offset, `regions '${ordered[i - 1].name}' and '${ordered[i].name}' overlap`);
  }
  const tables = {};
  for (const kind of TABLE_KINDS) {
    const found = plan.regions.filter((r) => r.kind === kind);
    require(found.length === 1, `there must be exactly one ${kind} region`);
    tables[kind] = found[0];
  }
  require(tables.static.offset === 0, "the module's static region must start at address 0");
  const constantWords = plan.values.reduce((sum, v, i) => sum + (v.words !== null && !params.has(i) ? v.words.length : 0), 0);
  const expected = {
    control: CONTROL_BYTES,
    values: VALUE_ENTRY_BYTES * plan.values.length,
    steps: 4 * plan.steps.length,
    records: 4 * plan.steps.reduce((sum, s) => sum + recordWords(s.inputs.length), 0),
    constants: 4 * constantWords,
    params: 4 * [...params].reduce((sum, i) => sum + plan.values[i].words.length, 0),
  };
  for (const [kind, size] of Object.entries(expected)) {
    require(tables[kind].size === size, `the ${kind} region holds ${tables[kind].size} bytes, not ${size}`);
  }
  require(plan.regions.every((r) => REGION_KINDS.includes(r.kind)), "a region has an unknown kind");
  ordered.forEach((r, i) => {
    require(r.kind !== "guard" || r.size === GUARD_BYTES, `guard '${r.name}' is not ${GUARD_BYTES} bytes`);
    require(r.kind !== "slot" || (i + 1 < ordered.length && ordered[i + 1].kind === "guard"),
      `slot region '${r.name}' is not followed by a guard`);
  });
  return tables;
}

function checkModules(plan) {
  require(!plan.modules.length, "its nodes are in separate modules (`--modules per-node`), which the JavaScript "
    + "runtime does not load; compile the graph with `--modules single` (the default)");
  require(!plan.regions.some((r) => r.kind === "module"), "module regions without per-node modules");
}

const inside = (value, r) => r.offset <= value.offset && value.offset + 4 * value.capacity <= end(r);

function checkValuesAndSteps(plan, tables) {
  const slots = plan.regions.filter((r) => r.kind === "slot");
  const params = new Set(plan.params.map((p) => p.value));
  plan.values.forEach((value, index) => {
    require(value.offset % 4 === 0, `value ${index} is not word aligned`);
    if (params.has(index)) {
      require(inside(value, tables.params), `parameter value ${index} lies outside the params region`);
    } else if (value.words !== null) {
      require(inside(value, tables.constants), `constant ${index} lies outside the constants region`);
    } else {
      require(slots.some((r) => inside(value, r)), `slot ${index} lies outside every slot region`);
      require(value.producer >= 0 && value.producer < plan.steps.length && plan.steps[value.producer].output === index,
        `slot ${index} is not the output of the step it names`);
    }
  });
  require(plan.output >= 0 && plan.output < plan.values.length && plan.values[plan.output].words === null,
    "the output is not a node's slot");
  plan.steps.forEach((step, index) => {
    require(step.kind >= 0 && step.kind < plan.kinds.length, `step ${index} has unknown node kind ${step.kind}`);
    require(step.output >= 0 && step.output < plan.values.length && plan.values[step.output].producer === index,
      `step ${index} writes a value that is not its own slot`);
    const output = plan.values[step.output];
    for (const valueIndex of step.inputs) {
      require(valueIndex >= 0 && valueIndex < plan.values.length, `step ${index} reads value ${valueIndex}, which does not exist`);
      const read = plan.values[valueIndex];
      require(read.words !== null || read.producer < index, `step ${index} reads value ${valueIndex} before it is written`);
      const overlaps = read.offset < output.offset + 4 * output.capacity && output.offset < read.offset + 4 * read.capacity;
      require(!overlaps || read.capacity === 0 || output.capacity === 0, `step ${index} writes over its own input ${valueIndex}`);
    }
  });
}

// The region holding `address` among `data` (sorted by offset), by binary search.
function regionAt(data, address) {
  let low = 0;
  let high = data.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (data[middle].offset <= address) low = middle + 1;
    else high = middle;
  }
  return low > 0 ? data[low - 1] : null;
}

// Every address the module will follow, as the step records hold it (see validate.py).
function checkRecords(plan, tables) {
  const data = plan.regions.filter((r) => ["slot", "constants", "params"].includes(r.kind))
    .sort((a, b) => a.offset - b.offset);
  const table = tables.values;
  const within = (address, words, kinds) => {
    const r = regionAt(data, address);
    return r !== null && kinds.includes(r.kind) && address % 4 === 0 && address + 4 * words <= end(r);
  };
  const lengthOf = (address, step) => {
    const relative = address - table.offset - LEN_FIELD_BYTES;
    const index = Math.floor(relative / VALUE_ENTRY_BYTES);
    require(relative % VALUE_ENTRY_BYTES === 0 && index >= 0 && index < plan.values.length,
      `step ${step}'s record points a length outside the value table`);
    return plan.values[index];
  };
  stepRecords(plan).forEach((record, index) => {
    const [, outPtr, outCapacity, outLen, inputs] = record;
    require(record.length === recordWords(inputs), `step ${index}'s record has the wrong length`);
    require(within(outPtr, outCapacity, ["slot"]) && lengthOf(outLen, index).capacity === outCapacity,
      `step ${index}'s record puts its output outside its slot`);
    for (let at = RECORD_HEADER_WORDS; at < record.length; at += RECORD_INPUT_WORDS) {
      require(within(record[at], lengthOf(record[at + 1], index).capacity, ["slot", "constants", "params"]),
        `step ${index}'s record reads an input outside the plan's values`);
    }
  });
}

// Each slot's recorded lifetime and the recorded peak of live bytes are the real ones, and slots
// live at the same time share no byte (under `keep` every slot is live for the whole run).
function checkLifetimes(plan) {
  const steps = plan.steps.length;
  const lastRead = new Map();
  plan.steps.forEach((step, index) => step.inputs.forEach((v) => lastRead.set(v, index)));
  lastRead.set(plan.output, steps);
  const change = new Array(steps + 2).fill(0);
  const live = [];
  plan.values.forEach((value, index) => {
    if (value.words !== null) return;
    const expected = lastRead.has(index) ? lastRead.get(index) : value.producer;
    require(value.live_until === expected,
      `slot ${index} is recorded as live until step ${value.live_until}, but it is last read at step ${expected}`);
    change[value.producer] += 4 * value.capacity;
    change[expected + 1] -= 4 * value.capacity;
    if (value.capacity > 0) {
      const [first, last] = plan.layout === "keep" ? [0, steps] : [value.producer, expected];
      live.push({ index, first, last, start: value.offset, stop: value.offset + 4 * value.capacity });
    }
  });
  let bytes = 0;
  let peak = 0;
  for (const delta of change) {
    bytes += delta;
    peak = Math.max(peak, bytes);
  }
  require(plan.peak_live_bytes === peak, `the recorded peak of ${plan.peak_live_bytes} live bytes is not the real ${peak}`);
  // Sweep over addresses: two ranges that overlap in memory must not overlap in time.
  live.sort((a, b) => a.start - b.start || a.stop - b.stop);
  const open = [];
  for (const entry of live) {
    for (let i = open.length - 1; i >= 0; i--) if (open[i].stop <= entry.start) open.splice(i, 1);
    for (const other of open) {
      require(other.last < entry.first || entry.last < other.first,
        `slots ${other.index} and ${entry.index} share memory while both are live`);
    }
    open.push(entry);
  }
}

/** Throw a UserError naming the first problem; return only for a plan that is safe to run. */
export function validatePlan(plan) {
  require(plan.steps.length <= MAX_STEPS && plan.values.length <= 2 * MAX_STEPS,
    `it has more than ${MAX_STEPS} steps or ${2 * MAX_STEPS} values`);
  checkFields(plan);
  const tables = checkRegions(plan);
  checkModules(plan);
  checkValuesAndSteps(plan, tables);
  checkRecords(plan, tables);
  checkLifetimes(plan);
}
