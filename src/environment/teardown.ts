import { rm } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import {
  findByArguments,
  killRef,
  processRef,
  waitGone,
  type ProcessRef,
} from '../host/process.js';
import type { Logger } from '../log/logger.js';
import type { EnvState, Undo } from './state.js';

type ProcessUndo = Extract<Undo, { kind: 'process' }>;

/**
 * Runs an environment's undos in reverse order of creation, each once, and returns
 * every error instead of stopping at the first. Works from the state file alone, so
 * any process can finish the teardown of an environment whose supervisor died.
 * Processes recorded one after another (the machines, the switch) end together.
 */
export async function runUndos(state: EnvState, log: Logger): Promise<string[]> {
  const errors: string[] = [];
  const undos = [...state.undo].reverse();
  for (let i = 0; i < undos.length;) {
    const batch: Undo[] = [undos[i++]];
    if (batch[0].kind === 'process') {
      while (undos[i]?.kind === 'process') batch.push(undos[i++]);
    }
    const outcomes =
      batch[0].kind === 'process'
        ? await endProcesses(batch as ProcessUndo[])
        : [await runUndo(batch[0]).then(() => undefined, errorMessage)];
    batch.forEach((undo, j) => {
      if (outcomes[j] === undefined) log.debug(`undone: ${undo.what}`);
      else errors.push(`${undo.what}: ${outcomes[j]}`);
    });
  }
  return errors;
}

async function runUndo(undo: Exclude<Undo, ProcessUndo>): Promise<void> {
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
}

// Kills each recorded process, then every process whose command line carries one of the
// markers (UML's helpers carry the guest's): one look through /proc for all of them. Returns,
// per undo, undefined when nothing of it survives, else why.
async function endProcesses(undos: ProcessUndo[]): Promise<(string | undefined)[]> {
  const outcomes = await Promise.all(
    undos.map((u) => (u.ref ? killAndWait(u.ref, `process ${u.ref.pid}`) : undefined)),
  );
  const markers = undos.map((u) => u.marker).filter((m): m is string => m !== undefined);
  if (!markers.length) return outcomes;
  const found = await findByArguments(markers);
  return Promise.all(
    undos.map(async (u, i) => {
      const pids = (u.marker && found.get(u.marker)) || [];
      const left = await Promise.all(
        pids.map(async (pid) => {
          const ref = await processRef(pid);
          return ref && killAndWait(ref, `process ${pid} (${u.marker})`);
        }),
      );
      return outcomes[i] ?? left.find((l) => l !== undefined);
    }),
  );
}

async function killAndWait(ref: ProcessRef, what: string): Promise<string | undefined> {
  await killRef(ref);
  return (await waitGone(ref, 3000)) ? undefined : `${what} did not exit after SIGKILL`;
}
