import { statSync } from 'node:fs';
import path from 'node:path';
import {
  parseAddress,
  parseSubnet,
  contains,
  gateway,
  broadcast,
  formatSubnet,
} from '../network/ipv4.js';
import type { Locate } from './issues.js';
import { PORT, type RawConfig } from './schema.js';
import { parseSize } from './size.js';
import {
  ConfigError,
  type Config,
  type HealthSpec,
  type ImageSpec,
  type MachineSpec,
  type PortSpec,
} from './spec.js';

// Checks what the schema cannot (references, addresses, ports, shares, cycles) and
// turns the raw config into the specs the rest of umlenv uses.
export function resolve(raw: RawConfig, file: string, locate: Locate): Config {
  const fail = (key: string, message: string, hint: string): never => {
    throw new ConfigError(`${locate(key.split('.'))}: ${key}: ${message}`, hint);
  };
  const imageNames = Object.keys(raw.images);
  const images: Record<string, ImageSpec> = {};
  for (const [name, img] of Object.entries(raw.images)) {
    images[name] = {
      name,
      suite: img.suite,
      mirror: img.mirror,
      packages: img.packages,
      setup: img.setup,
      sizeBytes: parseSize(img.size)!,
    };
  }
  const subnet = raw.network.subnet === 'auto' ? undefined : parseSubnet(raw.network.subnet)!;
  if (subnet && subnet.prefix > 30) {
    fail(
      'network.subnet',
      `"${formatSubnet(subnet)}" is too small: a /${subnet.prefix} has no room for the gateway and a machine`,
      'use a /30 or larger, such as a /24',
    );
  }
  const machines: MachineSpec[] = [];
  const taken = new Map<number, string>();
  for (const [name, m] of Object.entries(raw.machines)) {
    let image = m.image;
    if (image === undefined) {
      if (imageNames.length !== 1) {
        fail(
          `machines.${name}.image`,
          `missing, and the config defines ${imageNames.length} images`,
          `set image: to one of ${imageNames.join(', ')}`,
        );
      }
      image = imageNames[0];
    } else if (!images[image]) {
      fail(
        `machines.${name}.image`,
        `unknown image "${image}"`,
        `use one of the defined images (${imageNames.join(', ')}), or define "${image}" under images`,
      );
    }
    const address = m.address === 'auto' ? undefined : parseAddress(m.address)!;
    if (address !== undefined) {
      const key = `machines.${name}.address`;
      if (!subnet)
        fail(
          key,
          `"${m.address}" is fixed but network.subnet is "auto"`,
          'set network.subnet to the subnet that holds the fixed addresses, or use address: auto',
        );
      if (!contains(subnet!, address))
        fail(
          key,
          `"${m.address}" is outside network.subnet ${formatSubnet(subnet!)}`,
          'pick an address inside the subnet, or use address: auto',
        );
      if (address === subnet!.base)
        fail(
          key,
          `"${m.address}" is the network address of ${formatSubnet(subnet!)}`,
          'pick a host address inside the subnet',
        );
      if (address === broadcast(subnet!))
        fail(
          key,
          `"${m.address}" is the broadcast address of ${formatSubnet(subnet!)}`,
          'pick a host address inside the subnet',
        );
      if (address === gateway(subnet!))
        fail(
          key,
          `"${m.address}" is the gateway address of ${formatSubnet(subnet!)}, kept for the host`,
          'pick another address, from the third address of the subnet on',
        );
      const other = taken.get(address);
      if (other)
        fail(
          key,
          `"${m.address}" is already the address of machine ${other}`,
          'give every machine its own address',
        );
      taken.set(address, name);
    }
    const ports = m.ports.map((spec, i) => parsePort(spec, `machines.${name}.ports.${i}`, fail));
    const shares = m.shares.map((sh, i) => ({
      host: path.resolve(path.dirname(file), sh.host),
      guest: sh.guest,
      readonly: sh.readonly,
      key: `machines.${name}.shares.${i}`,
    }));
    for (const sh of shares) {
      let isDir = false;
      try {
        isDir = statSync(sh.host).isDirectory();
      } catch {
        // reported below
      }
      if (!isDir)
        fail(
          `${sh.key}.host`,
          `"${sh.host}" is not an existing directory`,
          'create it, or fix the path (relative paths start at the config file)',
        );
    }
    machines.push({
      name,
      boot: m.boot,
      services: Object.entries(m.services).map(([sname, sv]) => ({
        name: sname,
        argv: argvOf(sv.command),
        user: sv.user,
        workdir: sv.workdir,
        env: sv.env,
      })),
      healthcheck: m.healthcheck && healthOf(m.healthcheck),
      dependsOn: Array.isArray(m.depends_on)
        ? m.depends_on.map((d) => ({ machine: d, condition: 'started' as const }))
        : Object.entries(m.depends_on).map(([d, c]) => ({ machine: d, condition: c.condition })),
      image: image!,
      address,
      memoryBytes: parseSize(m.memory)!,
      ports,
      shares: shares.map(({ key: _key, ...sh }) => sh),
    });
  }
  if (subnet) {
    const room = broadcast(subnet) - subnet.base - 2;
    if (machines.length > room) {
      fail(
        'network.subnet',
        `${formatSubnet(subnet)} has room for ${room} machine${room === 1 ? '' : 's'}, the config asks for ${machines.length}`,
        'use a larger subnet',
      );
    }
  }
  const published = new Map<string, string>();
  for (const m of machines) {
    for (const [i, p] of m.ports.entries()) {
      const key = `${p.hostAddress}:${p.hostPort}`;
      const other = published.get(key);
      if (other)
        fail(
          `machines.${m.name}.ports.${i}`,
          `host port ${key} is already published by ${other}`,
          'give every published port its own host port',
        );
      published.set(key, `machine ${m.name}`);
    }
  }
  checkDependencies(machines, fail);
  const nat = raw.network.nat;
  const hostAsked = raw.network.host || nat;
  const host = hostAsked || published.size > 0;
  const kernel =
    raw.kernel && !['stock', 'minimal'].includes(raw.kernel) && raw.kernel.includes('/')
      ? path.resolve(path.dirname(file), raw.kernel)
      : raw.kernel;
  return { file: path.resolve(file), images, machines, subnet, host, hostAsked, nat, kernel };
}

function parsePort(
  spec: string,
  key: string,
  fail: (key: string, message: string, hint: string) => never,
): PortSpec {
  const [, address = '127.0.0.1', hostPort, guestPort] = PORT.exec(spec)!;
  const valid = (n: number) => n >= 1 && n <= 65535;
  if (parseAddress(address) === undefined)
    fail(
      key,
      `"${spec}" has an invalid host address ${address}`,
      'use an IPv4 address such as 127.0.0.1, or leave it out',
    );
  if (!valid(Number(hostPort)) || !valid(Number(guestPort)))
    fail(key, `"${spec}" has a port outside 1-65535`, 'use ports from 1 to 65535');
  return { hostAddress: address, hostPort: Number(hostPort), guestPort: Number(guestPort) };
}

function argvOf(command: string | string[]): string[] {
  return typeof command === 'string' ? ['sh', '-c', command] : command;
}

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text)!;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

function healthOf(h: {
  command?: string | string[];
  tcp?: number;
  interval: string;
  retries: number;
  timeout: string;
}): HealthSpec {
  const argv =
    h.tcp !== undefined
      ? [
          'perl',
          '-MIO::Socket::INET',
          '-e',
          `IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => ${h.tcp}, Timeout => 2) or exit 1`,
        ]
      : argvOf(h.command!);
  const label =
    h.tcp !== undefined
      ? `tcp ${h.tcp}`
      : typeof h.command === 'string'
        ? h.command
        : h.command!.join(' ');
  return {
    argv,
    label,
    intervalMs: parseDuration(h.interval),
    retries: h.retries,
    timeoutMs: parseDuration(h.timeout),
  };
}

// depends_on must name other machines, ask "healthy" only of machines with a health check, and not loop.
function checkDependencies(
  machines: MachineSpec[],
  fail: (key: string, message: string, hint: string) => never,
): void {
  const byName = new Map(machines.map((m) => [m.name, m]));
  for (const m of machines) {
    for (const d of m.dependsOn) {
      const key = `machines.${m.name}.depends_on`;
      const target = byName.get(d.machine);
      if (d.machine === m.name)
        fail(key, `machine ${m.name} depends on itself`, 'remove it from its own depends_on');
      if (!target)
        fail(
          key,
          `unknown machine "${d.machine}"`,
          `use one of: ${[...byName.keys()].filter((n) => n !== m.name).join(', ')}`,
        );
      if (d.condition === 'healthy' && !target!.healthcheck) {
        fail(
          key,
          `condition healthy of ${d.machine} needs a healthcheck on ${d.machine}`,
          `add healthcheck: to ${d.machine}, or use condition: started or completed`,
        );
      }
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      fail(
        `machines.${cycle[0]}.depends_on`,
        `depends_on forms a cycle: ${cycle.join(' → ')}`,
        'remove one of these dependencies; machines cannot wait for each other',
      );
    }
    state.set(name, 'visiting');
    for (const d of byName.get(name)!.dependsOn) visit(d.machine, [...trail, name]);
    state.set(name, 'done');
  };
  for (const m of machines) visit(m.name, []);
}
