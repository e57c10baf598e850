// A result's words as typed arrays (runtime/format.py and runtime/meshes.py in JavaScript).
//
// An item is `[0, n, kind, …n-1 words…, 1, 1]` (kind 0 path, 1 geometry, 2 instances); a list is
// `[0, 1, item…, 1, 1]`. Every array returned is a view into the words given: copy the words
// first when they will change (a runner's output changes with the next run).

export const PATH = 0;
export const GEOMETRY = 1;
export const INSTANCES = 2;
const KIND_NAMES = ["path", "geometry", "instances"];

export class FormatError extends Error {
  constructor(message, at) {
    super(`${message} (word ${at})`);
    this.name = "FormatError";
    this.at = at;
  }
}

// The body length an item's header implies.
function expectedBody(kind, body, at) {
  const header = (count) => {
    if (body.length < count) throw new FormatError(`${KIND_NAMES[kind]} item is too short for its header`, at);
    const values = Array.from(body.subarray(1, count));
    if (values.some((v) => v < 0)) throw new FormatError(`${KIND_NAMES[kind]} item has a negative count`, at);
    return values;
  };
  if (kind === PATH) {
    header(2);
    if ((body.length - 2) % 4) throw new FormatError("path item's points are not whole (x, y, z, w) groups", at);
    return body.length;
  }
  if (kind === GEOMETRY) {
    const [vertices, faces] = header(3);
    return 3 + 3 * faces + 6 * vertices;
  }
  const [vertices, faces, instances] = header(5);
  return 5 + 3 * faces + 6 * vertices + 16 * instances;
}

/** The items of a bare item or of a list (Int32Array), each `{kind, start, body}`, checked. */
export function splitItems(words) {
  const n = words.length;
  let at = 0;
  let end = n;
  if (n >= 4 && words[0] === 0 && words[1] === 1) {
    if (words[n - 2] !== 1 || words[n - 1] !== 1) throw new FormatError("list is not closed with [1, 1]", n - 2);
    at = 2;
    end = n - 2;
  }
  const items = [];
  while (at < end) {
    if (end - at < 5 || words[at] !== 0 || words[at + 1] < 2) throw new FormatError("expected an item's opening bracket [0, n]", at);
    const length = words[at + 1] + 3;
    if (at + length > end) throw new FormatError("item runs past the end of its list", at);
    if (words[at + length - 2] !== 1 || words[at + length - 1] !== 1) {
      throw new FormatError("item is not closed with [1, 1] where its count says", at + length - 2);
    }
    const kind = words[at + 2];
    if (!(kind in KIND_NAMES)) throw new FormatError(`unknown item kind ${kind}`, at + 2);
    const body = words.subarray(at + 2, at + length - 2);
    if (body.length !== expectedBody(kind, body, at)) throw new FormatError(`${KIND_NAMES[kind]} item's header does not match its length`, at);
    items.push({ kind, start: at, body });
    at += length;
  }
  return items;
}

const floats = (words, from, count) => new Float32Array(words.buffer, words.byteOffset + 4 * from, count);
const indices = (words, from, count) => new Uint32Array(words.buffer, words.byteOffset + 4 * from, count);

// A mesh from `[V, F]` and the words after the header: faces, positions, normals.
function mesh(item, vertices, faces, dataAt) {
  const { body } = item;
  const index = indices(body, dataAt, 3 * faces);
  for (let i = 0; i < index.length; i++) {
    if (index[i] >= vertices) throw new FormatError(`a face of this ${vertices}-vertex mesh points at a vertex it does not have`, item.start);
  }
  return {
    positions: floats(body, dataAt + 3 * faces, 3 * vertices),
    normals: floats(body, dataAt + 3 * faces + 3 * vertices, 3 * vertices),
    indices: index,
  };
}

/**
 * The shapes in a result: `meshes` ({positions, normals, indices}), `instances` ({mesh, matrices:
 * 16 floats per instance, column-major as three.js reads them, depth}) and `paths` ({points: x, y,
 * z, thickness per point, depth}), in the order their items came. Throws FormatError.
 */
export function decodeResult(words) {
  const shapes = { meshes: [], instances: [], paths: [] };
  for (const item of splitItems(words)) {
    const { body } = item;
    if (item.kind === GEOMETRY) {
      shapes.meshes.push(mesh(item, body[1], body[2], 3));
    } else if (item.kind === INSTANCES) {
      const [vertices, faces, count, depth] = body.subarray(1, 5);
      const matrixAt = 5 + 3 * faces + 6 * vertices;
      shapes.instances.push({ mesh: mesh(item, vertices, faces, 5), matrices: floats(body, matrixAt, 16 * count), depth });
    } else {
      shapes.paths.push({ points: floats(body, 2, body.length - 2), depth: body[1] });
    }
  }
  return shapes;
}

/** What `ndg run --json` reports about a result, counted from its shapes. */
export function resultCounts(words, shapes) {
  const instances = shapes.instances.reduce((sum, block) => sum + block.matrices.length / 16, 0);
  const expanded = (key, per) => shapes.meshes.reduce((sum, m) => sum + m[key].length / per, 0)
    + shapes.instances.reduce((sum, b) => sum + (b.mesh[key].length / per) * (b.matrices.length / 16), 0);
  return {
    words: words.length,
    geometry_items: shapes.meshes.length,
    instance_blocks: shapes.instances.length,
    instances,
    paths: shapes.paths.length,
    path_points: shapes.paths.reduce((sum, p) => sum + p.points.length / 4, 0),
    vertices: expanded("positions", 3),
    triangles: expanded("indices", 3),
  };
}
