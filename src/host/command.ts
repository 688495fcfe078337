import { execa } from 'execa';
import type { Logger } from '../log/logger.js';
import { jailed } from './jail.js';

export interface BuildCommandOptions {
  /** Keep root's capabilities in the jail (bootstraps mount and chroot). */
  privileged?: boolean;
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * Runs a build step jailed (a killed umlenv leaves none of its processes running),
 * streams its output to the log line by line, and fails with its last lines.
 */
export async function runBuildStep(
  [cmd, args]: [string, string[]],
  log: Logger,
  options: BuildCommandOptions = {},
): Promise<void> {
  const child = execa(...jailed(cmd, args, { privileged: options.privileged }), {
    all: true,
    reject: false,
    cwd: options.cwd,
    env: { LC_ALL: 'C.UTF-8', ...options.env },
  });
  const tail: string[] = [];
  for await (const line of child.iterable({ from: 'all' })) {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    log.info(line);
  }
  const result = await child;
  if (result.exitCode !== 0) {
    throw new Error(
      `${cmd} exited with ${result.exitCode ?? result.signal}: ${tail.slice(-3).join(' | ')}`,
    );
  }
}
