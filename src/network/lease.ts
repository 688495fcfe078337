import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import lockfile from 'proper-lockfile';
import { UmlenvError } from '../errors.js';
import { isAlive, type ProcessRef } from '../host/process.js';
import { stateDir } from '../paths.js';
import { broadcast, formatSubnet, parseSubnet, type Subnet } from './ipv4.js';

/** Automatic subnets come from this pool, one /24 per environment, unless UMLENV_SUBNET_POOL says otherwise. */
export const DEFAULT_POOL = '10.224.0.0/12';

export interface Lease {
  subnet: Subnet;
  file: string;
}

interface LeaseRecord {
  env: string;
  subnet: string;
  owner: ProcessRef;
}

function leasesDir(): string {
  return path.join(stateDir(), 'leases');
}

function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base <= broadcast(b) && b.base <= broadcast(a);
}

// Subnets the host already routes (in this network namespace): a lease must not shadow them.
export async function hostRoutes(): Promise<Subnet[]> {
  const { stdout } = await execa('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  const routes: { dst: string }[] = JSON.parse(stdout || '[]');
  return routes
    .map((r) =>
      r.dst === 'default' ? undefined : parseSubnet(r.dst.includes('/') ? r.dst : `${r.dst}/32`),
    )
    .filter((s): s is Subnet => s !== undefined);
}

export function poolSubnets(pool = process.env.UMLENV_SUBNET_POOL ?? DEFAULT_POOL): Subnet[] {
  const parsed = parseSubnet(pool);
  if (!parsed || parsed.prefix > 24) {
    throw new UmlenvError(
      `UMLENV_SUBNET_POOL=${pool} is not a subnet of /24 or larger`,
      'use CIDR form such as 10.224.0.0/12',
    );
  }
  const count = 2 ** (24 - parsed.prefix);
  return Array.from({ length: count }, (_, i) => ({ base: parsed.base + i * 256, prefix: 24 }));
}

/**
 * Leases a subnet for an environment from the host-wide registry, under its lock:
 * the wanted one if it is free, else the first /24 of the pool that no live lease
 * and no host route overlaps. Leases of dead owners are reclaimed on the way.
 */
export async function leaseSubnet(env: string, owner: ProcessRef, wanted?: Subnet): Promise<Lease> {
  await mkdir(leasesDir(), { recursive: true });
  const release = await lockfile.lock(leasesDir(), {
    stale: 10_000,
    retries: { retries: 100, factor: 1, minTimeout: 50, maxTimeout: 200 },
  });
  try {
    const live = await liveLeases();
    const routes = await hostRoutes();
    const taken = (s: Subnet) =>
      live.find((l) => overlaps(l.subnet, s)) ?? routes.find((r) => overlaps(r, s));
    let subnet: Subnet | undefined = wanted;
    if (wanted) {
      const clash = live.find((l) => overlaps(l.subnet, wanted));
      if (clash) {
        throw new UmlenvError(
          `network.subnet ${formatSubnet(wanted)} overlaps ${formatSubnet(clash.subnet)}, leased by environment ${clash.env}`,
          'use network.subnet: auto, or another subnet',
        );
      }
      const route = routes.find((r) => overlaps(r, wanted));
      if (route) {
        throw new UmlenvError(
          `network.subnet ${formatSubnet(wanted)} overlaps ${formatSubnet(route)}, which this host already routes`,
          'use network.subnet: auto, or a subnet the host does not use',
        );
      }
    } else {
      subnet = poolSubnets().find((s) => !taken(s));
      if (!subnet) {
        throw new UmlenvError(
          `no free /24 left in the subnet pool ${process.env.UMLENV_SUBNET_POOL ?? DEFAULT_POOL}`,
          'tear down unused environments (umlenv ps --all, umlenv gc), or set UMLENV_SUBNET_POOL to a larger pool',
        );
      }
    }
    const file = path.join(leasesDir(), `${formatSubnet(subnet!).replace('/', '_')}.json`);
    const record: LeaseRecord = { env, subnet: formatSubnet(subnet!), owner };
    await writeFile(file, JSON.stringify(record) + '\n', { flag: 'wx' });
    return { subnet: subnet!, file };
  } finally {
    await release();
  }
}

// Live leases; a lease whose environment has no live owner and no state is removed.
async function liveLeases(): Promise<{ env: string; subnet: Subnet }[]> {
  const live = [];
  for (const entry of await readdir(leasesDir())) {
    if (!entry.endsWith('.json')) continue;
    const file = path.join(leasesDir(), entry);
    const record: LeaseRecord | undefined = await readFile(file, 'utf8').then(
      JSON.parse,
      () => undefined,
    );
    if (!record) continue;
    const envState = path.join(stateDir(), 'envs', record.env, 'state.json');
    const envLives = await readFile(envState, 'utf8').then(
      () => true,
      () => false,
    );
    if (!envLives && !(await isAlive(record.owner))) {
      await rm(file, { force: true });
      continue;
    }
    live.push({ ...record, subnet: parseSubnet(record.subnet)! });
  }
  return live;
}
