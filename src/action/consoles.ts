import { open } from 'node:fs/promises';
import { request } from '../environment/control.js';
import type { EnvState } from '../environment/state.js';
import type { MachineStatus } from '../environment/supervisor.js';
import { isAlive } from '../host/process.js';

/** A machine whose console the post step shows, and why. */
export interface FailedMachine {
  name: string;
  reason: string;
  consoleLog: string;
}

/**
 * The machines of an environment that are not running, asked of its supervisor; when the
 * supervisor is gone, every machine. Call it before teardown removes the console logs.
 */
export async function failedMachines(state: EnvState): Promise<FailedMachine[]> {
  const all = (reason: string) =>
    state.machines.map((m) => ({ name: m.name, reason, consoleLog: m.consoleLog }));
  if (!(await isAlive(state.owner))) return all('its supervisor is gone');
  let status: { machines: MachineStatus[] } | undefined;
  try {
    [status] = await withTimeout(request(state.dir, { op: 'status' }), 5000);
  } catch {
    // an unanswered status is handled below as no answer
  }
  if (!status) return all('its supervisor does not answer');
  const reasons = { starting: 'it never finished booting', stopped: 'it stopped' };
  return status.machines.flatMap((m) =>
    m.state === 'running'
      ? []
      : [
          {
            name: m.name,
            reason: reasons[m.state],
            consoleLog: state.machines.find((p) => p.name === m.name)!.consoleLog,
          },
        ],
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The end of a console log, at most maxBytes of it, saying when the start was left out. */
export async function consoleText(file: string, maxBytes = 64 * 1024): Promise<string> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await fh.read(buffer, 0, length, size - length);
      const head = size > length ? `(the first ${size - length} bytes are left out)\n` : '';
      return head + (buffer.toString('utf8') || '(the console log is empty)');
    } finally {
      await fh.close();
    }
  } catch {
    return '(no console log: the machine never started)';
  }
}
