// The page `ndg serve` shows: the current plan run in the page, drawn with three.js, a control per
// graph parameter, stats, downloads, and the compiler's diagnostics over the last good picture.
// The server announces each compile on /events; the page then fetches /plan.ndp and swaps it in,
// keeping the camera and the parameter values that still fit.

import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { GLTFExporter } from "three/examples/jsm/exporters/GLTFExporter.js";
import { UserError } from "./plan.js";
import { decodeResult, resultCounts } from "./result.js";
import { loadPlan } from "./runtime.js";
import { sha256Hex } from "./sha256.js";

const $ = (id) => document.getElementById(id);
const canvas = $("view");
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(window.devicePixelRatio);
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x1d2026);
const camera = new THREE.PerspectiveCamera(45, 1, 0.01, 10000);
camera.position.set(12, 10, 16);
const controls = new OrbitControls(camera, canvas);
scene.add(new THREE.HemisphereLight(0xffffff, 0x404850, 1.6));
const sun = new THREE.DirectionalLight(0xffffff, 2.2);
sun.position.set(5, 10, 7);
scene.add(sun);
const grid = new THREE.GridHelper(40, 40, 0x4a5060, 0x30343c);
scene.add(grid);
const surface = new THREE.MeshStandardMaterial({ color: 0x8fbf6a, roughness: 0.8, side: THREE.DoubleSide });
const leafMaterial = new THREE.MeshStandardMaterial({ color: 0x5fa84e, roughness: 0.8, side: THREE.DoubleSide });
const lineMaterial = new THREE.LineBasicMaterial({ color: 0xffd27a });
let shown = new THREE.Group();
scene.add(shown);

// What tests and benchmarks read back (window.ndgPage); the page never depends on it.
const state = { version: 0, runs: 0, words: null, counts: null, diagnostics: "", error: "", runMs: 0, buildMs: 0, drawMs: 0 };
let runner = null;
let fitted = false;
let pending = false;

function resize() {
  const { clientWidth: width, clientHeight: height } = canvas;
  if (canvas.width !== Math.floor(width * window.devicePixelRatio) || canvas.height !== Math.floor(height * window.devicePixelRatio)) {
    renderer.setSize(width, height, false);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
  }
}

function draw() {
  resize();
  renderer.render(scene, camera);
}

controls.addEventListener("change", draw);
window.addEventListener("resize", draw);

// Every geometry item in one mesh, one draw call for the plant's 185 tubes. A parameter change
// usually keeps the counts: the mesh's arrays are then filled in place and re-uploaded, not
// reallocated.
const tubes = new THREE.Mesh(new THREE.BufferGeometry(), surface);

function fillTubes(meshes) {
  const vertices = meshes.reduce((sum, m) => sum + m.positions.length, 0);
  const faces = meshes.reduce((sum, m) => sum + m.indices.length, 0);
  let current = tubes.geometry;
  if (!current.index || current.index.count !== faces || current.attributes.position.count * 3 !== vertices) {
    current.dispose();
    current = tubes.geometry = geometry({ positions: new Float32Array(vertices), normals: new Float32Array(vertices),
      indices: new Uint32Array(faces) });
  }
  const positions = current.attributes.position.array;
  const normals = current.attributes.normal.array;
  const index = current.index.array;
  let vertexAt = 0;
  let indexAt = 0;
  for (const m of meshes) {
    positions.set(m.positions, vertexAt);
    normals.set(m.normals, vertexAt);
    const base = vertexAt / 3;
    for (let i = 0; i < m.indices.length; i++) index[indexAt + i] = m.indices[i] + base;
    vertexAt += m.positions.length;
    indexAt += m.indices.length;
  }
  for (const attribute of [current.attributes.position, current.attributes.normal, current.index]) attribute.needsUpdate = true;
  current.computeBoundingSphere();
}

function geometry(m) {
  const result = new THREE.BufferGeometry();
  result.setAttribute("position", new THREE.BufferAttribute(m.positions, 3));
  result.setAttribute("normal", new THREE.BufferAttribute(m.normals, 3));
  result.setIndex(new THREE.BufferAttribute(m.indices, 1));
  return result;
}

// Each path as line segments between its consecutive points.
function pathLines(paths) {
  const segments = paths.reduce((sum, p) => sum + Math.max(p.points.length / 4 - 1, 0), 0);
  const positions = new Float32Array(6 * segments);
  let at = 0;
  for (const { points } of paths) {
    for (let i = 4; i < points.length; i += 4) {
      positions.set(points.subarray(i - 4, i - 1), at);
      positions.set(points.subarray(i, i + 3), at + 3);
      at += 6;
    }
  }
  const lines = new THREE.BufferGeometry();
  lines.setAttribute("position", new THREE.BufferAttribute(positions, 3));
  return new THREE.LineSegments(lines, lineMaterial);
}

function show(shapes) {
  const group = new THREE.Group();
  if (shapes.meshes.length) {
    fillTubes(shapes.meshes);
    group.add(tubes);
  }
  for (const block of shapes.instances) {
    const count = block.matrices.length / 16;
    const instanced = new THREE.InstancedMesh(geometry(block.mesh), leafMaterial, count);
    instanced.instanceMatrix = new THREE.InstancedBufferAttribute(block.matrices, 16);
    instanced.computeBoundingSphere();
    group.add(instanced);
  }
  if (shapes.paths.length) {
    const lines = pathLines(shapes.paths);
    lines.name = "paths";
    lines.visible = $("show-paths").checked;
    group.add(lines);
  }
  scene.remove(shown);
  shown.traverse((object) => object !== tubes && object.geometry && object.geometry.dispose());
  shown = group;
  scene.add(shown);
  applyShading();
}

function fitView() {
  const box = new THREE.Box3().setFromObject(shown);
  if (box.isEmpty()) return;
  const sphere = box.getBoundingSphere(new THREE.Sphere());
  const distance = sphere.radius / Math.sin((camera.fov * Math.PI) / 360);
  const direction = camera.position.clone().sub(controls.target).normalize();
  controls.target.copy(sphere.center);
  camera.position.copy(sphere.center).addScaledVector(direction, distance);
  camera.near = distance / 1000;
  camera.far = distance * 100;
  camera.updateProjectionMatrix();
  controls.update();
  draw();
}

function applyShading() {
  const flat = $("flat").checked;
  const wireframe = $("wireframe").checked;
  for (const material of [surface, leafMaterial]) {
    material.flatShading = flat;
    material.wireframe = wireframe;
    material.needsUpdate = true;
  }
  const lines = shown.getObjectByName("paths");
  if (lines) lines.visible = $("show-paths").checked;
  grid.visible = $("show-grid").checked;
}

function showProblem(text) {
  const box = $("diagnostics");
  box.textContent = text;
  box.hidden = !text;
}

// Run what changed and redraw; the result's words are copied, since the next run overwrites them.
function update() {
  pending = false;
  const started = performance.now();
  let words;
  try {
    words = runner.run(); // a view of the memory: everything drawn is read from it before the next run
    state.error = "";
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    state.error = `error: ${error.message}${error.hint ? `\n  = hint: ${error.hint}` : ""}`;
    showProblem([state.diagnostics, state.error].filter(Boolean).join("\n\n"));
    return;
  }
  const ran = performance.now();
  const shapes = decodeResult(words);
  show(shapes);
  if (!fitted) {
    fitView();
    fitted = true;
  }
  const built = performance.now();
  draw();
  renderer.getContext().finish();
  const drawn = performance.now();
  Object.assign(state, { words, counts: resultCounts(words, shapes), runMs: ran - started, buildMs: built - ran,
    drawMs: drawn - ran });
  state.runs += 1;
  showProblem(state.diagnostics);
  showStats();
}

function schedule() {
  if (!pending) {
    pending = true;
    requestAnimationFrame(update);
  }
}

function showStats() {
  const { plan } = runner;
  const c = state.counts;
  const rows = [
    ["nodes", plan.steps.length],
    ["memory", `${(plan.memory_pages * 64).toLocaleString()} KiB`],
    ["vertices", c.vertices.toLocaleString()],
    ["triangles", c.triangles.toLocaleString()],
    ["instances", c.instances.toLocaleString()],
    ["paths", c.paths.toLocaleString()],
    ["run", `${state.runMs.toFixed(2)} ms`],
    ["redraw", `${state.drawMs.toFixed(2)} ms`],
  ];
  $("stats").replaceChildren(...rows.map(([name, value]) => {
    const row = document.createElement("tr");
    row.innerHTML = "<th></th><td></td>";
    row.cells[0].textContent = name;
    row.cells[1].textContent = value;
    row.dataset.stat = name;
    return row;
  }));
}

// One control per parameter, typed and ranged as the graph declares it.
function parameterControl(param, value) {
  const label = document.createElement("label");
  label.className = "param";
  label.textContent = param.name;
  const set = (next) => {
    try {
      runner.setParam(param.name, next);
      schedule();
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      showProblem(`error: ${error.message}\n  = hint: ${error.hint}`);
    }
  };
  const number = (initial, type, onValue) => {
    const input = document.createElement("input");
    const ranged = param.min !== null && param.max !== null && type !== "vec3";
    input.type = ranged ? "range" : "number";
    if (param.min !== null) input.min = param.min;
    if (param.max !== null) input.max = param.max;
    input.step = type === "float" || type === "vec3" ? (ranged ? (param.max - param.min) / 1000 : "any") : 1;
    input.value = initial;
    const shownValue = document.createElement("output");
    shownValue.textContent = initial;
    input.addEventListener("input", () => {
      const parsed = type === "float" || type === "vec3" ? Number(input.value) : Math.round(Number(input.value));
      shownValue.textContent = parsed;
      onValue(parsed);
    });
    label.append(input, shownValue);
    return input;
  };
  if (param.type === "boolean") {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = value;
    box.addEventListener("change", () => set(box.checked));
    label.prepend(box);
    box.dataset.param = param.name;
  } else if (param.type === "vec3") {
    const current = [...value];
    current.forEach((component, i) => {
      const input = number(component, "vec3", (parsed) => {
        current[i] = parsed;
        set([...current]);
      });
      input.dataset.param = param.name;
      input.dataset.index = i;
    });
  } else {
    number(value, param.type, set).dataset.param = param.name;
  }
  return label;
}

function currentValues() {
  if (runner === null) return new Map();
  return new Map(runner.plan.params.map((p) => {
    const value = runner.plan.values[p.value];
    const words = runner.words.subarray(value.offset / 4, value.offset / 4 + value.capacity);
    return [p.name, { type: p.type, value: scalarOf(p.type, words) }];
  }));
}

function scalarOf(type, words) {
  const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
  if (type === "float") return floats[0];
  if (type === "vec3") return Array.from(floats);
  if (type === "boolean") return words[0] !== 0;
  return words[0];
}

async function loadCurrentPlan(version) {
  const response = await fetch("/plan.ndp");
  if (!response.ok) return;
  const kept = currentValues();
  let next;
  try {
    next = await loadPlan(new Uint8Array(await response.arrayBuffer()));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    showProblem(`error: ${error.message}\n  = hint: ${error.hint}`);
    return;
  }
  for (const param of next.plan.params) {
    const previous = kept.get(param.name);
    if (previous && previous.type === param.type) {
      try {
        next.setParam(param.name, previous.value);
      } catch (error) {
        if (!(error instanceof UserError)) throw error; // out of the new range: the new default stays
      }
    }
  }
  runner = next;
  state.version = version;
  const values = currentValues();
  $("params").replaceChildren(...next.plan.params.map((p) => parameterControl(p, values.get(p.name).value)));
  $("no-params").hidden = next.plan.params.length > 0;
  $("source").textContent = next.plan.source;
  update();
}

function download(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

$("fit").addEventListener("click", fitView);
for (const id of ["flat", "wireframe", "show-paths", "show-grid"]) {
  $(id).addEventListener("change", () => {
    applyShading();
    draw();
  });
}
$("download-glb").addEventListener("click", async () => {
  const glb = await new GLTFExporter().parseAsync(shown, { binary: true });
  download(new Blob([glb], { type: "model/gltf-binary" }), `${runner.plan.source.replace(/.*\//, "").replace(/\.ndg$/, "")}.glb`);
});

const events = new EventSource("/events");
events.addEventListener("build", (event) => {
  const build = JSON.parse(event.data);
  state.diagnostics = build.diagnostics;
  showProblem([state.diagnostics, state.error].filter(Boolean).join("\n\n"));
  if (build.hasPlan && build.version !== state.version && !build.diagnostics) loadCurrentPlan(build.version);
  else if (build.hasPlan && runner === null) loadCurrentPlan(build.version);
});

window.ndgPage = {
  state,
  camera,
  resultSha256: () => sha256Hex(new Uint8Array(state.words.buffer, state.words.byteOffset, state.words.byteLength)),
  // For benchmarks: set a parameter, run and redraw now; the milliseconds it took.
  changeAndDraw(name, value) {
    const started = performance.now();
    runner.setParam(name, value);
    update();
    return performance.now() - started;
  },
};
