import { UmlenvError } from '../errors.js';
import type { Subnet } from '../network/ipv4.js';

export interface ImageSpec {
  name: string;
  suite: string;
  mirror?: string;
  packages: string[];
  setup?: string;
  sizeBytes: number;
}

/** A host port forwarded to a guest port. */
export interface PortSpec {
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

/** A host directory mounted in a guest. */
export interface ShareSpec {
  host: string;
  guest: string;
  readonly: boolean;
}

/** A long-running program of a machine. */
export interface ServiceSpec {
  name: string;
  argv: string[];
  user?: string;
  workdir?: string;
  env: Record<string, string>;
}

/** What makes a machine healthy: a command in the guest, or a TCP port that accepts. */
export interface HealthSpec {
  argv: string[];
  /** Shown in messages: the command as written, or "tcp 5432". */
  label: string;
  intervalMs: number;
  retries: number;
  timeoutMs: number;
}

export type Condition = 'started' | 'healthy' | 'completed';

export interface MachineSpec {
  name: string;
  boot?: string;
  services: ServiceSpec[];
  healthcheck?: HealthSpec;
  dependsOn: { machine: string; condition: Condition }[];
  image: string;
  /** A fixed address, or undefined for the next free one. */
  address?: number;
  memoryBytes: number;
  ports: PortSpec[];
  shares: ShareSpec[];
}

/** A validated umlenv.yml. */
export interface Config {
  file: string;
  images: Record<string, ImageSpec>;
  machines: MachineSpec[];
  subnet?: Subnet;
  /** A tap device links the network to the host (asked for, or implied by nat or ports). */
  host: boolean;
  /** network.host or network.nat as written: a host link even where no port is published. */
  hostAsked: boolean;
  nat: boolean;
  /** "stock", "minimal", a path, or undefined for the default. */
  kernel?: string;
}

export class ConfigError extends UmlenvError {
  override name = 'ConfigError';
}
