import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Box } from './netns.js';

const root = process.getuid?.() === 0;
const COUNT = 8;
const ids = Array.from({ length: COUNT }, (_, i) => `many-${i}`);

describe.skipIf(!root)(
  `${COUNT} environments at once on one box (needs root and network namespaces)`,
  () => {
    const box = new Box();
    let dir: string;
    let before: string;

    beforeAll(async () => {
      await box.create();
      dir = await mkdtemp(path.join(tmpdir(), 'umlenv-many-'));
      before = await box.dump();
    });

    afterAll(async () => {
      await Promise.all(ids.map((id) => box.umlenv(['down', '--env', id])));
      await box.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('gives each its own subnet and tap, keeps them apart, and leaves the box as it was', async () => {
      const config = path.join(dir, 'umlenv.yml');
      await writeFile(
        config,
        'images:\n  base:\n    packages: [iputils-ping]\nnetwork:\n  host: true\nmachines:\n  one:\n    memory: 64M\n  two:\n    memory: 64M\n',
      );
      // Eight separate umlenv processes, as eight CI jobs would start them.
      const ups = await Promise.all(ids.map((id) => box.umlenv(['up', '-f', config, '--env', id])));
      for (const [i, up] of ups.entries()) expect(up.exitCode, `${ids[i]}: ${up.stderr}`).toBe(0);

      const addresses = await Promise.all(
        ids.map(async (id) => {
          const ps = JSON.parse((await box.umlenv(['ps', '--env', id, '--json'])).stdout);
          return ps.machines.map((m: { address: string }) => m.address) as string[];
        }),
      );
      const subnets = addresses.map((a) => a[0].replace(/\.\d+$/, ''));
      expect(new Set(subnets).size).toBe(COUNT);
      const taps = (await box.sh('ip -o link show')).stdout.match(/ue-[0-9a-f]{10}/g) ?? [];
      expect(new Set(taps).size).toBe(COUNT);

      await Promise.all(
        ids.map(async (id, i) => {
          const own = await box.umlenv([
            'exec',
            '--env',
            id,
            'one',
            '--',
            'ping',
            '-c1',
            '-W2',
            'two',
          ]);
          expect(own.exitCode, `${id}: one -> two: ${own.stdout}${own.stderr}`).toBe(0);
          const other = addresses[(i + 1) % COUNT][1];
          const foreign = await box.umlenv([
            'exec',
            '--env',
            id,
            'one',
            '--',
            'ping',
            '-c1',
            '-W1',
            other,
          ]);
          expect(foreign.exitCode, `${id} reached ${other} of ${ids[(i + 1) % COUNT]}`).not.toBe(0);
        }),
      );

      const downs = await Promise.all(ids.map((id) => box.umlenv(['down', '--env', id])));
      for (const down of downs) expect(down.exitCode).toBe(0);
      expect(await box.dump()).toBe(before);
    });
  },
);
