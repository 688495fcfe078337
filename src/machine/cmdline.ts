import type { HealthSpec, MachineSpec, PortSpec, ServiceSpec, ShareSpec } from '../config/spec.js';

/** Everything needed to start one machine, fixed before it boots. */
export interface MachinePlan {
  name: string;
  /** Address with prefix, such as 10.224.0.2/24. */
  address: string;
  imageFile: string;
  overlay: string;
  consoleLog: string;
  memoryBytes: number;
  cpu: number;
  mac: string;
  /** UML's own directory for this machine (pid file, mconsole socket); short, for the 108-byte socket path limit. */
  umlDir: string;
  ports: PortSpec[];
  shares: ShareSpec[];
  boot?: string;
  services: ServiceSpec[];
  healthcheck?: HealthSpec;
  dependsOn: MachineSpec['dependsOn'];
  /** Where each service's output is kept on the host. */
  serviceLogDir: string;
}

export interface HostSide {
  switchSocket: string;
  /** The guest kernel's delay-loop calibration, preset from the host (see loopsPerJiffy). */
  loopsPerJiffy?: number;
}

/**
 * The kernel command line. Consoles other than con0 default to xterm windows, so all are
 * null; ttyS1 is the agent line on inherited fd 3; noreboot stops a guest reboot from
 * re-executing UML; the RAID6 benchmark would cost 0.85 s of every boot, and calibrating
 * the delay loop 40-120 ms more (lpj); printk.time puts the boot's timing in the console log.
 */
export function kernelArgs(plan: MachinePlan, host: HostSide): string[] {
  return [
    `ubd0=${plan.overlay},${plan.imageFile}`,
    'root=/dev/ubda',
    'rw',
    'init=/sbin/umlenv-init',
    `mem=${Math.floor(plan.memoryBytes / 2 ** 20)}M`,
    'con=null',
    'ssl=null',
    'con0=null,fd:1',
    'ssl1=fd:3',
    'noreboot',
    'umid=m',
    `uml_dir=${plan.umlDir}`,
    `eth0=daemon,${plan.mac},unix,${host.switchSocket}`,
    'initcall_blacklist=raid6_select_algo',
    ...(host.loopsPerJiffy ? [`lpj=${host.loopsPerJiffy}`] : []),
    'printk.time=1',
  ];
}

/** Both of umlenv's kernels (Debian's and the minimal one) tick at 100 Hz. */
const GUEST_HZ = 100;

/**
 * The value a guest's delay-loop calibration would find, from the host's BogoMIPS in
 * /proc/cpuinfo (BogoMIPS = lpj * HZ / 500000); undefined when cpuinfo has none. UML
 * drives no hardware, so its few busy-waits need no better than this.
 */
export function loopsPerJiffy(cpuinfo: string): number | undefined {
  const bogomips = Number(/^bogomips\s*:\s*([\d.]+)/im.exec(cpuinfo)?.[1]);
  return bogomips > 0 ? Math.round((bogomips * 500_000) / GUEST_HZ) : undefined;
}

// A locally administered MAC derived from the address, unique on the environment's switch.
export function macFor(address: number): string {
  const bytes = [
    0x02,
    0x75,
    address >>> 24,
    (address >>> 16) & 255,
    (address >>> 8) & 255,
    address & 255,
  ];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
