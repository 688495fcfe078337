import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { UmlenvError } from '../errors.js';
import { stateDir } from '../paths.js';

/** Every umlenv tap starts with this, so firewall rules can name all of them at once. */
export const TAP_PREFIX = 'ue-';

// Tap names must fit IFNAMSIZ (15 bytes); a hash of the id keeps them unique per environment.
export function tapName(envId: string): string {
  return TAP_PREFIX + createHash('sha256').update(envId).digest('hex').slice(0, 10);
}

async function ip(args: string[]): Promise<void> {
  const r = await execa('ip', args, { reject: false });
  if (r.exitCode !== 0)
    throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
}

/** Creates the environment's tap device with the gateway address; uml_switch attaches to it. */
export async function createTap(name: string, gatewayCidr: string): Promise<void> {
  await ip(['tuntap', 'add', 'dev', name, 'mode', 'tap']);
  await ip(['address', 'add', gatewayCidr, 'dev', name]);
  await ip(['link', 'set', name, 'up']);
}

export async function deleteTap(name: string): Promise<void> {
  const r = await execa('ip', ['link', 'delete', name], { reject: false });
  if (r.exitCode !== 0 && !/Cannot find device/.test(r.stderr))
    throw new Error(`ip link delete ${name}: ${r.stderr.trim()}`);
}

/** Root is needed for tap devices, firewall rules and forwarding: say so, and what still works. */
export function requireNetAdmin(): void {
  if (process.getuid?.() === 0) return;
  throw new UmlenvError(
    'linking machines to the host needs root (CAP_NET_ADMIN): network.host, network.nat and ports create a tap device and firewall rules',
    'run umlenv as root, or drop network.host, network.nat and ports: environments without a host link need no privileges for networking',
  );
}

const FORWARD = '/proc/sys/net/ipv4/ip_forward';

function forwardingDir(): string {
  return path.join(stateDir(), 'forwarding');
}

/**
 * Turns IPv4 forwarding on for a NAT environment. Each user leaves a marker; the last
 * one to leave turns forwarding off again if umlenv was the one that turned it on.
 */
export async function useForwarding(envId: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(forwardingDir(), { recursive: true });
  await writeFile(path.join(forwardingDir(), `${envId}.user`), '');
  if ((await readFile(FORWARD, 'utf8')).trim() === '0') {
    await writeFile(path.join(forwardingDir(), 'switched-on'), '');
    await writeFile(FORWARD, '1');
  }
}

export async function releaseForwarding(envId: string): Promise<void> {
  await rm(path.join(forwardingDir(), `${envId}.user`), { force: true });
  const left = (await readdir(forwardingDir()).catch(() => [] as string[])).filter((f) =>
    f.endsWith('.user'),
  );
  if (left.length) return;
  const switchedOn = path.join(forwardingDir(), 'switched-on');
  if (
    await readFile(switchedOn).then(
      () => true,
      () => false,
    )
  ) {
    await writeFile(FORWARD, '0');
    await rm(switchedOn, { force: true });
  }
  await rm(forwardingDir(), { recursive: true, force: true });
}

/** The host's own name servers that a guest can reach through NAT (loopback ones cannot be). */
export async function hostNameservers(): Promise<string[]> {
  const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  return [...text.matchAll(/^nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)]
    .map((m) => m[1])
    .filter((a) => !a.startsWith('127.'));
}
