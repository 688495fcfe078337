import { chmod, copyFile, mkdir, rm, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { UmlenvError, errorMessage } from '../errors.js';
import { seconds, type Logger } from '../log/logger.js';
import { requireTool, which } from '../host/tools.js';
import { guestFile } from '../paths.js';
import { runBuildStep } from '../host/command.js';
import type { ResolvedImage } from './recipe.js';
import type { ImageStore } from './store.js';

export type Builder = 'mmdebstrap' | 'debootstrap';

const MERGED_USR_HOOK = '/usr/share/mmdebstrap/hooks/merged-usr';

// mmdebstrap resolves with apt and builds in about half the time; debootstrap is the fallback.
export async function chooseBuilder(wanted = process.env.UMLENV_BUILDER): Promise<Builder> {
  if (wanted === 'mmdebstrap' || wanted === 'debootstrap') {
    await requireTool(wanted, 'to build images (UMLENV_BUILDER asks for it)');
    return wanted;
  }
  if (wanted) {
    throw new UmlenvError(
      `UMLENV_BUILDER=${wanted} is not a known builder`,
      'use mmdebstrap or debootstrap, or unset it',
    );
  }
  if (await which('mmdebstrap')) return 'mmdebstrap';
  await requireTool('debootstrap', 'to build images (or install mmdebstrap, the faster builder)');
  return 'debootstrap';
}

export function bootstrapCommand(
  builder: Builder,
  image: ResolvedImage,
  root: string,
): [string, string[]] {
  const { suite, mirror, packages } = image.recipe;
  const include = `--include=${packages.join(',')}`;
  if (builder === 'mmdebstrap') {
    return [
      'mmdebstrap',
      ['--variant=minbase', include, `--hook-dir=${MERGED_USR_HOOK}`, suite, root, mirror],
    ];
  }
  return ['debootstrap', ['--variant=minbase', include, suite, root, mirror]];
}

/** Checks everything a build needs before anything is created; returns the builder to use. */
export async function prepareBuild(image: ResolvedImage, store: ImageStore): Promise<Builder> {
  if (process.getuid?.() !== 0) {
    throw new UmlenvError(
      `building image ${image.name} needs root: the bootstrap creates device nodes and files owned by other users`,
      'run umlenv as root on the build box, or build the image once as root into the shared cache (umlenv image build)',
    );
  }
  const builder = await chooseBuilder();
  await requireTool('bwrap', 'to run image builds in their own pid namespace');
  await requireTool('mkfs.ext4', 'to make image file systems');
  await store.checkSpace(image.recipe.sizeBytes / 2 + 2 ** 29);
  return builder;
}

/** Builds an image from its recipe and publishes it; a failed build leaves nothing behind. */
export async function buildImage(
  image: ResolvedImage,
  store: ImageStore,
  log: Logger,
): Promise<void> {
  const builder = await prepareBuild(image, store);
  const started = Date.now();
  const scratch = await store.scratch(image.key);
  const root = path.join(scratch, 'root');
  const file = path.join(scratch, 'image.ext4');
  try {
    const tmp = await scratchTmp(scratch);
    await log.group(`Bootstrapping ${image.recipe.suite} with ${builder}`, () =>
      run(bootstrapCommand(builder, image, root), log, tmp),
    );
    await installGuest(root, image);
    if (image.recipe.setup) await runSetup(root, image.recipe.setup, log);
    await tidy(root);
    await run(
      [
        'mkfs.ext4',
        [
          '-q',
          '-F',
          '-L',
          'umlenv',
          '-E',
          'lazy_itable_init=0,lazy_journal_init=0',
          '-d',
          root,
          file,
          `${image.recipe.sizeBytes / 1024}k`,
        ],
      ],
      log,
    );
    await run(['e2fsck', ['-f', '-n', file]], log);
    await store.publish(
      {
        key: image.key,
        name: image.name,
        recipe: image.recipe,
        builtAt: new Date().toISOString(),
        buildSeconds: (Date.now() - started) / 1000,
        builder,
      },
      file,
    );
  } catch (error) {
    throw new UmlenvError(
      `building image ${image.name} (${image.key}) failed: ${errorMessage(error)}`,
      'see the build output above; nothing was published, so the next run builds again',
      { cause: error },
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  log.info(`Built image ${image.name} (${image.key}) in ${seconds(Date.now() - started)}`);
}

async function installGuest(root: string, image: ResolvedImage): Promise<void> {
  const init = path.join(root, 'sbin', 'umlenv-init');
  await copyFile(guestFile('umlenv-init'), init);
  await chmod(init, 0o755);
  await writeFile(path.join(root, 'etc', 'umlenv-image'), `${image.key}\n`);
  await access(path.join(root, 'usr', 'bin', 'perl'));
}

// The image-time script runs as root inside the new root, with the host's network.
async function runSetup(root: string, script: string, log: Logger): Promise<void> {
  await requireTool('bwrap', 'to run image setup scripts');
  const policy = path.join(root, 'usr', 'sbin', 'policy-rc.d');
  await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    await log.group('Running the image setup script', () =>
      run(['bwrap', setupSandbox(root, script)], log),
    );
  } catch (error) {
    throw new UmlenvError(
      `the image setup script failed: ${errorMessage(error)}`,
      'fix the script under images.NAME.setup',
      { cause: error },
    );
  } finally {
    await rm(policy, { force: true });
  }
}

async function tidy(root: string): Promise<void> {
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    await rm(path.join(root, dir), { recursive: true, force: true });
    await mkdir(path.join(root, dir, 'partial'), { recursive: true });
  }
}

// Runs a build command with its output streamed line by line to the log.
// Jailed, so that a build whose umlenv process is killed leaves no apt or dpkg running.
// TMPDIR points into the scratch directory, so a killed build leaves no temporary files either.
function run(command: [string, string[]], log: Logger, tmp?: string): Promise<void> {
  return runBuildStep(command, log, { privileged: true, env: tmp ? { TMPDIR: tmp } : {} });
}

async function scratchTmp(scratch: string): Promise<string> {
  const tmp = path.join(scratch, 'tmp');
  await mkdir(tmp, { recursive: true });
  return tmp;
}

/**
 * The image-time script's sandbox: root with its capabilities in the new root, the
 * host's DNS, its own pid and IPC namespaces so whatever it starts dies with it.
 */
export function setupSandbox(root: string, script: string): string[] {
  return [
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-ipc',
    // Root in the new root: installing packages and starting services need its capabilities.
    '--cap-add',
    'ALL',
    '--bind',
    root,
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--perms',
    '1777',
    '--tmpfs',
    '/dev/shm',
    '--tmpfs',
    '/run',
    '--tmpfs',
    '/tmp',
    '--ro-bind',
    '/etc/resolv.conf',
    '/etc/resolv.conf',
    '--setenv',
    'DEBIAN_FRONTEND',
    'noninteractive',
    '--',
    '/bin/sh',
    '-euc',
    script,
  ];
}
