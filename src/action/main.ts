import { existsSync } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../config/load.js';
import { selectMachines } from '../config/select.js';
import { environmentId } from '../environment/identity.js';
import type { EnvState } from '../environment/state.js';
import { up } from '../environment/up.js';
import { describeError, errorMessage, UmlenvError } from '../errors.js';
import { resolveImages } from '../image/ensure.js';
import { ImageStore } from '../image/store.js';
import { buildKernel, cachedKernel, kernelKey, kernelsDir } from '../kernel/build.js';
import { restoreKernel, saveKernel, type FolderCache } from '../kernel/remote.js';
import { seconds, type Logger } from '../log/logger.js';
import { cacheDir, stateDir } from '../paths.js';
import { folderCache, remoteCache, restoreImages } from './cache.js';
import { parseInputs } from './inputs.js';
import { actionLogger } from './logger.js';
import { actionOutputs, machineRows, phaseRows } from './outputs.js';
import { saveActionState } from './state.js';
import { writeWrapper } from './wrapper.js';

/** The main step; its one catch turns any failure into a failed step with the message and fix. */
export async function run(): Promise<void> {
  try {
    await main();
  } catch (error) {
    core.setFailed(describeError(error));
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const inputs = parseInputs((name) => core.getInput(name));
  const log = actionLogger(inputs.logLevel);
  const configFile = path.resolve(inputs.config);
  if (!existsSync(configFile)) {
    throw new UmlenvError(
      `input config: ${inputs.config} does not exist (looked for ${configFile})`,
      'commit a umlenv.yml at the top of the repository, or set config: to its path in the workspace',
    );
  }
  const id = environmentId(inputs.envId);
  const tempRoot = process.env.RUNNER_TEMP ?? path.join(stateDir(), 'action');
  const wrapperDir = path.join(tempRoot, `umlenv-bin-${id}`);
  // Saved before anything is made, so that post tears down whatever main leaves behind.
  saveActionState({
    envId: id,
    stateDir: stateDir(),
    cacheDir: cacheDir(),
    wrapperDir,
    cache: inputs.cache,
    keepOnFailure: inputs.keepOnFailure,
    logLevel: inputs.logLevel,
    missingImages: [],
    outcome: 'starting',
  });
  await exportForLaterSteps(id, wrapperDir);
  if (inputs.bootTimeoutMs) process.env.UMLENV_BOOT_TIMEOUT_MS = String(inputs.bootTimeoutMs);
  // The runner kills a job's leftover processes by this variable; a kept environment must live on.
  if (inputs.keepOnFailure) delete process.env.RUNNER_TRACKING_ID;

  const store = new ImageStore();
  const remote = remoteCache(inputs.cache, store, log);
  const r0 = Date.now();
  const config = await loadConfig(configFile);
  const kernels = folderCache(inputs.cache);
  await log.group('Find the kernel', () => provideKernel(config.kernel, kernels, log));
  const missing = await log.group('Find images', async () => {
    const only = inputs.machines.length ? selectMachines(config, inputs.machines) : undefined;
    const used = config.machines.filter((m) => !only || only.has(m.name)).map((m) => m.image);
    const images = await resolveImages(config, [...new Set(used)]);
    return restoreImages(
      images.map((i) => i.key),
      store,
      remote,
      log,
    );
  });
  const phases: Record<string, number> = { restore: (Date.now() - r0) / 1000 };
  saveActionState({ missingImages: missing });

  const result = await log
    .group(`Start environment ${id}`, () =>
      up({ configFile, envId: id, machines: inputs.machines, ttlMs: inputs.ttlMs, log }),
    )
    .catch((error: unknown) => {
      saveActionState({ outcome: 'failed' });
      throw error;
    });
  saveActionState({ outcome: 'up' });
  if (kernels && path.dirname(path.dirname(result.state.kernel)) === kernelsDir()) {
    const key = path.basename(path.dirname(result.state.kernel));
    await saveKernel(key, kernels, log).catch((error: unknown) =>
      log.warn(`Could not save the minimal kernel ${key} to the CI cache: ${errorMessage(error)}`),
    );
  }
  Object.assign(phases, result.phases);
  for (const [name, value] of Object.entries(actionOutputs(result.state)))
    core.setOutput(name, value);
  const count = result.state.machines.length;
  core.info(`Environment ${id} is up: ${count} machines in ${seconds(Date.now() - t0)}`);
  await writeSummary(result.state, phases);
}

/**
 * The minimal kernel through the CI cache: restored before `up` when this box lacks it and
 * the config may use it (kernel: minimal, or no kernel: at all, which prefers it); built
 * here when kernel: minimal asks for it and neither this box nor the CI cache has it.
 */
async function provideKernel(
  configured: string | undefined,
  cache: FolderCache | undefined,
  log: Logger,
): Promise<void> {
  const choice = process.env.UMLENV_KERNEL ?? configured;
  if (choice !== undefined && choice !== 'minimal') return;
  const key = await kernelKey();
  // Without Debian's kernel source there is no key: up() says what to install, if it matters.
  if (!key || (await cachedKernel())) return;
  if (cache) {
    try {
      if (await restoreKernel(key, cache)) {
        log.info(`Restored the minimal kernel ${key} from the CI cache`);
        return;
      }
    } catch (error) {
      log.warn(
        `Could not restore the minimal kernel ${key} from the CI cache: ${errorMessage(error)}`,
      );
    }
  }
  if (choice === 'minimal') await buildKernel(log);
  else log.info(`The minimal kernel ${key} is neither on this box nor in the CI cache`);
}

// What later steps need to run `umlenv exec`: the command on PATH and the environment's id.
async function exportForLaterSteps(id: string, wrapperDir: string): Promise<void> {
  core.setOutput('env-id', id);
  core.exportVariable('UMLENV_ENV', id);
  for (const name of ['UMLENV_STATE_DIR', 'UMLENV_CACHE_DIR']) {
    const value = process.env[name];
    if (value) core.exportVariable(name, path.resolve(value));
  }
  await writeWrapper(wrapperDir);
  core.addPath(wrapperDir);
}

async function writeSummary(state: EnvState, phases: Record<string, number>): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary
    .addHeading(`umlenv environment ${state.id}`, 3)
    .addTable(machineRows(state))
    .addTable(phaseRows(phases))
    .write();
}
