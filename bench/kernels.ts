// Debian's stock kernel next to umlenv's minimal one: the three-machine example as it is (its
// tap device and NAT rules in the bench's network namespace), and how `up` grows with the number
// of machines on configs that create nothing on the host.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { envDir, readState } from '../src/environment/state.js';
import { sleep } from '../src/host/process.js';
import { assertTornDown, pssBytes } from './measure.js';
import { median, progress, timed, umlenv, umlenvLines, withCleanup } from './support.js';

export type KernelName = 'stock' | 'minimal';
/** The order they are measured in: stock first, so a minimal kernel build comes last. */
export const KERNELS: KernelName[] = ['stock', 'minimal'];
/** Machine counts of the scaling rows; from SINGLE_RUN_FROM on, one run each. */
export const SCALE = [1, 3, 10, 20];
const SINGLE_RUN_FROM = 10;
const SCALE_MEMORY = '96M';
const NOT_BUILT = /no minimal kernel is built/;

/** One up/down cycle on one kernel. */
export interface KernelCycle {
  id: string;
  /** The kernel file `up` used, from the environment's state. */
  kernelFile: string;
  machines: number;
  upSeconds: number;
  downSeconds: number;
  pssBytesPerMachine?: number;
}

export interface KernelExample {
  upSeconds: number;
  downSeconds: number;
  pssBytesPerMachine: number;
  runs: KernelCycle[];
}

export interface KernelScale {
  machines: number;
  upSeconds: number;
  downSeconds: number;
  runs: KernelCycle[];
}

/** Everything measured on one kernel; `skipped` says why nothing was. */
export interface KernelResult {
  kernel: KernelName;
  kernelFile?: string;
  /** Seconds `umlenv kernel build` took in this bench (waiting for another build included). */
  buildSeconds?: number;
  skipped?: string;
  example?: KernelExample;
  scale: Record<number, KernelScale | undefined>;
}

/** The configs the kernel rows boot, written into dir. */
export interface KernelConfigs {
  example: string;
  scale: Record<number, string>;
}

/** Writes the generated m1..mN configs into dir; the example is used as it is. */
export async function writeKernelConfigs(example: string, dir: string): Promise<KernelConfigs> {
  const raw = parse(await readFile(example, 'utf8')) as Record<string, unknown>;
  const configs: KernelConfigs = { example, scale: {} };
  for (const n of SCALE) {
    const file = path.join(dir, `scale-${n}.yml`);
    configs.scale[n] = await writeConfig(file, scaled(raw.images, n));
  }
  return configs;
}

// n small machines on the example's own images, so the cached image is reused.
function scaled(images: unknown, n: number): Record<string, unknown> {
  const machines = Array.from({ length: n }, (_, i) => [`m${i + 1}`, { memory: SCALE_MEMORY }]);
  return { images, machines: Object.fromEntries(machines) };
}

// Writes one config and refuses it when umlenv would link it to the host.
async function writeConfig(file: string, raw: Record<string, unknown>): Promise<string> {
  await writeFile(file, stringify(raw));
  if ((await loadConfig(file)).host) throw new Error(`${file} would create a tap device`);
  return file;
}

/**
 * Makes the kernel usable with one discarded cycle (it also warms the page cache); builds the
 * minimal kernel when umlenv says none is built, unless the cold steps are skipped.
 */
export async function prepareKernel(
  kernel: KernelName,
  config: string,
  skipCold: boolean,
): Promise<Pick<KernelResult, 'kernelFile' | 'buildSeconds' | 'skipped'>> {
  const probe = () => cycle(config, `bench-${process.pid}-${kernel}-probe`, kernel, {});
  try {
    return { kernelFile: (await probe()).kernelFile };
  } catch (error) {
    if (kernel !== 'minimal' || !NOT_BUILT.test((error as Error).message)) throw error;
  }
  if (skipCold) return { skipped: 'not built, skipped (--skip-cold)' };
  progress('no minimal kernel is built: umlenv kernel build (about 3-10 minutes)…');
  const [buildSeconds] = await timed(() => umlenvLines(['kernel', 'build']));
  progress(`umlenv kernel build: ${buildSeconds.toFixed(0)} s`);
  return { kernelFile: (await probe()).kernelFile, buildSeconds };
}

/** The example's up, down and idle memory on one kernel, median of runs. */
export async function kernelExample(
  kernel: KernelName,
  config: string,
  runs: number,
): Promise<KernelExample> {
  const results: KernelCycle[] = [];
  for (let i = 1; i <= runs; i++) {
    const id = `bench-${process.pid}-${kernel}-ex-${i}`;
    const run = await cycle(config, id, kernel, { footprint: true });
    results.push(run);
    progress(`${kernel} example ${i}/${runs}: ${describeCycle(run)}`);
  }
  return {
    upSeconds: median(results.map((r) => r.upSeconds)),
    downSeconds: median(results.map((r) => r.downSeconds)),
    pssBytesPerMachine: median(results.map((r) => r.pssBytesPerMachine!)),
    runs: results,
  };
}

/** `up` of n generated machines on one kernel: median of runs below SINGLE_RUN_FROM, else once. */
export async function kernelScale(
  kernel: KernelName,
  config: string,
  n: number,
  runs: number,
): Promise<KernelScale> {
  const count = n >= SINGLE_RUN_FROM ? 1 : runs;
  const results: KernelCycle[] = [];
  for (let i = 1; i <= count; i++) {
    const run = await cycle(config, `bench-${process.pid}-${kernel}-${n}m-${i}`, kernel, {});
    results.push(run);
    progress(`${kernel} ${n} machines ${i}/${count}: ${describeCycle(run)}`);
  }
  return {
    machines: n,
    upSeconds: median(results.map((r) => r.upSeconds)),
    downSeconds: median(results.map((r) => r.downSeconds)),
    runs: results,
  };
}

function describeCycle(run: KernelCycle): string {
  const pss = run.pssBytesPerMachine;
  const memory = pss === undefined ? '' : `, ${(pss / 2 ** 20).toFixed(1)} MiB per machine`;
  return `up ${run.upSeconds.toFixed(2)} s, down ${run.downSeconds.toFixed(2)} s${memory}`;
}

// One up/down cycle with the kernel forced, in the bench's namespace (a config without a host
// link creates nothing there either); the environment is gone before this returns, and an
// interrupt stops `up` first so that it undoes its own work before `down` runs.
async function cycle(
  config: string,
  id: string,
  kernel: KernelName,
  { footprint = false }: { footprint?: boolean },
): Promise<KernelCycle> {
  const options = { env: { UMLENV_KERNEL: kernel }, hostLink: true };
  let isDown = false;
  const teardown = async () => {
    if (!isDown) await umlenv(['down', '--env', id], options).catch(() => {});
  };
  return withCleanup(teardown, async () => {
    const [upSeconds] = await timed(() =>
      umlenv(['up', '-f', config, '--env', id, '--ttl', '15m'], options),
    );
    const state = await readState(envDir(id));
    if (!state) throw new Error(`umlenv up returned but environment ${id} has no state file`);
    const n = state.machines.length;
    let pssBytesPerMachine: number | undefined;
    if (footprint) {
      await sleep(2000);
      const pss = await pssBytes(state.machines.map((m) => `uml_dir=${m.umlDir}`));
      pssBytesPerMachine = pss.perSpace / n;
    }
    const [downSeconds] = await timed(() => umlenv(['down', '--env', id], options));
    isDown = true;
    await assertTornDown(state);
    return {
      id,
      kernelFile: state.kernel,
      machines: n,
      upSeconds,
      downSeconds,
      pssBytesPerMachine,
    };
  });
}
