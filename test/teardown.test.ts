import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeAsRoot,
  describeRun,
  envDir,
  Envs,
  execIn,
  IMAGES,
  leftovers,
  processesUnder,
  readState,
  removeTempDirs,
  umlenv,
  up,
  waitFor,
  writeConfig,
  type Leftovers,
} from './harness.js';

function expectNothingLeft(id: string, left: Leftovers = leftovers(id)): void {
  expect(left.processes, `processes of ${id}`).toEqual([]);
  expect(left.dirExists, `${envDir(id)} still exists`).toBe(false);
  expect(left.sockets, `unix sockets of ${id}`).toEqual([]);
}

// The guest kernels (and their jails) of an environment: whatever carries its uml_dir=.
function guestProcesses(id: string) {
  return processesUnder(envDir(id)).filter((p) => p.args.includes(`uml_dir=${envDir(id)}/`));
}

afterAll(() => removeTempDirs());

describeAsRoot('a supervisor killed with SIGKILL', () => {
  const envs = new Envs();
  const id = envs.id('killed');

  beforeAll(() => up(id, { images: IMAGES, machines: { one: null, two: null } }));
  afterAll(() => envs.cleanup());

  it('takes its guests with it, and gc collects the rest', async () => {
    const pid = readState(id).owner.pid;
    const supervisor = leftovers(id).processes.find((p) => p.pid === pid);
    expect(supervisor?.args, `owner pid ${pid} is not the supervisor`).toMatch(/__supervise/);
    expect(guestProcesses(id).length).toBeGreaterThan(0);

    process.kill(pid, 'SIGKILL');
    const gone = await waitFor(() => guestProcesses(id).length === 0, 5_000);
    expect(
      gone,
      `guests still running 5 s after the supervisor died:\n${JSON.stringify(guestProcesses(id), null, 1)}`,
    ).toBe(true);

    const gc = await umlenv(['gc']);
    expect(gc.exitCode, describeRun(gc)).toBe(0);
    expect(gc.stderr).toMatch(
      new RegExp(`Collecting environment ${id}: its owner \\(pid ${pid}\\) is gone`),
    );
    expectNothingLeft(id);
  });
});

describeAsRoot('two environments on the same fixed subnet', () => {
  const envs = new Envs();
  const a = envs.id('same-net-a');
  const b = envs.id('same-net-b');
  const network = { subnet: '10.231.0.0/24' };

  beforeAll(async () => {
    await Promise.all([
      up(a, {
        images: IMAGES,
        network,
        machines: { 'a-one': { address: '10.231.0.2' }, 'a-two': { address: '10.231.0.4' } },
      }),
      up(b, {
        images: IMAGES,
        network,
        machines: { 'b-one': { address: '10.231.0.3' }, 'b-two': { address: '10.231.0.5' } },
      }),
    ]);
  });
  afterAll(() => envs.cleanup());

  it('gives each its own switch socket, and each one guests use only their own', () => {
    for (const [id, other] of [
      [a, b],
      [b, a],
    ]) {
      const own = path.join(envDir(id), 'switch.sock');
      expect(leftovers(id).sockets).toContain(own);
      const guests = guestProcesses(id).filter((p) => p.args.includes('eth0='));
      expect(guests.length).toBeGreaterThan(0);
      for (const g of guests) {
        expect(g.args).toContain(own);
        expect(g.args).not.toContain(envDir(other));
      }
    }
  });

  it('lets a guest reach its own peer but not the other environment', async () => {
    const [aPeer, aOther, bPeer, bOther] = await Promise.all([
      execIn(a, 'a-one', ['ping', '-c1', '-W2', '10.231.0.4']),
      execIn(a, 'a-one', ['ping', '-c1', '-W2', '10.231.0.3']),
      execIn(b, 'b-one', ['ping', '-c1', '-W2', '10.231.0.5']),
      execIn(b, 'b-one', ['ping', '-c1', '-W2', '10.231.0.2']),
    ]);
    expect(aPeer.exitCode, describeRun(aPeer)).toBe(0);
    expect(bPeer.exitCode, describeRun(bPeer)).toBe(0);
    expect(aOther.exitCode, `A reached B's guest: ${describeRun(aOther)}`).not.toBe(0);
    expect(aOther.stdout).toMatch(/0 received/);
    expect(bOther.exitCode, `B reached A's guest: ${describeRun(bOther)}`).not.toBe(0);
    expect(bOther.stdout).toMatch(/0 received/);
  });

  it('tears both down, leaving nothing', async () => {
    const [downA, downB] = await Promise.all([
      umlenv(['down', '--env', a]),
      umlenv(['down', '--env', b]),
    ]);
    expect(downA.exitCode, describeRun(downA)).toBe(0);
    expect(downB.exitCode, describeRun(downB)).toBe(0);
    expectNothingLeft(a);
    expectNothingLeft(b);
  });
});

describeAsRoot('up twice with the same id', () => {
  const envs = new Envs();
  const id = envs.id('twice');
  let file: string;

  beforeAll(async () => {
    file = await writeConfig({ images: IMAGES, machines: { only: null } });
    await up(id, file);
  });
  afterAll(() => envs.cleanup());

  it('fails the second time with exit 1 and "already up", and the first keeps working', async () => {
    const owner = readState(id).owner.pid;
    const before = leftovers(id)
      .processes.map((p) => p.pid)
      .sort();

    const again = await umlenv(['up', '-f', file, '--env', id]);
    expect(again.exitCode, describeRun(again)).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(new RegExp(`environment ${id} is already up`));
    expect(again.stderr).toMatch(new RegExp(`umlenv down --env ${id}`));

    expect(readState(id).owner.pid).toBe(owner);
    expect(
      leftovers(id)
        .processes.map((p) => p.pid)
        .sort(),
    ).toEqual(before);
    const r = await execIn(id, 'only', ['hostname']);
    expect(r.exitCode, describeRun(r)).toBe(0);
    expect(r.stdout).toBe('only\n');
  });
});
