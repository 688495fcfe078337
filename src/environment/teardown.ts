import { rm } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { findByArgument, killRef, processRef, waitGone } from '../host/process.js';
import type { Logger } from '../log/logger.js';
import type { EnvState, Undo } from './state.js';

/**
 * Runs an environment's undos in reverse order of creation, each once, and returns
 * every error instead of stopping at the first. Works from the state file alone, so
 * any process can finish the teardown of an environment whose supervisor died.
 */
export async function runUndos(state: EnvState, log: Logger): Promise<string[]> {
  const errors: string[] = [];
  for (const undo of [...state.undo].reverse()) {
    try {
      await runUndo(undo);
      log.debug(`undone: ${undo.what}`);
    } catch (error) {
      errors.push(`${undo.what}: ${errorMessage(error)}`);
    }
  }
  return errors;
}

async function runUndo(undo: Undo): Promise<void> {
  switch (undo.kind) {
    case 'path':
      return rm(undo.path, { recursive: true, force: true });
    // The host-link modules (and the process library they use) load only when needed.
    case 'tap':
      return (await import('../network/hostlink.js')).deleteTap(undo.name);
    case 'firewall':
      return (await import('../network/firewall.js')).removeRules(undo.tag);
    case 'forwarding':
      return (await import('../network/hostlink.js')).releaseForwarding(undo.env);
  }
  if (undo.ref) {
    await killRef(undo.ref);
    if (!(await waitGone(undo.ref, 3000)))
      throw new Error(`process ${undo.ref.pid} did not exit after SIGKILL`);
  }
  // UML's helper processes carry the guest's command line; none may survive it.
  if (undo.marker) {
    for (const pid of await findByArgument(undo.marker)) {
      const ref = await processRef(pid);
      if (!ref) continue;
      await killRef(ref);
      if (!(await waitGone(ref, 3000)))
        throw new Error(`process ${pid} (${undo.marker}) did not exit after SIGKILL`);
    }
  }
}
