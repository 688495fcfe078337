import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as actionsCache from '@actions/cache';
import { execa } from 'execa';
import { UmlenvError } from '../errors.js';
import { requireTool } from '../host/tools.js';
import type { Logger } from '../log/logger.js';
import type { ImageMeta, ImageStore } from './store.js';

/** A cache of images beyond this box (a CI service, a shared directory), keyed by content key. */
export interface RemoteImageCache {
  /** Puts the image for key into the local store; false when the remote cache has none. */
  restore(key: string): Promise<boolean>;
  /** Copies the local store's image for key to the remote cache. */
  save(key: string): Promise<void>;
}

/** What travels beside the compressed image: UML overlays record the image's mtime and size. */
export interface CacheEntry {
  format: 1;
  meta: ImageMeta;
  size: number;
  /** Nanoseconds since the epoch, as a decimal string: a double cannot hold them exactly. */
  mtimeNs: string;
  usedBytes: number;
}

const ENTRY = 'entry.json';
const IMAGE = 'image.zst';

/** Writes the image for key as a zstd file plus its entry into dir, which must exist. */
export async function packImage(store: ImageStore, key: string, dir: string): Promise<void> {
  await requireTool('zstd', 'to pack images for the CI cache');
  const stored = (await store.list()).find((i) => i.key === key);
  if (!stored) throw new UmlenvError(`image ${key} is not in ${store.dir}`, 'build it first');
  const { file, usedBytes: _used, lastUsed: _last, ...meta } = stored;
  const st = await stat(file, { bigint: true });
  await execa('zstd', ['-q', '-T0', '-f', file, '-o', path.join(dir, IMAGE)]);
  const entry: CacheEntry = {
    format: 1,
    meta,
    size: Number(st.size),
    mtimeNs: st.mtimeNs.toString(),
    usedBytes: Number(st.blocks * 512n),
  };
  await writeFile(path.join(dir, ENTRY), JSON.stringify(entry, null, 2) + '\n');
}

/**
 * Publishes a packed image from dir into the store under the key's build lock: decompressed
 * with holes kept, checked for its size, given back its mtime, then renamed into place.
 */
export async function unpackImage(
  store: ImageStore,
  key: string,
  dir: string,
  log: Logger,
): Promise<void> {
  const entry = JSON.parse(await readFile(path.join(dir, ENTRY), 'utf8')) as CacheEntry;
  if (entry.format !== 1 || entry.meta?.key !== key) {
    throw new UmlenvError(
      `the cache entry in ${dir} is not image ${key} in format 1`,
      'remove the entry from the cache; the image will be built and saved again',
    );
  }
  await requireTool('zstd', 'to unpack images from the CI cache');
  await store.withBuildLock(key, log, async () => {
    if (await store.has(key)) return;
    await store.checkSpace(entry.usedBytes + 2 ** 26);
    const scratch = await store.scratch(key);
    try {
      const file = path.join(scratch, 'image.ext4');
      await execa('zstd', ['-q', '-d', '--sparse', '-f', path.join(dir, IMAGE), '-o', file]);
      const { size } = await stat(file);
      if (size !== entry.size) {
        throw new UmlenvError(
          `image ${key} from the cache has ${size} bytes, its entry says ${entry.size}`,
          'remove the entry from the cache; the image will be built and saved again',
        );
      }
      await setMtime(file, entry.mtimeNs);
      await store.publish(entry.meta, file);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}

// touch(1) takes nanoseconds exactly; Node's utimes passes seconds as a double and loses them.
async function setMtime(file: string, mtimeNs: string): Promise<void> {
  const ns = BigInt(mtimeNs);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  await execa('touch', ['-c', '-m', '-d', `@${ns / 1_000_000_000n}.${frac}`, file]);
}

/** A plain directory as the remote cache: for tests, and for CI systems without a cache service. */
export class DirectoryImageCache implements RemoteImageCache {
  constructor(
    readonly root: string,
    private readonly store: ImageStore,
    private readonly log: Logger,
  ) {}

  async restore(key: string): Promise<boolean> {
    const dir = path.join(this.root, key);
    if (!(await exists(path.join(dir, ENTRY)))) return false;
    await unpackImage(this.store, key, dir, this.log);
    return true;
  }

  // Packed beside the entry and renamed into place, so a reader never sees half an entry.
  async save(key: string): Promise<void> {
    const dir = path.join(this.root, key);
    if (await exists(dir)) return;
    const tmp = path.join(this.root, `.tmp-${key}-${process.pid}`);
    await mkdir(tmp, { recursive: true });
    try {
      await packImage(this.store, key, tmp);
      await rename(tmp, dir).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}

/** The two calls of @actions/cache that the GitHub cache uses; tests pass a stand-in. */
export interface CacheService {
  restoreCache(
    paths: string[],
    key: string,
    restoreKeys?: string[],
    options?: { lookupOnly?: boolean },
  ): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

/**
 * GitHub's Actions cache. Each image travels as its own entry, packed in a folder under
 * the runner's temp dir; the folder's path is part of the entry's version, so runners
 * whose temp dirs differ do not share entries (each then builds the image once).
 */
export class GitHubImageCache implements RemoteImageCache {
  constructor(
    private readonly store: ImageStore,
    private readonly log: Logger,
    private readonly service: CacheService = actionsCache,
    private readonly tempRoot = process.env.RUNNER_TEMP ?? os.tmpdir(),
  ) {}

  /** The cache key: images are built for the host's architecture. */
  static cacheKey(key: string): string {
    return `umlenv-image-${process.arch}-${key}`;
  }

  private transferDir(key: string): string {
    return path.join(this.tempRoot, 'umlenv-image-cache', key);
  }

  async restore(key: string): Promise<boolean> {
    const dir = this.transferDir(key);
    await rm(dir, { recursive: true, force: true });
    try {
      const hit = await this.service.restoreCache([dir], GitHubImageCache.cacheKey(key));
      if (!hit || !(await exists(path.join(dir, ENTRY)))) return false;
      await unpackImage(this.store, key, dir, this.log);
      return true;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async save(key: string): Promise<void> {
    const dir = this.transferDir(key);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      await packImage(this.store, key, dir);
      // saveCache logs its own reason and returns -1 when the service did not take the entry.
      if ((await this.service.saveCache([dir], GitHubImageCache.cacheKey(key))) === -1)
        throw new Error(
          "GitHub's cache service did not store it (its reason is in the line above)",
        );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Whether GitHub's cache service is reachable from this job (it is not on some GHES setups). */
export function gitHubCacheAvailable(): boolean {
  // local-action's stand-in for @actions/cache has no isFeatureAvailable.
  const check = (actionsCache as Partial<typeof actionsCache>).isFeatureAvailable;
  return typeof check === 'function' ? check() : true;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
