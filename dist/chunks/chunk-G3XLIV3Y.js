import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);

// src/paths.ts
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
var isRoot = () => process.getuid?.() === 0;
function stateDir() {
  if (process.env.UMLENV_STATE_DIR) return path.resolve(process.env.UMLENV_STATE_DIR);
  if (isRoot()) return "/var/lib/umlenv";
  const base = process.env.XDG_STATE_HOME ?? path.join(os.homedir(), ".local", "state");
  return path.join(base, "umlenv");
}
function cacheDir() {
  if (process.env.UMLENV_CACHE_DIR) return path.resolve(process.env.UMLENV_CACHE_DIR);
  if (isRoot()) return "/var/cache/umlenv";
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(base, "umlenv");
}
function envsDir() {
  return path.join(stateDir(), "envs");
}
var root;
function packageRoot() {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (; ; ) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "umlenv") {
      return root = dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find the umlenv package folder (package.json)");
    dir = parent;
  }
}
function guestFile(name) {
  return path.join(packageRoot(), "guest", name);
}
function cliEntry() {
  return path.join(packageRoot(), "dist", "cli.js");
}
var VERSION = (() => {
  try {
    return JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")).version;
  } catch {
    return "0.0.0";
  }
})();

export {
  stateDir,
  cacheDir,
  envsDir,
  packageRoot,
  guestFile,
  cliEntry,
  VERSION
};
