import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { loadConfig } from '../src/config/load.js';
import { envDir, readState, type EnvState } from '../src/environment/state.js';
import { findByArgument, sleep } from '../src/host/process.js';
import { requireTool } from '../src/host/tools.js';
import { hostMirror } from '../src/image/mirror.js';
import { resolveRecipe } from '../src/image/recipe.js';
import { ImageStore } from '../src/image/store.js';
import {
  bareKernel,
  killByArgument,
  killQuietly,
  progress,
  runTool,
  timed,
  umlenv,
  withCleanup,
  withTempDir,
} from './support.js';

const MARKER = 'UMLENV-BENCH-INIT';
/** The guest's whole userland: one line on the console, then power off. */
const INIT_SCRIPT = [
  'mount -t proc proc /proc',
  `echo ${MARKER}`,
  'echo o > /proc/sysrq-trigger',
  'exec sleep 60',
].join('; ');
const BOOT_TIMEOUT_MS = 60_000;
/** What umlenv adds to every boot (see kernelArgs). */
export const RAID6_OFF = 'initcall_blacklist=raid6_select_algo';

export interface ImageUnderTest {
  name: string;
  key: string;
  file: string;
  built: boolean;
}

/** Builds or finds the example's image with umlenv itself, so bare boots use the same file. */
export async function imageUnderTest(config: string): Promise<ImageUnderTest> {
  const { stdout } = await umlenv(['image', 'build', '-f', config]);
  const wanted = (await loadConfig(config)).machines[0].image;
  const line = String(stdout)
    .split('\n')
    .map((l) => l.split('\t'))
    .find(([name]) => name === wanted);
  if (!line || line.length < 3) throw new Error(`umlenv image build printed no line for ${wanted}`);
  const [name, key, status] = line;
  return { name, key, file: new ImageStore().file(key), built: status === 'built' };
}

export interface BareBoots {
  plain: number[];
  raid6Off: number[];
}

/** Bare kernel boots to init, both ways, interleaved so drift on the host hits both alike. */
export async function bareBoots(image: string, runs: number): Promise<BareBoots> {
  const kernel = await requireTool(bareKernel(), 'to boot guests');
  const result: BareBoots = { plain: [], raid6Off: [] };
  for (let i = 1; i <= runs; i++) {
    result.plain.push(await bareBoot(kernel, image, []));
    result.raid6Off.push(await bareBoot(kernel, image, [RAID6_OFF]));
    progress(
      `bare boot ${i}/${runs}: ${result.plain.at(-1)!.toFixed(3)} s plain, ` +
        `${result.raid6Off.at(-1)!.toFixed(3)} s with ${RAID6_OFF}`,
    );
  }
  return result;
}

// One boot on a fresh overlay: seconds from spawn to the marker line on the console.
function bareBoot(kernel: string, image: string, extra: string[]): Promise<number> {
  return bootToInit(kernel, { disk: (dir) => `${path.join(dir, 'overlay.cow')},${image}`, extra });
}

export interface BootSpec {
  /** The ubd0= value, given the boot's own scratch directory. */
  disk: (dir: string) => string;
  memoryMiB?: number;
  extra?: string[];
}

/** Seconds from spawning linux.uml to the marker its init prints: bare boots and by hand alike. */
export async function bootToInit(kernel: string, spec: BootSpec): Promise<number> {
  return withTempDir('boot', async (dir) => {
    const args = [
      `ubd0=${spec.disk(dir)}`,
      'root=/dev/ubda',
      'rw',
      `mem=${spec.memoryMiB ?? 256}M`,
      'con=null',
      'ssl=null',
      'con0=null,fd:1',
      'noreboot',
      'umid=bench',
      `uml_dir=${dir}`,
      ...(spec.extra ?? []),
      'init=/bin/sh',
      '--',
      '-c',
      // The kernel splits init's arguments at spaces unless they are in double quotes.
      `"${INIT_SCRIPT}"`,
    ];
    const t0 = performance.now();
    const child = execa(kernel, args, {
      detached: true,
      cleanup: false,
      stdin: 'ignore',
      buffer: false,
      reject: false,
    });
    const stop = async () => {
      if (child.pid) killQuietly(-child.pid);
      await Promise.race([child, sleep(5000)]);
      await killByArgument(`uml_dir=${dir}`);
    };
    return withCleanup(stop, async () => {
      await waitForLine(child, MARKER, BOOT_TIMEOUT_MS);
      return (performance.now() - t0) / 1000;
    });
  });
}

// Resolves when the child prints exactly `wanted` on a line of its own (the kernel command
// line echoes the init script, so a substring match would fire too early).
function waitForLine(child: ResultPromise, wanted: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let tail: string[] = [];
    const timer = setTimeout(() => fail(`no ${wanted} after ${timeoutMs / 1000} s`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`bare boot failed: ${why}. Last console lines:\n${tail.join('\n')}`));
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      tail = [...tail, ...lines].slice(-15);
      if (lines.some((l) => l.trim() === wanted)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void child.then((r) => {
      const status = r.exitCode ?? r.signal;
      fail(
        status === undefined ? (r.shortMessage ?? 'no kernel') : `the kernel exited (${status})`,
      );
    });
  });
}

export interface UpRun {
  id: string;
  upSeconds: number;
  downSeconds: number;
  bootSeconds: Record<string, number>;
  overlayBytes: Record<string, number>;
  /** PSS with each address space counted once. */
  pssBytesPerMachine: number;
  /** PSS summed per process: an address space shared by CLONE_VM helpers counts once per process. */
  pssBytesPerMachinePerProcess: number;
}

/** Warm `umlenv up` then `umlenv down` of the example, runs times, each on a new environment. */
export async function warmUps(config: string, runs: number): Promise<UpRun[]> {
  const results: UpRun[] = [];
  for (let i = 1; i <= runs; i++) {
    const run = await warmUp(config, `bench-${process.pid}-${i}`);
    results.push(run);
    progress(
      `umlenv up ${i}/${runs}: ${run.upSeconds.toFixed(3)} s, down ${run.downSeconds.toFixed(3)} s`,
    );
  }
  return results;
}

// One up/down cycle, in the bench's network namespace (the example links to the host);
// whatever happens, the environment is torn down before this returns.
async function warmUp(config: string, id: string): Promise<UpRun> {
  let isDown = false;
  const teardown = async () => {
    if (!isDown) await umlenv(['down', '--env', id], { hostLink: true }).catch(() => {});
  };
  return withCleanup(teardown, async () => {
    const [upSeconds] = await timed(() =>
      umlenv(['up', '-f', config, '--env', id, '--ttl', '15m'], { hostLink: true }),
    );
    const state = await readState(envDir(id));
    if (!state) throw new Error(`umlenv up returned but environment ${id} has no state file`);
    const overlayBytes = await overlaySizes(state);
    const bootSeconds = await machineBoots(id);
    await sleep(2000);
    const pss = await pssBytes(state.machines.map((m) => `uml_dir=${m.umlDir}`));
    const [downSeconds] = await timed(() => umlenv(['down', '--env', id], { hostLink: true }));
    isDown = true;
    await assertTornDown(state);
    const n = state.machines.length;
    return {
      id,
      upSeconds,
      downSeconds,
      bootSeconds,
      overlayBytes,
      pssBytesPerMachine: pss.perSpace / n,
      pssBytesPerMachinePerProcess: pss.perProcess / n,
    };
  });
}

// Each machine's boot as the supervisor measured it (from spawn to its agent answering).
async function machineBoots(id: string): Promise<Record<string, number>> {
  const { stdout } = await umlenv(['ps', '--env', id, '--json']);
  const status = JSON.parse(String(stdout)) as {
    machines: { name: string; bootSeconds?: number }[];
  };
  return Object.fromEntries(status.machines.map((m) => [m.name, m.bootSeconds ?? NaN]));
}

// Disk a machine's copy-on-write overlay really uses (allocated blocks, not its sparse size).
async function overlaySizes(state: EnvState): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const m of state.machines) sizes[m.name] = (await stat(m.overlay)).blocks * 512;
  return sizes;
}

// Proportional set size of the environment's guest processes. UML's kernel process and its
// I/O helpers share one address space (clone with CLONE_VM), and each of their smaps_rollup
// reports that whole space, so processes with identical maps and usage are counted once.
export async function pssBytes(
  markers: string[],
): Promise<{ perSpace: number; perProcess: number }> {
  const spaces = new Map<string, number>();
  let perProcess = 0;
  const pids = (await Promise.all(markers.map((m) => findByArgument(m)))).flat();
  for (const pid of pids) {
    const [maps, rollup] = await Promise.all(
      ['maps', 'smaps_rollup'].map((f) => readFile(`/proc/${pid}/${f}`, 'utf8').catch(() => '')),
    );
    const pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    const usage = rollup.split('\n').filter((l) => /^(Rss|Pss|Anonymous):/.test(l));
    spaces.set(createHash('sha256').update(maps).update(usage.join('\n')).digest('hex'), pss);
    perProcess += pss;
  }
  return { perSpace: [...spaces.values()].reduce((a, b) => a + b, 0), perProcess };
}

/** A down that leaves a process or the directory behind is a bug, not a time to report. */
export async function assertTornDown(state: EnvState): Promise<void> {
  const left = [
    ...(await Promise.all(state.machines.map((m) => killByArgument(`uml_dir=${m.umlDir}`)))).flat(),
    ...(await killByArgument(path.join(state.dir, 'switch.sock'))),
  ];
  const dirLeft = await stat(state.dir).then(
    () => true,
    () => false,
  );
  if (left.length || dirLeft) {
    throw new Error(
      `umlenv down left ${left.length ? `processes ${left.join(', ')} (killed now)` : ''}` +
        `${left.length && dirLeft ? ' and ' : ''}${dirLeft ? state.dir : ''} behind`,
    );
  }
}

export interface ColdBuild {
  seconds: number;
  key: string;
  builder?: string;
}

/** A from-scratch build of the example's image into an empty cache, as a new CI box does. */
export async function coldBuild(config: string): Promise<ColdBuild> {
  return withTempDir('cache', async (cache) => {
    const [seconds, { stdout }] = await timed(() =>
      umlenv(['image', 'build', '-f', config], { env: { UMLENV_CACHE_DIR: cache } }),
    );
    const [, key, status] = String(stdout).split('\n')[0].split('\t');
    if (status !== 'built') throw new Error(`the cold build reported "${status}", not "built"`);
    const [meta] = await new ImageStore(cache).list();
    return { seconds, key, builder: meta?.builder };
  });
}

export interface Debootstrap {
  seconds: number;
  command: string[];
}

/** The baseline a user would write by hand: debootstrap of the same suite and packages. */
export async function plainDebootstrap(config: string): Promise<Debootstrap> {
  const { images, machines } = await loadConfig(config);
  const spec = images[machines[0].image];
  const mirror = await hostMirror();
  const { suite, packages } = (await resolveRecipe(spec, mirror)).recipe;
  return withTempDir('debootstrap', async (dir) => {
    const [seconds, command] = await timed(() =>
      debootstrap(path.join(dir, 'root'), suite, packages, mirror),
    );
    return { seconds, command };
  });
}

/**
 * One debootstrap --variant=minbase into root, jailed so that an interrupted bench leaves no
 * apt, dpkg or daemon started by a maintainer script; returns the command with TARGET for root.
 */
export async function debootstrap(
  root: string,
  suite: string,
  packages: string[],
  mirror: string,
): Promise<string[]> {
  const program = await requireTool('debootstrap', 'for the baseline build');
  const args = ['--variant=minbase', `--include=${packages.join(',')}`, suite, root, mirror];
  await runTool(jailedWithDevices(program, args));
  return ['debootstrap', ...args.slice(0, 3), 'TARGET', mirror];
}

// Like umlenv's jailed(), but with device nodes usable in the bind of /: debootstrap refuses a
// target on a nodev mount, and bwrap's --bind (which jailed() uses) adds nodev.
function jailedWithDevices(program: string, args: string[]): [string, string[]] {
  const jail = ['--die-with-parent', '--unshare-pid', '--cap-add', 'ALL', '--dev-bind', '/', '/'];
  return ['bwrap', [...jail, '--proc', '/proc', '--', program, ...args]];
}
