import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const INIT = new URL('../../guest/umlenv-init', import.meta.url).pathname;

// The guest init loads no module, to boot fast; these keep it honest without them.
describe('guest/umlenv-init', () => {
  it('compiles cleanly under strict and warnings', async () => {
    const { stdout, stderr } = await run('perl', ['-Mstrict', '-Mwarnings', '-c', INIT]);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${INIT} syntax OK\n`);
  });

  it('loads no module at boot (each costs tens of milliseconds inside UML)', async () => {
    const text = await readFile(INIT, 'utf8');
    expect(text.match(/^\s*(use|no|require)\s+[\w:]+/gm) ?? []).toEqual([]);
    expect(text).not.toMatch(/\$!\{/); // %! loads Errno
  });
});
