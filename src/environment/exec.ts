import { constants } from 'node:os';
import { UmlenvError } from '../errors.js';
import { isAlive } from '../host/process.js';
import { connect } from './control.js';
import { envDir, readState } from './state.js';

export interface ExecOptions {
  envId: string;
  machine: string;
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Forward this stream as the command's stdin; undefined gives it an empty stdin. */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

// Finds a running environment's directory or says plainly why it cannot be used.
export async function liveEnvironment(envId: string) {
  const dir = envDir(envId);
  const state = await readState(dir);
  if (!state)
    throw new UmlenvError(
      `environment ${envId} is not up`,
      'start it with umlenv up, or name another with --env (umlenv ps --all lists them)',
    );
  if (!(await isAlive(state.owner))) {
    throw new UmlenvError(
      `environment ${envId} is no longer running (its supervisor is gone)`,
      'run umlenv gc to clean it up, then umlenv up',
    );
  }
  return { dir, state };
}

/** Runs a command in a machine; resolves with its exit code (128 + signal if killed). */
export async function execIn(options: ExecOptions): Promise<number> {
  const { dir, state } = await liveEnvironment(options.envId);
  if (!state.machines.some((m) => m.name === options.machine)) {
    throw new UmlenvError(
      `no machine named ${options.machine} in environment ${options.envId}`,
      `use one of: ${state.machines.map((m) => m.name).join(', ')}`,
    );
  }
  const conn = await connect(dir);
  // A reader that went away (`| head`) is not our failure: stop writing to it.
  for (const out of [options.stdout, options.stderr]) out.on('error', () => {});
  return new Promise((resolve, reject) => {
    let exit: number | undefined;
    let error: string | undefined;
    conn.on('frame', (f) => {
      if (f.type === 'O') options.stdout.write(f.payload);
      else if (f.type === 'E') options.stderr.write(f.payload);
    });
    conn.on('json', (m) => {
      const msg = m as { exit?: number; error?: string };
      if (msg.exit !== undefined) exit = msg.exit;
      if (msg.error) error = msg.error;
    });
    const forward = (sig: NodeJS.Signals) => conn.send('K', 0, String(constants.signals[sig]));
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    for (const s of signals) process.on(s, forward);
    conn.on('close', () => {
      for (const s of signals) process.off(s, forward);
      // Stop reading our stdin: a pipe that never closes must not keep us alive.
      options.stdin?.removeAllListeners('data');
      (options.stdin as NodeJS.ReadStream | undefined)?.destroy?.();
      if (error)
        reject(new UmlenvError(error, `list the machines with: umlenv ps --env ${options.envId}`));
      else if (exit === undefined)
        reject(
          new UmlenvError(
            `the connection to environment ${options.envId} closed before the command finished`,
            'check the environment with umlenv ps',
          ),
        );
      else resolve(exit);
    });
    conn.json({
      op: 'exec',
      machine: options.machine,
      argv: options.argv,
      env: options.env,
      cwd: options.cwd,
    });
    if (options.stdin) {
      options.stdin.on('data', (d: Buffer) => conn.send('I', 0, d));
      options.stdin.on('end', () => conn.send('I', 0));
    } else {
      conn.send('I', 0);
    }
  });
}
