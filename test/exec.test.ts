import { execa } from 'execa';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  CLI,
  describeAsRoot,
  describeRun,
  Envs,
  execIn,
  IMAGES,
  removeTempDirs,
  up,
  waitFor,
} from './harness.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

// How many processes named `name` run in the guest. The image is minbase (no procps, so
// no pgrep): count them from /proc instead.
async function guestProcesses(id: string, machine: string, name: string): Promise<number> {
  const r = await execIn(id, machine, [
    'sh',
    '-c',
    'cat /proc/[0-9]*/comm 2>/dev/null | grep -cx "$1"',
    'sh',
    name,
  ]);
  if (r.timedOut || !/^\d+\n$/.test(r.stdout)) throw new Error(describeRun(r));
  return Number(r.stdout);
}

// One environment for the file. `main` and `peer` serve most tests; `stdin`, `bulk` and
// `signals` each serve one test that could leave its machine broken, so that such a
// failure does not spread to unrelated tests.
describeAsRoot('umlenv exec', () => {
  const envs = new Envs();
  const id = envs.id('exec');

  beforeAll(async () => {
    await up(id, {
      images: IMAGES,
      machines: { main: null, peer: null, stdin: null, bulk: null, signals: null },
    });
  });

  afterAll(async () => {
    await envs.cleanup();
    await removeTempDirs();
  });

  it('keeps stdout and stderr apart', async () => {
    const r = await execIn(id, 'main', ['sh', '-c', 'echo to-stdout; echo to-stderr >&2']);
    expect(r.exitCode, describeRun(r)).toBe(0);
    expect(r.stdout).toBe('to-stdout\n');
    expect(r.stderr).toBe('to-stderr\n');
  });

  it.each([0, 7])('exits with the command exit code %i', async (code) => {
    const r = await execIn(id, 'main', ['sh', '-c', `exit ${code}`]);
    expect(r.timedOut, describeRun(r)).toBe(false);
    expect(r.exitCode).toBe(code);
  });

  it('exits with 128 + 9 when the command is killed by SIGKILL', async () => {
    const r = await execIn(id, 'main', ['sh', '-c', 'kill -9 $$']);
    expect(r.timedOut, describeRun(r)).toBe(false);
    expect(r.exitCode).toBe(137);
  });

  it('passes environment variables and the working directory', async () => {
    const r = await execIn(
      id,
      'main',
      ['sh', '-c', 'printf "%s|%s|%s|%s" "$GREETING" "$EQUALS" "$EMPTY" "$(pwd)"'],
      { flags: ['-e', 'GREETING=hello world', '-e', 'EQUALS=a=b', '-e', 'EMPTY=', '-w', '/etc'] },
    );
    expect(r.exitCode, describeRun(r)).toBe(0);
    expect(r.stdout).toBe('hello world|a=b||/etc');
  });

  it('exits 127 and names a command that does not exist', async () => {
    const r = await execIn(id, 'main', ['no-such-command-xyz', '--flag']);
    expect(r.exitCode, describeRun(r)).toBe(127);
    expect(r.stderr).toMatch(/no-such-command-xyz/);
    expect(r.stdout).toBe('');
  });

  it('runs 5 concurrent commands on one machine, each with its own output and exit code', async () => {
    const script = 'sleep 0.5; echo "out-$1"; echo "err-$1" >&2; exit "$2"';
    const runs = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        execIn(id, 'main', ['sh', '-c', script, 'sh', `${i}`, `${i + 10}`]),
      ),
    );
    for (const [n, r] of runs.entries()) {
      const i = n + 1;
      expect(r.exitCode, describeRun(r)).toBe(i + 10);
      expect(r.stdout).toBe(`out-${i}\n`);
      expect(r.stderr).toBe(`err-${i}\n`);
    }
  });

  it('runs concurrent commands across machines, each answered by its own machine', async () => {
    const jobs = ['main', 'peer', 'main', 'peer', 'main', 'peer'].map((machine, i) => ({
      machine,
      token: `job-${i}`,
    }));
    const runs = await Promise.all(
      jobs.map((j) =>
        execIn(id, j.machine, ['sh', '-c', 'sleep 0.3; echo "$1 $(hostname)"', 'sh', j.token]),
      ),
    );
    for (const [i, r] of runs.entries()) {
      expect(r.exitCode, describeRun(r)).toBe(0);
      expect(r.stdout).toBe(`${jobs[i].token} ${jobs[i].machine}\n`);
    }
  });

  it('forwards piped stdin', async () => {
    const r = await execIn(id, 'stdin', ['cat'], { input: 'line one\nline two\n' });
    expect(r.exitCode, describeRun(r)).toBe(0);
    expect(r.stdout).toBe('line one\nline two\n');
  });

  it('round-trips 1 MiB of binary stdin through cat unchanged (sha256)', async () => {
    const data = randomBytes(2 ** 20);
    const r = await execIn(id, 'stdin', ['cat'], { input: data, timeoutMs: 60_000 });
    expect(r.exitCode, describeRun(r)).toBe(0);
    expect(r.stdoutBytes.length).toBe(data.length);
    expect(sha256(r.stdoutBytes)).toBe(sha256(data));
  });

  it('still runs commands on a machine after one command read 8 KiB of stdin', async () => {
    const count = await execIn(id, 'bulk', ['wc', '-c'], { input: Buffer.alloc(8192, 'x') });
    expect(count.exitCode, describeRun(count)).toBe(0);
    expect(count.stdout.trim()).toBe('8192');

    const r = await execIn(id, 'bulk', ['echo', 'still here'], { timeoutMs: 10_000 });
    expect(r.timedOut, `the machine no longer answers: ${describeRun(r)}`).toBe(false);
    expect(r.exitCode, describeRun(r)).toBe(0);
    expect(r.stdout).toBe('still here\n');
  });

  it('ends a long-running command promptly on SIGINT, and the guest process is gone', async () => {
    const client = execa(
      process.execPath,
      [CLI, 'exec', '--env', id, 'signals', '--', 'sleep', '30'],
      {
        stdin: 'ignore',
        reject: false,
        timeout: 60_000,
        killSignal: 'SIGKILL',
      },
    );
    const running = await waitFor(
      async () => (await guestProcesses(id, 'signals', 'sleep')) === 1,
      20_000,
      100,
    );
    expect(running, 'sleep 30 never showed up in the guest').toBe(true);

    const t0 = Date.now();
    client.kill('SIGINT');
    const r = await client;
    const elapsed = Date.now() - t0;
    expect(r.timedOut, 'the client ignored SIGINT until it was killed').toBe(false);
    expect(elapsed).toBeLessThan(5_000);
    expect(r.exitCode).toBe(128 + 2);
    expect(await guestProcesses(id, 'signals', 'sleep')).toBe(0);
  });

  it('fails with exit 1 on an unknown machine, naming it and the machines there are', async () => {
    const r = await execIn(id, 'nope', ['true']);
    expect(r.exitCode, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/no machine named nope/);
    expect(r.stderr).toMatch(/main, peer, stdin, bulk, signals/);
  });
});
