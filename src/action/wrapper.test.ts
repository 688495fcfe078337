import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shellQuote, writeWrapper } from './wrapper.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "umlenv wrapper's "));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the umlenv wrapper', () => {
  it('quotes any text for sh', async () => {
    const text = `it's "$HOME" \`x\` \\`;
    const { stdout } = await execa('sh', ['-c', `printf %s ${shellQuote(text)}`]);
    expect(stdout).toBe(text);
  });

  it('runs the CLI with the given node and passes every argument through', async () => {
    const cli = path.join(dir, 'cli.js');
    await writeFile(cli, 'console.log(JSON.stringify(process.argv.slice(2)))');
    await writeWrapper(path.join(dir, 'bin'), process.execPath, cli);
    const { stdout } = await execa('umlenv', ['exec', 'web', '--', 'sh', '-c', 'echo "a b"'], {
      env: { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin` },
    });
    expect(JSON.parse(stdout)).toEqual(['exec', 'web', '--', 'sh', '-c', 'echo "a b"']);
  });
});
