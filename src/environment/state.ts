import { readFile, rename, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ProcessRef } from '../host/process.js';
import type { MachinePlan } from '../machine/cmdline.js';
import { envsDir } from '../paths.js';

/** How to undo one thing an environment created; recorded before the thing is made. */
export type Undo =
  | { kind: 'process'; what: string; ref?: ProcessRef; marker?: string }
  | { kind: 'path'; what: string; path: string }
  | { kind: 'tap'; what: string; name: string }
  | { kind: 'firewall'; what: string; tag: string }
  | { kind: 'forwarding'; what: string; env: string };

/** How the environment's network meets the host. */
export interface NetworkState {
  subnet: string;
  /** The host side of the switch, when there is a host link. */
  tap?: string;
  gateway?: string;
  nat: boolean;
  nameservers: string[];
}

export type Phase = 'starting' | 'ready' | 'failed' | 'stopping';

/** Everything a later process needs to use an environment or finish its teardown. */
export interface EnvState {
  version: 1;
  id: string;
  dir: string;
  configFile: string;
  createdAt: string;
  expiresAt: string;
  /** The live process that answers for the environment: the CLI while it starts, then the supervisor. */
  owner: ProcessRef;
  phase: Phase;
  kernel: string;
  network: NetworkState;
  machines: MachinePlan[];
  images: string[];
  undo: Undo[];
  error?: string;
}

export function envDir(id: string): string {
  return path.join(envsDir(), id);
}

export function stateFile(dir: string): string {
  return path.join(dir, 'state.json');
}

export async function readState(dir: string): Promise<EnvState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as EnvState;
  } catch {
    return undefined;
  }
}

// Written whole to a temporary file and renamed, so a reader never sees half a state.
export async function writeState(state: EnvState): Promise<void> {
  const tmp = `${stateFile(state.dir)}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, stateFile(state.dir));
}

/** The state file's single writer: records undos in order before each resource is made. */
export class StateWriter {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly state: EnvState) {}

  update(change: (s: EnvState) => void): Promise<void> {
    change(this.state);
    this.queue = this.queue.then(() => writeState(this.state));
    return this.queue;
  }

  record(undo: Undo): Promise<void> {
    return this.update((s) => void s.undo.push(undo));
  }
}

export async function listEnvDirs(): Promise<string[]> {
  const entries = await readdir(envsDir()).catch(() => [] as string[]);
  return entries.filter((e) => !e.startsWith('.')).map((e) => path.join(envsDir(), e));
}
