// The api-frontend machines made the way users do it today without umlenv, timed once.
import { setupSandbox } from '../src/image/build.js';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type Config, type MachineSpec } from '../src/config/load.js';
import { requireTool } from '../src/host/tools.js';
import { hostMirror } from '../src/image/mirror.js';
import { resolveRecipe, type Recipe } from '../src/image/recipe.js';
import { bootToInit, debootstrap } from './measure.js';
import { bareKernel, progress, runTool, timed, withCleanup, withTempDir } from './support.js';

export interface ByHandMachine {
  name: string;
  debootstrapSeconds: number;
  /** The image's setup script, on the machines that run the services it prepares. */
  setupSeconds?: number;
  mkfsSeconds: number;
  /** From spawning linux.uml to init's marker line, while the other machines boot too. */
  bootSeconds: number;
}

export interface ByHand {
  totalSeconds: number;
  debootstrapSeconds: number;
  setupSeconds: number;
  mkfsSeconds: number;
  /** Wall time of the three boots, started together. */
  bootSeconds: number;
  machines: ByHandMachine[];
  commands: { debootstrap: string[]; mkfs: string[]; boot: string };
  method: string[];
}

const METHOD = [
  'each machine bootstraps its own root with debootstrap, one after the other, no package cache',
  'the image setup script runs only in the roots of machines with services (api-run), in bwrap as umlenv runs it',
  'each root is copied whole into its own ext4 file with mkfs.ext4 -d: no shared image, no overlay',
  'the machines boot together, each from its own image (ubd0=IMAGE, no COW), to a one-line init; no umlenv init, network, boot script, service or health check',
  'the total is the sum of every debootstrap, setup and mkfs plus the wall time of the boots',
  'debootstrap runs under bwrap --die-with-parent (with --dev-bind / /) so an interrupted bench leaves nothing running',
];

/** The baseline the 20× target is against: every step a hand-written script takes, summed. */
export async function byHand(configFile: string): Promise<ByHand> {
  const config = await loadConfig(configFile);
  const kernel = await requireTool(bareKernel(), 'to boot guests');
  await requireTool('mkfs.ext4', 'for the baseline images');
  await requireTool('bwrap', 'for the baseline setup script');
  const mirror = await hostMirror();
  return withTempDir('by-hand', async (dir) => {
    const made: { spec: MachineSpec; image: string; row: Omit<ByHandMachine, 'bootSeconds'> }[] =
      [];
    let commands: string[] = [];
    for (const spec of config.machines) {
      const recipe = await recipeOf(config, spec, mirror);
      const image = path.join(dir, spec.name, 'disk.ext4');
      const { row, command } = await makeMachine(spec, recipe, path.dirname(image), image);
      commands = command;
      made.push({ spec, image, row });
    }
    const [bootSeconds, boots] = await timed(() =>
      Promise.all(
        made.map(({ spec, image }) =>
          bootToInit(kernel, { disk: () => image, memoryMiB: spec.memoryBytes / 2 ** 20 }),
        ),
      ),
    );
    progress(`by hand: the ${made.length} machines booted in ${bootSeconds.toFixed(2)} s`);
    const machines = made.map(({ row }, i) => ({ ...row, bootSeconds: boots[i] }));
    return summarize(machines, bootSeconds, commands);
  });
}

async function recipeOf(config: Config, spec: MachineSpec, mirror: string): Promise<Recipe> {
  const image = config.images[spec.image];
  return (await resolveRecipe(image, image.mirror ?? mirror)).recipe;
}

// One machine's root and image; its root is removed once the image holds it, to spare the disk.
async function makeMachine(spec: MachineSpec, recipe: Recipe, dir: string, image: string) {
  const root = path.join(dir, 'root');
  const [debootstrapSeconds, command] = await timed(() =>
    debootstrap(root, recipe.suite, recipe.packages, recipe.mirror),
  );
  progress(`by hand: debootstrap for ${spec.name} took ${debootstrapSeconds.toFixed(1)} s`);
  let setupSeconds: number | undefined;
  if (recipe.setup && spec.services.length) {
    [setupSeconds] = await timed(() => runSetup(root, recipe.setup));
    progress(`by hand: setup script for ${spec.name} took ${setupSeconds.toFixed(1)} s`);
  }
  const [mkfsSeconds] = await timed(() => runTool(['mkfs.ext4', mkfsArgs(root, image, recipe)]));
  progress(`by hand: mkfs.ext4 -d for ${spec.name} took ${mkfsSeconds.toFixed(1)} s`);
  await rm(root, { recursive: true, force: true });
  return { row: { name: spec.name, debootstrapSeconds, setupSeconds, mkfsSeconds }, command };
}

function mkfsArgs(root: string, image: string, recipe: Recipe): string[] {
  return ['-q', '-F', '-d', root, image, `${recipe.sizeBytes / 1024}k`];
}

// The image setup script as umlenv's build runs it: root in the new root, no daemons from
// package scripts (policy-rc.d), its own pid namespace so whatever it starts dies with it.
async function runSetup(root: string, script: string): Promise<void> {
  const policy = path.join(root, 'usr', 'sbin', 'policy-rc.d');
  await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  const args = setupSandbox(root, script);
  await withCleanup(
    () => rm(policy, { force: true }),
    () => runTool(['bwrap', args]),
  );
}

function summarize(machines: ByHandMachine[], bootSeconds: number, debootstrap: string[]): ByHand {
  const sum = (pick: (m: ByHandMachine) => number | undefined) =>
    machines.reduce((total, m) => total + (pick(m) ?? 0), 0);
  const debootstrapSeconds = sum((m) => m.debootstrapSeconds);
  const setupSeconds = sum((m) => m.setupSeconds);
  const mkfsSeconds = sum((m) => m.mkfsSeconds);
  return {
    totalSeconds: debootstrapSeconds + setupSeconds + mkfsSeconds + bootSeconds,
    debootstrapSeconds,
    setupSeconds,
    mkfsSeconds,
    bootSeconds,
    machines,
    commands: {
      debootstrap,
      mkfs: ['mkfs.ext4', '-q', '-F', '-d', 'ROOT', 'IMAGE', 'SIZE'],
      boot: 'linux.uml ubd0=IMAGE root=/dev/ubda rw mem=MEMORY … init=/bin/sh -- -c "…marker…"',
    },
    method: METHOD,
  };
}
