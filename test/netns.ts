import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CLI = path.resolve('dist/cli.js');

/**
 * A CI box of its own for a test: a network namespace with a state directory, linked
 * by a veth pair to a second namespace that plays the outside world. Nothing a test
 * does in it can reach any real network.
 */
export class Box {
  readonly name: string;
  readonly outside: string;
  readonly boxAddress = '198.51.100.2';
  readonly outsideAddress = '198.51.100.1';
  stateDir = '';
  private servers: number[] = [];

  constructor() {
    const tag = randomBytes(3).toString('hex');
    this.name = `umlenv-box-${tag}`;
    this.outside = `umlenv-out-${tag}`;
  }

  async create(): Promise<void> {
    this.stateDir = await mkdtemp(path.join(tmpdir(), 'umlenv-box-state-'));
    const tag = this.name.slice(-6);
    const [a, b] = [`vb-${tag}`, `vo-${tag}`];
    const run = (...args: string[]) => execa('ip', args);
    await run('netns', 'add', this.name);
    await run('netns', 'add', this.outside);
    // No IPv6: its address states (tentative, then not) would make dumps differ by time alone.
    for (const ns of [this.name, this.outside]) {
      await execa('ip', [
        'netns',
        'exec',
        ns,
        'sysctl',
        '-q',
        '-w',
        'net.ipv6.conf.all.disable_ipv6=1',
        'net.ipv6.conf.default.disable_ipv6=1',
      ]);
    }
    await run('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
    await run('link', 'set', a, 'netns', this.name);
    await run('link', 'set', b, 'netns', this.outside);
    await run('-n', this.name, 'address', 'add', `${this.boxAddress}/24`, 'dev', a);
    await run('-n', this.outside, 'address', 'add', `${this.outsideAddress}/24`, 'dev', b);
    for (const [ns, dev] of [
      [this.name, a],
      [this.outside, b],
      [this.name, 'lo'],
      [this.outside, 'lo'],
    ]) {
      await run('-n', ns, 'link', 'set', dev, 'up');
    }
    await run('-n', this.name, 'route', 'add', 'default', 'via', this.outsideAddress);
    // Load the firewall tables now, so that "before" and "after" dumps compare rules only.
    for (const table of ['filter', 'nat']) await this.sh(`iptables -t ${table} -S >/dev/null`);
  }

  /** Runs a shell command inside the box. */
  sh(command: string, options: { reject?: boolean } = {}) {
    return execa('ip', ['netns', 'exec', this.name, 'sh', '-c', command], {
      reject: options.reject ?? true,
    });
  }

  /** Runs a bash script inside the box, passed as one argument (no quoting games). */
  bash(script: string, options: { reject?: boolean } = {}) {
    return execa('ip', ['netns', 'exec', this.name, 'bash', '-c', script], {
      reject: options.reject ?? true,
    });
  }

  /** Runs the umlenv CLI inside the box, with the box's own state directory. */
  umlenv(args: string[], env: Record<string, string> = {}) {
    return execa('ip', ['netns', 'exec', this.name, process.execPath, CLI, ...args], {
      env: { UMLENV_STATE_DIR: this.stateDir, ...env },
      reject: false,
    });
  }

  /** A small HTTP server in the outside world that answers every request with body. */
  async serveOutside(port: number, body: string): Promise<void> {
    const script = `require('http').createServer((q, r) => r.end(${JSON.stringify(body)})).listen(${port}, '${this.outsideAddress}', () => console.log('listening'))`;
    const child = execa('ip', ['netns', 'exec', this.outside, process.execPath, '-e', script], {
      reject: false,
    });
    this.servers.push(child.pid!);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', () => reject(new Error('the outside HTTP server exited')));
    });
  }

  /** Everything of the box that an environment may change, as text to compare. */
  async dump(): Promise<string> {
    const parts = await Promise.all([
      this.sh('ip -o link show | sed "s/^[0-9]*: //"'),
      this.sh('ip -o address show'),
      this.sh('ip route show table all'),
      this.sh('iptables -t filter -S; iptables -t nat -S'),
      this.sh('cat /proc/sys/net/ipv4/ip_forward'),
      execa('find', [this.stateDir, '-mindepth', '1', '-not', '-type', 'd']),
    ]);
    return parts.map((p) => p.stdout).join('\n----\n');
  }

  async destroy(): Promise<void> {
    for (const pid of this.servers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await execa('ip', ['netns', 'delete', this.name], { reject: false });
    await execa('ip', ['netns', 'delete', this.outside], { reject: false });
    await rm(this.stateDir, { recursive: true, force: true });
  }
}

/** A GET over bash's /dev/tcp, for guests and hosts without an HTTP client. */
export function httpGet(address: string, port: number): string {
  return `exec 3<>/dev/tcp/${address}/${port} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`;
}
