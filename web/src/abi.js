// The plan format and the shared-memory ABI (docs/plan-format.md).
// GENERATED from spec/abi.toml by spec/generate.py: do not edit; change the spec and run `make spec`.

export const MAGIC = "NDGPLAN\n";
export const WORD_BYTES = 4;
export const ALIGN = 16;
export const PAGE_BYTES = 65536;
export const MAX_PAGES = 16384;
export const GUARD_WORD = 0x4E444721;
export const GUARD_BYTES = 16;
export const PLAN_VERSION = 1;
export const DIGEST_BYTES = 32;
export const STEP_EXPORT = "ndg_step";
export const MAX_NODE_MODULES = 256;
export const ABI_VERSION = 3;
export const MESSAGE_BYTES = 1024;
export const RUN_SHIFT = 8;
export const CONTROL_FIELDS = 10;
export const CONTROL_BYTES = 1064;
export const VALUE_ENTRY_WORDS = 3;
export const VALUE_ENTRY_BYTES = 12;
export const RECORD_HEADER_WORDS = 5;
export const RECORD_INPUT_WORDS = 2;

/** Word index of each control block field. */
export const CONTROL = Object.freeze({ abi_version: 0, values: 1, n_values: 2, steps: 3, n_steps: 4, current_step: 5, status: 6, detail: 7, message_len: 8, flags: 9 });

/** Word index of each field of a value table entry. */
export const VALUE_ENTRY = Object.freeze({ ptr: 0, capacity: 1, len: 2 });

/** Word index of each field of a step record's header. */
export const RECORD = Object.freeze({ kind: 0, out_ptr: 1, out_capacity: 2, out_len_ptr: 3, n_inputs: 4 });

/** Word index of each per-input field of a step record. */
export const RECORD_INPUT = Object.freeze({ ptr: 0, len_ptr: 1 });

/** Bits of the control block's `flags`. */
export const FLAGS = Object.freeze({ compat: 1 });

/** What a module's run returns. */
export const STATUS = Object.freeze({ ok: 0, capacity: 1, bad_input: 2, invalid: 3, bad_step: 4, scratch_exhausted: 5, bad_control: 6 });

/** Scalar value types and their sizes in words. */
export const SCALAR_WORDS = Object.freeze({ float: 1, integer: 1, select: 1, seed: 1, boolean: 1, vec3: 3 });

export const BULK_TYPES = Object.freeze(["path", "geometry", "instances"]);
export const VALUE_TYPES = Object.freeze(["float", "integer", "select", "seed", "boolean", "vec3", "path", "geometry", "instances", "result", "expression"]);
export const REGION_KINDS = Object.freeze(["static", "module", "control", "values", "steps", "records", "constants", "params", "slot", "guard"]);
export const SLOT_POLICIES = Object.freeze(["keep", "reuse"]);
export const HEADER_FIELDS = Object.freeze(["source", "module", "kinds", "memory_pages", "regions", "values", "steps", "output", "params", "layout", "peak_live_bytes", "modules", "version", "abi_version", "compat"]);
