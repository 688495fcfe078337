import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { UmlenvError } from '../errors.js';
import { killRef, spawnedRef, sleep, waitGone, type ProcessRef } from '../host/process.js';
import { jailed } from '../host/jail.js';

/**
 * The environment's private layer-2 network. Guests attach to `socket`; a second
 * implementation (vde_switch with vector transports, for kernels without the daemon
 * transport) would sit behind the same interface.
 */
export interface VirtualSwitch {
  readonly socket: string;
  readonly ref: ProcessRef;
  stop(): Promise<void>;
}

// Starts uml_switch on a control socket in the environment's private directory.
export async function startUmlSwitch(
  socket: string,
  tap: string | undefined,
  onProcess: (ref: ProcessRef) => Promise<void>,
  timeoutMs = 5000,
): Promise<VirtualSwitch> {
  // Attaching to a tap device needs CAP_NET_ADMIN inside the jail.
  const [cmd, args] = jailed('uml_switch', ['-unix', socket, ...(tap ? ['-tap', tap] : [])], {
    privileged: tap !== undefined,
  });
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  const ref = await spawnedRef(child);
  if (!ref)
    throw new UmlenvError(
      'cannot start uml_switch',
      'install it with: apt-get install uml-utilities bubblewrap',
    );
  await onProcess(ref);
  const stop = async () => {
    await killRef(ref);
    await waitGone(ref, 2000);
  };
  const end = Date.now() + timeoutMs;
  while (
    !(await stat(socket).then(
      (s) => s.isSocket(),
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > end) {
      await stop();
      throw new UmlenvError(
        `uml_switch did not open its socket ${socket} within ${timeoutMs / 1000} s (exit status ${child.exitCode})`,
        'check that uml_switch runs on this host: uml_switch -unix /tmp/test.sock',
      );
    }
    await sleep(5);
  }
  return { socket, ref, stop };
}
