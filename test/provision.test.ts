import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = process.getuid?.() === 0;
const CLI = path.resolve('dist/cli.js');
const tag = randomBytes(3).toString('hex');

function umlenv(...args: string[]) {
  return execa(process.execPath, [CLI, ...args], { reject: false });
}

const SERVER = `exec perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die $!; $| = 1; print "listening\\n"; while ($c = $s->accept) { print $c "from-db\\n"; close $c }'`;

async function envDirs(): Promise<string[]> {
  return (await readdir('/var/lib/umlenv/envs').catch(() => [])).filter((e) => e.includes(tag));
}

describe.skipIf(!root)('boot scripts, services, health checks and depends_on (needs root)', () => {
  let dir: string;
  const config = async (name: string, machines: string) => {
    const file = path.join(dir, name);
    await writeFile(file, `images:\n  base:\n    packages: [iputils-ping]\nmachines:\n${machines}`);
    return file;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'umlenv-provision-'));
  });

  afterAll(async () => {
    for (const id of await envDirs()) await umlenv('down', '--env', id);
    await rm(dir, { recursive: true, force: true });
  });

  it('runs boot scripts in dependency order, starts services as their user, and waits for health', async () => {
    const id = `prov-ok-${tag}`;
    const file = await config(
      'ok.yml',
      [
        '  db:',
        '    memory: 128M',
        '    boot: echo preparing-the-db && touch /run/db-prepared',
        '    services:',
        '      listener:',
        '        user: nobody',
        `        command: ${JSON.stringify(SERVER)}`,
        '    healthcheck: { tcp: 8080 }',
        '  app:',
        '    memory: 128M',
        '    depends_on: { db: { condition: healthy } }',
        '    boot: |',
        '      bash -c "exec 3<>/dev/tcp/db/8080 && cat <&3" > /run/answer',
      ].join('\n'),
    );
    const up = await umlenv('up', '-f', file, '--env', id);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/\[db\] Healthy in [\d.]+ s \(tcp 8080\)/);
    expect(up.stderr.indexOf('[db] Healthy')).toBeLessThan(
      up.stderr.indexOf('[app] Running boot script'),
    );
    expect((await umlenv('exec', '--env', id, 'app', '--', 'cat', '/run/answer')).stdout).toBe(
      'from-db',
    );
    expect((await umlenv('logs', '--env', id, 'db', '--service', 'listener')).stdout).toBe(
      'listening',
    );
    expect((await umlenv('logs', '--env', id, 'db')).stdout).toMatch(/^preparing-the-db$/m);
    // The image has no ps: read the service's user straight from /proc.
    const owner = await umlenv(
      'exec',
      '--env',
      id,
      'db',
      '--',
      'sh',
      '-c',
      'for s in /proc/[0-9]*/status; do grep -q "^Name:[[:space:]]*perl$" $s && awk \'/^Uid:/ { print $2 }\' $s; done',
    );
    expect(owner.stdout.trim()).toBe('65534');
    const missing = await umlenv('logs', '--env', id, 'db', '--service', 'nope');
    expect(missing.stderr).toMatch(
      /machine db has no service named nope\nfix: its services: listener/,
    );
    expect((await umlenv('down', '--env', id)).exitCode).toBe(0);
  });

  it('fails up on a failing boot script with its name, exit code and output, leaving nothing', async () => {
    const id = `prov-boot-${tag}`;
    const file = await config(
      'boot.yml',
      '  broken:\n    memory: 96M\n    boot: |\n      echo about-to-fail\n      exit 3\n',
    );
    const up = await umlenv('up', '-f', file, '--env', id);
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toMatch(
      /umlenv: machine broken: its boot script failed with exit code 3\. Last output:\nabout-to-fail\nfix: fix machines\.broken\.boot/,
    );
    expect(await envDirs()).not.toContain(id);
  });

  it('fails up on a health check that never passes, naming the check and its last output', async () => {
    const id = `prov-health-${tag}`;
    const file = await config(
      'health.yml',
      '  sick:\n    memory: 96M\n    healthcheck:\n      command: echo not-yet >&2; exit 1\n      interval: 50ms\n      retries: 4\n  waiter:\n    memory: 96M\n    depends_on: { sick: { condition: healthy } }\n    boot: touch /run/never\n',
    );
    const up = await umlenv('up', '-f', file, '--env', id);
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toMatch(
      /umlenv: machine sick did not become healthy: its health check "echo not-yet >&2; exit 1" failed 4 times over [\d.]+ s; last exit code 1, last output:\nnot-yet\n/,
    );
    expect(up.stderr).not.toMatch(/umlenv: machine waiter/);
    expect(await envDirs()).not.toContain(id);
  });

  it('refuses a depends_on cycle before creating anything', async () => {
    const id = `prov-cycle-${tag}`;
    const file = await config(
      'cycle.yml',
      '  a:\n    depends_on: [b]\n  b:\n    depends_on: [c]\n  c:\n    depends_on: [a]\n',
    );
    const up = await umlenv('up', '-f', file, '--env', id);
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toMatch(
      /machines\.a\.depends_on: depends_on forms a cycle: a → b → c → a\nfix: remove one of these dependencies/,
    );
    expect(await envDirs()).not.toContain(id);
  });
});
