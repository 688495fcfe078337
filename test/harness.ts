/**
 * Helpers for the integration tests: they run the real CLI (dist/cli.js) as a CI job
 * would, and look at the host from outside (/proc, /proc/net/unix, the state directory)
 * to tell what an environment left behind.
 */
import { execa, execaSync } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { stringify } from 'yaml';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
export const FIXTURES = path.join(REPO, 'test', 'fixtures');
export const EXAMPLE = path.join(REPO, 'examples', 'three-machines', 'umlenv.yml');

/** Where the CLI keeps environments (the same rule as src/paths.ts for root). */
export const STATE_DIR = path.resolve(process.env.UMLENV_STATE_DIR ?? '/var/lib/umlenv');
/** When set, umlenv runs inside this network namespace (a test-made CI box). */
export const NETNS = process.env.UMLENV_TEST_NETNS;
export const ENVS_DIR = path.join(STATE_DIR, 'envs');

/** The image every test config uses: the example's, so one cached build serves all files. */
export const IMAGES = { base: { packages: ['iputils-ping'] } };

export const isRoot = process.getuid?.() === 0;

/**
 * A describe block for tests that need root (UML guests in bwrap jails, /var/lib/umlenv):
 * without it the block is skipped and its name says why.
 */
export function describeAsRoot(name: string, fn: () => void): void {
  if (!isRoot) console.warn(`skipping "${name}": needs root (umlenv runs guests as root)`);
  describe.skipIf(!isRoot)(isRoot ? name : `${name} (skipped: needs root)`, fn);
}

// The tests run dist/cli.js: say so when src/ or guest/ changed after it was built.
function warnIfStale(): void {
  if (!existsSync(CLI)) {
    console.warn(`${CLI} is missing: run node build.mjs first`);
    return;
  }
  const built = statSync(CLI).mtimeMs;
  const newer = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return newer(p);
      return !e.name.endsWith('.test.ts') && statSync(p).mtimeMs > built + 1000 ? [p] : [];
    });
  const stale = [...newer(path.join(REPO, 'src')), ...newer(path.join(REPO, 'guest'))];
  if (stale.length) {
    console.warn(
      `dist/cli.js is older than ${path.relative(REPO, stale[0])}` +
        `${stale.length > 1 ? ` and ${stale.length - 1} more` : ''}: run node build.mjs`,
    );
  }
}
warnIfStale();

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout exactly as received, for binary output. */
  stdoutBytes: Buffer;
  /** True when the command was killed for running longer than timeoutMs. */
  timedOut: boolean;
  durationMs: number;
  /** The command line, for assertion messages. */
  command: string;
}

export interface RunOptions {
  /** Extra environment variables; undefined removes one. */
  env?: Record<string, string | undefined>;
  /** Fed to stdin; without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Throw when the exit code is not 0 (default false: the tests assert exit codes). */
  reject?: boolean;
  /** Killed with SIGKILL after this long (the CLI forwards SIGTERM to the guest). */
  timeoutMs?: number;
  cwd?: string;
}

/** Runs the umlenv CLI and collects its exit code and output; never hangs past timeoutMs. */
export async function umlenv(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const t0 = Date.now();
  const [cmd, argv] = NETNS
    ? ['ip', ['netns', 'exec', NETNS, process.execPath, CLI, ...args]]
    : [process.execPath, [CLI, ...args]];
  const r = await execa(cmd, argv, {
    env: options.env,
    extendEnv: true,
    cwd: options.cwd ?? os.tmpdir(),
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    encoding: 'buffer',
    stripFinalNewline: false,
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    killSignal: 'SIGKILL',
  });
  const stdoutBytes = Buffer.from(r.stdout ?? new Uint8Array());
  const result: RunResult = {
    exitCode: r.exitCode ?? (r.signal ? 128 : -1),
    stdout: stdoutBytes.toString('utf8'),
    stderr: Buffer.from(r.stderr ?? new Uint8Array()).toString('utf8'),
    stdoutBytes,
    timedOut: r.timedOut,
    durationMs: Date.now() - t0,
    command: `umlenv ${args.join(' ')}`,
  };
  if (options.reject && result.exitCode !== 0) throw new Error(describeRun(result));
  return result;
}

/** A run, summarised for assertion messages. */
export function describeRun(r: RunResult): string {
  const status = r.timedOut ? `was killed after ${r.durationMs} ms` : `exited ${r.exitCode}`;
  return `${r.command} ${status}\n--- stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

/** Runs a command in a machine: umlenv exec --env ID MACHINE -- ARGV. */
export function execIn(
  id: string,
  machine: string,
  argv: string[],
  options: RunOptions & { flags?: string[] } = {},
): Promise<RunResult> {
  return umlenv(['exec', '--env', id, ...(options.flags ?? []), machine, '--', ...argv], {
    timeoutMs: 60_000,
    ...options,
  });
}

const tempDirs: string[] = [];

/** Writes a config (an object, or YAML text as is) to umlenv.yml in a new temporary folder. */
export async function writeConfig(config: object | string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'umlenv-test-'));
  tempDirs.push(dir);
  const file = path.join(dir, 'umlenv.yml');
  await writeFile(file, typeof config === 'string' ? config : stringify(config));
  return file;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

export function envDir(id: string): string {
  return path.join(ENVS_DIR, id);
}

/** The environment's state file as the CLI wrote it. */
export function readState(id: string): {
  owner: { pid: number };
  machines: { name: string; overlay: string; umlDir?: string }[];
} {
  return JSON.parse(readFileSync(path.join(envDir(id), 'state.json'), 'utf8'));
}

export interface HostProcess {
  pid: number;
  args: string;
}

// Every process but this one whose raw command line (NUL-separated) passes the test.
function scanProcesses(test: (cmdline: string) => boolean): HostProcess[] {
  const found: HostProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let raw: string;
    try {
      raw = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // gone while we looked
    }
    if (test(raw))
      found.push({ pid: Number(entry), args: raw.replace(/\0+$/, '').replace(/\0/g, ' ') });
  }
  return found;
}

/** Every process whose command line contains one of the markers (not this test process). */
export function processesMentioning(...markers: string[]): HostProcess[] {
  return scanProcesses((raw) => markers.some((m) => raw.includes(m)));
}

/** Processes that name the folder itself or something inside it, such as uml_dir=DIR/u/0. */
export function processesUnder(dir: string): HostProcess[] {
  const inside = new RegExp(`${escapeRegExp(dir)}(?=[/,\\0]|$)`);
  return scanProcesses((raw) => inside.test(raw));
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Paths of the unix sockets the kernel still holds under dir (bound, even if unlinked). */
export function unixSocketsUnder(dir: string): string[] {
  // Unix sockets belong to a network namespace: read the one the tests run umlenv in.
  const table = NETNS
    ? execaSync('ip', ['netns', 'exec', NETNS, 'cat', '/proc/net/unix']).stdout
    : readFileSync('/proc/net/unix', 'utf8');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/)[7])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)));
}

export interface Leftovers {
  /** Supervisor, switch, jails, kernels and UML helpers: whatever names the env folder. */
  processes: HostProcess[];
  dirExists: boolean;
  sockets: string[];
}

/** Everything of an environment still present on the host. */
export function leftovers(id: string): Leftovers {
  const dir = envDir(id);
  return {
    processes: processesUnder(dir),
    dirExists: existsSync(dir),
    sockets: unixSocketsUnder(dir),
  };
}

/** The entries of the environments folder, for "nothing half-made" checks. */
export function snapshotEnvs(): string[] {
  try {
    return readdirSync(ENVS_DIR).sort();
  } catch {
    return [];
  }
}

/** Polls fn until it returns a value other than undefined; fails naming what it waited for. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms: number,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls fn until it returns a truthy value or the deadline passes; returns the last value. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value || Date.now() >= end) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A fresh environment id: test-LABEL-RANDOM. */
export function uniqueId(label: string): string {
  return `test-${label}-${randomBytes(3).toString('hex')}`;
}

/**
 * The environment ids a test scope created, so an afterEach/afterAll can tear them down
 * whatever happened: `down` first, then, if anything of one is still there, its
 * processes are killed by pid and its folder removed (and a warning says so).
 */
export class Envs {
  private ids = new Set<string>();

  id(label: string): string {
    const id = uniqueId(label);
    this.ids.add(id);
    return id;
  }

  async cleanup(): Promise<void> {
    const ids = [...this.ids];
    this.ids.clear();
    for (const id of ids) {
      const before = leftovers(id);
      if (!before.dirExists && !before.processes.length) continue; // never came up
      const r = await umlenv(['down', '--env', id], { timeoutMs: 60_000 });
      if (r.exitCode !== 0) console.warn(`cleanup: ${describeRun(r)}`);
      const left = leftovers(id);
      if (left.processes.length || left.dirExists) {
        console.warn(`cleanup: ${id} left ${JSON.stringify(left)} after down; removing it`);
        for (const p of left.processes) {
          try {
            process.kill(p.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await rm(envDir(id), { recursive: true, force: true });
      }
    }
  }
}

/** Brings an environment up from a config object or a config file's path; throws with the CLI's output on failure. */
export async function up(
  id: string,
  config: object | string,
  options: RunOptions = {},
): Promise<RunResult> {
  const file = typeof config === 'string' ? config : await writeConfig(config);
  const r = await umlenv(['up', '-f', file, '--env', id], { timeoutMs: 280_000, ...options });
  if (r.exitCode !== 0) throw new Error(`environment ${id} did not come up: ${describeRun(r)}`);
  return r;
}
