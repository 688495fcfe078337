import type { ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';

/** A process named by pid and start time, so a reused pid is never mistaken for it. */
export interface ProcessRef {
  pid: number;
  startTime: string;
}

export async function processRef(pid: number): Promise<ProcessRef | undefined> {
  const stat = await readStat(pid);
  return stat && { pid, startTime: stat.startTime };
}

/**
 * The ref of a process just spawned, once it runs; undefined when it could not start.
 * A child that exits at once is gone before /proc can be read: it is still named.
 */
export function spawnedRef(child: ChildProcess): Promise<ProcessRef | undefined> {
  return new Promise((resolve) => {
    child.once('spawn', () =>
      resolve(processRef(child.pid!).then((r) => r ?? { pid: child.pid!, startTime: 'exited' })),
    );
    child.once('error', () => resolve(undefined));
  });
}

export async function isAlive(ref: ProcessRef | undefined): Promise<boolean> {
  if (!ref) return false;
  const state = await readStat(ref.pid);
  return state !== undefined && state.startTime === ref.startTime && state.state !== 'Z';
}

// State and start time (fields 3 and 22 of /proc/PID/stat), or undefined when it is gone.
async function readStat(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], startTime: fields[19] };
  } catch {
    return undefined;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

// Kills a recorded process (and its group when it leads one) if it is still the same process.
export async function killRef(ref: ProcessRef, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!(await isAlive(ref))) return;
  signal(-ref.pid, sig) || signal(ref.pid, sig);
}

export async function waitGone(ref: ProcessRef, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!(await isAlive(ref))) return true;
    await sleep(10);
  }
  return !(await isAlive(ref));
}

// Pids whose command line carries marker, such as a guest's uml_dir= argument.
export async function findByArgument(marker: string): Promise<number[]> {
  return (await findByArguments([marker])).get(marker) ?? [];
}

/** Per marker, the pids whose command line carries it: one pass over /proc for all. */
export async function findByArguments(markers: string[]): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>(markers.map((m) => [m, []]));
  const entries = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
  await Promise.all(
    entries.map(async (entry) => {
      let args: string[];
      try {
        args = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      } catch {
        return; // gone while we looked
      }
      for (const marker of new Set(args)) found.get(marker)?.push(Number(entry));
    }),
  );
  return found;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
