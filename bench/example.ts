// The api-frontend example end to end: `umlenv up` to every machine ready, warm and cold.
import { loadConfig, type Condition, type Config } from '../src/config/load.js';
import { envDir, readState } from '../src/environment/state.js';
import { assertTornDown } from './measure.js';
import {
  median,
  progress,
  timed,
  umlenv,
  umlenvLines,
  withCleanup,
  withTempDir,
  type TimedLine,
} from './support.js';

/** How one machine became ready, as `umlenv up` reported it. */
export interface MachineReadiness {
  /** "Started in": from spawning the guest to its agent answering. */
  bootSeconds: number;
  /** "Ran boot script in", for machines with a boot script. */
  bootScriptSeconds?: number;
  /** "Healthy in": from starting the health check to its first pass. */
  healthySeconds?: number;
  /** Seconds from starting `up` until the machine was ready, waits for its dependencies included. */
  readyAtSeconds: number;
}

export interface ExampleUp {
  id: string;
  upSeconds: number;
  downSeconds: number;
  /** The image build inside `up` ("Built image … in"), when it built one. */
  buildSeconds?: number;
  machines: Record<string, MachineReadiness>;
}

export interface ExampleUpSummary {
  upSeconds: number;
  downSeconds: number;
  machines: Record<string, MachineReadiness>;
  runs: ExampleUp[];
}

/** Warm `up` then `down` of the example with its image cached, runs times, each a new env. */
export async function exampleWarmUps(config: string, runs: number): Promise<ExampleUpSummary> {
  const results: ExampleUp[] = [];
  for (let i = 1; i <= runs; i++) {
    const run = await exampleUp(config, `bench-af-${process.pid}-${i}`);
    results.push(run);
    progress(
      `api-frontend up ${i}/${runs}: ${run.upSeconds.toFixed(2)} s, ` +
        `down ${run.downSeconds.toFixed(2)} s`,
    );
  }
  return summarizeExampleUps(results);
}

/** `up` into an empty image cache, as on a new CI box: the image build is part of the wall time. */
export async function exampleColdUp(config: string): Promise<ExampleUp> {
  return withTempDir('af-cache', async (cache) => {
    const run = await exampleUp(config, `bench-af-cold-${process.pid}`, {
      UMLENV_CACHE_DIR: cache,
    });
    if (run.buildSeconds === undefined) {
      throw new Error('up into an empty cache printed no "Built image" line: it built nothing');
    }
    return run;
  });
}

// One up/down cycle with the stderr lines timed; the environment is gone before this returns.
async function exampleUp(
  config: string,
  id: string,
  env: Record<string, string> = {},
): Promise<ExampleUp> {
  const spec = await loadConfig(config);
  let isDown = false;
  const teardown = async () => {
    if (!isDown) await umlenv(['down', '--env', id], { env }).catch(() => {});
  };
  return withCleanup(teardown, async () => {
    const [upSeconds, { lines }] = await timed(() =>
      umlenvLines(['up', '-f', config, '--env', id, '--ttl', '30m'], { env }),
    );
    const state = await readState(envDir(id));
    if (!state) throw new Error(`umlenv up returned but environment ${id} has no state file`);
    const [downSeconds] = await timed(() => umlenv(['down', '--env', id], { env }));
    isDown = true;
    await assertTornDown(state);
    const built = lines
      .map((l) => /Built image \S+ \(\S+\) in ([\d.]+) s/.exec(l.text))
      .find(Boolean);
    const buildSeconds = built ? Number(built[1]) : undefined;
    return { id, upSeconds, downSeconds, buildSeconds, machines: readiness(spec, lines) };
  });
}

interface Seen {
  bootSeconds?: number;
  bootScriptSeconds?: number;
  healthySeconds?: number;
  startedAt?: number;
  scriptAt?: number;
  lastAt: number;
}

const MILESTONE = /\[([^\]\s]+)\] (Started|Ran boot script|Healthy) in ([\d.]+) s\b/;
const SERVICE = /\[([^\]\s]+)\] Started service /;

// Each machine's milestones from the `up` output, by the tag of the machine's own lines.
function milestones(config: Config, lines: TimedLine[]): Map<string, Seen> {
  const seen = new Map(config.machines.map((m): [string, Seen] => [m.name, { lastAt: 0 }]));
  for (const { at, text } of lines) {
    const [, name, what, value] = MILESTONE.exec(text) ?? SERVICE.exec(text) ?? [];
    const s = name === undefined ? undefined : seen.get(name);
    if (!s) continue;
    s.lastAt = Math.max(s.lastAt, at);
    if (what === 'Started') [s.bootSeconds, s.startedAt] = [Number(value), at];
    if (what === 'Ran boot script') [s.bootScriptSeconds, s.scriptAt] = [Number(value), at];
    if (what === 'Healthy') s.healthySeconds = Number(value);
  }
  return seen;
}

/**
 * When each machine was ready: its last own milestone, or later when it waited for another
 * machine (a frontend with nothing of its own to do is ready when the API it needs is healthy).
 */
export function readiness(config: Config, lines: TimedLine[]): Record<string, MachineReadiness> {
  const seen = milestones(config, lines);
  const get = (name: string): Seen & { startedAt: number; bootSeconds: number } => {
    const s = seen.get(name)!;
    if (s.startedAt === undefined || s.bootSeconds === undefined) {
      throw new Error(`umlenv up printed no "[${name}] Started in" line`);
    }
    return { ...s, startedAt: s.startedAt, bootSeconds: s.bootSeconds };
  };
  const spec = (name: string) => config.machines.find((m) => m.name === name)!;
  const depsAt = (name: string): number =>
    Math.max(0, ...spec(name).dependsOn.map((d) => reached(d.machine, d.condition)));
  const readyAt = (name: string) => Math.max(get(name).lastAt, depsAt(name));
  const reached = (name: string, condition: Condition): number => {
    const s = get(name);
    if (condition === 'started') return s.startedAt;
    if (condition === 'completed') return s.scriptAt ?? Math.max(s.startedAt, depsAt(name));
    return readyAt(name);
  };
  return Object.fromEntries(
    config.machines.map((m) => {
      const { bootSeconds, bootScriptSeconds, healthySeconds } = get(m.name);
      const ready = {
        bootSeconds,
        bootScriptSeconds,
        healthySeconds,
        readyAtSeconds: readyAt(m.name),
      };
      return [m.name, ready];
    }),
  );
}

/** Medians over the runs, per machine and per milestone. */
export function summarizeExampleUps(runs: ExampleUp[]): ExampleUpSummary {
  const names = Object.keys(runs[0].machines);
  const mid = (pick: (r: ExampleUp) => number | undefined) => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length ? median(values) : undefined;
  };
  const machine = (n: string): MachineReadiness => ({
    bootSeconds: mid((r) => r.machines[n].bootSeconds)!,
    bootScriptSeconds: mid((r) => r.machines[n].bootScriptSeconds),
    healthySeconds: mid((r) => r.machines[n].healthySeconds),
    readyAtSeconds: mid((r) => r.machines[n].readyAtSeconds)!,
  });
  return {
    upSeconds: median(runs.map((r) => r.upSeconds)),
    downSeconds: median(runs.map((r) => r.downSeconds)),
    machines: Object.fromEntries(names.map((n) => [n, machine(n)])),
    runs,
  };
}
