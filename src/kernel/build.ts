import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import lockfile from 'proper-lockfile';
import { UmlenvError, errorMessage } from '../errors.js';
import { requireTool } from '../host/tools.js';
import { runBuildStep } from '../host/command.js';
import { freeBytes, scratchDir, sweepScratch } from '../host/scratch.js';
import { seconds, type Logger } from '../log/logger.js';
import { cacheDir, packageRoot } from '../paths.js';
import { configMismatches } from './config.js';

/** Debian's kernel source package the minimal kernel is built from. */
export const SOURCE_PACKAGE = 'linux-source-6.1';
const SOURCE_TARBALL = `/usr/src/${SOURCE_PACKAGE}.tar.xz`;

/** Scratch space a build needs: the unpacked source and its objects (1.2 GiB measured). */
const BUILD_SPACE = 1536 * 2 ** 20;

/** Where built kernels are kept, one folder per key, beside the images. */
export function kernelsDir(): string {
  return path.join(cacheDir(), 'kernels');
}

function fragmentFile(): string {
  return path.join(packageRoot(), 'kernel', 'umlenv.config');
}

/** Everything that changes the built kernel: source version, config, compiler. */
export async function kernelKey(): Promise<string | undefined> {
  const version = await execa('dpkg-query', ['-W', '-f=${Version}', SOURCE_PACKAGE], {
    reject: false,
  });
  if (version.exitCode !== 0 || !version.stdout) return undefined;
  const gcc = await execa('gcc', ['--version'], { reject: false });
  const fragment = await readFile(fragmentFile(), 'utf8');
  const digest = createHash('sha256')
    .update(JSON.stringify([version.stdout, fragment, gcc.stdout.split('\n')[0]]))
    .digest('hex');
  return `6.1-${digest.slice(0, 16)}`;
}

// The published minimal kernel for this host's source and config, if it was built.
export async function cachedKernel(): Promise<string | undefined> {
  const key = await kernelKey();
  if (!key) return undefined;
  const file = path.join(kernelsDir(), key, 'linux');
  return stat(file).then(
    () => file,
    () => undefined,
  );
}

/**
 * Builds umlenv's minimal UML kernel once per key: Debian's source, x86_64_defconfig
 * plus kernel/umlenv.config. Built in a scratch directory and published by rename,
 * so a failed or interrupted build is never used.
 */
export async function buildKernel(log: Logger): Promise<string> {
  const cached = await cachedKernel();
  if (cached) return cached;
  await stat(SOURCE_TARBALL).catch(() => {
    throw new UmlenvError(
      `${SOURCE_TARBALL} is missing: the minimal kernel is built from Debian's kernel source`,
      `install it with: apt-get install ${SOURCE_PACKAGE} flex bison bc`,
    );
  });
  for (const tool of ['make', 'gcc', 'flex', 'bison', 'bc'])
    await requireTool(tool, 'to build the minimal kernel');
  const key = (await kernelKey())!;
  await mkdir(kernelsDir(), { recursive: true });
  const release = await lockfile.lock(kernelsDir(), {
    lockfilePath: path.join(kernelsDir(), `${key}.lock`),
    stale: 10_000,
    update: 2_000,
    retries: { retries: 1200, factor: 1, minTimeout: 1000, maxTimeout: 1000 },
  });
  const scratch = scratchDir(kernelsDir(), key);
  try {
    const again = await cachedKernel();
    if (again) return again;
    await sweepScratch(kernelsDir());
    const free = await freeBytes(kernelsDir());
    if (free < BUILD_SPACE) {
      throw new UmlenvError(
        `not enough disk space to build the minimal kernel in ${kernelsDir()}: ${Math.floor(free / 2 ** 20)} MiB free, about ${BUILD_SPACE / 2 ** 20} MiB needed while it builds`,
        'free disk space (umlenv image prune removes unused images), or set UMLENV_CACHE_DIR to a larger file system',
      );
    }
    const t0 = Date.now();
    log.info(`Building the minimal UML kernel ${key} (once; about 4 minutes on 2 cores)…`);
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    await make(['tar', ['xf', SOURCE_TARBALL, '-C', scratch]], log);
    const src = path.join(scratch, SOURCE_PACKAGE);
    await make(['make', ['-C', src, 'ARCH=um', 'x86_64_defconfig']], log);
    await make(
      [
        path.join(src, 'scripts/kconfig/merge_config.sh'),
        ['-m', '-O', src, path.join(src, '.config'), fragmentFile()],
      ],
      log,
      src,
    );
    await make(['make', ['-C', src, 'ARCH=um', 'olddefconfig']], log);
    const mismatches = configMismatches(
      await readFile(fragmentFile(), 'utf8'),
      await readFile(path.join(src, '.config'), 'utf8'),
    );
    if (mismatches.length) {
      throw new UmlenvError(
        `the kernel config does not have what ${fragmentFile()} asks for:\n  ${mismatches.join('\n  ')}`,
        'fix those lines of the fragment (a dependency or a select overrides them)',
      );
    }
    await make(['make', ['-C', src, 'ARCH=um', `-j${os.availableParallelism()}`, 'linux']], log);
    const dir = path.join(scratch, 'out');
    await mkdir(dir);
    await copyFile(path.join(src, 'linux'), path.join(dir, 'linux'));
    await copyFile(path.join(src, '.config'), path.join(dir, 'config'));
    await writeFile(
      path.join(dir, 'meta.json'),
      JSON.stringify(
        { key, builtAt: new Date().toISOString(), buildSeconds: (Date.now() - t0) / 1000 },
        null,
        2,
      ) + '\n',
    );
    await rename(dir, path.join(kernelsDir(), key));
    log.info(`Built the minimal UML kernel ${key} in ${seconds(Date.now() - t0)}`);
    return path.join(kernelsDir(), key, 'linux');
  } catch (error) {
    throw new UmlenvError(
      `building the minimal kernel failed: ${errorMessage(error)}`,
      `${error instanceof UmlenvError && error.hint ? `${error.hint}; ` : 'see the build output above; '}nothing was published`,
      { cause: error },
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await release();
  }
}

function make(command: [string, string[]], log: Logger, cwd?: string): Promise<void> {
  return runBuildStep(command, log, { cwd, env: { ARCH: 'um' } });
}
