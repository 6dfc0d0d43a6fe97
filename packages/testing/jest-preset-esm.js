// Jest settings for packages that load ES-module-only dependencies: the Markdown libraries
// (mdast-util-*, micromark*, unist-util-*, ...) ship as ES modules only;
// Jest's CommonJS runtime loads them once @swc/jest has turned them into CommonJS. Every package
// under node_modules whose package.json says "type": "module" is transformed, nothing else.
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const preset = require("./jest-preset");

/** Names of the ES-module packages in `nodeModules` and in the node_modules nested below it. */
function esmPackages(nodeModules, names = new Set()) {
  for (const entry of readdirSync(nodeModules)) {
    const scoped = entry.startsWith("@");
    const dirs = scoped
      ? readdirSync(join(nodeModules, entry)).map((d) => `${entry}/${d}`)
      : [entry];
    for (const name of dirs) {
      try {
        const pkg = JSON.parse(readFileSync(join(nodeModules, name, "package.json"), "utf8"));
        if (pkg.type === "module") names.add(name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      } catch {
        continue; // Not a package (e.g. .bin).
      }
      try {
        esmPackages(join(nodeModules, name, "node_modules"), names);
      } catch {
        // No nested node_modules.
      }
    }
  }
  return names;
}

const esm = esmPackages(join(__dirname, "..", "..", "node_modules"));

module.exports = {
  ...preset,
  transform: {
    ...preset.transform,
    "^.+\\.js$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${[...esm].join("|")})/)`],
};
