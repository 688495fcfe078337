import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  requireTool,
  runBuildStep,
  which
} from "./chunk-IF45U7AT.js";
import {
  seconds
} from "./chunk-4POBWK4H.js";
import {
  guestFile
} from "./chunk-G3XLIV3Y.js";
import {
  UmlenvError,
  errorMessage
} from "./chunk-CRDCTHBJ.js";

// src/image/build.ts
import { chmod, copyFile, mkdir, rm, writeFile, access } from "node:fs/promises";
import path from "node:path";
var MERGED_USR_HOOK = "/usr/share/mmdebstrap/hooks/merged-usr";
async function chooseBuilder(wanted = process.env.UMLENV_BUILDER) {
  if (wanted === "mmdebstrap" || wanted === "debootstrap") {
    await requireTool(wanted, "to build images (UMLENV_BUILDER asks for it)");
    return wanted;
  }
  if (wanted) {
    throw new UmlenvError(
      `UMLENV_BUILDER=${wanted} is not a known builder`,
      "use mmdebstrap or debootstrap, or unset it"
    );
  }
  if (await which("mmdebstrap")) return "mmdebstrap";
  await requireTool("debootstrap", "to build images (or install mmdebstrap, the faster builder)");
  return "debootstrap";
}
function bootstrapCommand(builder, image, root) {
  const { suite, mirror, packages } = image.recipe;
  const include = `--include=${packages.join(",")}`;
  if (builder === "mmdebstrap") {
    return [
      "mmdebstrap",
      ["--variant=minbase", include, `--hook-dir=${MERGED_USR_HOOK}`, suite, root, mirror]
    ];
  }
  return ["debootstrap", ["--variant=minbase", include, suite, root, mirror]];
}
async function prepareBuild(image, store) {
  if (process.getuid?.() !== 0) {
    throw new UmlenvError(
      `building image ${image.name} needs root: the bootstrap creates device nodes and files owned by other users`,
      "run umlenv as root on the build box, or build the image once as root into the shared cache (umlenv image build)"
    );
  }
  const builder = await chooseBuilder();
  await requireTool("bwrap", "to run image builds in their own pid namespace");
  await requireTool("mkfs.ext4", "to make image file systems");
  await store.checkSpace(image.recipe.sizeBytes / 2 + 2 ** 29);
  return builder;
}
async function buildImage(image, store, log) {
  const builder = await prepareBuild(image, store);
  const started = Date.now();
  const scratch = await store.scratch(image.key);
  const root = path.join(scratch, "root");
  const file = path.join(scratch, "image.ext4");
  try {
    const tmp = await scratchTmp(scratch);
    await log.group(
      `Bootstrapping ${image.recipe.suite} with ${builder}`,
      () => run(bootstrapCommand(builder, image, root), log, tmp)
    );
    await installGuest(root, image);
    if (image.recipe.setup) await runSetup(root, image.recipe.setup, log);
    await tidy(root);
    await run(
      [
        "mkfs.ext4",
        [
          "-q",
          "-F",
          "-L",
          "umlenv",
          "-E",
          "lazy_itable_init=0,lazy_journal_init=0",
          "-d",
          root,
          file,
          `${image.recipe.sizeBytes / 1024}k`
        ]
      ],
      log
    );
    await run(["e2fsck", ["-f", "-n", file]], log);
    await store.publish(
      {
        key: image.key,
        name: image.name,
        recipe: image.recipe,
        builtAt: (/* @__PURE__ */ new Date()).toISOString(),
        buildSeconds: (Date.now() - started) / 1e3,
        builder
      },
      file
    );
  } catch (error) {
    throw new UmlenvError(
      `building image ${image.name} (${image.key}) failed: ${errorMessage(error)}`,
      "see the build output above; nothing was published, so the next run builds again",
      { cause: error }
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  log.info(`Built image ${image.name} (${image.key}) in ${seconds(Date.now() - started)}`);
}
async function installGuest(root, image) {
  const init = path.join(root, "sbin", "umlenv-init");
  await copyFile(guestFile("umlenv-init"), init);
  await chmod(init, 493);
  await writeFile(path.join(root, "etc", "umlenv-image"), `${image.key}
`);
  await access(path.join(root, "usr", "bin", "perl"));
}
async function runSetup(root, script, log) {
  await requireTool("bwrap", "to run image setup scripts");
  const policy = path.join(root, "usr", "sbin", "policy-rc.d");
  await writeFile(policy, "#!/bin/sh\nexit 101\n", { mode: 493 });
  try {
    await log.group(
      "Running the image setup script",
      () => run(["bwrap", setupSandbox(root, script)], log)
    );
  } catch (error) {
    throw new UmlenvError(
      `the image setup script failed: ${errorMessage(error)}`,
      "fix the script under images.NAME.setup",
      { cause: error }
    );
  } finally {
    await rm(policy, { force: true });
  }
}
async function tidy(root) {
  for (const dir of ["var/cache/apt/archives", "var/lib/apt/lists"]) {
    await rm(path.join(root, dir), { recursive: true, force: true });
    await mkdir(path.join(root, dir, "partial"), { recursive: true });
  }
}
function run(command, log, tmp) {
  return runBuildStep(command, log, { privileged: true, env: tmp ? { TMPDIR: tmp } : {} });
}
async function scratchTmp(scratch) {
  const tmp = path.join(scratch, "tmp");
  await mkdir(tmp, { recursive: true });
  return tmp;
}
function setupSandbox(root, script) {
  return [
    "--die-with-parent",
    "--unshare-pid",
    "--unshare-ipc",
    // Root in the new root: installing packages and starting services need its capabilities.
    "--cap-add",
    "ALL",
    "--bind",
    root,
    "/",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--perms",
    "1777",
    "--tmpfs",
    "/dev/shm",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/tmp",
    "--ro-bind",
    "/etc/resolv.conf",
    "/etc/resolv.conf",
    "--setenv",
    "DEBIAN_FRONTEND",
    "noninteractive",
    "--",
    "/bin/sh",
    "-euc",
    script
  ];
}

// src/image/mirror.ts
import { readFile, readdir } from "node:fs/promises";
import path2 from "node:path";
function parseSources(text, deb822) {
  if (!deb822) {
    return text.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter((l) => l.startsWith("deb ")).map((l) => ({
      options: /\[([^\]]*)\]/.exec(l)?.[1] ?? "",
      words: l.replace(/\[[^\]]*\]\s*/, "").split(/\s+/)
    })).map(({ options, words: [, uri, suite] }) => ({
      uri,
      suites: suite ? [suite] : [],
      signedBy: /signed-by=(\S+)/.exec(options)?.[1]
    }));
  }
  return text.split(/\n\s*\n/).map((stanza) => {
    const field = (name) => new RegExp(`^${name}:\\s*(.*)$`, "mi").exec(stanza.replace(/^#.*$/gm, ""))?.[1].trim();
    const types = field("Types")?.split(/\s+/) ?? [];
    if (!types.includes("deb") || field("Enabled") === "no") return void 0;
    return {
      uri: field("URIs")?.split(/\s+/)[0] ?? "",
      suites: field("Suites")?.split(/\s+/) ?? [],
      signedBy: field("Signed-By")
    };
  }).filter((s) => s !== void 0 && s.uri !== "");
}
async function hostMirror(suite, etc = "/etc/apt") {
  const sources = [];
  const read = async (file, deb822) => {
    try {
      sources.push(...parseSources(await readFile(file, "utf8"), deb822));
    } catch {
    }
  };
  await read(path2.join(etc, "sources.list"), false);
  const dir = path2.join(etc, "sources.list.d");
  const entries = await readdir(dir).catch(() => []);
  for (const entry of entries.sort()) {
    if (entry.endsWith(".list")) await read(path2.join(dir, entry), false);
    if (entry.endsWith(".sources")) await read(path2.join(dir, entry), true);
  }
  const main = pickMirror(sources, suite);
  if (!main) {
    throw new UmlenvError(
      `no Debian mirror found in this host's apt sources (${etc})`,
      "set mirror: in the image of umlenv.yml to the URL of a Debian mirror"
    );
  }
  return main.uri.replace(/\/+$/, "");
}
function pickMirror(sources, suite) {
  const candidates = sources.filter(
    (s) => /^(https?|file):/.test(s.uri) && s.suites.some((x) => /^[a-z]+$/.test(x))
  );
  const score = (s) => (suite && s.suites.includes(suite) ? 4 : 0) + (s.signedBy?.includes("debian-archive-keyring") ? 2 : 0) + (/\/debian\/?$/.test(s.uri) ? 1 : 0);
  return candidates.reduce(
    (best, s) => !best || score(s) > score(best) ? s : best,
    void 0
  );
}

// src/image/recipe.ts
import { createHash } from "node:crypto";
import { readFile as readFile2 } from "node:fs/promises";
var IMAGE_FORMAT = 1;
var BASE_PACKAGES = ["iproute2"];
async function resolveRecipe(spec, mirror) {
  const init = await readFile2(guestFile("umlenv-init"));
  const recipe = {
    format: IMAGE_FORMAT,
    suite: spec.suite,
    mirror: spec.mirror ?? mirror,
    packages: [.../* @__PURE__ */ new Set([...BASE_PACKAGES, ...spec.packages])].sort(),
    setup: spec.setup ?? "",
    sizeBytes: spec.sizeBytes,
    guestInit: createHash("sha256").update(init).digest("hex")
  };
  return { name: spec.name, key: recipeKey(recipe), recipe };
}
function recipeKey(recipe) {
  const digest = createHash("sha256").update(JSON.stringify(recipe)).digest("hex").slice(0, 16);
  return `${recipe.suite}-${digest}`;
}

// src/image/ensure.ts
async function resolveImages(config, names) {
  const wanted = names ?? [...new Set(config.machines.map((m) => m.image))];
  const specs = wanted.map((n) => config.images[n]);
  return Promise.all(
    specs.map(async (s) => resolveRecipe(s, s.mirror ?? await hostMirror(s.suite)))
  );
}
async function ensureImages(images, store, log) {
  const ready = [];
  for (const image of images) {
    const ilog = log.child(`image ${image.name}`);
    let built = false;
    if (await store.has(image.key)) {
      ilog.debug(`cached as ${image.key}`);
    } else {
      await prepareBuild(image, store);
      await store.withBuildLock(image.key, ilog, async () => {
        if (await store.has(image.key)) return;
        await store.sweepScratch();
        const t0 = Date.now();
        ilog.info(`Building image ${image.key}\u2026`);
        await buildImage(image, store, ilog);
        built = true;
        ilog.debug(`build took ${seconds(Date.now() - t0)}`);
      });
    }
    await store.markUsed(image.key);
    ready.push({ ...image, file: store.file(image.key), built });
  }
  return ready;
}

export {
  resolveImages,
  ensureImages
};
