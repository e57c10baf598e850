// Load glTF files with three.js's GLTFLoader under Node and print, per file, the bounds of every
// vertex as three.js places it (each instance of an InstancedMesh by its own matrix) and what the
// scene holds, as JSON. (Box3.setFromObject bounds an InstancedMesh by each instance's transformed
// bounding box, which is larger than what is drawn, so instances are bounded vertex by vertex here.)
import { readFile } from "node:fs/promises";
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";

// A .gltf's embedded buffer is fetched as a data: URL; three.js reports progress with the
// browser's ProgressEvent, which Node lacks.
globalThis.ProgressEvent ??= class ProgressEvent extends Event {
  constructor(type, init = {}) { super(type); Object.assign(this, init); }
};

const loader = new GLTFLoader();
const results = [];
for (const file of process.argv.slice(2)) {
  const bytes = await readFile(file);
  const data = file.endsWith(".gltf") ? bytes.toString("utf8") : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const gltf = await loader.parseAsync(data, "");
  gltf.scene.updateMatrixWorld(true);
  const box = new THREE.Box3();
  const point = new THREE.Vector3();
  const matrix = new THREE.Matrix4();
  gltf.scene.traverse((object) => {
    const positions = object.geometry?.attributes?.position;
    if (!positions) return;
    const count = object.isInstancedMesh ? object.count : 1;
    for (let instance = 0; instance < count; instance++) {
      if (object.isInstancedMesh) object.getMatrixAt(instance, matrix).premultiply(object.matrixWorld);
      else matrix.copy(object.matrixWorld);
      for (let vertex = 0; vertex < positions.count; vertex++) {
        box.expandByPoint(point.fromBufferAttribute(positions, vertex).applyMatrix4(matrix));
      }
    }
  });
  const counts = { meshes: 0, instancedMeshes: 0, instances: 0, lines: 0, triangles: 0 };
  const names = [];
  gltf.scene.traverse((object) => {
    if (object.isInstancedMesh) { counts.instancedMeshes += 1; counts.instances += object.count; }
    else if (object.isMesh) counts.meshes += 1;
    if (object.isLine) counts.lines += 1;
    if (object.isMesh) {
      const index = object.geometry.index;
      const triangles = (index ? index.count : object.geometry.attributes.position.count) / 3;
      counts.triangles += triangles * (object.isInstancedMesh ? object.count : 1);
    }
    if (object.name) names.push(object.name);
  });
  results.push({ file, empty: box.isEmpty(), min: box.min.toArray(), max: box.max.toArray(), counts, names });
}
console.log(JSON.stringify(results));
