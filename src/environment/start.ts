import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, UmlenvError } from '../errors.js';
import { fixedLayoutAllowed, jailedGuest, programFiles, type Bind } from '../host/jail.js';
import { seconds, type Logger } from '../log/logger.js';
import { loopsPerJiffy } from '../machine/cmdline.js';
import { Machine } from '../machine/machine.js';
import { parseSubnet } from '../network/ipv4.js';
import { publishPort, type PublishedPort } from '../network/ports.js';
import { startUmlSwitch, type VirtualSwitch } from '../network/switch.js';
import { provision, type Services } from './provision.js';
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

/**
 * The start-up steps, in order: host link (tap, firewall, forwarding), switch, every
 * machine in parallel, published ports. Each step records its undo before it acts;
 * on failure the caller runs the undos.
 */
export async function startEnvironment(writer: StateWriter, log: Logger): Promise<Started> {
  const state = writer.state;
  const net = state.network;
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    log.debug(`Starting ${name}…`);
    const result = await fn();
    log.info(`Started ${name} in ${seconds(Date.now() - t0)}`);
    return result;
  };

  if (net.tap) {
    const { applyRules, firewallRules, ruleTag } = await import('../network/firewall.js');
    const { createTap, useForwarding } = await import('../network/hostlink.js');
    const tap = net.tap;
    const subnet = parseSubnet(net.subnet)!;
    await writer.record({ kind: 'tap', what: `tap device ${tap}`, name: tap });
    await step(`host link ${tap} (${net.gateway}/${subnet.prefix})`, () =>
      createTap(tap, `${net.gateway}/${subnet.prefix}`),
    );
    await writer.record({ kind: 'firewall', what: 'firewall rules', tag: ruleTag(state.id) });
    await step(net.nat ? 'firewall rules and NAT' : 'firewall rules', () =>
      applyRules(ruleTag(state.id), firewallRules(tap, subnet, net.nat)),
    );
    if (net.nat) {
      await writer.record({ kind: 'forwarding', what: 'IPv4 forwarding', env: state.id });
      await useForwarding(state.id);
    }
  }

  // The socket path marks the switch's processes, for a teardown that finds no pid.
  const socket = path.join(state.dir, 'switch.sock');
  const switchUndo = { kind: 'process' as const, what: 'switch', marker: socket };
  await writer.record(switchUndo);
  const sw: VirtualSwitch = await step('switch', () =>
    startUmlSwitch(socket, net.tap, (ref) =>
      writer.update(() => void Object.assign(switchUndo, { ref })),
    ),
  );

  const hosts = state.machines.map((m) => [m.name, m.address.split('/')[0]] as [string, string]);
  const [kernelFiles, cpuinfo, fixedLayout] = await Promise.all([
    programFiles(state.kernel),
    readFile('/proc/cpuinfo', 'utf8').catch(() => ''),
    fixedLayoutAllowed(),
  ]);
  const lpj = loopsPerJiffy(cpuinfo);
  if (!fixedLayout)
    log.warn(
      'setarch -R is not permitted here (a seccomp policy?): guests run with a randomized layout and may use up to 16 MiB more host memory each',
    );
  const memoryDir = process.env.TMPDIR;
  const machines = new Map<string, Machine>();
  const ports: PublishedPort[] = [];
  let services: Services | undefined;
  const stop = async () => {
    services?.stopping();
    await Promise.all(ports.map((p) => p.close()));
    await Promise.all([...machines.values()].map((m) => m.stop(TIMING.graceMs)));
    await sw.stop();
  };
  const results = await Promise.allSettled(
    state.machines.map(async (plan) => {
      const mlog = log.child(plan.name);
      const undo = {
        kind: 'process' as const,
        what: `machine ${plan.name}`,
        marker: `uml_dir=${plan.umlDir}`,
      };
      await writer.record(undo);
      mlog.info(`Starting machine at ${plan.address}…`);
      const binds: Bind[] = [
        ...kernelFiles.map((f) => ({ path: f, readonly: true })),
        { path: plan.imageFile, readonly: true },
        { path: path.dirname(plan.overlay), readonly: false },
        { path: plan.umlDir, readonly: false },
        { path: sw.socket, readonly: false },
        ...plan.shares.map((s) => ({ path: s.host, readonly: s.readonly })),
      ];
      const machine = await Machine.boot(plan, {
        host: { switchSocket: sw.socket, loopsPerJiffy: lpj },
        guest: {
          hostname: plan.name,
          address: plan.address,
          gateway: net.nat ? net.gateway : undefined,
          nameservers: net.nat ? net.nameservers : undefined,
          hosts,
          shares: plan.shares,
        },
        log: mlog,
        stallMs: TIMING.stallMs,
        timeoutMs: TIMING.bootTimeoutMs,
        attempts: TIMING.attempts,
        command: (args) =>
          jailedGuest(state.kernel, args, binds, { cpu: plan.cpu, memoryDir, fixedLayout }),
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
  if (
    state.machines.some((m) => m.boot || m.services.length || m.healthcheck || m.dependsOn.length)
  ) {
    const t0 = Date.now();
    services = await provision(machines, state.machines, log);
    log.info(`Provisioned every machine in ${seconds(Date.now() - t0)}`);
  }
  for (const plan of state.machines) {
    for (const p of plan.ports) {
      const guest = plan.address.split('/')[0];
      ports.push(
        await step(`port ${p.hostAddress}:${p.hostPort} → ${plan.name}:${p.guestPort}`, () =>
          publishPort(p, guest, plan.name),
        ),
      );
    }
  }
  return { machines, stop };
}
