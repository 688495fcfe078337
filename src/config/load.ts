import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { core } from 'zod';
import { UmlenvError } from '../errors.js';
import { parseAddress, parseSubnet, contains, gateway, broadcast, formatSubnet } from '../network/ipv4.js';
import type { Subnet } from '../network/ipv4.js';
import { configSchema, imageSchema, machineSchema, networkSchema, type RawConfig } from './schema.js';
import { parseSize } from './size.js';

/** An image recipe as the config states it, before the host's defaults are applied. */
export interface ImageSpec {
  name: string;
  suite: string;
  mirror?: string;
  packages: string[];
  setup?: string;
  sizeBytes: number;
}

export interface MachineSpec {
  name: string;
  image: string;
  /** A fixed address, or undefined for the next free one. */
  address?: number;
  memoryBytes: number;
}

/** A validated umlenv.yml. */
export interface Config {
  file: string;
  images: Record<string, ImageSpec>;
  machines: MachineSpec[];
  subnet?: Subnet;
}

export class ConfigError extends UmlenvError {
  override name = 'ConfigError';
}

// Reads and validates a config file; every problem names the file, line, key path and value.
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      'pass an existing file with -f/--file (default: umlenv.yml in the current directory)',
      { cause: error },
    );
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file = 'umlenv.yml'): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    const what = e.code === 'DUPLICATE_KEY' ? 'a key is repeated (machine and image names must be unique)' : e.message.split('\n')[0];
    throw new ConfigError(`${at(e.pos[0])}: malformed YAML: ${what}`, 'fix the YAML syntax at that line');
  }
  const data = doc.toJS() ?? {};
  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.slice(0, 10).map((issue) => {
      const node = doc.getIn(issue.path as (string | number)[], true);
      const where = isNode(node) && node.range ? at(node.range[0]) : file;
      return `${where}: ${describeIssue(issue)}`;
    });
    throw new ConfigError(
      problems.length === 1 ? problems[0] : `${file} has ${problems.length} problems:\n  ${problems.join('\n  ')}`,
      'see the config reference in the README, or point your editor at schema/umlenv.schema.json',
    );
  }
  return resolve(result.data, file);
}

function keyPath(p: PropertyKey[]): string {
  return p.length ? p.map(String).join('.') : '(top level)';
}

function describeIssue(issue: core.$ZodIssue): string {
  const where = keyPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(issue.path);
    return issue.keys
      .map((k) => `${where}: unknown key "${k}"${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`)
      .join('; ');
  }
  if (issue.code === 'invalid_key') {
    return `${where}: name ${JSON.stringify(issue.input)} ${issue.issues[0]?.message ?? 'is not allowed'}`;
  }
  const value = issue.input === undefined ? 'missing' : JSON.stringify(issue.input);
  return `${where}: ${value} ${issue.message.replace(/^Invalid input: /, 'is invalid: ')}`;
}

function allowedKeys(p: PropertyKey[]): string[] | undefined {
  if (p.length === 0) return Object.keys(configSchema.shape);
  if (p.length === 2 && p[0] === 'images') return Object.keys(imageSchema.shape);
  if (p.length === 2 && p[0] === 'machines') return Object.keys(machineSchema.shape);
  if (p.length === 1 && p[0] === 'network') return Object.keys(networkSchema.shape);
  return undefined;
}

function resolve(raw: RawConfig, file: string): Config {
  const fail = (key: string, message: string, hint: string): never => {
    throw new ConfigError(`${file}: ${key}: ${message}`, hint);
  };
  const imageNames = Object.keys(raw.images);
  const images: Record<string, ImageSpec> = {};
  for (const [name, img] of Object.entries(raw.images)) {
    images[name] = { name, suite: img.suite, mirror: img.mirror, packages: img.packages, setup: img.setup, sizeBytes: parseSize(img.size)! };
  }
  const subnet = raw.network.subnet === 'auto' ? undefined : parseSubnet(raw.network.subnet)!;
  if (subnet && subnet.prefix > 29) {
    fail('network.subnet', `"${formatSubnet(subnet)}" is too small: a /${subnet.prefix} has no room for a gateway and machines`, 'use a /29 or larger, such as a /24');
  }
  const machines: MachineSpec[] = [];
  const taken = new Map<number, string>();
  for (const [name, m] of Object.entries(raw.machines)) {
    let image = m.image;
    if (image === undefined) {
      if (imageNames.length !== 1) {
        fail(`machines.${name}.image`, `missing, and the config defines ${imageNames.length} images`, `set image: to one of ${imageNames.join(', ')}`);
      }
      image = imageNames[0];
    } else if (!images[image]) {
      fail(`machines.${name}.image`, `unknown image "${image}"`, `use one of the images defined under images: ${imageNames.join(', ')}`);
    }
    const address = m.address === 'auto' ? undefined : parseAddress(m.address)!;
    if (address !== undefined) {
      const key = `machines.${name}.address`;
      if (!subnet) fail(key, `"${m.address}" is fixed but network.subnet is "auto"`, 'set network.subnet to the subnet that holds the fixed addresses, or use address: auto');
      if (!contains(subnet!, address)) fail(key, `"${m.address}" is outside network.subnet ${formatSubnet(subnet!)}`, 'pick an address inside the subnet, or use address: auto');
      if (address === subnet!.base || address === broadcast(subnet!)) fail(key, `"${m.address}" is the network or broadcast address of ${formatSubnet(subnet!)}`, 'pick a host address inside the subnet');
      if (address === gateway(subnet!)) fail(key, `"${m.address}" is the gateway address of ${formatSubnet(subnet!)}, kept for the host`, 'pick another address, from the third address of the subnet on');
      const other = taken.get(address);
      if (other) fail(key, `"${m.address}" is already the address of machine ${other}`, 'give every machine its own address');
      taken.set(address, name);
    }
    machines.push({ name, image: image!, address, memoryBytes: parseSize(m.memory)! });
  }
  if (subnet) {
    const room = broadcast(subnet) - subnet.base - 2;
    if (machines.length > room) {
      fail('network.subnet', `${formatSubnet(subnet)} has room for ${room} machines, the config asks for ${machines.length}`, 'use a larger subnet');
    }
  }
  return { file: path.resolve(file), images, machines, subnet };
}
