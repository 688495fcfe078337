import { mkdir, readFile, readdir, rm, utimes, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { UmlenvError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { freeBytes, scratchDir, sweepScratch } from '../host/scratch.js';
import { cacheDir } from '../paths.js';
import type { Recipe } from './recipe.js';

/** What is kept beside each published image. */
export interface ImageMeta {
  key: string;
  name: string;
  recipe: Recipe;
  builtAt: string;
  buildSeconds: number;
  builder: string;
}

export interface StoredImage extends ImageMeta {
  file: string;
  usedBytes: number;
  lastUsed: Date;
}

/**
 * The local image cache: one directory shared by every job on the box. An image
 * appears under its key only by an atomic rename after it passed its checks, and
 * is never modified afterwards (UML overlays record its mtime and size).
 */
export class ImageStore {
  readonly dir: string;

  constructor(root = cacheDir()) {
    this.dir = path.join(root, 'images');
  }

  file(key: string): string {
    return path.join(this.dir, `${key}.img`);
  }

  private metaFile(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  // Last use is kept in a side file: touching the image itself would break overlays.
  private usedFile(key: string): string {
    return path.join(this.dir, `${key}.used`);
  }

  async has(key: string): Promise<boolean> {
    return stat(this.file(key)).then(
      () => true,
      () => false,
    );
  }

  async markUsed(key: string): Promise<void> {
    const now = new Date();
    await writeFile(this.usedFile(key), '').catch(() => {});
    await utimes(this.usedFile(key), now, now).catch(() => {});
  }

  /** Holds the build lock of one key while fn runs; other jobs wait for it. */
  async withBuildLock<T>(key: string, log: Logger, fn: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    // A crashed builder's lock goes stale after 10 s; a live one refreshes it every 2 s.
    const options = {
      realpath: false,
      lockfilePath: path.join(this.dir, `${key}.lock`),
      stale: 10_000,
      update: 2_000,
      onCompromised: (error: Error) =>
        log.warn(`the build lock of ${key} was taken over: ${error.message}`),
    };
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.file(key), { ...options, retries: 0 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      log.info(`waiting for another job that is building image ${key}`);
      release = await lockfile.lock(this.file(key), {
        ...options,
        retries: { retries: 3600, factor: 1, minTimeout: 500, maxTimeout: 500 },
      });
    }
    try {
      return await fn();
    } finally {
      await release().catch(() => {});
    }
  }

  async publish(meta: ImageMeta, built: string): Promise<void> {
    const { rename } = await import('node:fs/promises');
    await writeFile(this.metaFile(meta.key), JSON.stringify(meta, null, 2) + '\n');
    await rename(built, this.file(meta.key));
    await this.markUsed(meta.key);
  }

  async list(): Promise<StoredImage[]> {
    const entries = await readdir(this.dir).catch(() => [] as string[]);
    const images: StoredImage[] = [];
    for (const entry of entries.filter((e) => e.endsWith('.img'))) {
      const key = entry.slice(0, -4);
      try {
        const meta: ImageMeta = JSON.parse(await readFile(this.metaFile(key), 'utf8'));
        const st = await stat(this.file(key));
        const used = await stat(this.usedFile(key)).then(
          (s) => s.mtime,
          () => st.mtime,
        );
        images.push({ ...meta, file: this.file(key), usedBytes: st.blocks * 512, lastUsed: used });
      } catch {
        // an image without metadata is not ours to list
      }
    }
    return images.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  }

  async remove(key: string): Promise<void> {
    for (const f of [this.file(key), this.metaFile(key), this.usedFile(key)])
      await rm(f, { force: true });
  }

  // A scratch directory on the cache's own file system, so publishing is a rename.
  async scratch(key: string): Promise<string> {
    const dir = scratchDir(this.dir, key);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Removes scratch directories of builds whose process is gone. */
  sweepScratch(): Promise<void> {
    return sweepScratch(this.dir);
  }

  async checkSpace(needBytes: number): Promise<void> {
    const free = await freeBytes(this.dir);
    if (free < needBytes) {
      throw new UmlenvError(
        `not enough disk space to build an image in ${this.dir}: ${Math.floor(free / 2 ** 20)} MiB free, about ${Math.ceil(needBytes / 2 ** 20)} MiB needed`,
        'free disk space (umlenv image prune removes unused images), or set UMLENV_CACHE_DIR to a larger file system',
      );
    }
  }
}
