import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { kernelsDir } from './build.js';
import {
  DirectoryFolderCache,
  GitHubFolderCache,
  kernelCacheKey,
  restoreKernel,
  saveKernel,
} from './remote.js';

const KEY = '6.1-0123456789abcdef';

describe('the minimal kernel through a CI cache', () => {
  let work: string;
  let ci: DirectoryFolderCache;
  const saved = { ...process.env };

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'umlenv-kernel-remote-'));
    ci = new DirectoryFolderCache(path.join(work, 'ci'));
    process.env.RUNNER_TEMP = path.join(work, 'runner-temp');
    useBox('box-a');
  });
  afterEach(async () => {
    process.env = { ...saved };
    await rm(work, { recursive: true, force: true });
  });

  // Each "box" is its own umlenv cache directory.
  function useBox(name: string) {
    process.env.UMLENV_CACHE_DIR = path.join(work, name);
  }
  async function builtKernel(meta: object = { key: KEY }) {
    const dir = path.join(kernelsDir(), KEY);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'linux'), 'ELF kernel bytes');
    await writeFile(path.join(dir, 'meta.json'), JSON.stringify(meta));
  }

  it('saves a kernel once and restores it on another box', async () => {
    await builtKernel();
    await saveKernel(KEY, ci, silentLogger);
    expect(await ci.has(kernelCacheKey(KEY))).toBe(true);
    await saveKernel(KEY, ci, silentLogger); // already there: kept as it is

    useBox('box-b');
    expect(await restoreKernel(KEY, ci)).toBe(true);
    expect(await readFile(path.join(kernelsDir(), KEY, 'linux'), 'utf8')).toBe('ELF kernel bytes');
    // Nothing half-made is left beside it, nor in the transfer folder.
    expect(await readdir(kernelsDir())).toEqual([KEY]);
    expect(await readdir(path.join(work, 'runner-temp', 'umlenv-kernel-cache'))).toEqual([]);
  });

  it('says false when the CI cache has no such kernel', async () => {
    expect(await restoreKernel(KEY, ci)).toBe(false);
  });

  it('refuses an entry that is not the kernel it is filed under, and publishes nothing', async () => {
    await builtKernel({ key: '6.1-somethingelse' });
    await saveKernel(KEY, ci, silentLogger);
    useBox('box-b');
    await expect(restoreKernel(KEY, ci)).rejects.toThrow(
      /the CI cache entry umlenv-kernel-x64-6\.1-0123456789abcdef is not the minimal kernel/,
    );
    expect(await readdir(kernelsDir()).catch(() => [])).toEqual([]);
  });
});

describe('GitHubFolderCache', () => {
  it('looks an entry up without downloading it, and saves from the given folder', async () => {
    const calls: unknown[][] = [];
    const cache = new GitHubFolderCache({
      restoreCache: async (...args) => {
        calls.push(['restore', ...args]);
        return args[3]?.lookupOnly ? 'k' : undefined;
      },
      saveCache: async (...args) => {
        calls.push(['save', ...args]);
        return 1;
      },
    });
    expect(await cache.has('k')).toBe(true);
    expect(await cache.get('k', '/t/k')).toBe(false);
    await cache.put('k', '/t/k');
    expect(calls.map((c) => [c[0], c[2], (c[4] as { lookupOnly?: boolean })?.lookupOnly])).toEqual([
      ['restore', 'k', true],
      ['restore', 'k', undefined],
      ['save', 'k', undefined],
    ]);
    expect(calls[2][1]).toEqual(['/t/k']);
  });
});
