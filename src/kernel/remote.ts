import { cp, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as actionsCache from '@actions/cache';
import { UmlenvError } from '../errors.js';
import type { CacheService } from '../image/remote.js';
import type { Logger } from '../log/logger.js';
import { kernelsDir } from './build.js';

/** A CI cache that keeps whole folders under a key: GitHub's, or a plain directory. */
export interface FolderCache {
  /** Fills dir (which must not exist) with the entry for key; false when there is none. */
  get(key: string, dir: string): Promise<boolean>;
  /** Stores dir's files under key; an entry that is already there is kept. */
  put(key: string, dir: string): Promise<void>;
  has(key: string): Promise<boolean>;
}

/** A plain directory as the CI cache (tests, CI systems without a cache service). */
export class DirectoryFolderCache implements FolderCache {
  constructor(readonly root: string) {}

  has(key: string): Promise<boolean> {
    return exists(path.join(this.root, key));
  }

  async get(key: string, dir: string): Promise<boolean> {
    const entry = path.join(this.root, key);
    if (!(await exists(entry))) return false;
    await cp(entry, dir, { recursive: true });
    return true;
  }

  async put(key: string, dir: string): Promise<void> {
    await publishCopy(dir, path.join(this.root, key));
  }
}

/**
 * Copies folder from to the path to, through a scratch folder beside it renamed into place,
 * so a reader never sees half of it. A folder already at to is kept: the same key, the same
 * content.
 */
async function publishCopy(from: string, to: string): Promise<void> {
  if (await exists(to)) return;
  const scratch = path.join(path.dirname(to), `.tmp-${path.basename(to)}-${process.pid}`);
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await cp(from, scratch, { recursive: true });
    await rename(scratch, to).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * GitHub's Actions cache. An entry remembers the folder it was saved from and restores
 * only into the same path, so both directions go through one fixed folder per key.
 */
export class GitHubFolderCache implements FolderCache {
  constructor(private readonly service: CacheService = actionsCache) {}

  async has(key: string): Promise<boolean> {
    const probe = path.join(os.tmpdir(), 'umlenv-cache-probe');
    return (await this.service.restoreCache([probe], key, [], { lookupOnly: true })) !== undefined;
  }

  async get(key: string, dir: string): Promise<boolean> {
    return (await this.service.restoreCache([dir], key)) !== undefined;
  }

  async put(key: string, dir: string): Promise<void> {
    // saveCache logs its own reason and returns -1 when the service did not take the entry
    // (one with this key exists already, say, when another job saved it first).
    await this.service.saveCache([dir], key);
  }
}

/** The CI cache key of a minimal kernel: built for the host's architecture. */
export function kernelCacheKey(key: string): string {
  return `umlenv-kernel-${process.arch}-${key}`;
}

// The folder a kernel travels through; fixed per key, as GitHub's cache requires.
function transferDir(key: string): string {
  const root = process.env.RUNNER_TEMP ?? os.tmpdir();
  return path.join(root, 'umlenv-kernel-cache', key);
}

/**
 * Puts the minimal kernel for key into this box's cache from the CI cache; false when the
 * CI cache has none. The entry is checked (its meta names this key, its kernel is there)
 * and published by rename, so a half-restored kernel is never used.
 */
export async function restoreKernel(key: string, cache: FolderCache): Promise<boolean> {
  const transfer = transferDir(key);
  await rm(transfer, { recursive: true, force: true });
  try {
    if (!(await cache.get(kernelCacheKey(key), transfer))) return false;
    const meta = await readFile(path.join(transfer, 'meta.json'), 'utf8')
      .then((t) => JSON.parse(t) as { key?: string })
      .catch(() => undefined);
    if (meta?.key !== key || !(await exists(path.join(transfer, 'linux')))) {
      throw new UmlenvError(
        `the CI cache entry ${kernelCacheKey(key)} is not the minimal kernel ${key}`,
        'delete that cache entry; the kernel will be built and saved again',
      );
    }
    await publishCopy(transfer, path.join(kernelsDir(), key));
    return true;
  } finally {
    await rm(transfer, { recursive: true, force: true });
  }
}

/** Stores this box's minimal kernel for key in the CI cache, unless the CI cache has it. */
export async function saveKernel(key: string, cache: FolderCache, log: Logger): Promise<void> {
  if (await cache.has(kernelCacheKey(key))) return;
  const transfer = transferDir(key);
  await rm(transfer, { recursive: true, force: true });
  try {
    await cp(path.join(kernelsDir(), key), transfer, { recursive: true });
    await cache.put(kernelCacheKey(key), transfer);
    log.info(`Saved the minimal kernel ${key} to the CI cache`);
  } finally {
    await rm(transfer, { recursive: true, force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
