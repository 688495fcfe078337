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
    '--bind',
    '/',
    '/',
    '--dev-bind',
    '/dev',
    '/dev',
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
