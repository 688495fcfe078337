import { execa } from 'execa';
import { mkdtemp, readdir, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './harness.js';

const root = process.getuid?.() === 0;
const CLI = path.resolve('dist/cli.js');

function umlenv(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [CLI, ...args], { env, reject: false });
}

async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of (await readdir('/proc')).filter((e) => /^\d+$/.test(e))) {
    const cmdline = await import('node:fs/promises')
      .then((fs) => fs.readFile(`/proc/${pid}/cmdline`, 'utf8'))
      .catch(() => '');
    if (cmdline.includes(text) && Number(pid) !== process.pid) found.push(Number(pid));
  }
  return found;
}

describe.skipIf(!root)('image cache (needs root: builds run debootstrap)', () => {
  let work: string;
  let cache: string;
  let env: Record<string, string>;
  let config: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'umlenv-image-test-'));
    cache = path.join(work, 'cache');
    env = { UMLENV_CACHE_DIR: cache, UMLENV_STATE_DIR: path.join(work, 'state') };
    config = path.join(work, 'umlenv.yml');
    // A setup script proves image-time provisioning runs inside the new root.
    await writeFile(
      config,
      'images:\n  tiny:\n    setup: echo built-by-setup > /etc/umlenv-test-marker\nmachines:\n  one:\n',
    );
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('refuses to build on a full disk and creates nothing', async () => {
    const small = path.join(work, 'small');
    await execa('mkdir', ['-p', small]);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', small]);
    try {
      const r = await umlenv(['image', 'build', '-f', config], {
        ...env,
        UMLENV_CACHE_DIR: path.join(small, 'cache'),
      });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(
        /not enough disk space to build an image in .*small\/cache\/images: \d+ MiB free, about \d+ MiB needed/,
      );
      expect(r.stderr).toMatch(
        /fix: free disk space \(umlenv image prune removes unused images\), or set UMLENV_CACHE_DIR/,
      );
      expect(await readdir(small)).toEqual([]);
    } finally {
      await execa('umount', [small]);
    }
  });

  it('never publishes an interrupted build and leaves no build process behind', async () => {
    const child = execa(process.execPath, [CLI, 'image', 'build', '-f', config], {
      env,
      reject: false,
    });
    const imagesDir = path.join(cache, 'images');
    const scratch = await until(
      'the build to start bootstrapping',
      async () => {
        const entries = await readdir(imagesDir).catch(() => []);
        const dir = entries.find((e) => e.startsWith('.build-'));
        if (!dir) return undefined;
        const root = path.join(imagesDir, dir, 'root');
        return (await stat(path.join(root, 'var')).then(
          () => true,
          () => false,
        ))
          ? path.join(imagesDir, dir)
          : undefined;
      },
      60_000,
    );
    child.kill('SIGKILL');
    await child;
    await until(
      'every build process to exit',
      async () => ((await processesMentioning(scratch)).length ? undefined : true),
      10_000,
    );
    expect((await readdir(imagesDir)).filter((e) => e.endsWith('.img'))).toEqual([]);
  });

  it('builds once, reuses the cached image, lists and prunes it', async () => {
    const first = await umlenv(['image', 'build', '-f', config], env);
    expect(first.stderr).toMatch(/Built image tiny \(bookworm-[0-9a-f]{16}\) in [\d.]+ s/);
    expect(first.exitCode).toBe(0);
    const [name, key, how] = first.stdout.trim().split('\t');
    expect([name, how]).toEqual(['tiny', 'built']);
    const entries = await readdir(path.join(cache, 'images'));
    expect(entries.filter((e) => e.startsWith('.build-'))).toEqual([]);
    expect(entries.filter((e) => e.endsWith('.lock'))).toEqual([]);

    const image = path.join(cache, 'images', `${key}.img`);
    const marker = await execa('debugfs', ['-R', 'cat /etc/umlenv-test-marker', image]);
    expect(marker.stdout.trim()).toBe('built-by-setup');
    const init = await execa('debugfs', ['-R', 'stat /sbin/umlenv-init', image]);
    expect(init.stdout).toMatch(/Mode:\s+0755/);
    const mtime = (await stat(image)).mtimeMs;

    const second = await umlenv(['image', 'build', '-f', config], env);
    expect(second.stdout.trim()).toBe(`tiny\t${key}\tcached`);
    expect((await stat(image)).mtimeMs).toBe(mtime);

    const ls = await umlenv(['image', 'ls'], env);
    expect(ls.stdout).toMatch(new RegExp(`^${key}\\s+tiny\\s+bookworm\\s+\\d+\\.\\d MiB`, 'm'));

    const kept = await umlenv(['image', 'prune'], env);
    expect(kept.stdout).toBe('');
    const pruned = await umlenv(['image', 'prune', '--all'], env);
    expect(pruned.stdout.trim()).toBe(`removed ${key} (tiny)`);
    expect((await readdir(path.join(cache, 'images'))).filter((e) => !e.startsWith('.'))).toEqual(
      [],
    );
  });
});
