import { execa } from 'execa';
import { cp, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { DirectoryImageCache, GitHubImageCache, type CacheService } from './remote.js';
import { ImageStore, type ImageMeta } from './store.js';

const KEY = 'bookworm-0123456789abcdef';
const MTIME = '1733250105334728363';
const META: ImageMeta = {
  key: KEY,
  name: 'tiny',
  recipe: {
    format: 1,
    suite: 'bookworm',
    mirror: 'http://mirror.invalid/debian',
    packages: ['iproute2'],
    setup: '',
    sizeBytes: 64 * 2 ** 20,
    guestInit: 'x',
  },
  builtAt: '2026-01-01T00:00:00.000Z',
  buildSeconds: 1,
  builder: 'mmdebstrap',
};

let work: string;

// A 64 MiB sparse file with data at both ends, published like a built image.
async function publishedImage(store: ImageStore): Promise<void> {
  const built = path.join(work, 'built.img');
  const fh = await open(built, 'w');
  await fh.write(Buffer.from('start of the image'), 0, undefined, 0);
  await fh.write(Buffer.from('end'), 0, undefined, 64 * 2 ** 20 - 3);
  await fh.close();
  await execa('touch', ['-m', '-d', '@1733250105.334728363', built]);
  await mkdir(store.dir, { recursive: true });
  await store.publish(META, built);
}

async function fileFacts(file: string) {
  const st = await stat(file, { bigint: true });
  return { size: st.size, mtimeNs: st.mtimeNs.toString(), usedBytes: Number(st.blocks * 512n) };
}

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'umlenv-remote-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('DirectoryImageCache', () => {
  it('restores an image with its exact size, mtime, holes, bytes and metadata', async () => {
    const first = new ImageStore(path.join(work, 'a'));
    await publishedImage(first);
    await new DirectoryImageCache(path.join(work, 'remote'), first, silentLogger).save(KEY);

    const second = new ImageStore(path.join(work, 'b'));
    const remote = new DirectoryImageCache(path.join(work, 'remote'), second, silentLogger);
    expect(await remote.restore(KEY)).toBe(true);
    const facts = await fileFacts(second.file(KEY));
    expect(facts.size).toBe(BigInt(64 * 2 ** 20));
    expect(facts.mtimeNs).toBe(MTIME);
    expect(facts.usedBytes).toBeLessThan(2 ** 20);
    const [a, b] = await Promise.all([readFile(first.file(KEY)), readFile(second.file(KEY))]);
    expect(a.equals(b)).toBe(true);
    const [listed] = await second.list();
    expect(listed).toMatchObject(META);
  });

  it('says false for a key it does not hold, and saves a key only once', async () => {
    const store = new ImageStore(path.join(work, 'a'));
    const remote = new DirectoryImageCache(path.join(work, 'remote'), store, silentLogger);
    expect(await remote.restore(KEY)).toBe(false);
    await publishedImage(store);
    await remote.save(KEY);
    const entry = path.join(work, 'remote', KEY, 'entry.json');
    const before = (await stat(entry)).mtimeMs;
    await remote.save(KEY);
    expect((await stat(entry)).mtimeMs).toBe(before);
  });

  it('refuses an entry whose size does not match and publishes nothing', async () => {
    const first = new ImageStore(path.join(work, 'a'));
    await publishedImage(first);
    await new DirectoryImageCache(path.join(work, 'remote'), first, silentLogger).save(KEY);
    const entryFile = path.join(work, 'remote', KEY, 'entry.json');
    const entry = JSON.parse(await readFile(entryFile, 'utf8'));
    await writeFile(entryFile, JSON.stringify({ ...entry, size: entry.size + 1 }));

    const second = new ImageStore(path.join(work, 'b'));
    const remote = new DirectoryImageCache(path.join(work, 'remote'), second, silentLogger);
    await expect(remote.restore(KEY)).rejects.toThrow(/has 67108864 bytes, its entry says/);
    expect(await second.has(KEY)).toBe(false);
  });
});

describe('GitHubImageCache', () => {
  // Stands in for the cache service: one folder per key, copied whole like a tar round trip.
  function fakeService(saved: Map<string, string>): CacheService {
    return {
      async restoreCache([dir], key) {
        if (!saved.has(key)) return undefined;
        await cp(saved.get(key)!, dir, { recursive: true, preserveTimestamps: false });
        return key;
      },
      async saveCache([dir], key) {
        const copy = path.join(work, 'service', key);
        await cp(dir, copy, { recursive: true });
        saved.set(key, copy);
        return 1;
      },
    };
  }

  it('round-trips an image through the service under an arch-qualified key', async () => {
    const saved = new Map<string, string>();
    const first = new ImageStore(path.join(work, 'a'));
    await publishedImage(first);
    const temp = path.join(work, 'runner-temp');
    await new GitHubImageCache(first, silentLogger, fakeService(saved), temp).save(KEY);
    expect([...saved.keys()]).toEqual([`umlenv-image-${process.arch}-${KEY}`]);

    const second = new ImageStore(path.join(work, 'b'));
    const github = new GitHubImageCache(second, silentLogger, fakeService(saved), temp);
    expect(await github.restore(KEY)).toBe(true);
    expect(await fileFacts(second.file(KEY))).toMatchObject({
      size: BigInt(64 * 2 ** 20),
      mtimeNs: MTIME,
      usedBytes: expect.toSatisfy((n: number) => n < 2 ** 20),
    });
    expect(await github.restore('bookworm-ffffffffffffffff')).toBe(false);
    await expect(stat(path.join(temp, 'umlenv-image-cache', KEY))).rejects.toThrow();
  });

  it('fails a save that the service did not store', async () => {
    const store = new ImageStore(path.join(work, 'a'));
    await publishedImage(store);
    const refusing = { ...fakeService(new Map()), saveCache: async () => -1 };
    const github = new GitHubImageCache(store, silentLogger, refusing, work);
    await expect(github.save(KEY)).rejects.toThrow(/did not store it/);
  });
});
