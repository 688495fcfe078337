import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, describeAsRoot, processesMentioning, until } from './harness.js';

// `umlenv kernel build` into a cache of its own: the real build, stopped early (a whole build
// takes minutes; the suite's minimal-kernel pass does one in the shared cache).
describeAsRoot('minimal kernel build', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'umlenv-kernel-test-'));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const build = (cache: string) =>
    execa(process.execPath, [CLI, 'kernel', 'build'], {
      env: { UMLENV_CACHE_DIR: cache },
      reject: false,
      all: true,
    });

  it('refuses to build on a full disk and leaves nothing behind', async () => {
    const small = path.join(work, 'small');
    await mkdir(small);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', small]);
    try {
      const r = await build(path.join(small, 'cache'));
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(
        /^umlenv: building the minimal kernel failed: not enough disk space to build the minimal kernel in \S+: \d+ MiB free, about 1536 MiB needed/m,
      );
      expect(r.stderr).toMatch(/fix: free disk space .*or set UMLENV_CACHE_DIR/);
      expect(await readdir(path.join(small, 'cache', 'kernels'))).toEqual([]);
    } finally {
      await execa('umount', [small]);
    }
  });

  it('never publishes an interrupted build; the next build removes what it left', async () => {
    const cache = path.join(work, 'cache');
    const kernels = path.join(cache, 'kernels');
    // The build has begun unpacking the source into its scratch directory.
    const unpacking = (exclude?: string) =>
      until(
        'the kernel build to unpack its source',
        async () => {
          const entries = await readdir(kernels).catch(() => [] as string[]);
          const dir = entries.find((e) => e.startsWith('.build-') && e !== exclude);
          const source = dir && path.join(kernels, dir, 'linux-source-6.1');
          return source && (await stat(source).catch(() => undefined)) ? dir : undefined;
        },
        60_000,
      );
    const stopped = async (child: ReturnType<typeof build>, scratch: string) => {
      child.kill('SIGKILL');
      await child;
      await until(
        'every build process to exit',
        async () => (processesMentioning(path.join(kernels, scratch)).length ? undefined : true),
        10_000,
      );
    };

    const first = build(cache);
    const left = await unpacking();
    await stopped(first, left);
    const entries = await readdir(kernels);
    // Its lock stays until it is stale (10 s): the next build waits that long, then takes it.
    expect(
      entries.filter((e) => !e.startsWith('.') && !e.endsWith('.lock')),
      'published kernels',
    ).toEqual([]);
    expect(entries).toContain(left);

    const second = build(cache);
    const own = await unpacking(left);
    await stopped(second, own);
    expect(await readdir(kernels)).not.toContain(left);
  });
});
