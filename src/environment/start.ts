import os from 'node:os';
import path from 'node:path';
import { errorMessage, UmlenvError } from '../errors.js';
import { seconds, type Logger } from '../log/logger.js';
import { Machine } from '../machine/machine.js';
import { startUmlSwitch, type VirtualSwitch } from '../network/switch.js';
import type { StateWriter } from './state.js';

/** A running environment as its supervisor holds it. */
export interface Started {
  machines: Map<string, Machine>;
  stop(): Promise<void>;
}

export const TIMING = {
  stallMs: Number(process.env.UMLENV_BOOT_STALL_MS ?? 8000),
  bootTimeoutMs: Number(process.env.UMLENV_BOOT_TIMEOUT_MS ?? 120_000),
  attempts: 3,
  /** How long a guest gets to power itself off before it is killed. */
  graceMs: 1500,
};

export function umlDir(dir: string): string {
  return path.join(dir, 'uml');
}

/**
 * The start-up steps, in order: the switch, then every machine in parallel. Each
 * step records its undo in the state file before it acts.
 */
export async function startEnvironment(writer: StateWriter, log: Logger): Promise<Started> {
  const state = writer.state;
  const t0 = Date.now();
  const socket = path.join(state.dir, 'switch.sock');
  const switchUndo = { kind: 'process' as const, what: 'switch' };
  await writer.record(switchUndo);
  log.info('Starting switch…');
  const net: VirtualSwitch = await startUmlSwitch(socket, (ref) => writer.update(() => void Object.assign(switchUndo, { ref })));
  log.info(`Started switch in ${seconds(Date.now() - t0)}`);

  const hosts = state.machines.map((m) => [m.name, m.address.split('/')[0]] as [string, string]);
  const memoryDir = os.tmpdir();
  const machines = new Map<string, Machine>();
  const results = await Promise.allSettled(
    state.machines.map(async (plan) => {
      const mlog = log.child(plan.name);
      const undo = { kind: 'process' as const, what: `machine ${plan.name}`, marker: `uml_dir=${umlDir(state.dir)}` };
      await writer.record(undo);
      mlog.info(`Starting machine at ${plan.address}…`);
      const machine = await Machine.boot(plan, {
        host: { kernel: state.kernel, umlDir: umlDir(state.dir), switchSocket: net.socket },
        guest: { hostname: plan.name, address: plan.address, hosts },
        log: mlog,
        stallMs: TIMING.stallMs,
        timeoutMs: TIMING.bootTimeoutMs,
        attempts: TIMING.attempts,
        memoryDir,
        onProcess: (ref) => writer.update(() => void Object.assign(undo, { ref })),
      });
      machines.set(plan.name, machine);
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length) {
    const first = failed[0].reason;
    if (failed.length === 1) throw first;
    throw new UmlenvError(
      `${failed.length} machines did not start:\n${failed.map((f) => errorMessage(f.reason)).join('\n')}`,
      first instanceof UmlenvError ? first.hint : undefined,
    );
  }
  return {
    machines,
    async stop() {
      await Promise.all([...machines.values()].map((m) => m.stop(TIMING.graceMs)));
      await net.stop();
    },
  };
}
