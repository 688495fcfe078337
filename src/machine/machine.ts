import { spawn, type ChildProcess } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { UmlenvError } from '../errors.js';
import { seconds, type Logger } from '../log/logger.js';
import { spawnedRef, sleep, waitGone, killRef, type ProcessRef } from '../host/process.js';
import { AgentChannel, type GuestConfig } from './agent.js';
import { kernelArgs, type HostSide, type MachinePlan } from './cmdline.js';
import { consoleSize, consoleTail } from './console.js';

export interface BootOptions {
  host: HostSide;
  guest: GuestConfig;
  log: Logger;
  /** A boot that prints nothing for this long before its agent answers is retried. */
  stallMs: number;
  /** The longest a boot may take, retries included. */
  timeoutMs: number;
  attempts: number;
  /** Wraps the kernel command line into the command that runs it (pinned and jailed). */
  command(kernelArgs: string[]): [string, string[]];
  /** Called with the process before it can do anything, so teardown can find it. */
  onProcess(ref: ProcessRef): Promise<void>;
}

type BootOutcome =
  | { kind: 'ready' }
  | { kind: 'misconfigured'; message: string }
  | { kind: 'exited'; code: number | null }
  | { kind: 'stalled' }
  | { kind: 'timeout' };

/** A booted machine: its process, its agent line and how to stop it. */
export class Machine {
  private constructor(
    readonly plan: MachinePlan,
    readonly child: ChildProcess,
    readonly ref: ProcessRef,
    readonly agent: AgentChannel,
    readonly bootMs: number,
  ) {}

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async boot(plan: MachinePlan, options: BootOptions): Promise<Machine> {
    const { log } = options;
    const started = Date.now();
    const deadline = started + options.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const { child, ref, agent, outcome } = await Machine.attempt(plan, options, deadline);
      if (outcome.kind === 'ready') {
        const ms = Date.now() - started;
        log.info(`Started in ${seconds(ms)}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
        return new Machine(plan, child, ref, agent, ms);
      }
      await killRef(ref);
      await waitGone(ref, 2000);
      const tail = await consoleTail(plan.consoleLog);
      if (outcome.kind === 'stalled' && attempt < options.attempts && Date.now() < deadline) {
        log.warn(
          `boot stalled: no console output for ${seconds(options.stallMs)}; killed it, retrying (attempt ${attempt + 1} of ${options.attempts})`,
        );
        continue;
      }
      const what =
        outcome.kind === 'misconfigured'
          ? outcome.message
          : outcome.kind === 'exited'
            ? `its kernel exited (status ${outcome.code}) before the agent answered`
            : outcome.kind === 'stalled'
              ? `its boot stalled ${attempt} times (no console output for ${seconds(options.stallMs)})`
              : `it was not ready after ${seconds(options.timeoutMs)}`;
      throw new UmlenvError(
        `machine ${plan.name} did not start: ${what}. Last console lines:\n${tail}`,
        outcome.kind === 'stalled' || outcome.kind === 'timeout'
          ? 'a slow or overloaded host needs a longer watchdog: raise UMLENV_BOOT_STALL_MS or UMLENV_BOOT_TIMEOUT_MS'
          : 'the console lines above end the boot log; check the kernel (UMLENV_KERNEL) and the image',
      );
    }
  }

  private static async attempt(plan: MachinePlan, options: BootOptions, deadline: number) {
    await rm(plan.overlay, { force: true });
    const consoleFile = await open(plan.consoleLog, 'a');
    const [cmd, args] = options.command(kernelArgs(plan, options.host));
    const child = spawn(cmd, args, {
      stdio: ['ignore', consoleFile.fd, consoleFile.fd, 'pipe'],
      detached: true,
      env: { PATH: process.env.PATH, HOME: '/nonexistent' },
    });
    const spawned = await spawnedRef(child);
    await consoleFile.close();
    if (!spawned)
      throw new UmlenvError(
        `cannot start ${cmd} for machine ${plan.name}`,
        `check that ${cmd} is installed`,
      );
    await options.onProcess(spawned);
    const agent = new AgentChannel(child.stdio[3] as Duplex);
    const outcome = await Machine.watch(plan, options, child, agent, deadline);
    return { child, ref: spawned, agent, outcome };
  }

  // Waits for the agent's hello, watching the console so that a stalled boot is noticed.
  private static async watch(
    plan: MachinePlan,
    options: BootOptions,
    child: ChildProcess,
    agent: AgentChannel,
    deadline: number,
  ): Promise<BootOutcome> {
    let settled: BootOutcome | undefined;
    const exited = new Promise<BootOutcome>((r) =>
      child.once('exit', (code) => r({ kind: 'exited', code })),
    );
    const ready = agent.hello
      .then(() => agent.configure(options.guest))
      .then(
        (): BootOutcome => ({ kind: 'ready' }),
        (error: Error): BootOutcome => ({ kind: 'misconfigured', message: error.message }),
      );
    const watchdog = (async (): Promise<BootOutcome> => {
      let size = -1;
      let quietSince = Date.now();
      while (!settled) {
        await sleep(100);
        const now = Date.now();
        if (now > deadline) return { kind: 'timeout' };
        const s = await consoleSize(plan.consoleLog);
        if (s !== size) [size, quietSince] = [s, now];
        else if (now - quietSince > options.stallMs) return { kind: 'stalled' };
      }
      return settled;
    })();
    settled = await Promise.race([ready, exited, watchdog]);
    return settled;
  }

  /** Powers the guest off through its agent, then kills what is left after graceMs. */
  async stop(graceMs: number): Promise<void> {
    if (this.running && this.agent.isOpen) {
      this.agent.powerOff();
      if (await waitGone(this.ref, graceMs)) return;
    }
    await killRef(this.ref);
    await waitGone(this.ref, 2000);
  }
}
