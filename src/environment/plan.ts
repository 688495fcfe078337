import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/spec.js';
import { formatAddress, machineAddresses, parseSubnet, type Subnet } from '../network/ipv4.js';
import { macFor, type MachinePlan } from '../machine/cmdline.js';

/** The subnet of environments whose config says "auto" (they have no host link, so all may share it). */
export const DEFAULT_SUBNET: Subnet = parseSubnet('10.224.0.0/24')!;

/**
 * Fixes every machine's address, files and CPU before anything starts. With only, just those
 * machines are planned, at the addresses they have when the whole config starts.
 */
export function planMachines(
  config: Config,
  dir: string,
  subnet: Subnet,
  imageFiles: Record<string, string>,
  only?: Set<string>,
  cpus = os.availableParallelism(),
): MachinePlan[] {
  const fixed = new Set(
    config.machines.flatMap((m) => (m.address === undefined ? [] : [m.address])),
  );
  const free = [...machineAddresses(subnet)].filter((a) => !fixed.has(a));
  const addresses = config.machines.map((m) => m.address ?? free.shift()!);
  const machines = config.machines.filter((m) => !only || only.has(m.name));
  return machines.map((m, i) => {
    const address = addresses[config.machines.indexOf(m)];
    const machineDir = path.join(dir, 'machines', m.name);
    // Short on purpose: UML's mconsole socket path under it must fit in 108 bytes.
    const umlDir = path.join(dir, 'u', String(i));
    return {
      name: m.name,
      address: `${formatAddress(address)}/${subnet.prefix}`,
      imageFile: imageFiles[m.image],
      overlay: path.join(machineDir, 'overlay.cow'),
      consoleLog: path.join(machineDir, 'console.log'),
      memoryBytes: m.memoryBytes,
      cpu: i % cpus,
      mac: macFor(address),
      umlDir,
      ports: m.ports,
      shares: m.shares,
      boot: m.boot,
      services: m.services,
      healthcheck: m.healthcheck,
      dependsOn: m.dependsOn,
      serviceLogDir: path.join(machineDir, 'services'),
    };
  });
}
