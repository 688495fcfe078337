// `npm run bench`: what umlenv costs next to doing the same by hand, with pass/fail targets.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeError } from '../src/errors.js';
import { cliEntry } from '../src/paths.js';
import { byHand } from './byhand.js';
import { exampleColdUp, exampleWarmUps } from './example.js';
import {
  KERNELS,
  SCALE,
  kernelExample,
  kernelScale,
  prepareKernel,
  writeKernelConfigs,
  type KernelConfigs,
  type KernelName,
  type KernelResult,
} from './kernels.js';
import { bareBoots, coldBuild, imageUnderTest, plainDebootstrap, warmUps } from './measure.js';
import { checks, renderTable, summarizeBoots, summarizeUps, type Results } from './report.js';
import { cleanUpPending, distIsStale, progress, withNamespace, withTempDir } from './support.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const CONFIG = path.join(ROOT, 'examples', 'three-machines', 'umlenv.yml');
const EXAMPLE = path.join(ROOT, 'examples', 'api-frontend', 'umlenv.yml');
const SECTIONS = ['classic', 'api-frontend', 'kernels'] as const;
type Section = (typeof SECTIONS)[number];
const USAGE = `usage: npm run bench -- [--runs N] [--skip-cold] [--only SECTION,...] [--json-only]
  --runs N     runs per timed step whose median is reported (default 5)
  --only LIST  measure only these sections: classic (bare boot, the example's up and down,
               image builds), api-frontend, kernels (both kernels, 1 to 20 machines)
  --skip-cold  skip the cold image build, plain debootstrap, the api-frontend cold up and
               its machines made by hand (three debootstraps: several minutes), and the
               minimal kernel's rows when it is not built yet (its build: 3-10 minutes)
  --json-only  print the JSON result on stdout instead of the table
`;

interface Options {
  runs: number;
  skipCold: boolean;
  only: Section[];
  jsonOnly: boolean;
}

// Reads the flags; a bad one prints the usage and exits 2 before anything starts.
function options(argv: string[]): Options {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        runs: { type: 'string', default: '5' },
        'skip-cold': { type: 'boolean', default: false },
        only: { type: 'string', default: SECTIONS.join(',') },
        'json-only': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1)
      throw new Error(`--runs ${values.runs} is not a positive integer`);
    const only = values.only.split(',').map((x) => x.trim());
    const unknown = only.filter((x) => !(SECTIONS as readonly string[]).includes(x));
    if (unknown.length)
      throw new Error(`--only ${unknown.join(',')}: the sections are ${SECTIONS.join(', ')}`);
    return {
      runs,
      skipCold: values['skip-cold'],
      only: only as Section[],
      jsonOnly: values['json-only'],
    };
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

// Runs one step; its failure is recorded and the next step still runs.
async function step<T>(r: Results, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  progress(`${name}…`);
  try {
    return await fn();
  } catch (error) {
    progress(`${name} failed: ${describeError(error)}`);
    r.errors.push({ step: name, message: describeError(error) });
    return undefined;
  }
}

// Every measurement in order: the warm ones first, then the slow cold ones, then both kernels
// (last, so that a minimal kernel built there cannot change the kernel of the rows before).
async function measure(r: Results): Promise<void> {
  r.distStale = await distIsStale(path.join(ROOT, 'src'));
  if (r.distStale)
    progress('warning: dist/cli.js is older than src/; these numbers describe the old build');
  const only = new Set(r.options.only);
  if (only.has('classic')) await measureClassic(r);
  if (only.has('api-frontend')) await measureExample(r);
  if (only.has('kernels')) await measureKernels(r);
}

// The three-machine example against bare boots, and its image built cold against debootstrap.
async function measureClassic(r: Results): Promise<void> {
  r.image = await step(r, 'image', () => imageUnderTest(CONFIG));
  if (r.image) {
    const file = r.image.file;
    const boots = await step(r, 'bare boot', () => bareBoots(file, r.options.runs));
    if (boots) r.bareBoot = summarizeBoots(boots);
  }
  const ups = await step(r, 'umlenv up', () =>
    withNamespace(() => warmUps(CONFIG, r.options.runs)),
  );
  if (ups) r.up = summarizeUps(ups);
  if (!r.options.skipCold) {
    r.coldBuild = await step(r, 'cold image build', () => coldBuild(CONFIG));
    r.debootstrap = await step(r, 'plain debootstrap', () => plainDebootstrap(CONFIG));
  }
}

// The stock and the minimal kernel, in a network namespace of their own (the example's host
// link), the generated configs in a temp dir removed afterwards.
async function measureKernels(r: Results): Promise<void> {
  const kernels: NonNullable<Results['kernels']> = {};
  r.kernels = kernels;
  await withTempDir('kernels', async (dir) => {
    const configs = await step(r, 'kernel configs', () => writeKernelConfigs(CONFIG, dir));
    if (!configs) return;
    await withNamespace(async () => {
      for (const kernel of KERNELS) kernels[kernel] = await measureKernel(r, kernel, configs);
    });
  });
}

// One kernel: make it usable (maybe build it), then the example and the scaling rows.
async function measureKernel(
  r: Results,
  kernel: KernelName,
  configs: KernelConfigs,
): Promise<KernelResult> {
  const { runs, skipCold } = r.options;
  const k: KernelResult = { kernel, scale: {} };
  const name = `${kernel} kernel`;
  const ready = await step(r, name, () => prepareKernel(kernel, configs.example, skipCold));
  if (!ready || ready.skipped) return { ...k, ...ready };
  Object.assign(k, ready);
  k.example = await step(r, `${name}: example`, () => kernelExample(kernel, configs.example, runs));
  for (const n of SCALE) {
    k.scale[n] = await step(r, `${name}: ${n} machines`, () =>
      kernelScale(kernel, configs.scale[n], n, runs),
    );
  }
  return k;
}

// The api-frontend example: warm ups on the cached image, then its cold up and the by-hand way.
async function measureExample(r: Results): Promise<void> {
  const af: NonNullable<Results['apiFrontend']> = { config: path.relative(ROOT, EXAMPLE) };
  r.apiFrontend = af;
  af.image = await step(r, 'api-frontend image', () => imageUnderTest(EXAMPLE));
  if (af.image) {
    const runs = r.options.runs;
    af.warmUp = await step(r, 'api-frontend warm up', () => exampleWarmUps(EXAMPLE, runs));
  }
  if (!r.options.skipCold) {
    af.coldUp = await step(r, 'api-frontend cold up', () => exampleColdUp(EXAMPLE));
    af.byHand = await step(r, 'by hand', () => byHand(EXAMPLE));
  }
  if (af.warmUp && af.byHand) af.speedup = af.byHand.totalSeconds / af.warmUp.upSeconds;
}

// Keeps every run (bench-DATE.json) and the last one under a fixed name (latest.json).
async function save(r: Results): Promise<string> {
  const dir = path.join(HERE, 'results');
  await mkdir(dir, { recursive: true });
  const json = JSON.stringify(r, null, 2) + '\n';
  const stamp = r.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const file = path.join(dir, `bench-${stamp}.json`);
  await writeFile(file, json);
  await writeFile(path.join(dir, 'latest.json'), json);
  return file;
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  // Bare boots run Debian's kernel: so must the umlenv runs they are compared with, even
  // where a minimal kernel is built (umlenv's default then). The kernel table sets its own.
  process.env.UMLENV_KERNEL ??= 'stock';
  if (!existsSync(cliEntry())) {
    process.stderr.write(`bench: ${cliEntry()} is missing; run npm run build first\n`);
    process.exit(1);
  }
  // A lasting listener: execa's exit hook kills the process on a signal nobody else handles,
  // which would cut the `umlenv down` of the cleanup short.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void cleanUpPending().finally(() => process.exit(130)));
  }
  const r: Results = {
    startedAt: new Date().toISOString(),
    host: { release: os.release(), cpus: os.availableParallelism(), node: process.version },
    options: { runs: opts.runs, skipCold: opts.skipCold, only: opts.only },
    config: path.relative(ROOT, CONFIG),
    checks: [],
    errors: [],
  };
  await measure(r);
  r.checks = checks(r);
  r.finishedAt = new Date().toISOString();
  const file = await save(r);
  process.stdout.write(opts.jsonOnly ? JSON.stringify(r, null, 2) + '\n' : renderTable(r));
  progress(`results written to ${path.relative(ROOT, file)} and bench/results/latest.json`);
  process.exitCode = r.errors.length ? 1 : 0;
}

await main();
