import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  jailed
} from "./chunk-LOTG6VG2.js";
import {
  execa
} from "./chunk-KKVC5PX3.js";
import {
  UmlenvError
} from "./chunk-CRDCTHBJ.js";

// src/host/tools.ts
import { access, constants } from "node:fs/promises";
import path from "node:path";
var PACKAGE_OF = {
  "linux.uml": "user-mode-linux",
  uml_switch: "uml-utilities",
  uml_mconsole: "uml-utilities",
  bwrap: "bubblewrap",
  taskset: "util-linux",
  mmdebstrap: "mmdebstrap",
  debootstrap: "debootstrap",
  "mkfs.ext4": "e2fsprogs",
  e2fsck: "e2fsprogs"
};
var SEARCH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
async function which(name) {
  if (name.includes("/")) return await executable(name) ? path.resolve(name) : void 0;
  const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), ...SEARCH];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await executable(candidate)) return candidate;
  }
  return void 0;
}
async function executable(file) {
  return access(file, constants.X_OK).then(
    () => true,
    () => false
  );
}
async function requireTool(name, why) {
  const found = await which(name);
  if (found) return found;
  const pkg = PACKAGE_OF[path.basename(name)];
  throw new UmlenvError(
    `${name} was not found; umlenv needs it ${why}`,
    pkg ? `install it with: apt-get install ${pkg}` : `install ${name} or put it on PATH`
  );
}

// src/host/command.ts
async function runBuildStep([cmd, args], log, options = {}) {
  const child = execa(...jailed(cmd, args, { privileged: options.privileged }), {
    all: true,
    reject: false,
    cwd: options.cwd,
    env: { LC_ALL: "C.UTF-8", ...options.env }
  });
  const tail = [];
  for await (const line of child.iterable({ from: "all" })) {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    log.info(line);
  }
  const result = await child;
  if (result.exitCode !== 0) {
    throw new Error(
      `${cmd} exited with ${result.exitCode ?? result.signal}: ${tail.slice(-3).join(" | ")}`
    );
  }
}

export {
  which,
  requireTool,
  runBuildStep
};
