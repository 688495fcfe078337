import { rm } from 'node:fs/promises';
import * as core from '@actions/core';
import { down } from '../environment/down.js';
import { envDir, readState, type EnvState } from '../environment/state.js';
import { describeError } from '../errors.js';
import { ImageStore } from '../image/store.js';
import { phaseTimer, type Logger } from '../log/logger.js';
import { cliEntry } from '../paths.js';
import { remoteCache, saveImages } from './cache.js';
import { consoleText, failedMachines } from './consoles.js';
import { actionLogger } from './logger.js';
import { phaseRows } from './outputs.js';
import { loadActionState, type ActionState } from './state.js';

/** The post step (runs even when the job failed or was cancelled); one catch fails the step. */
export async function run(): Promise<void> {
  try {
    await post();
  } catch (error) {
    core.setFailed(describeError(error));
  }
}

async function post(): Promise<void> {
  const saved = loadActionState();
  if (!saved.envId) {
    core.info('umlenv stopped before it chose an environment: nothing to tear down');
    return;
  }
  // The same folders as main, even if this step's environment differs.
  if (saved.stateDir) process.env.UMLENV_STATE_DIR = saved.stateDir;
  if (saved.cacheDir) process.env.UMLENV_CACHE_DIR = saved.cacheDir;
  const log = actionLogger(saved.logLevel ?? 'info');
  const { phases, phase: timed } = phaseTimer();

  let teardownError: unknown;
  try {
    await timed('teardown', () => finishEnvironment(saved as ActionState, log));
  } catch (error) {
    teardownError = error;
  }
  if (saved.wrapperDir) await rm(saved.wrapperDir, { recursive: true, force: true });
  const store = new ImageStore();
  const built: string[] = [];
  for (const key of saved.missingImages ?? []) if (await store.has(key)) built.push(key);
  const remote = built.length ? remoteCache(saved.cache ?? false, store, log) : undefined;
  if (remote) {
    await timed('save', () =>
      log.group('Save new images to the CI cache', () => saveImages(built, store, remote, log)),
    );
  }
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary
      .addHeading(`umlenv teardown of ${saved.envId}`, 3)
      .addTable(phaseRows(phases))
      .write();
  }
  if (teardownError) throw teardownError;
}

// Shows the console of every machine that is not running, then tears down or keeps the environment.
async function finishEnvironment(saved: ActionState, log: Logger): Promise<void> {
  const id = saved.envId;
  const state = await readState(envDir(id));
  const failed = state ? await failedMachines(state) : [];
  for (const m of failed) {
    const text = await consoleText(m.consoleLog);
    await core.group(`Console log of machine ${m.name} (${m.reason})`, async () => core.info(text));
  }
  const failure = saved.outcome !== 'up' || failed.length > 0;
  if (state && failure && saved.keepOnFailure) return keep(state, failed.length);
  const removed = await log.group(`Tear down environment ${id}`, () => down(id, log));
  if (removed) return;
  if (saved.outcome !== 'failed')
    return core.info(`Environment ${id} was not up: nothing to tear down`);
  core.info(
    `Environment ${id} is already gone: umlenv removes an environment that fails to start, ` +
      `console logs too${saved.keepOnFailure ? ', so keep-on-failure has nothing to keep' : ''}; the error above ends with the last console lines`,
  );
}

function keep(state: EnvState, failedCount: number): void {
  const why = failedCount
    ? `${failedCount} of its machines are not running`
    : 'the umlenv step did not finish';
  const stateDir = process.env.UMLENV_STATE_DIR;
  core.warning(
    `Kept environment ${state.id} for debugging (keep-on-failure: true), because ${why}. ` +
      `It stays until its time to live ends at ${state.expiresAt}; a later umlenv up on this box collects it sooner if its supervisor is gone. ` +
      `To tear it down now, run as root on this box: UMLENV_STATE_DIR=${stateDir} node ${cliEntry()} down --env ${state.id}`,
  );
}
