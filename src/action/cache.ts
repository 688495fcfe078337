import path from 'node:path';
import { errorMessage } from '../errors.js';
import {
  DirectoryImageCache,
  gitHubCacheAvailable,
  GitHubImageCache,
  type RemoteImageCache,
} from '../image/remote.js';
import type { ImageStore } from '../image/store.js';
import { DirectoryFolderCache, GitHubFolderCache, type FolderCache } from '../kernel/remote.js';
import type { Logger } from '../log/logger.js';

/**
 * The CI cache this job uses: UMLENV_ACTION_CACHE_DIR when set (tests, runners without
 * GitHub's cache service), else GitHub's cache when this job can reach it, else none.
 */
export function remoteCache(
  enabled: boolean,
  store: ImageStore,
  log: Logger,
): RemoteImageCache | undefined {
  if (!enabled) return undefined;
  const dir = process.env.UMLENV_ACTION_CACHE_DIR;
  if (dir) return new DirectoryImageCache(path.resolve(dir), store, log);
  if (gitHubCacheAvailable()) return new GitHubImageCache(store, log);
  log.info("GitHub's cache service is not available to this job: images are kept on this box only");
  return undefined;
}

/** The same CI cache as remoteCache, for whole folders (the minimal kernel). */
export function folderCache(enabled: boolean): FolderCache | undefined {
  if (!enabled) return undefined;
  const dir = process.env.UMLENV_ACTION_CACHE_DIR;
  if (dir) return new DirectoryFolderCache(path.resolve(dir));
  return gitHubCacheAvailable() ? new GitHubFolderCache() : undefined;
}

/** Restores the images this box lacks; returns the keys still missing, which up() will build. */
export async function restoreImages(
  keys: string[],
  store: ImageStore,
  remote: RemoteImageCache | undefined,
  log: Logger,
): Promise<string[]> {
  const missing: string[] = [];
  for (const key of keys) {
    if (await store.has(key)) {
      log.info(`Image ${key} is on this box`);
      continue;
    }
    try {
      if (remote && (await remote.restore(key))) {
        log.info(`Restored image ${key} from the CI cache`);
        continue;
      }
      const where = remote ? 'neither on this box nor in the CI cache' : 'not on this box';
      log.info(`Image ${key} is ${where}: it will be built`);
    } catch (error) {
      log.warn(
        `Could not restore image ${key} from the CI cache (${errorMessage(error)}): it will be built`,
      );
    }
    missing.push(key);
  }
  return missing;
}

/** Saves the images this job built; a failed save is a warning, never a failed job. */
export async function saveImages(
  keys: string[],
  store: ImageStore,
  remote: RemoteImageCache,
  log: Logger,
): Promise<void> {
  for (const key of keys) {
    if (!(await store.has(key))) continue;
    try {
      await remote.save(key);
      log.info(`Saved image ${key} to the CI cache`);
    } catch (error) {
      log.warn(`Could not save image ${key} to the CI cache: ${errorMessage(error)}`);
    }
  }
}
