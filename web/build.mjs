// Bundle the page for `ndg serve` into the Python package (ndg/web_assets/): the page's script with
// three.js and the runtime in one file, its stylesheet and its HTML. `make setup` runs this; the
// test suite checks that the bundle is what these sources build to.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = process.argv[2] || join(here, "..", "ndg", "web_assets");
mkdirSync(target, { recursive: true });
await build({
  entryPoints: [join(here, "src", "page.js")],
  outfile: join(target, "app.js"),
  bundle: true,
  format: "esm",
  minify: true,
  legalComments: "eof",
  target: "es2022",
  logLevel: "warning",
});
copyFileSync(join(here, "index.html"), join(target, "index.html"));
copyFileSync(join(here, "app.css"), join(target, "app.css"));
