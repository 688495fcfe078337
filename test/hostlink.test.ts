import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { processesMentioning, until } from './harness.js';
import { Box, httpGet } from './netns.js';

const root = process.getuid?.() === 0;
const tun = await readFile('/dev/net/tun').then(
  () => true,
  (e: NodeJS.ErrnoException) => e.code !== 'ENOENT',
);

async function config(dir: string, name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `images:\n  base:\n    packages: [iputils-ping]\n${text}`);
  return file;
}

describe.skipIf(!root || !tun)(
  'host link, NAT and isolation (needs root, /dev/net/tun and network namespaces)',
  () => {
    const box = new Box();
    let dir: string;
    let before: string;
    const started: string[] = [];

    beforeAll(async () => {
      await box.create();
      await box.serveOutside(8000, 'hello-from-outside');
      dir = await mkdtemp(path.join(tmpdir(), 'umlenv-hostlink-'));
      before = await box.dump();
    });

    afterEach(async () => {
      await Promise.all(started.splice(0).map((id) => box.umlenv(['down', '--env', id])));
    });

    afterAll(async () => {
      await box.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('reaches the outside through NAT, publishes a port, and leaves the box as it was', async () => {
      const file = await config(
        dir,
        'nat.yml',
        'network:\n  nat: true\nmachines:\n  web:\n    ports: ["127.0.0.1:18080:8080"]\n  client:\n',
      );
      started.push('nat');
      const up = await box.umlenv(['up', '-f', file, '--env', 'nat']);
      expect(up.stderr).toMatch(/Started firewall rules and NAT/);
      expect(up.exitCode).toBe(0);

      const fetched = await box.umlenv([
        'exec',
        '--env',
        'nat',
        'client',
        '--',
        'bash',
        '-c',
        httpGet(box.outsideAddress, 8000),
      ]);
      expect(fetched.stdout).toMatch(/\r\n\r\nhello-from-outside$/);
      const resolv = await box.umlenv([
        'exec',
        '--env',
        'nat',
        'client',
        '--',
        'cat',
        '/etc/resolv.conf',
      ]);
      expect(resolv.exitCode).toBe(0);

      const server = box.umlenv([
        'exec',
        '--env',
        'nat',
        'web',
        '--',
        'perl',
        '-MIO::Socket::INET',
        '-e',
        '$s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die; $| = 1; print "ready\\n"; while ($c = $s->accept) { while (<$c>) { last if /^\r?$/ } print $c "HTTP/1.0 200 OK\\r\\n\\r\\nfrom-the-guest"; close $c }',
      ]);
      await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
      const viaPort = await box.bash(httpGet('127.0.0.1', 18080));
      expect(viaPort.stdout).toMatch(/from-the-guest$/);
      expect((await box.umlenv(['port', '--env', 'nat', 'web', '8080'])).stdout).toBe(
        '127.0.0.1:18080',
      );
      const direct = await box.bash(httpGet('10.224.0.2', 8080));
      expect(direct.stdout).toMatch(/from-the-guest$/);
      server.kill('SIGINT');
      await server;

      const down = await box.umlenv(['down', '--env', 'nat']);
      expect(down.exitCode).toBe(0);
      expect(await box.dump()).toBe(before);
    });

    it('keeps guests away from the host and from other environments', async () => {
      await box.sh('iptables -t filter -S >/dev/null');
      const host = execa(
        'ip',
        [
          'netns',
          'exec',
          box.name,
          process.execPath,
          '-e',
          "require('net').createServer(s => s.end('host-service')).listen(9999, '0.0.0.0', () => console.log('up'))",
        ],
        { reject: false },
      );
      await new Promise<void>((resolve) => host.stdout!.once('data', () => resolve()));
      try {
        const a = await config(
          dir,
          'a.yml',
          'network:\n  host: true\nmachines:\n  a1:\n    memory: 96M\n',
        );
        const b = await config(
          dir,
          'b.yml',
          'network:\n  host: true\nmachines:\n  b1:\n    memory: 96M\n',
        );
        started.push('iso-a', 'iso-b');
        const [upA, upB] = await Promise.all([
          box.umlenv(['up', '-f', a, '--env', 'iso-a']),
          box.umlenv(['up', '-f', b, '--env', 'iso-b']),
        ]);
        expect([upA.exitCode, upB.exitCode]).toEqual([0, 0]);
        const ps = async (id: string) =>
          JSON.parse((await box.umlenv(['ps', '--env', id, '--json'])).stdout).machines[0]
            .address as string;
        const [addrA, addrB] = [await ps('iso-a'), await ps('iso-b')];
        expect(addrA.split('.').slice(0, 3)).not.toEqual(addrB.split('.').slice(0, 3));

        const gatewayA = addrA.replace(/\.\d+$/, '.1');
        // A guest of A opening a connection, as root: reached, or blocked.
        const connect = async (address: string) =>
          (
            await box.umlenv([
              'exec',
              '--env',
              'iso-a',
              'a1',
              '--',
              'bash',
              '-c',
              `timeout 3 bash -c 'exec 3<>/dev/tcp/${address}/9999 && cat <&3' && echo REACHED || echo blocked`,
            ])
          ).stdout.trim();
        expect(await connect(gatewayA)).toBe('blocked');
        expect(await connect(box.boxAddress)).toBe('blocked');
        // The host reaches a guest: a closed port answers at once with a refusal.
        const fromHost = await box.bash(`timeout 3 bash -c 'exec 3<>/dev/tcp/${addrA}/1'`, {
          reject: false,
        });
        expect(fromHost.stderr).toMatch(/Connection refused/);
        const crossEnv = await box.umlenv([
          'exec',
          '--env',
          'iso-a',
          'a1',
          '--',
          'ping',
          '-c1',
          '-W2',
          addrB,
        ]);
        expect(crossEnv.exitCode).not.toBe(0);
        const crossBack = await box.umlenv([
          'exec',
          '--env',
          'iso-b',
          'b1',
          '--',
          'ping',
          '-c1',
          '-W2',
          addrA,
        ]);
        expect(crossBack.exitCode).not.toBe(0);
      } finally {
        host.kill('SIGKILL');
        await host;
      }
    });

    it('refuses a published port that is taken, names it, and leaves nothing behind', async () => {
      const first = await config(
        dir,
        'p1.yml',
        'machines:\n  one:\n    memory: 96M\n    ports: ["127.0.0.1:18081:80"]\n',
      );
      const second = await config(
        dir,
        'p2.yml',
        'machines:\n  two:\n    memory: 96M\n    ports: ["127.0.0.1:18081:80"]\n',
      );
      started.push('port-1', 'port-2');
      expect((await box.umlenv(['up', '-f', first, '--env', 'port-1'])).exitCode).toBe(0);
      const mid = await box.dump();
      const clash = await box.umlenv(['up', '-f', second, '--env', 'port-2']);
      expect(clash.exitCode).toBe(1);
      expect(clash.stderr).toMatch(
        /host port 127\.0\.0\.1:18081 \(published by machine two\) is already in use/,
      );
      expect(clash.stderr).toMatch(/fix: pick a free host port in ports: of two/);
      expect(await box.dump()).toBe(mid);
    });

    it('makes no host link for a subset whose machines publish no port', async () => {
      const file = await config(
        dir,
        'subset.yml',
        'machines:\n  web:\n    ports: ["127.0.0.1:18081:8080"]\n  client:\n',
      );
      started.push('subset');
      const up = await box.umlenv(['up', '-f', file, '--env', 'subset', 'client']);
      expect(up.exitCode, up.stderr).toBe(0);
      const state = JSON.parse(
        await readFile(path.join(box.stateDir, 'envs', 'subset', 'state.json'), 'utf8'),
      );
      expect(state.network.tap).toBeUndefined();
      expect(state.machines.map((m: { name: string }) => m.name)).toEqual(['client']);
      // While it runs, the box's links, addresses, routes, rules and forwarding are as before.
      const network = (dump: string) => dump.split('\n----\n').slice(0, 5);
      expect(network(await box.dump())).toEqual(network(before));
      expect((await box.umlenv(['down', '--env', 'subset'])).exitCode).toBe(0);
      expect(await box.dump()).toBe(before);
    });

    it('finishes the teardown of an up killed after its tap and rules exist', async () => {
      const file = await config(
        dir,
        'kill.yml',
        'network:\n  nat: true\nmachines:\n  k1:\n    memory: 96M\n  k2:\n    memory: 96M\n',
      );
      started.push('killed');
      const up = box.umlenv(['up', '-f', file, '--env', 'killed']);
      await until(
        'the firewall rules',
        async () => (await box.sh('iptables -S')).stdout.includes('umlenv:killed') || undefined,
        60_000,
      );
      const state = JSON.parse(
        await readFile(path.join(box.stateDir, 'envs', 'killed', 'state.json'), 'utf8'),
      );
      up.kill('SIGKILL');
      await up;
      for (const pid of new Set([state.owner.pid, ...(await supervisorsOf(box.stateDir))])) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const gc = await box.umlenv(['gc']);
      expect(gc.stderr).toMatch(/Collecting environment killed: its owner \(pid \d+\) is gone/);
      expect(gc.exitCode).toBe(0);
      expect(await box.dump()).toBe(before);
      // No process of it survives either: not the switch, not a jailed kernel.
      expect(processesMentioning(box.stateDir)).toEqual([]);
    });

    it('says which privilege is missing when not root', async () => {
      const file = await config(dir, 'noroot.yml', 'network:\n  nat: true\nmachines:\n  n1:\n');
      await chmod(dir, 0o755);
      const r = await execa(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          path.resolve('dist/cli.js'),
          'up',
          '-f',
          file,
          '--env',
          'noroot',
        ],
        {
          env: { UMLENV_STATE_DIR: path.join(dir, 'nobody-state'), HOME: dir },
          reject: false,
        },
      );
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(
        /linking machines to the host needs root \(CAP_NET_ADMIN\): network\.host, network\.nat and ports/,
      );
      expect(r.stderr).toMatch(
        /environments without a host link need no privileges for networking/,
      );
    });
  },
);

async function supervisorsOf(stateDir: string): Promise<number[]> {
  const { stdout } = await execa('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((l) => l.includes('__supervise') && l.includes(stateDir))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}
