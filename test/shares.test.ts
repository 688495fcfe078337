import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = process.getuid?.() === 0;
const CLI = path.resolve('dist/cli.js');
const ENV = `test-shares-${randomBytes(3).toString('hex')}`;

function umlenv(...args: string[]) {
  return execa(process.execPath, [CLI, ...args], { reject: false });
}

function inGuest(script: string) {
  return umlenv('exec', '--env', ENV, 'm', '--', 'sh', '-c', script);
}

describe.skipIf(!root)('workspace shares and the guest sandbox (needs root)', () => {
  let dir: string;
  let secret: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'umlenv-shares-'));
    await mkdir(path.join(dir, 'work'));
    await mkdir(path.join(dir, 'docs'));
    await writeFile(path.join(dir, 'work', 'input.txt'), 'from-the-host\n');
    await writeFile(path.join(dir, 'docs', 'readme.txt'), 'read-only\n');
    // A host file outside every share that the guest must not see.
    secret = path.join(dir, 'secret.txt');
    await writeFile(secret, 'host-secret\n');
    const config = path.join(dir, 'umlenv.yml');
    await writeFile(
      config,
      [
        'images:',
        '  base: {}',
        'machines:',
        '  m:',
        '    shares:',
        '      - { host: work, guest: /workspace }',
        '      - { host: docs, guest: /docs, readonly: true }',
      ].join('\n'),
    );
    const up = await umlenv('up', '-f', config, '--env', ENV);
    expect(up.exitCode, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await umlenv('down', '--env', ENV);
    await rm(dir, { recursive: true, force: true });
  });

  it('mounts a read-write share both ways', async () => {
    const r = await inGuest(
      'cat /workspace/input.txt && echo from-the-guest > /workspace/output.txt && sync',
    );
    expect(r.stdout).toBe('from-the-host');
    expect(await readFile(path.join(dir, 'work', 'output.txt'), 'utf8')).toBe('from-the-guest\n');
  });

  it('enforces a read-only share on the host side, even against guest root remounting it', async () => {
    const r = await inGuest(
      'cat /docs/readme.txt; umount /docs; mount -t hostfs none /docs -o ' +
        path.join(dir, 'docs') +
        ' && echo changed > /docs/readme.txt',
    );
    expect(r.stdout.split('\n')[0]).toBe('read-only');
    expect(r.exitCode).not.toBe(0);
    expect(await readFile(path.join(dir, 'docs', 'readme.txt'), 'utf8')).toBe('read-only\n');
  });

  it('gives guest root no way to the rest of the host file system', async () => {
    const attempts = [
      `cat /workspace/../secret.txt`,
      `cat /workspace/../../../../..${secret}`,
      `mkdir -p /mnt/h && mount -t hostfs none /mnt/h -o / && cat /mnt/h${secret}`,
      `mkdir -p /mnt/g && mount -t hostfs none /mnt/g -o ${dir} && cat /mnt/g/secret.txt`,
      `mkdir -p /mnt/e && mount -t hostfs none /mnt/e -o /etc && cat /mnt/e/shadow`,
      `mkdir -p /mnt/r && mount -t hostfs none /mnt/r -o /workspace/../../.. && cat /mnt/r${secret}`,
    ];
    for (const attempt of attempts) {
      const r = await inGuest(attempt);
      expect(r.stdout, attempt).not.toMatch(/host-secret|root:/);
      expect(r.exitCode, attempt).not.toBe(0);
    }
    const view = await inGuest('mkdir -p /mnt/v && mount -t hostfs none /mnt/v -o / && ls /mnt/v');
    // Only the kernel and its libraries (usr or var, lib, lib64), the image and machine
    // files (var), the shares (tmp) and the sandbox's own mounts: nothing else of the host.
    const entries = view.stdout.split('\n');
    const allowed = ['dev', 'lib', 'lib64', 'proc', 'tmp', 'umlenv-memory', 'usr', 'var'];
    expect(entries.filter((e) => !allowed.includes(e))).toEqual([]);
    expect(entries).toEqual(expect.arrayContaining(['dev', 'proc', 'tmp', 'umlenv-memory', 'var']));
  });
});
