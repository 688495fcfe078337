import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type Options, type Result, type ResultPromise } from 'execa';
import { findByArgument, sleep } from '../src/host/process.js';
import { cliEntry } from '../src/paths.js';

type Cleanup = () => Promise<void>;

const pending = new Set<Cleanup>();

// Wraps a cleanup so the normal path and an interrupt can both call it and it runs once.
function once(fn: Cleanup): Cleanup {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

/** Runs fn, then cleanup in every case; an interrupted bench runs the pending ones too. */
export async function withCleanup<T>(cleanup: Cleanup, fn: () => Promise<T>): Promise<T> {
  const guarded = once(cleanup);
  pending.add(guarded);
  try {
    return await fn();
  } finally {
    await guarded();
    pending.delete(guarded);
  }
}

/** Runs every pending cleanup, newest first, for SIGINT and SIGTERM. */
export async function cleanUpPending(): Promise<void> {
  for (const cleanup of [...pending].reverse()) await cleanup().catch(() => {});
}

/** A private directory under TMPDIR for one step, unmounted and removed afterwards. */
export async function withTempDir<T>(label: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `umlenv-bench-${label}-`));
  return withCleanup(
    () => removeTree(dir),
    () => fn(dir),
  );
}

// Bootstrap tools mount proc and friends in their target; a failed run can leave them there.
async function removeTree(dir: string): Promise<void> {
  for (const mount of await mountsUnder(dir)) {
    await execa('umount', ['-l', mount], { reject: false });
  }
  await rm(dir, { recursive: true, force: true });
}

async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((line) =>
      line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))),
    )
    .filter((mount): mount is string => mount !== undefined && mount.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** SIGKILLs the processes whose command line carries marker (a path only this bench made). */
export async function killByArgument(marker: string): Promise<number[]> {
  const pids = await findByArgument(marker);
  for (const pid of pids) killQuietly(pid);
  return pids;
}

/** Sends SIGKILL to a pid or, negative, a process group that may already be gone. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

let namespace: string | undefined;

/**
 * Runs fn with a network namespace made for it and deleted after: umlenv calls given
 * `hostLink: true` run there, so an example's tap device and firewall and NAT rules never
 * touch this host's network. Everything else (image builds fetch from the Debian mirror)
 * stays outside.
 */
export async function withNamespace<T>(fn: () => Promise<T>): Promise<T> {
  const name = `umlenv-bench-${process.pid}`;
  await execa('ip', ['netns', 'add', name]);
  const remove = async () => {
    namespace = undefined;
    await execa('ip', ['netns', 'delete', name]).catch(() => {});
  };
  return withCleanup(remove, async () => {
    await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    namespace = name;
    return fn();
  });
}

export type UmlenvOptions = Options & { hostLink?: boolean };

// The CLI's command line, inside the bench's namespace for a call that links to the host.
function command(args: string[], hostLink: boolean | undefined): [string, string[]] {
  const cli = [process.execPath, cliEntry(), ...args];
  if (!hostLink) return [cli[0], cli.slice(1)];
  if (!namespace) throw new Error(`umlenv ${args[0]} links to the host: run it in withNamespace()`);
  return ['ip', ['netns', 'exec', namespace, ...cli]];
}

/** Runs the built umlenv CLI, the way a CI job does, and fails with its stderr when it fails. */
export async function umlenv(args: string[], options: UmlenvOptions = {}): Promise<Result> {
  const { hostLink, ...rest } = options;
  const result = await execa(...command(args, hostLink), {
    stdin: 'ignore',
    reject: false,
    ...rest,
  });
  if (result.exitCode !== 0) failed(args, result, String(result.stderr ?? '').split('\n'));
  return result;
}

/** A line the CLI printed on stderr, with the seconds since it was started. */
export interface TimedLine {
  at: number;
  text: string;
}

/** Runs the built CLI like umlenv() and keeps when each stderr line arrived, for milestones. */
export async function umlenvLines(
  args: string[],
  options: Options = {},
): Promise<{ result: Result; lines: TimedLine[] }> {
  const lines: TimedLine[] = [];
  let pending = '';
  const t0 = performance.now();
  const child = execa(process.execPath, [cliEntry(), ...args], {
    stdin: 'ignore',
    reject: false,
    ...options,
    buffer: { stderr: false },
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    const at = (performance.now() - t0) / 1000;
    const parts = (pending + chunk.toString()).split('\n');
    pending = parts.pop()!;
    for (const text of parts) lines.push({ at, text });
  });
  const result = await withCleanup(
    () => interrupt(child),
    () => child,
  );
  if (pending) lines.push({ at: (performance.now() - t0) / 1000, text: pending });
  const stderr = lines.map((l) => l.text);
  if (result.exitCode !== 0) failed(args, result, stderr);
  return { result, lines };
}

// An interrupted bench stops the CLI first, so that `up` undoes its own work before `down` runs.
async function interrupt(child: ResultPromise): Promise<void> {
  if (isRunning(child)) child.kill('SIGTERM');
  await Promise.race([child, sleep(15_000)]);
  if (isRunning(child) && child.pid) killQuietly(child.pid);
  await child;
}

function isRunning(child: ResultPromise): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function failed(args: string[], result: Result, stderr: string[]): never {
  const tail = stderr.slice(-15).join('\n');
  throw new Error(`umlenv ${args[0]} exited with ${result.exitCode ?? result.signal}:\n${tail}`);
}

/**
 * Runs a host command to its end, failing with its last lines; an interrupted bench kills it
 * before the directories it writes to are removed.
 */
export async function runTool([cmd, args]: [string, string[]]): Promise<void> {
  const child = execa(cmd, args, {
    all: true,
    reject: false,
    stdin: 'ignore',
    env: { LC_ALL: 'C.UTF-8' },
  });
  const stop = async () => {
    if (isRunning(child) && child.pid) killQuietly(child.pid);
    await child;
  };
  const result = await withCleanup(stop, () => child);
  if (result.exitCode !== 0) {
    const tail = String(result.all ?? '')
      .split('\n')
      .slice(-10)
      .join('\n');
    const name = cmd === 'bwrap' ? (args[args.indexOf('--') + 1] ?? cmd) : cmd;
    throw new Error(`${name} exited with ${result.exitCode ?? result.signal}:\n${tail}`);
  }
}

/** Times fn in seconds of wall clock. */
export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [(performance.now() - t0) / 1000, value];
}

/** The median, which one slow outlier run does not move. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Progress for the person waiting; stderr, so stdout carries only the table or JSON. */
export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Whether dist/cli.js is older than some source file, so the numbers would describe old code. */
export async function distIsStale(srcDir: string): Promise<boolean> {
  const built = (await stat(cliEntry())).mtimeMs;
  const files = await readdir(srcDir, { recursive: true });
  for (const file of files.filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    if ((await stat(path.join(srcDir, file))).mtimeMs > built) return true;
  }
  return false;
}

/** The kernel a bare boot runs: UMLENV_KERNEL when it names a file, else Debian's stock one. */
export function bareKernel(): string {
  const choice = process.env.UMLENV_KERNEL;
  return choice && choice !== 'stock' && choice !== 'minimal' ? choice : 'linux.uml';
}
