import {
  RAID6_OFF,
  type BareBoots,
  type ColdBuild,
  type Debootstrap,
  type ImageUnderTest,
  type UpRun,
} from './measure.js';
import type { ByHand } from './byhand.js';
import type { ExampleUp, ExampleUpSummary } from './example.js';
import { SCALE, type KernelName, type KernelResult } from './kernels.js';
import { median } from './support.js';

/** The targets umlenv promises, in one place so the table and the JSON agree. */
export const TARGETS = {
  upPerBareBoot: 2,
  downSeconds: 0.5,
  coldPerDebootstrap: 0.6,
  overlayBytes: 2 ** 20,
  /** The api-frontend example's warm up against making its machines by hand. */
  exampleSpeedup: 20,
  /** Checked on umlenv's minimal kernel; the stock kernel's numbers stand beside them. */
  minimal: {
    exampleUpSeconds: 1.0,
    tenUpSeconds: 2.5,
    downSeconds: 0.3,
    pssBytesPerMachine: 20 * 2 ** 20,
  },
};

/** The medians of several up runs, with the runs themselves. */
export interface UpSummary extends Omit<UpRun, 'id'> {
  machines: number;
  runs: UpRun[];
}

export interface Check {
  id:
    | 'up'
    | 'down'
    | 'overlay'
    | 'cold'
    | 'example'
    | 'minimal-up'
    | 'minimal-ten'
    | 'minimal-down'
    | 'minimal-memory';
  value: number;
  limit: number;
  pass: boolean;
}

/** The api-frontend example: the CI story umlenv is for, against doing it by hand. */
export interface ApiFrontend {
  config: string;
  image?: ImageUnderTest;
  warmUp?: ExampleUpSummary;
  coldUp?: ExampleUp;
  byHand?: ByHand;
  /** By hand total over the median warm up: how many times faster umlenv is. */
  speedup?: number;
}

/** Everything one bench run measured; written as JSON and rendered as the table. */
export interface Results {
  startedAt: string;
  finishedAt?: string;
  host: { release: string; cpus: number; node: string };
  options: { runs: number; skipCold: boolean; only: string[] };
  config: string;
  distStale?: boolean;
  image?: ImageUnderTest;
  bareBoot?: BareBoots & { plainMedian: number; raid6OffMedian: number };
  up?: UpSummary;
  coldBuild?: ColdBuild;
  debootstrap?: Debootstrap;
  apiFrontend?: ApiFrontend;
  /** Both guest kernels side by side, forced with UMLENV_KERNEL. */
  kernels?: Partial<Record<KernelName, KernelResult>>;
  checks: Check[];
  errors: { step: string; message: string }[];
}

/** Medians of the bare boots, the numbers the ratios use. */
export function summarizeBoots(boots: BareBoots): NonNullable<Results['bareBoot']> {
  return { ...boots, plainMedian: median(boots.plain), raid6OffMedian: median(boots.raid6Off) };
}

/** Medians over the up/down runs, per machine where the number is per machine. */
export function summarizeUps(runs: UpRun[]): UpSummary {
  const names = Object.keys(runs[0].bootSeconds);
  const perMachine = (pick: (r: UpRun) => Record<string, number>) =>
    Object.fromEntries(names.map((n) => [n, median(runs.map((r) => pick(r)[n]))]));
  return {
    machines: names.length,
    upSeconds: median(runs.map((r) => r.upSeconds)),
    downSeconds: median(runs.map((r) => r.downSeconds)),
    bootSeconds: perMachine((r) => r.bootSeconds),
    overlayBytes: perMachine((r) => r.overlayBytes),
    pssBytesPerMachine: median(runs.map((r) => r.pssBytesPerMachine)),
    pssBytesPerMachinePerProcess: median(runs.map((r) => r.pssBytesPerMachinePerProcess)),
    runs,
  };
}

/** The pass/fail verdicts for whatever was measured; a missing input means no verdict. */
export function checks(r: Results): Check[] {
  const out: Check[] = [];
  const add = (id: Check['id'], value: number, limit: number) =>
    out.push({ id, value, limit, pass: value <= limit });
  if (r.up && r.bareBoot) add('up', r.up.upSeconds, TARGETS.upPerBareBoot * r.bareBoot.plainMedian);
  if (r.up) add('down', r.up.downSeconds, TARGETS.downSeconds);
  if (r.up) add('overlay', Math.max(...Object.values(r.up.overlayBytes)), TARGETS.overlayBytes);
  if (r.coldBuild && r.debootstrap) {
    add('cold', r.coldBuild.seconds, TARGETS.coldPerDebootstrap * r.debootstrap.seconds);
  }
  const { warmUp, byHand } = r.apiFrontend ?? {};
  if (warmUp && byHand) {
    add('example', warmUp.upSeconds, byHand.totalSeconds / TARGETS.exampleSpeedup);
  }
  return [...out, ...minimalChecks(r.kernels?.minimal)];
}

// The minimal kernel's targets: the example's up, down and memory, and ten machines' up.
function minimalChecks(k?: KernelResult): Check[] {
  const t = TARGETS.minimal;
  const check = (id: Check['id'], value: number | undefined, limit: number): Check[] =>
    value === undefined ? [] : [{ id, value, limit, pass: value <= limit }];
  return [
    ...check('minimal-up', k?.example?.upSeconds, t.exampleUpSeconds),
    ...check('minimal-ten', k?.scale[10]?.upSeconds, t.tenUpSeconds),
    ...check('minimal-down', k?.example?.downSeconds, t.downSeconds),
    ...check('minimal-memory', k?.example?.pssBytesPerMachine, t.pssBytesPerMachine),
  ];
}

type Row = [measurement: string, value: string, target: string, result: string];

const secs = (s: number) => `${s.toFixed(s < 10 ? 2 : 1)} s`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const times = (x: number) => `${x.toFixed(2)}×`;
const verdict = (r: Results, id: Check['id'], pass = r.checks.find((c) => c.id === id)?.pass) =>
  pass === undefined ? '-' : pass ? 'PASS' : 'FAIL';

const info = (measurement: string, value: string): Row => [measurement, value, '-', '-'];
const ratioTarget = (factor: number, what: string, base?: number) =>
  base === undefined ? `needs ${what}` : `≤ ${factor}× ${what} = ${secs(factor * base)}`;
const ratio = (value: number, what: string, base?: number) =>
  base === undefined ? '' : ` = ${times(value / base)} ${what}`;

// The bare boot rows: the reference every ratio of `up` is taken against.
function bootRows(r: Results): Row[] {
  if (!r.bareBoot) return [info('bare boot', failedOr(r, 'bare boot'))];
  return [
    info('bare boot, plain (= one bare boot)', secs(r.bareBoot.plainMedian)),
    info(`bare boot, ${RAID6_OFF}`, secs(r.bareBoot.raid6OffMedian)),
  ];
}

// The warm `up` against one bare boot, then how long each machine took inside it.
function upRows(r: Results, up: UpSummary): Row[] {
  const plain = r.bareBoot?.plainMedian;
  const rows: Row[] = [
    [
      `umlenv up, ${up.machines} machines (warm)`,
      secs(up.upSeconds) + ratio(up.upSeconds, 'bare boot', plain),
      ratioTarget(TARGETS.upPerBareBoot, 'bare boot', plain),
      verdict(r, 'up'),
    ],
  ];
  if (r.bareBoot) {
    const fair = times(up.upSeconds / r.bareBoot.raid6OffMedian);
    rows.push(info(`  up vs bare boot with ${RAID6_OFF}`, fair));
  }
  for (const [name, s] of Object.entries(up.bootSeconds)) {
    rows.push(info(`  boot of ${name} (ps)`, secs(s)));
  }
  return rows;
}

// What a running environment costs the host, and how fast it goes away.
function footprintRows(r: Results, up: UpSummary): Row[] {
  const overlayTarget = `≤ ${mib(TARGETS.overlayBytes)}`;
  return [
    ['umlenv down', secs(up.downSeconds), `≤ ${secs(TARGETS.downSeconds)}`, verdict(r, 'down')],
    ...Object.entries(up.overlayBytes).map(([name, b]): Row => {
      const pass = verdict(r, 'overlay', b <= TARGETS.overlayBytes);
      return [`overlay of ${name} after boot`, mib(b), overlayTarget, pass];
    }),
    info('host memory per idle machine (PSS)', mib(up.pssBytesPerMachine)),
    info('  same, summed per process (overcounts)', mib(up.pssBytesPerMachinePerProcess)),
  ];
}

// The image rows: a cold umlenv build against the debootstrap a user would run.
function imageRows(r: Results): Row[] {
  if (r.options.skipCold) {
    return [info('cold image build / plain debootstrap', 'skipped (--skip-cold)')];
  }
  const { coldBuild: cold, debootstrap: plain } = r;
  const builder = cold?.builder ? ` (${cold.builder})` : '';
  const coldValue = cold
    ? secs(cold.seconds) + ratio(cold.seconds, 'debootstrap', plain?.seconds)
    : failedOr(r, 'cold image build');
  return [
    [
      `cold image build${builder}`,
      coldValue,
      ratioTarget(TARGETS.coldPerDebootstrap, 'debootstrap', plain?.seconds),
      verdict(r, 'cold'),
    ],
    info('plain debootstrap', plain ? secs(plain.seconds) : failedOr(r, 'plain debootstrap')),
  ];
}

// The example's warm up, with when each machine was ready and what it spent getting there.
function exampleWarmRows(r: Results, af: ApiFrontend): Row[] {
  const warm = af.warmUp;
  if (!warm) return [info('api-frontend warm up', failedOr(r, 'api-frontend warm up'))];
  const machines = Object.entries(warm.machines);
  return [
    info(`api-frontend warm up, ${machines.length} machines, all ready`, secs(warm.upSeconds)),
    ...machines.map(([name, m]) => {
      const parts = [`boot ${secs(m.bootSeconds)}`];
      if (m.bootScriptSeconds !== undefined) parts.push(`boot script ${secs(m.bootScriptSeconds)}`);
      if (m.healthySeconds !== undefined) parts.push(`healthy ${secs(m.healthySeconds)}`);
      return info(`  ${name} ready after`, `${secs(m.readyAtSeconds)} (${parts.join(', ')})`);
    }),
    info('api-frontend warm down', secs(warm.downSeconds)),
  ];
}

// The example's up into an empty cache: the image build plus the up, as on a new CI box.
function exampleColdRows(r: Results, af: ApiFrontend): Row[] {
  if (r.options.skipCold) return [info('api-frontend cold up', 'skipped (--skip-cold)')];
  const cold = af.coldUp;
  if (!cold) return [info('api-frontend cold up', failedOr(r, 'api-frontend cold up'))];
  const build = cold.buildSeconds === undefined ? '' : ` (image build ${secs(cold.buildSeconds)})`;
  return [
    info('api-frontend cold up, empty cache', secs(cold.upSeconds) + build),
    info('api-frontend cold down', secs(cold.downSeconds)),
  ];
}

// What the same three machines cost by hand, step by step.
function byHandRows(r: Results, af: ApiFrontend): Row[] {
  if (r.options.skipCold) return [info('by hand (once)', 'skipped (--skip-cold)')];
  const h = af.byHand;
  if (!h) return [info('by hand (once)', failedOr(r, 'by hand'))];
  const n = h.machines.length;
  const setupOn = h.machines.filter((m) => m.setupSeconds !== undefined).map((m) => m.name);
  return [
    info(`by hand (once): ${n}× debootstrap, one after another`, secs(h.debootstrapSeconds)),
    info(`  setup script (${setupOn.join(', ') || 'none'})`, secs(h.setupSeconds)),
    info(`  ${n}× mkfs.ext4 -d, a full image each`, secs(h.mkfsSeconds)),
    info(`  ${n} boots to init together, no COW`, secs(h.bootSeconds)),
    info('by hand total', secs(h.totalSeconds)),
  ];
}

// The headline: the example's warm up against the by-hand total.
function speedupRow(r: Results, af: ApiFrontend): Row {
  const factor = TARGETS.exampleSpeedup;
  const total = af.byHand?.totalSeconds;
  const target =
    total === undefined
      ? `≥ ${factor}× faster, needs by hand`
      : `≥ ${factor}× faster = ≤ ${secs(total / factor)}`;
  const value = af.speedup === undefined ? '-' : `${af.speedup.toFixed(1)}× faster`;
  return ['api-frontend warm up vs by hand', value, target, verdict(r, 'example')];
}

function failedOr(r: Results, step: string): string {
  return r.errors.some((e) => e.step === step) ? 'ERROR (see below)' : 'not measured';
}

type KernelRow = [
  measurement: string,
  minimal: string,
  stock: string,
  target: string,
  result: string,
];

// One kernel's cell: its value, or why there is none.
function kernelCell(
  r: Results,
  kernel: KernelName,
  step: string,
  value: (k: KernelResult) => string | undefined,
): string {
  const k = r.kernels?.[kernel];
  if (k?.skipped) return k.skipped;
  const v = k && value(k);
  if (v !== undefined) return v;
  const failed = [kernel + ' kernel', `${kernel} kernel: ${step}`];
  return r.errors.some((e) => failed.includes(e.step)) ? 'ERROR (see below)' : 'not measured';
}

// A row with both kernels' values; the target, when there is one, is the minimal kernel's.
function kernelRow(
  r: Results,
  measurement: string,
  step: string,
  value: (k: KernelResult) => string | undefined,
  target?: [limit: string, id: Check['id']],
): KernelRow {
  const [minimal, stock] = (['minimal', 'stock'] as const).map((kernel) =>
    kernelCell(r, kernel, step, value),
  );
  return [measurement, minimal, stock, target?.[0] ?? '-', target ? verdict(r, target[1]) : '-'];
}

// The kernel file each one used, and the build when this bench made the minimal kernel.
function kernelFileRow(r: Results): KernelRow {
  return kernelRow(r, 'kernel file', 'example', (k) => {
    if (!k.kernelFile) return undefined;
    return k.buildSeconds === undefined
      ? k.kernelFile
      : `${k.kernelFile} (built, ${secs(k.buildSeconds)})`;
  });
}

// How `up` grows with the number of machines, and what one more machine costs.
function scaleRows(r: Results): KernelRow[] {
  const t = TARGETS.minimal;
  const rows = SCALE.map((n) => {
    const what = n >= 10 ? '1 run' : `median of ${r.options.runs}`;
    const target: [string, Check['id']] | undefined =
      n === 10 ? [`≤ ${secs(t.tenUpSeconds)}`, 'minimal-ten'] : undefined;
    const value = (k: KernelResult) => k.scale[n] && secs(k.scale[n]!.upSeconds);
    return kernelRow(
      r,
      `umlenv up, ${n} machine${n === 1 ? '' : 's'} (${what})`,
      `${n} machines`,
      value,
      target,
    );
  });
  const [first, last] = [SCALE[0], SCALE.at(-1)!];
  const perMachine = (k: KernelResult) => {
    const [a, b] = [k.scale[first]?.upSeconds, k.scale[last]?.upSeconds];
    return a === undefined || b === undefined ? undefined : secs((b - a) / (last - first));
  };
  const label = `  up time per extra machine (${first} → ${last})`;
  return [...rows, kernelRow(r, label, `${last} machines`, perMachine)];
}

// The three-machine example on each kernel: up to every machine ready, down, idle memory.
function kernelExampleRows(r: Results): KernelRow[] {
  const t = TARGETS.minimal;
  const runs = `median of ${r.options.runs}`;
  return [
    kernelRow(
      r,
      `three-machine example up, all ready (${runs})`,
      'example',
      (k) => k.example && secs(k.example.upSeconds),
      [`≤ ${secs(t.exampleUpSeconds)}`, 'minimal-up'],
    ),
    kernelRow(
      r,
      `three-machine example down (${runs})`,
      'example',
      (k) => k.example && secs(k.example.downSeconds),
      [`≤ ${secs(t.downSeconds)}`, 'minimal-down'],
    ),
    kernelRow(
      r,
      'host memory per idle machine (PSS)',
      'example',
      (k) => k.example && mib(k.example.pssBytesPerMachine),
      [`≤ ${mib(t.pssBytesPerMachine)}`, 'minimal-memory'],
    ),
  ];
}

// Pads the cells of a header and its rows into a markdown table.
function table(all: string[][]): string[] {
  const widths = all[0].map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(all[0]), line(widths.map((w) => '-'.repeat(w))), ...all.slice(1).map(line)];
}

// The kernel comparison as a table of its own: the minimal kernel's column carries the targets.
function kernelTable(r: Results): string[] {
  if (!r.kernels) return [];
  const header = ['kernels (UMLENV_KERNEL)', 'minimal', 'stock', 'target (minimal)', 'result'];
  const rows = [kernelFileRow(r), ...kernelExampleRows(r), ...scaleRows(r)];
  return ['', ...table([header, ...rows])];
}

/** The human report: a padded table, then the errors in full. */
export function renderTable(r: Results): string {
  const upOrError = r.up
    ? [...upRows(r, r.up), ...footprintRows(r, r.up)]
    : [info('umlenv up (warm)', failedOr(r, 'umlenv up'))];
  const af = r.apiFrontend;
  const example = af
    ? [
        ...exampleWarmRows(r, af),
        ...exampleColdRows(r, af),
        ...byHandRows(r, af),
        speedupRow(r, af),
      ]
    : [];
  const classic = r.options.only.includes('classic')
    ? [...bootRows(r), ...upOrError, ...imageRows(r)]
    : [];
  const rows: Row[] = [...classic, ...example];
  const lines = rows.length ? table([['measurement', 'value', 'target', 'result'], ...rows]) : [];
  const notes = [`medians of ${r.options.runs} runs${r.image ? `; image ${r.image.key}` : ''}`];
  notes.push(`${r.host.cpus} CPUs, host kernel ${r.host.release}, node ${r.host.node}`);
  notes.push(
    "umlenv up/down of the three-machine example run in the bench's own network namespace (ip netns exec), for its tap device and NAT rules",
  );
  if (r.distStale) notes.push('warning: dist/cli.js is older than src/; run npm run build');
  const errors = r.errors.map((e) => `error in ${e.step}: ${e.message}`);
  return [...lines, ...kernelTable(r), '', ...notes, ...errors].join('\n') + '\n';
}
