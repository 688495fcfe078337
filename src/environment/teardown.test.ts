import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findByArgument,
  isAlive,
  processRef,
  spawnedRef,
  type ProcessRef,
} from '../host/process.js';
import { silentLogger } from '../log/logger.js';
import type { EnvState, Undo } from './state.js';
import { runUndos } from './teardown.js';

const started: number[] = [];
let dir: string | undefined;

// A process that waits a minute and carries marker on its command line, as UML's helpers do.
async function idle(marker: string): Promise<ProcessRef> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', marker], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  const ref = await spawnedRef(child);
  started.push(child.pid!);
  return ref!;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

function stateWith(undo: Undo[]): EnvState {
  return { undo } as unknown as EnvState;
}

afterEach(async () => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended by the test
    }
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('runUndos', () => {
  it('ends recorded processes and every process carrying their markers, and removes paths', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'umlenv-teardown-'));
    const file = path.join(dir, 'lease');
    await writeFile(file, '');
    const tag = `m-${process.pid}-${Date.now()}`;
    const [machine, helper, switchRef] = await Promise.all([
      idle(`uml_dir=${tag}-a`),
      idle(`uml_dir=${tag}-a`),
      idle(`${tag}-switch.sock`),
    ]);
    const other = await idle(`uml_dir=${tag}-other`);
    const errors = await runUndos(
      stateWith([
        { kind: 'path', what: 'environment directory', path: dir },
        { kind: 'path', what: 'lease', path: file },
        { kind: 'process', what: 'switch', marker: `${tag}-switch.sock`, ref: switchRef },
        { kind: 'process', what: 'machine a', marker: `uml_dir=${tag}-a`, ref: machine },
        { kind: 'process', what: 'machine b', marker: `uml_dir=${tag}-b` },
      ]),
      silentLogger,
    );
    expect(errors).toEqual([]);
    for (const ref of [machine, helper, switchRef]) expect(await isAlive(ref)).toBe(false);
    expect(await isAlive(other)).toBe(true);
    expect(await exists(dir)).toBe(false);
  });

  it('runs each undo once and is safe to run again', async () => {
    const tag = `m-${process.pid}-${Date.now()}-again`;
    const ref = await idle(tag);
    const state = stateWith([{ kind: 'process', what: 'machine', marker: tag, ref }]);
    expect(await runUndos(state, silentLogger)).toEqual([]);
    expect(await runUndos(state, silentLogger)).toEqual([]);
    expect(await findByArgument(tag)).toEqual([]);
    expect(await processRef(ref.pid).then((r) => r?.startTime === ref.startTime)).toBe(false);
  });
});
