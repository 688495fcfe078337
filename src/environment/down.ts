import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UmlenvError } from '../errors.js';
import { isAlive, killRef, waitGone } from '../host/process.js';
import { seconds, type Logger } from '../log/logger.js';
import { request } from './control.js';
import { envDir, listEnvDirs, readState, type EnvState } from './state.js';
import { runUndos } from './teardown.js';

/**
 * Tears an environment down: through its supervisor when it lives (guests power off
 * cleanly), then from the state file for whatever is left. Returns false when there
 * was no such environment, which is not an error: teardown must be safe to repeat.
 */
export async function down(id: string, log: Logger): Promise<boolean> {
  const dir = envDir(id);
  const t0 = Date.now();
  const state = await readState(dir);
  if (!state) {
    const exists = await stat(dir).then(
      () => true,
      () => false,
    );
    if (exists) await rm(dir, { recursive: true, force: true });
    return exists;
  }
  log.info(`Stopping environment ${id}…`);
  const errors: string[] = [];
  if (await isAlive(state.owner)) {
    const replies = await withTimeout(
      request<{ errors?: string[] }>(dir, { op: 'down' }),
      DOWN_TIMEOUT_MS,
    ).catch(() => []);
    errors.push(...replies.flatMap((r) => r.errors ?? []));
    // It exits right after answering: down returns once it is gone, or kills it.
    if (!(await waitGone(state.owner, SUPERVISOR_EXIT_MS))) await killRef(state.owner);
  }
  errors.push(...(await finish(dir, log)));
  if (errors.length) {
    throw new UmlenvError(
      `teardown of environment ${id} left problems:\n  ${errors.join('\n  ')}`,
      'run umlenv gc to retry; processes that survive SIGKILL point at a host problem',
    );
  }
  log.info(`Stopped environment ${id} in ${seconds(Date.now() - t0)}`);
  return true;
}

/** How long a live supervisor gets to stop its environment before it is killed. */
const DOWN_TIMEOUT_MS = 20_000;
/** How long it gets to exit once it has answered. */
const SUPERVISOR_EXIT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Runs the undos still recorded, if the directory is still there; a supervisor that
// did not finish is killed first (its guests die with it).
async function finish(dir: string, log: Logger): Promise<string[]> {
  const state = await readState(dir);
  if (!state) return [];
  if (state.owner.pid !== process.pid) await killRef(state.owner);
  return runUndos(state, log);
}

export interface Collected {
  id: string;
  reason: string;
  errors: string[];
}

/**
 * Finishes the teardown of environments whose owner is gone or whose time to live
 * has passed, and removes directories that never got a state file.
 */
export async function gc(log: Logger, now = Date.now()): Promise<Collected[]> {
  const collected: Collected[] = [];
  for (const dir of await listEnvDirs()) {
    const id = path.basename(dir);
    const state: EnvState | undefined = await readState(dir);
    if (!state) {
      const age = await stat(dir).then(
        (s) => now - s.mtimeMs,
        () => 0,
      );
      if (age > 60_000) {
        await rm(dir, { recursive: true, force: true });
        collected.push({ id, reason: 'it has no state file', errors: [] });
      }
      continue;
    }
    let reason: string | undefined;
    if (!(await isAlive(state.owner))) reason = `its owner (pid ${state.owner.pid}) is gone`;
    else if (Date.parse(state.expiresAt) < now)
      reason = `its time to live ended at ${state.expiresAt}`;
    if (!reason) continue;
    log.info(`Collecting environment ${id}: ${reason}`);
    const errors: string[] = [];
    try {
      await down(id, log);
    } catch (error) {
      errors.push(String(error));
    }
    collected.push({ id, reason, errors });
  }
  return collected;
}
