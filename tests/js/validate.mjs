// Validate glTF files with Khronos' glTF-Validator; print one JSON report per file on stdout:
// {file, errors, warnings, messages: [{code, severity, pointer, message}]} (errors and warnings only).
import { readFile } from "node:fs/promises";
import path from "node:path";
import validator from "gltf-validator";

const reports = [];
for (const file of process.argv.slice(2)) {
  const data = new Uint8Array(await readFile(file));
  const report = await validator.validateBytes(data, {
    uri: path.basename(file),
    maxIssues: 0,
    externalResourceFunction: () => Promise.reject(new Error("ndg writes no external resources")),
  });
  const messages = report.issues.messages
    .filter((m) => m.severity <= 1)
    .map((m) => ({ code: m.code, severity: m.severity, pointer: m.pointer, message: m.message }));
  reports.push({ file, errors: report.issues.numErrors, warnings: report.issues.numWarnings, messages });
}
console.log(JSON.stringify(reports));
