import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = process.getuid?.() === 0;

describe.skipIf(!root)('the api-frontend example (needs root)', () => {
  it('builds, tests the API alone, serves it with its database and queue, and passes the e2e test', async () => {
    const run = await execa(path.resolve('examples/api-frontend/run.sh'), {
      reject: false,
      all: true,
    });
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).toMatch(/\[api-build\] Ran boot script in/);
    expect(run.all).toMatch(
      /\[api-run\] Healthy in [\d.]+ s \(curl -fsS http:\/\/127\.0\.0\.1:8080\/health\)/,
    );
    expect(run.all).toMatch(/^event: \{"event": "item\.created", "id": \d+, "name": "e2e-\d+"\}$/m);
    expect(run.all).toMatch(/^e2e passed$/m);
    expect(await readdir('/var/lib/umlenv/envs').catch(() => [])).not.toContain(
      'example-api-frontend',
    );
    const { stdout } = await execa('ps', ['-eo', 'args=']);
    expect(stdout).not.toMatch(/envs\/example-api-frontend/);
  }, 600_000);
});
