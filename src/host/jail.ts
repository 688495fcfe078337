import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface JailOptions {
  /** Pin to one CPU: a guest whose processes and kernel sit on different CPUs pays for every syscall twice. */
  cpu?: number;
  /** Keep root's capabilities inside (image builds mount and chroot). */
  privileged?: boolean;
}

/**
 * Runs a program in its own pid namespace that dies with its parent: when umlenv's
 * process goes, however it goes, everything the program started goes with it
 * (UML's helper processes, apt and dpkg under a bootstrap).
 */
export function jailed(
  program: string,
  args: string[],
  options: JailOptions = {},
): [string, string[]] {
  const jail = [
    '--die-with-parent',
    '--unshare-pid',
    ...(options.privileged ? ['--cap-add', 'ALL'] : []),
    // A plain --bind would add nodev, which debootstrap refuses to install into.
    '--dev-bind',
    '/',
    '/',
    '--proc',
    '/proc',
    '--',
    program,
    ...args,
  ];
  return options.cpu === undefined
    ? ['bwrap', jail]
    : ['taskset', ['-c', String(options.cpu), 'bwrap', ...jail]];
}

export interface Bind {
  path: string;
  readonly: boolean;
}

/**
 * Runs a guest kernel in a sandbox whose file system holds only what the guest may
 * reach: the kernel and its libraries, the image (read-only), the machine's own
 * files, the switch socket and the declared shares. UML's hostfs can reach whatever
 * the UML process sees, even above a hostfs= root, so this view is the boundary.
 */
export function jailedGuest(
  kernel: string,
  args: string[],
  binds: Bind[],
  options: { cpu: number; memoryDir?: string; fixedLayout?: boolean },
): [string, string[]] {
  const mounts = binds.flatMap((b) => [b.readonly ? '--ro-bind' : '--bind', b.path, b.path]);
  const memory = options.memoryDir
    ? ['--bind', options.memoryDir, options.memoryDir]
    : ['--tmpfs', GUEST_MEMORY_DIR];
  const jail = [
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    ...memory,
    ...mounts,
    '--setenv',
    'TMPDIR',
    options.memoryDir ?? GUEST_MEMORY_DIR,
    '--',
    kernel,
    ...args,
  ];
  const pinned = ['taskset', '-c', String(options.cpu), 'bwrap', ...jail];
  return options.fixedLayout ? ['setarch', ['-R', ...pinned]] : [pinned[0], pinned.slice(1)];
}

/**
 * Whether guests may run without address-space randomization (setarch -R), which a
 * seccomp policy such as a container's may forbid. It matters for memory: UML adds the
 * random gap between its program and its heap, up to 1 GiB on current hosts, to guest
 * memory, and describing that gap's pages costs each guest up to 16 MiB of host memory.
 * The kernel program itself sits at a fixed address either way (it is not
 * position-independent), so little randomization is given up.
 */
export async function fixedLayoutAllowed(): Promise<boolean> {
  return run('setarch', ['-R', 'true']).then(
    () => true,
    () => false,
  );
}

/** Where guest memory lives inside the sandbox by default: a private tmpfs. */
export const GUEST_MEMORY_DIR = '/umlenv-memory';

// The files a program loads: its libraries (from ldd) and, for a script, its
// interpreter's, so the sandbox can hold exactly them.
export async function programFiles(program: string): Promise<string[]> {
  const files = [program];
  const fh = await open(program, 'r');
  const head = Buffer.alloc(256);
  await fh.read(head, 0, 256, 0);
  await fh.close();
  const shebang = /^#!\s*(\S+)/.exec(head.toString('latin1'));
  if (shebang) files.push(shebang[1]);
  for (const file of [...files]) {
    // ldd fails for a static program, which loads nothing: its output is then empty.
    const stdout = await run('ldd', [file]).then(
      (r) => r.stdout,
      () => '',
    );
    files.push(...[...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]));
  }
  return [...new Set(files)];
}
