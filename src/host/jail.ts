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
  options: { cpu: number; memoryDir?: string },
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
  return ['taskset', ['-c', String(options.cpu), 'bwrap', ...jail]];
}

/** Where guest memory lives inside the sandbox by default: a private tmpfs. */
export const GUEST_MEMORY_DIR = '/umlenv-memory';

// The files a program loads: its libraries (from ldd) and, for a script, its
// interpreter's, so the sandbox can hold exactly them.
export async function programFiles(program: string): Promise<string[]> {
  const { execa } = await import('execa');
  const { open } = await import('node:fs/promises');
  const files = [program];
  const fh = await open(program, 'r');
  const head = Buffer.alloc(256);
  await fh.read(head, 0, 256, 0);
  await fh.close();
  const shebang = /^#!\s*(\S+)/.exec(head.toString('latin1'));
  if (shebang) files.push(shebang[1]);
  for (const file of [...files]) {
    const r = await execa('ldd', [file], { reject: false });
    files.push(...[...r.stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]));
  }
  return [...new Set(files)];
}
