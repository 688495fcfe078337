import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  freeBytes,
  require_proper_lockfile,
  scratchDir,
  sweepScratch
} from "./chunk-MPVBSXOT.js";
import {
  cacheDir
} from "./chunk-G3XLIV3Y.js";
import {
  UmlenvError
} from "./chunk-CRDCTHBJ.js";
import {
  __toESM
} from "./chunk-GYJEAFSS.js";

// src/image/store.ts
var import_proper_lockfile = __toESM(require_proper_lockfile(), 1);
import { mkdir, readFile, readdir, rm, utimes, writeFile, stat } from "node:fs/promises";
import path from "node:path";
var ImageStore = class {
  dir;
  constructor(root = cacheDir()) {
    this.dir = path.join(root, "images");
  }
  file(key) {
    return path.join(this.dir, `${key}.img`);
  }
  metaFile(key) {
    return path.join(this.dir, `${key}.json`);
  }
  // Last use is kept in a side file: touching the image itself would break overlays.
  usedFile(key) {
    return path.join(this.dir, `${key}.used`);
  }
  async has(key) {
    return stat(this.file(key)).then(
      () => true,
      () => false
    );
  }
  async markUsed(key) {
    const now = /* @__PURE__ */ new Date();
    await writeFile(this.usedFile(key), "").catch(() => {
    });
    await utimes(this.usedFile(key), now, now).catch(() => {
    });
  }
  /** Holds the build lock of one key while fn runs; other jobs wait for it. */
  async withBuildLock(key, log, fn) {
    await mkdir(this.dir, { recursive: true });
    const options = {
      realpath: false,
      lockfilePath: path.join(this.dir, `${key}.lock`),
      stale: 1e4,
      update: 2e3,
      onCompromised: (error) => log.warn(`the build lock of ${key} was taken over: ${error.message}`)
    };
    let release;
    try {
      release = await import_proper_lockfile.default.lock(this.file(key), { ...options, retries: 0 });
    } catch (error) {
      if (error.code !== "ELOCKED") throw error;
      log.info(`waiting for another job that is building image ${key}`);
      release = await import_proper_lockfile.default.lock(this.file(key), {
        ...options,
        retries: { retries: 3600, factor: 1, minTimeout: 500, maxTimeout: 500 }
      });
    }
    try {
      return await fn();
    } finally {
      await release().catch(() => {
      });
    }
  }
  async publish(meta, built) {
    const { rename } = await import("node:fs/promises");
    await writeFile(this.metaFile(meta.key), JSON.stringify(meta, null, 2) + "\n");
    await rename(built, this.file(meta.key));
    await this.markUsed(meta.key);
  }
  async list() {
    const entries = await readdir(this.dir).catch(() => []);
    const images = [];
    for (const entry of entries.filter((e) => e.endsWith(".img"))) {
      const key = entry.slice(0, -4);
      try {
        const meta = JSON.parse(await readFile(this.metaFile(key), "utf8"));
        const st = await stat(this.file(key));
        const used = await stat(this.usedFile(key)).then(
          (s) => s.mtime,
          () => st.mtime
        );
        images.push({ ...meta, file: this.file(key), usedBytes: st.blocks * 512, lastUsed: used });
      } catch {
      }
    }
    return images.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  }
  async remove(key) {
    for (const f of [this.file(key), this.metaFile(key), this.usedFile(key)])
      await rm(f, { force: true });
  }
  // A scratch directory on the cache's own file system, so publishing is a rename.
  async scratch(key) {
    const dir = scratchDir(this.dir, key);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return dir;
  }
  /** Removes scratch directories of builds whose process is gone. */
  sweepScratch() {
    return sweepScratch(this.dir);
  }
  async checkSpace(needBytes) {
    const free = await freeBytes(this.dir);
    if (free < needBytes) {
      throw new UmlenvError(
        `not enough disk space to build an image in ${this.dir}: ${Math.floor(free / 2 ** 20)} MiB free, about ${Math.ceil(needBytes / 2 ** 20)} MiB needed`,
        "free disk space (umlenv image prune removes unused images), or set UMLENV_CACHE_DIR to a larger file system"
      );
    }
  }
};

export {
  ImageStore
};
