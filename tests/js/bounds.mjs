// Load glTF files with three.js's GLTFLoader under Node and print, per file, the bounds three.js
// computes for the whole scene (instanced meshes included) and what the scene holds, as JSON.
import { readFile } from "node:fs/promises";
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";

const loader = new GLTFLoader();
const results = [];
for (const file of process.argv.slice(2)) {
  const bytes = await readFile(file);
  const data = file.endsWith(".gltf") ? bytes.toString("utf8") : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const gltf = await loader.parseAsync(data, "");
  gltf.scene.updateMatrixWorld(true);
  const box = new THREE.Box3().setFromObject(gltf.scene, true);
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
