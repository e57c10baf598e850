// Scalars as words, as runtime/scalars.py stores them: floats as f32 bit patterns, integers and
// options as i32, booleans as 0/1, vec3 as three f32.

const F32_MAX = 3.4028234663852886e38;
const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
const bits = new DataView(new ArrayBuffer(4));

function floatWord(value) {
  bits.setFloat32(0, value, true);
  return bits.getInt32(0, true);
}

function wordFloat(word) {
  bits.setInt32(0, word, true);
  return bits.getFloat32(0, true);
}

const isFloat = (v) => typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= F32_MAX;

/** Why `value` cannot be stored as `type`, or null when it can. */
export function scalarProblem(type, value) {
  if (type === "float") return isFloat(value) ? null : "expected a finite number that fits a 32-bit float";
  if (type === "integer" || type === "select" || type === "seed") {
    return Number.isInteger(value) && value >= I32_MIN && value <= I32_MAX ? null : "expected a whole number that fits 32 bits";
  }
  if (type === "boolean") return typeof value === "boolean" ? null : "expected true or false";
  if (type === "vec3") {
    return Array.isArray(value) && value.length === 3 && value.every(isFloat) ? null : "expected three finite numbers";
  }
  return `${type} is not a scalar type`;
}

/** The words of a value that `scalarProblem` accepts. */
export function encodeScalar(type, value) {
  if (type === "float") return [floatWord(value)];
  if (type === "vec3") return value.map(floatWord);
  return [Number(value)];
}

export function decodeScalar(type, words) {
  if (type === "float") return wordFloat(words[0]);
  if (type === "vec3") return words.slice(0, 3).map(wordFloat);
  if (type === "boolean") return Boolean(words[0]);
  return words[0];
}

/** Why `value` is outside the parameter's range, or null (floats compare as stored, in f32). */
export function rangeProblem(param, value) {
  if (param.type === "boolean" || param.type === "vec3") return null;
  const asStored = (v) => (v === null || param.type !== "float" ? v : Math.fround(v));
  const [v, low, high] = [value, param.min, param.max].map(asStored);
  if ((low !== null && v < low) || (high !== null && v > high)) {
    return `\`${param.name}\` takes values from ${param.min} to ${param.max}`;
  }
  return null;
}
