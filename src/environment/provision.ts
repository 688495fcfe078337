import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Condition } from '../config/spec.js';
import { UmlenvError } from '../errors.js';
import { sleep } from '../host/process.js';
import { seconds, type Logger } from '../log/logger.js';
import type { MachinePlan } from '../machine/cmdline.js';
import type { ExecRequest } from '../machine/frame.js';
import type { Machine } from '../machine/machine.js';

export interface GuestRun {
  code: number;
  /** The last lines the command printed, stdout and stderr together. */
  tail: string;
}

// Runs a command in a guest to its end (or kills it after timeoutMs), keeping its last lines.
export function runInGuest(
  machine: Machine,
  request: ExecRequest,
  options: { timeoutMs?: number; sink?: WriteStream } = {},
): Promise<GuestRun> {
  return new Promise((resolve) => {
    let tail = '';
    const keep = (d: Buffer) => {
      options.sink?.write(d);
      tail = (tail + d.toString()).slice(-4000);
    };
    let timer: NodeJS.Timeout | undefined;
    const control = machine.agent.exec(request, {
      stdout: keep,
      stderr: keep,
      exit: (code) => {
        clearTimeout(timer);
        resolve({ code, tail: tail.split('\n').filter(Boolean).slice(-15).join('\n') });
      },
    });
    control.endStdin();
    if (options.timeoutMs) timer = setTimeout(() => control.signal(9), options.timeoutMs);
  });
}

/** Without a health check, services that survive this long count as started. */
const SERVICE_SETTLE_MS = 300;

/** A machine's progress through provisioning, for depends_on to wait on. */
class Progress {
  private readonly waits = new Map<
    Condition,
    { promise: Promise<void>; resolve(): void; reject(e: Error): void }
  >();

  constructor() {
    for (const c of ['started', 'completed', 'healthy'] as Condition[]) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => ([resolve, reject] = [res, rej]));
      promise.catch(() => {});
      this.waits.set(c, { promise, resolve, reject });
    }
  }

  reached(c: Condition): void {
    this.waits.get(c)!.resolve();
  }

  failed(error: Error): void {
    for (const w of this.waits.values()) w.reject(error);
  }

  when(c: Condition): Promise<void> {
    return this.waits.get(c)!.promise;
  }
}

/** The running services of an environment, so teardown can tell an expected exit from a crash. */
export interface Services {
  stopping(): void;
}

/**
 * Brings booted machines to ready: each waits for what it depends on, runs its boot
 * script, starts its services and passes its health check. Fails with the machine,
 * the step and its last output.
 */
export async function provision(
  machines: Map<string, Machine>,
  plans: MachinePlan[],
  log: Logger,
): Promise<Services> {
  const progress = new Map(plans.map((p) => [p.name, new Progress()]));
  let stopping = false;
  const one = async (plan: MachinePlan) => {
    const machine = machines.get(plan.name)!;
    const mlog = log.child(plan.name);
    const mine = progress.get(plan.name)!;
    const since = Date.now();
    mine.reached('started');
    for (const d of plan.dependsOn) {
      mlog.debug(`waiting for ${d.machine} to be ${d.condition}`);
      await progress
        .get(d.machine)!
        .when(d.condition)
        .catch(() => {
          throw new UmlenvError(
            `machine ${plan.name} cannot start: it depends on ${d.machine}, which failed`,
            'see the error of that machine',
          );
        });
    }
    if (plan.boot) {
      const t0 = Date.now();
      mlog.info('Running boot script…');
      const sink = createWriteStream(plan.consoleLog, { flags: 'a' });
      const run = await runInGuest(machine, { argv: ['sh', '-e', '-c', plan.boot] }, { sink });
      sink.end();
      if (run.code !== 0) {
        throw new UmlenvError(
          `machine ${plan.name}: its boot script failed with exit code ${run.code}. Last output:\n${run.tail}`,
          `fix machines.${plan.name}.boot; its whole output is in: umlenv logs ${plan.name}`,
        );
      }
      mlog.info(`Ran boot script in ${seconds(Date.now() - t0)}`);
    }
    mine.reached('completed');
    const services = await startServices(machine, plan, mlog, () => stopping);
    if (plan.healthcheck) await Promise.race([waitHealthy(machine, plan, mlog), services.crashed]);
    else if (plan.services.length) await Promise.race([sleep(SERVICE_SETTLE_MS), services.crashed]);
    services.ready();
    mine.reached('healthy');
    mlog.info(`Ready in ${seconds(Date.now() - since)} after boot`);
  };
  const results = await Promise.allSettled(
    plans.map((p) =>
      one(p).catch((error: Error) => {
        progress.get(p.name)!.failed(error);
        throw error;
      }),
    ),
  );
  const failed = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => r.reason as Error);
  // A machine that only failed because what it waited for failed is not news: report the cause.
  const causes = failed.filter((e) => !/which failed$/.test(e.message));
  if (failed.length) {
    stopping = true;
    throw causes[0] ?? failed[0];
  }
  return { stopping: () => void (stopping = true) };
}

/**
 * Starts a machine's services with their output in one log file each. Until ready() is
 * called, a service that ends rejects `crashed` with its last lines; after, it is a warning.
 */
async function startServices(
  machine: Machine,
  plan: MachinePlan,
  log: Logger,
  stopping: () => boolean,
) {
  let ready = false;
  let fail!: (error: Error) => void;
  const crashed = new Promise<never>((_, reject) => (fail = reject));
  crashed.catch(() => {});
  if (plan.services.length) await mkdir(plan.serviceLogDir, { recursive: true });
  for (const s of plan.services) {
    const sink = createWriteStream(path.join(plan.serviceLogDir, `${s.name}.log`), { flags: 'a' });
    let tail = '';
    const keep = (d: Buffer) => {
      sink.write(d);
      tail = (tail + d.toString()).slice(-2000);
    };
    const control = machine.agent.exec(
      { argv: s.argv, env: s.env, cwd: s.workdir, user: s.user },
      {
        stdout: keep,
        stderr: keep,
        exit: (code) => {
          sink.end(`\n[umlenv] service ${s.name} exited with code ${code}\n`);
          if (stopping()) return;
          const how = `its output: umlenv logs ${plan.name} --service ${s.name}`;
          if (ready) return log.warn(`service ${s.name} exited with code ${code}; ${how}`);
          const last = tail.split('\n').filter(Boolean).slice(-10).join('\n') || '(no output)';
          fail(
            new UmlenvError(
              `machine ${plan.name}: service ${s.name} exited with code ${code} before the machine was ready. Last output:\n${last}`,
              `see ${how}`,
            ),
          );
        },
      },
    );
    control.endStdin();
    log.info(`Started service ${s.name}`);
  }
  return { crashed, ready: () => void (ready = true) };
}

async function waitHealthy(machine: Machine, plan: MachinePlan, log: Logger): Promise<void> {
  const check = plan.healthcheck!;
  const t0 = Date.now();
  let last: GuestRun = { code: -1, tail: '' };
  for (let attempt = 1; attempt <= check.retries; attempt++) {
    last = await runInGuest(machine, { argv: check.argv }, { timeoutMs: check.timeoutMs });
    if (last.code === 0) {
      log.info(`Healthy in ${seconds(Date.now() - t0)} (${check.label})`);
      return;
    }
    log.debug(`health check ${attempt}/${check.retries} exited with ${last.code}`);
    await sleep(check.intervalMs);
  }
  throw new UmlenvError(
    `machine ${plan.name} did not become healthy: its health check "${check.label}" failed ${check.retries} times over ${seconds(Date.now() - t0)}; last exit code ${last.code}, last output:\n${last.tail || '(none)'}`,
    `check its services (umlenv logs ${plan.name} --service NAME), or give it more time with healthcheck.retries and interval`,
  );
}
