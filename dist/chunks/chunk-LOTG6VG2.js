import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);

// src/host/jail.ts
import { execFile } from "node:child_process";
import { open } from "node:fs/promises";
import { promisify } from "node:util";
var run = promisify(execFile);
function jailed(program, args, options = {}) {
  const jail = [
    "--die-with-parent",
    "--unshare-pid",
    ...options.privileged ? ["--cap-add", "ALL"] : [],
    // A plain --bind would add nodev, which debootstrap refuses to install into.
    "--dev-bind",
    "/",
    "/",
    "--proc",
    "/proc",
    "--",
    program,
    ...args
  ];
  return options.cpu === void 0 ? ["bwrap", jail] : ["taskset", ["-c", String(options.cpu), "bwrap", ...jail]];
}
function jailedGuest(kernel, args, binds, options) {
  const mounts = binds.flatMap((b) => [b.readonly ? "--ro-bind" : "--bind", b.path, b.path]);
  const memory = options.memoryDir ? ["--bind", options.memoryDir, options.memoryDir] : ["--tmpfs", GUEST_MEMORY_DIR];
  const jail = [
    "--die-with-parent",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    ...memory,
    ...mounts,
    "--setenv",
    "TMPDIR",
    options.memoryDir ?? GUEST_MEMORY_DIR,
    "--",
    kernel,
    ...args
  ];
  const pinned = ["taskset", "-c", String(options.cpu), "bwrap", ...jail];
  return options.fixedLayout ? ["setarch", ["-R", ...pinned]] : [pinned[0], pinned.slice(1)];
}
async function fixedLayoutAllowed() {
  return run("setarch", ["-R", "true"]).then(
    () => true,
    () => false
  );
}
var GUEST_MEMORY_DIR = "/umlenv-memory";
async function programFiles(program) {
  const files = [program];
  const fh = await open(program, "r");
  const head = Buffer.alloc(256);
  await fh.read(head, 0, 256, 0);
  await fh.close();
  const shebang = /^#!\s*(\S+)/.exec(head.toString("latin1"));
  if (shebang) files.push(shebang[1]);
  for (const file of [...files]) {
    const stdout = await run("ldd", [file]).then(
      (r) => r.stdout,
      () => ""
    );
    files.push(...[...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]));
  }
  return [...new Set(files)];
}

export {
  jailed,
  jailedGuest,
  fixedLayoutAllowed,
  programFiles
};
