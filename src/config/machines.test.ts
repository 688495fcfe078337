import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseDuration } from './load.js';

const FILE = 'env.yml';
const config = (...machines: string[]) =>
  ['images:', '  base: {}', 'machines:', ...machines].join('\n') + '\n';

function problem(text: string, file = FILE): string {
  try {
    parseConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return `${(error as ConfigError).message}\nfix: ${(error as ConfigError).hint}`;
  }
  throw new Error('the config was accepted');
}

describe('depends_on', () => {
  it('reads a list as condition started, and a map with its conditions', () => {
    const c = parseConfig(
      config(
        '  db:',
        '    healthcheck: { tcp: 5432 }',
        '  api:',
        '    depends_on: [db]',
        '  web:',
        '    depends_on: { db: { condition: healthy }, api: {} }',
      ),
      FILE,
    );
    expect(c.machines.map((m) => m.dependsOn)).toEqual([
      [],
      [{ machine: 'db', condition: 'started' }],
      [
        { machine: 'db', condition: 'healthy' },
        { machine: 'api', condition: 'started' },
      ],
    ]);
  });

  it('names a cycle in order', () => {
    expect(problem(config('  a:', '    depends_on: [b]', '  b:', '    depends_on: [a]'))).toBe(
      'env.yml:5:17: machines.a.depends_on: depends_on forms a cycle: a → b → a\nfix: remove one of these dependencies; machines cannot wait for each other',
    );
  });

  it('refuses an unknown machine, listing the others', () => {
    expect(problem(config('  a:', '    depends_on: [ghost]', '  b:'))).toMatch(
      /^env\.yml:5:17: machines\.a\.depends_on: unknown machine "ghost"\nfix: use one of: b$/,
    );
  });

  it('refuses a machine that depends on itself', () => {
    expect(problem(config('  a:', '    depends_on: [a]'))).toMatch(
      /machines\.a\.depends_on: machine a depends on itself/,
    );
  });

  it('refuses condition healthy of a machine without a health check', () => {
    expect(
      problem(config('  a:', '    depends_on: { b: { condition: healthy } }', '  b:')),
    ).toMatch(
      /machines\.a\.depends_on: condition healthy of b needs a healthcheck on b\nfix: add healthcheck: to b, or use condition: started or completed$/,
    );
  });

  it('refuses an unknown condition', () => {
    expect(problem(config('  a:', '    depends_on: { b: { condition: ready } }', '  b:'))).toMatch(
      /"ready"/,
    );
  });
});

describe('healthcheck, services and boot', () => {
  it('turns a TCP check and a shell command into guest commands with defaults', () => {
    const c = parseConfig(
      config(
        '  db:',
        '    healthcheck: { tcp: 5432 }',
        '  api:',
        '    healthcheck:',
        '      command: curl -f localhost',
        '      interval: 1s',
        '      retries: 5',
        '      timeout: 500ms',
      ),
      FILE,
    );
    expect(c.machines[0].healthcheck).toMatchObject({
      label: 'tcp 5432',
      intervalMs: 200,
      retries: 150,
      timeoutMs: 10_000,
    });
    expect(c.machines[0].healthcheck!.argv.join(' ')).toMatch(/PeerPort => 5432/);
    expect(c.machines[1].healthcheck).toEqual({
      argv: ['sh', '-c', 'curl -f localhost'],
      label: 'curl -f localhost',
      intervalMs: 1000,
      retries: 5,
      timeoutMs: 500,
    });
  });

  it('needs exactly one of command and tcp', () => {
    expect(problem(config('  a:', '    healthcheck: { tcp: 1, command: "true" }'))).toMatch(
      /machines\.a\.healthcheck: .*must have exactly one of command and tcp/,
    );
    expect(problem(config('  a:', '    healthcheck: { interval: 1s }'))).toMatch(
      /must have exactly one of command and tcp/,
    );
  });

  it('reads services with user, workdir and env, a string command running under sh', () => {
    const c = parseConfig(
      config(
        '  a:',
        '    services:',
        '      api:',
        '        command: python3 app.py',
        '        user: www-data',
        '        workdir: /srv',
        '        env: { PORT: "8080" }',
        '      worker:',
        '        command: [/usr/bin/worker, --once]',
      ),
      FILE,
    );
    expect(c.machines[0].services).toEqual([
      {
        name: 'api',
        argv: ['sh', '-c', 'python3 app.py'],
        user: 'www-data',
        workdir: '/srv',
        env: { PORT: '8080' },
      },
      {
        name: 'worker',
        argv: ['/usr/bin/worker', '--once'],
        user: undefined,
        workdir: undefined,
        env: {},
      },
    ]);
  });

  it('refuses a relative workdir and a bad duration', () => {
    expect(
      problem(config('  a:', '    services:', '      s: { command: x, workdir: srv }')),
    ).toMatch(/machines\.a\.services\.s\.workdir: "srv" must be an absolute path in the guest/);
    expect(problem(config('  a:', '    healthcheck: { tcp: 1, interval: soon }'))).toMatch(
      /machines\.a\.healthcheck\.interval: "soon" must be a duration such as "200ms", "5s" or "2m"/,
    );
  });

  it('parses durations', () => {
    expect([parseDuration('200ms'), parseDuration('1.5s'), parseDuration('2m')]).toEqual([
      200, 1500, 120_000,
    ]);
  });
});

describe('ports and shares', () => {
  it('reads ports with and without a host address', () => {
    const c = parseConfig(config('  a:', '    ports: ["8080:80", "0.0.0.0:15432:5432"]'), FILE);
    expect(c.machines[0].ports).toEqual([
      { hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 },
      { hostAddress: '0.0.0.0', hostPort: 15432, guestPort: 5432 },
    ]);
    expect([c.host, c.nat]).toEqual([true, false]);
  });

  it('refuses a malformed port, a port out of range and a host port published twice', () => {
    expect(problem(config('  a:', '    ports: ["80"]'))).toMatch(
      /machines\.a\.ports\.0: "80" must be "HOST_PORT:GUEST_PORT"/,
    );
    expect(problem(config('  a:', '    ports: ["70000:80"]'))).toMatch(
      /"70000:80" has a port outside 1-65535/,
    );
    expect(
      problem(config('  a:', '    ports: ["8080:80"]', '  b:', '    ports: ["8080:81"]')),
    ).toMatch(
      /machines\.b\.ports\.0: host port 127\.0\.0\.1:8080 is already published by machine a/,
    );
  });

  it('resolves shares against the config file and refuses a missing directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'umlenv-cfg-'));
    const file = path.join(dir, 'umlenv.yml');
    const c = parseConfig(config('  a:', '    shares: [{ host: ., guest: /workspace }]'), file);
    expect(c.machines[0].shares).toEqual([{ host: dir, guest: '/workspace', readonly: false }]);
    expect(problem(config('  a:', '    shares: [{ host: nope, guest: /w }]'), file)).toMatch(
      /machines\.a\.shares\.0\.host: ".*\/nope" is not an existing directory/,
    );
    await rm(dir, { recursive: true });
  });

  it('turns nat into a host link', () => {
    const c = parseConfig(config('  a:') + 'network:\n  nat: true\n', FILE);
    expect([c.host, c.nat]).toEqual([true, true]);
  });
});
