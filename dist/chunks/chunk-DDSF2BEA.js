import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  requireTool,
  runBuildStep
} from "./chunk-IF45U7AT.js";
import {
  seconds
} from "./chunk-4POBWK4H.js";
import {
  freeBytes,
  require_proper_lockfile,
  scratchDir,
  sweepScratch
} from "./chunk-MPVBSXOT.js";
import {
  execa
} from "./chunk-KKVC5PX3.js";
import {
  cacheDir,
  packageRoot
} from "./chunk-G3XLIV3Y.js";
import {
  UmlenvError,
  errorMessage
} from "./chunk-CRDCTHBJ.js";
import {
  __toESM
} from "./chunk-GYJEAFSS.js";

// src/kernel/build.ts
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
var import_proper_lockfile = __toESM(require_proper_lockfile(), 1);

// src/kernel/config.ts
function parseKernelConfig(text) {
  const options = /* @__PURE__ */ new Map();
  for (const line of text.split("\n")) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (set) options.set(set[1], set[2]);
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset) options.set(unset[1], "n");
  }
  return options;
}
function configMismatches(fragment, final) {
  const got = parseKernelConfig(final);
  return [...parseKernelConfig(fragment)].flatMap(([option, wanted]) => {
    const value = got.get(option) ?? "n";
    return value === wanted ? [] : [`${option}: asked for ${wanted}, got ${value}`];
  });
}

// src/kernel/build.ts
var SOURCE_PACKAGE = "linux-source-6.1";
var SOURCE_TARBALL = `/usr/src/${SOURCE_PACKAGE}.tar.xz`;
var BUILD_SPACE = 1536 * 2 ** 20;
function kernelsDir() {
  return path.join(cacheDir(), "kernels");
}
function fragmentFile() {
  return path.join(packageRoot(), "kernel", "umlenv.config");
}
async function kernelKey() {
  const version = await execa("dpkg-query", ["-W", "-f=${Version}", SOURCE_PACKAGE], {
    reject: false
  });
  if (version.exitCode !== 0 || !version.stdout) return void 0;
  const gcc = await execa("gcc", ["--version"], { reject: false });
  const fragment = await readFile(fragmentFile(), "utf8");
  const digest = createHash("sha256").update(JSON.stringify([version.stdout, fragment, gcc.stdout.split("\n")[0]])).digest("hex");
  return `6.1-${digest.slice(0, 16)}`;
}
async function cachedKernel() {
  const key = await kernelKey();
  if (!key) return void 0;
  const file = path.join(kernelsDir(), key, "linux");
  return stat(file).then(
    () => file,
    () => void 0
  );
}
async function buildKernel(log) {
  const cached = await cachedKernel();
  if (cached) return cached;
  await stat(SOURCE_TARBALL).catch(() => {
    throw new UmlenvError(
      `${SOURCE_TARBALL} is missing: the minimal kernel is built from Debian's kernel source`,
      `install it with: apt-get install ${SOURCE_PACKAGE} flex bison bc`
    );
  });
  for (const tool of ["make", "gcc", "flex", "bison", "bc"])
    await requireTool(tool, "to build the minimal kernel");
  const key = await kernelKey();
  await mkdir(kernelsDir(), { recursive: true });
  const release = await import_proper_lockfile.default.lock(kernelsDir(), {
    lockfilePath: path.join(kernelsDir(), `${key}.lock`),
    stale: 1e4,
    update: 2e3,
    retries: { retries: 1200, factor: 1, minTimeout: 1e3, maxTimeout: 1e3 }
  });
  const scratch = scratchDir(kernelsDir(), key);
  try {
    const again = await cachedKernel();
    if (again) return again;
    await sweepScratch(kernelsDir());
    const free = await freeBytes(kernelsDir());
    if (free < BUILD_SPACE) {
      throw new UmlenvError(
        `not enough disk space to build the minimal kernel in ${kernelsDir()}: ${Math.floor(free / 2 ** 20)} MiB free, about ${BUILD_SPACE / 2 ** 20} MiB needed while it builds`,
        "free disk space (umlenv image prune removes unused images), or set UMLENV_CACHE_DIR to a larger file system"
      );
    }
    const t0 = Date.now();
    log.info(`Building the minimal UML kernel ${key} (once; about 4 minutes on 2 cores)\u2026`);
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    await make(["tar", ["xf", SOURCE_TARBALL, "-C", scratch]], log);
    const src = path.join(scratch, SOURCE_PACKAGE);
    await make(["make", ["-C", src, "ARCH=um", "x86_64_defconfig"]], log);
    await make(
      [
        path.join(src, "scripts/kconfig/merge_config.sh"),
        ["-m", "-O", src, path.join(src, ".config"), fragmentFile()]
      ],
      log,
      src
    );
    await make(["make", ["-C", src, "ARCH=um", "olddefconfig"]], log);
    const mismatches = configMismatches(
      await readFile(fragmentFile(), "utf8"),
      await readFile(path.join(src, ".config"), "utf8")
    );
    if (mismatches.length) {
      throw new UmlenvError(
        `the kernel config does not have what ${fragmentFile()} asks for:
  ${mismatches.join("\n  ")}`,
        "fix those lines of the fragment (a dependency or a select overrides them)"
      );
    }
    await make(["make", ["-C", src, "ARCH=um", `-j${os.availableParallelism()}`, "linux"]], log);
    const dir = path.join(scratch, "out");
    await mkdir(dir);
    await copyFile(path.join(src, "linux"), path.join(dir, "linux"));
    await copyFile(path.join(src, ".config"), path.join(dir, "config"));
    await writeFile(
      path.join(dir, "meta.json"),
      JSON.stringify(
        { key, builtAt: (/* @__PURE__ */ new Date()).toISOString(), buildSeconds: (Date.now() - t0) / 1e3 },
        null,
        2
      ) + "\n"
    );
    await rename(dir, path.join(kernelsDir(), key));
    log.info(`Built the minimal UML kernel ${key} in ${seconds(Date.now() - t0)}`);
    return path.join(kernelsDir(), key, "linux");
  } catch (error) {
    throw new UmlenvError(
      `building the minimal kernel failed: ${errorMessage(error)}`,
      `${error instanceof UmlenvError && error.hint ? `${error.hint}; ` : "see the build output above; "}nothing was published`,
      { cause: error }
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await release();
  }
}
function make(command, log, cwd) {
  return runBuildStep(command, log, { cwd, env: { ARCH: "um" } });
}

export {
  SOURCE_PACKAGE,
  kernelsDir,
  kernelKey,
  cachedKernel,
  buildKernel
};
